/**
 * The name nodes pull by is the name the pull secret is issued for (issue 12): containerd presents a
 * pod's credentials only to the registry host its image names, so that host, the server of the
 * node's hosts.toml, the certs.d directory, the pull secret's auths key and the certificate's names
 * must be one name, and the node's hosts file must send it to the address hosts.toml dials.
 */
import * as TOML from "smol-toml";
import { decodeBundle } from "../components/hosts/bundle";
import { validateConfig } from "../config";
import { Evaluation } from "../tools/evaluate";
import { declaredPods, ofType, rawConfig, runStack, STACKS, StackName } from "./harness";

/** What the registry component and the trust step of one stack say the registry's name is. */
describe.each(STACKS)("the registry's one name on stack %s", (stack: StackName) => {
    const registry = validateConfig(rawConfig(stack).config).config!.platform!.registry!;
    let e: Evaluation;
    beforeAll(async () => {
        e = await runStack(stack);
    });

    it("is the host of every image pulled through the registry, spelled one way", () => {
        const all = declaredPods(e).flatMap((p) => p.images);
        const local = all.filter((i) => i.startsWith(`${registry.host}/`));
        expect(local.length).toBeGreaterThan(0);
        // No other spelling of the registry: with a port, by address, or by its Service name.
        const otherSpellings = [`${registry.host}:`, `${registry.clusterIP}`, "registry.registry.svc"];
        expect(all.filter((i) => otherSpellings.some((s) => i.startsWith(s)))).toEqual([]);
    });

    it("is the name every pull secret is issued for", () => {
        const pulls = ofType(e, "kubernetes:core/v1:Secret").filter((s) => (s.inputs.type as string) === "kubernetes.io/dockerconfigjson");
        expect(pulls.length).toBeGreaterThan(0);
        for (const s of pulls) {
            const config = JSON.parse((s.inputs.stringData as Record<string, string>)[".dockerconfigjson"]);
            expect(Object.keys(config.auths)).toEqual([registry.host]);
        }
    });

    it("is the server of every node's hosts.toml and its certs.d directory, and the hosts file sends it where hosts.toml dials", () => {
        const trusts = ofType(e, "command:remote:Command").filter((c) => /-registry-trust-run$/.test(c.name));
        const nodes = validateConfig(rawConfig(stack).config).config!.nodes;
        expect(trusts).toHaveLength(nodes.length);
        for (const t of trusts) {
            const bundle = decodeBundle(t.inputs.stdin as string);
            const hosts = TOML.parse(bundle.files["hosts.toml"].content) as { server: string; host: Record<string, { ca: string }> };
            expect(hosts.server).toBe(`https://${registry.host}`);
            const [dial] = Object.keys(hosts.host);
            expect(hosts.host[dial].ca).toBe(`/etc/containerd/certs.d/${registry.host}/ca.crt`);
            const params = bundle.files["params.env"].content;
            expect(params).toMatch(new RegExp(`^REGISTRY_HOST=${registry.host.replace(/\./g, "\\.")}$`, "m"));
            // The hosts file line trust-registry.sh writes maps the name to the address containerd dials.
            expect(`https://${/^REGISTRY_ADDRESS=(.*)$/m.exec(params)?.[1]}`).toBe(dial);
        }
    });

    it("is a name the registry's certificate carries, with the address containerd dials", () => {
        const [cert] = ofType(e, "tls:index/selfSignedCert:SelfSignedCert");
        expect(cert.inputs.dnsNames).toContain(registry.host);
        expect(cert.inputs.ipAddresses).toContain(registry.clusterIP);
    });
});
