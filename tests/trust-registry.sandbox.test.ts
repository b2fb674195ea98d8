import { trustRegistryBundle } from "../components/hosts/actions";
import { validateConfig } from "../config";
import { rawConfig } from "./harness";
import { cleanedUpAfterEach, createSandbox, LEAKS, Sandbox, TRUST_TOOLS, writeBundle } from "./sandbox";

const registry = validateConfig(rawConfig("test").config).config!.platform!.registry!;
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";
const DIR = `etc/containerd/certs.d/${registry.host}`;

const live = cleanedUpAfterEach();

function host(certificate = CERT): Sandbox {
    const sb = createSandbox({ standIns: ["id"], tools: TRUST_TOOLS });
    live.push(sb);
    writeBundle(trustRegistryBundle(registry, certificate), sb.workDir);
    return sb;
}

describe("trust-registry.sh", () => {
    it("writes containerd's hosts.toml and the registry's certificate, and changes nothing the second time", () => {
        const sb = host();
        const first = sb.run("trust-registry.sh");
        expect(first.stderr).not.toMatch(LEAKS);
        expect(first.status).toBe(0);
        const bundle = trustRegistryBundle(registry, CERT);
        expect(sb.readRoot(`${DIR}/hosts.toml`)).toBe(bundle.files["hosts.toml"].content);
        expect(sb.readRoot(`${DIR}/ca.crt`)).toBe(CERT);
        expect([sb.modeOf(`${DIR}/hosts.toml`), sb.modeOf(`${DIR}/ca.crt`)]).toEqual(["0644", "0644"]);
        expect(sb.readRoot("etc/hosts")).toBe(`${registry.clusterIP} ${registry.host} # lsst-k8s: registry\n`);
        expect(first.stderr).toContain("trust-registry.sh: done: 3 change(s)");
        const tree = sb.snapshot({ identity: true });
        const second = sb.run("trust-registry.sh");
        expect(second.status).toBe(0);
        expect(second.stderr).toContain("trust-registry.sh: done: 0 change(s)");
        expect(sb.snapshot({ identity: true })).toEqual(tree);
        // containerd reads certs.d at every pull: nothing is restarted.
        expect([...first.calls, ...second.calls].filter((c) => !c.startsWith("id "))).toEqual([]);
    });

    it("maps the registry's name to its Service address in the node's hosts file, keeping every other line", () => {
        const sb = host();
        const others = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.0.0.5 nfs.example.org\n";
        sb.writeRoot("etc/hosts", { content: others + "10.96.9.9 old-registry.example.org # lsst-k8s: registry\n", mode: "0644" });
        const r = sb.run("trust-registry.sh");
        expect(r.status).toBe(0);
        expect(r.stderr).toContain("changed: /etc/hosts");
        expect(sb.readRoot("etc/hosts")).toBe(`${others}${registry.clusterIP} ${registry.host} # lsst-k8s: registry\n`);
        expect(sb.modeOf("etc/hosts")).toBe("0644");
        const again = sb.run("trust-registry.sh");
        expect(again.stderr).toContain("done: 0 change(s)");
    });

    it("replaces the certificate when it changes, and only it", () => {
        const sb = host();
        expect(sb.run("trust-registry.sh").status).toBe(0);
        writeBundle(trustRegistryBundle(registry, CERT.replace("test", "renewed")), sb.workDir);
        const r = sb.run("trust-registry.sh");
        expect(r.status).toBe(0);
        expect(r.stderr).toContain(`changed: /${DIR}/ca.crt`);
        expect(r.stderr).toContain("done: 1 change(s)");
        expect(sb.readRoot(`${DIR}/ca.crt`)).toContain("renewed");
    });
});
