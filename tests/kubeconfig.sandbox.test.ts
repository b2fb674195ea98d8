/**
 * kubeconfig.sh run for real under bash in the sandbox, on a first control plane whose admin.conf holds
 * a real client certificate signed by a real cluster CA (openssl): read back as it is while it is valid
 * for more than the renewal window, renewed with `kubeadm certs renew admin.conf` (the stand-in signs a
 * new one with the CA, keeping the subject and key) once it is due, and refused without an admin.conf.
 * Plus the trigger and warning that decide, from the last deploy's expiry, when the program runs it.
 */
import { spawnSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubeconfigBundle, parseKubeconfigReadback, RENEW_DAYS, renewalTrigger, renewalWarning } from "../components/hosts/credentials";
import { renewConfiguration, renderDocuments } from "../components/hosts/kubeadm";
import { cleanedUpAfterEach, createSandbox, INIT_TOOLS, LEAKS, Sandbox, writeBundle } from "./sandbox";
import { testCluster } from "./init/fixtures";

const live = cleanedUpAfterEach();
const ADMIN_CONF = "etc/kubernetes/admin.conf";

function openssl(dir: string, ...args: string[]): void {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.error || r.status !== 0) {
        throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
    }
}

/** A cluster CA and an admin client certificate valid for `days`, as kubeadm makes them. */
function pki(days: number): { caCrt: string; caKey: string; cert: string; key: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-admin-"));
    try {
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=kubernetes");
        openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "admin.key", "-out", "admin.csr", "-subj", "/O=kubeadm:cluster-admins/CN=kubernetes-admin");
        openssl(dir, "x509", "-req", "-in", "admin.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "7", "-days", String(days), "-out", "admin.crt");
        const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
        return { caCrt: read("ca.crt"), caKey: read("ca.key"), cert: read("admin.crt"), key: read("admin.key") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function adminConf(p: { caCrt: string; cert: string; key: string }): string {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    return [
        "apiVersion: v1", "clusters:", "- cluster:", `    certificate-authority-data: ${b64(p.caCrt)}`, "    server: https://203.0.113.11:6443",
        "  name: lsst-test", "contexts:", "- context:", "    cluster: lsst-test", "    user: kubernetes-admin", "  name: kubernetes-admin@lsst-test",
        "current-context: kubernetes-admin@lsst-test", "kind: Config", "preferences: {}", "users:", "- name: kubernetes-admin", "  user:",
        `    client-certificate-data: ${b64(p.cert)}`, `    client-key-data: ${b64(p.key)}`, "",
    ].join("\n");
}

/** A first control plane whose admin certificate is valid for `days`. */
function controlPlane(days: number, opts: { withAdminConf?: boolean } = {}): { sb: Sandbox; cert: string } {
    const sb = createSandbox({ standIns: ["id", "kubeadm"], tools: [...INIT_TOOLS, "date"] });
    live.push(sb);
    writeBundle(kubeconfigBundle(testCluster()), sb.workDir);
    const p = pki(days);
    sb.writeRoot("etc/kubernetes/pki/ca.crt", { content: p.caCrt, mode: "0644" });
    sb.writeRoot("etc/kubernetes/pki/ca.key", { content: p.caKey, mode: "0600" });
    if (opts.withAdminConf !== false) {
        sb.writeRoot(ADMIN_CONF, { content: adminConf(p), mode: "0600" });
    }
    return { sb, cert: p.cert };
}

/** The client certificate in a kubeconfig's text. */
function clientCert(kubeconfig: string): X509Certificate {
    const line = kubeconfig.split("\n").find((l) => l.startsWith("    client-certificate-data: "))!;
    return new X509Certificate(Buffer.from(line.split(": ")[1], "base64"));
}

const DAY = 24 * 3600 * 1000;

describe("kubeconfig.sh", () => {
    it("reads a certificate valid beyond the window back as it is, with its expiry", () => {
        const { sb, cert } = controlPlane(RENEW_DAYS + 30);
        const before = sb.readRoot(ADMIN_CONF);
        const r = sb.run("kubeconfig.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(0);
        expect(r.calls.filter((c) => c.startsWith("kubeadm"))).toEqual([]);
        const back = parseKubeconfigReadback(r.stdout);
        expect(Buffer.from(back.kubeconfig, "base64").toString("utf8")).toBe(before);
        expect(Date.parse(back.notAfter)).toBe(Date.parse(new X509Certificate(cert).validTo));
        expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1);
    });

    it("renews a certificate inside the window for a year, keeping its subject, key and issuer", () => {
        const { sb, cert } = controlPlane(RENEW_DAYS - 5);
        const old = new X509Certificate(cert);
        const r = sb.run("kubeconfig.sh");
        expect(r.status).toBe(0);
        expect(r.stderr).toContain("changed: renewed the admin client certificate");
        expect(r.calls).toContain(`kubeadm certs renew admin.conf --config ${sb.workDir}/kubeadm.yaml`);
        const renewed = clientCert(sb.readRoot(ADMIN_CONF));
        expect(renewed.subject).toBe(old.subject);
        expect(renewed.publicKey.export({ type: "spki", format: "der" })).toEqual(old.publicKey.export({ type: "spki", format: "der" }));
        expect(renewed.checkIssued(new X509Certificate(sb.readRoot("etc/kubernetes/pki/ca.crt")))).toBe(true);
        expect(Date.parse(renewed.validTo) - Date.now()).toBeGreaterThan(360 * DAY);
        const back = parseKubeconfigReadback(r.stdout);
        expect(Date.parse(back.notAfter)).toBe(Date.parse(renewed.validTo));
        expect(Buffer.from(back.kubeconfig, "base64").toString("utf8")).toBe(sb.readRoot(ADMIN_CONF));
        // Renewed, it is read back as it is on the next run.
        const again = sb.run("kubeconfig.sh");
        expect(again.status).toBe(0);
        expect(again.calls.filter((c) => c.startsWith("kubeadm"))).toEqual([]);
    });

    it("gives kubeadm the cluster's configuration, so a renewal never needs the API server", () => {
        const { sb } = controlPlane(1);
        expect(fs.readFileSync(path.join(sb.workDir, "kubeadm.yaml"), "utf8")).toBe(renderDocuments(renewConfiguration(testCluster())));
    });

    it("stops, naming the file, on a host where init has not finished", () => {
        const { sb } = controlPlane(100, { withAdminConf: false });
        const r = sb.run("kubeconfig.sh");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("kubeconfig.sh: step 'check' failed: /etc/kubernetes/admin.conf is missing");
        expect(r.stdout).toBe("");
    });
});

describe("when the program runs it", () => {
    const now = new Date("2027-06-01T00:00:00Z");

    it("reads back on a first deploy, and again only once the last expiry is due", () => {
        expect(renewalTrigger(undefined, now)).toBe("current");
        expect(renewalTrigger("2027-12-01T00:00:00Z", now)).toBe("current");
        expect(renewalTrigger("2027-06-20T00:00:00Z", now)).toBe("renew before 2027-06-20T00:00:00Z");
        expect(renewalTrigger("2027-05-01T00:00:00Z", now)).toBe("renew before 2027-05-01T00:00:00Z");
        expect(renewalTrigger("not a date", now)).toBe("current");
    });

    it("warns a month ahead, and after expiry, naming the host and where the new kubeconfig is", () => {
        expect(renewalWarning("2027-12-01T00:00:00Z", now, "test-cp01")).toBeUndefined();
        expect(renewalWarning("2027-06-20T00:00:00Z", now, "test-cp01")).toMatch(
            /^the admin kubeconfig's client certificate expires in 19 days \(2027-06-20T00:00:00Z\): this deploy renews it on test-cp01/);
        expect(renewalWarning("2027-05-01T00:00:00Z", now, "test-cp01")).toMatch(/certificate expired on 2027-05-01T00:00:00Z: this deploy renews it/);
        expect(renewalWarning("2027-06-20T00:00:00Z", now, "x")).toContain("pulumi stack output kubeconfig --show-secrets");
    });
});
