/**
 * cert-expiry.sh run for real under bash against the REAL kubeadm (the pinned binary in
 * ~/.cache/lsst-k8s/bin) over a real control plane's PKI that kubeadm itself generated in a throw-away
 * root (`kubeadm init phase certs all` / `kubeconfig all`): what kubeadm's jsonpath printer gives is what
 * the script turns into its report line, and parseCertificateReport reads that line. One certificate is
 * then replaced by one signed with openssl by the generated CA and expiring in ten days, and the report's
 * earliest is that one, with the month's warning. kubeadm runs with --rootfs (a chroot), so the test
 * needs root; the script sees the throw-away root through LSST_K8S_ROOT as on the sandbox.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { certExpiryBundle, certificateWarning, parseCertificateReport } from "../components/hosts/certExpiry";
import { writeBundle } from "./sandbox";
import { testCluster } from "./init/fixtures";

const KUBEADM = path.join(os.homedir(), ".cache", "lsst-k8s", "bin", "kubeadm");
const DAY_MS = 24 * 60 * 60 * 1000;
const dirs: string[] = [];

afterEach(() => {
    for (const d of dirs.splice(0)) {
        fs.rmSync(d, { recursive: true, force: true });
    }
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { encoding: "utf8", env, timeout: 60_000 });
    if (r.error) {
        throw r.error;
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function must(cmd: string, args: string[]): string {
    const r = run(cmd, args);
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    }
    return r.stdout;
}

/** A control plane's /etc/kubernetes as kubeadm makes it (certificates and kubeconfigs), under a new root. */
function controlPlaneRoot(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-certs-"));
    dirs.push(root);
    const etc = path.join(root, "etc", "kubernetes");
    must(KUBEADM, ["init", "phase", "certs", "all", "--cert-dir", path.join(etc, "pki"), "--apiserver-advertise-address", "203.0.113.11"]);
    must(KUBEADM, ["init", "phase", "kubeconfig", "all", "--cert-dir", path.join(etc, "pki"), "--kubeconfig-dir", etc,
        "--apiserver-advertise-address", "203.0.113.11", "--control-plane-endpoint", "203.0.113.11:6443", "--node-name", "test-cp01"]);
    return root;
}

/** Every file under `dir`, relative path to content. */
function snapshot(dir: string): Record<string, string> {
    return Object.fromEntries((fs.readdirSync(dir, { recursive: true }) as string[]).sort()
        .filter((f) => fs.statSync(path.join(dir, f)).isFile()).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

/**
 * The script's bundle in a work directory, and a PATH whose kubeadm is the real one chrooted into the
 * root: the bundle's --config file is copied inside the root first, since the chroot cannot see it.
 */
function runScript(root: string): { status: number | null; stdout: string; stderr: string } {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-certs-work-"));
    dirs.push(work);
    const cluster = testCluster();
    writeBundle(certExpiryBundle(cluster, cluster.nodes[0]), work);
    const bin = path.join(work, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "kubeadm"), [
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        "args=()",
        "while [[ $# -gt 0 ]]; do",
        "    if [[ $1 == --config ]]; then",
        "        mkdir -p \"$LSST_K8S_ROOT/run\" && cp \"$2\" \"$LSST_K8S_ROOT/run/kubeadm.yaml\"",
        "        args+=(--config /run/kubeadm.yaml); shift 2",
        "    else args+=(\"$1\"); shift; fi",
        "done",
        `exec ${JSON.stringify(KUBEADM)} "\${args[@]}" --rootfs "$LSST_K8S_ROOT"`,
        "",
    ].join("\n"), { mode: 0o755 });
    return run("bash", [path.join(work, "cert-expiry.sh")], { PATH: `${bin}:/usr/bin:/bin`, LSST_K8S_ROOT: root, HOME: work });
}

const canRun = fs.existsSync(KUBEADM) && process.getuid?.() === 0;
(canRun ? describe : describe.skip)("cert-expiry.sh with the real kubeadm", () => {
    it("reports every certificate kubeadm lists, with the earliest expiry", () => {
        const root = controlPlaneRoot();
        const before = snapshot(path.join(root, "etc", "kubernetes"));
        const r = runScript(root);
        expect(r.stderr).toContain("done: 0 change(s)");
        expect(r.status).toBe(0);
        const report = parseCertificateReport(r.stdout, "test-cp01");
        const names = report.certificates.map((c) => c.name);
        // The leaf certificates `kubeadm certs renew all` renews, and the kubeconfigs' client certificates.
        expect(names).toEqual(expect.arrayContaining(["apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "etcd-peer",
            "etcd-server", "etcd-healthcheck-client", "front-proxy-client", "admin.conf", "controller-manager.conf", "scheduler.conf", "super-admin.conf"]));
        expect(names).not.toContain("ca");
        // kubeadm signs them for a year.
        const days = (Date.parse(report.earliest) - Date.now()) / DAY_MS;
        expect(days).toBeGreaterThan(360);
        expect(days).toBeLessThan(366);
        expect(certificateWarning(report.earliest, new Date(), "test-cp01")).toBeUndefined();
        // Read-only: every file kubeadm made is as it left it.
        expect(snapshot(path.join(root, "etc", "kubernetes"))).toEqual(before);
    });

    it("finds a certificate signed by the cluster CA that expires in ten days, and warns", () => {
        const root = controlPlaneRoot();
        const pki = path.join(root, "etc", "kubernetes", "pki");
        const csr = path.join(pki, "apiserver.csr");
        must("openssl", ["x509", "-x509toreq", "-in", path.join(pki, "apiserver.crt"), "-signkey", path.join(pki, "apiserver.key"), "-out", csr]);
        must("openssl", ["x509", "-req", "-in", csr, "-CA", path.join(pki, "ca.crt"), "-CAkey", path.join(pki, "ca.key"), "-set_serial", "42",
            "-days", "10", "-copy_extensions", "copy", "-out", path.join(pki, "apiserver.crt")]);
        fs.rmSync(csr);
        const r = runScript(root);
        expect(r.status).toBe(0);
        const report = parseCertificateReport(r.stdout, "test-cp01");
        const apiserver = report.certificates.find((c) => c.name === "apiserver");
        expect(report.earliest).toBe(apiserver?.expires);
        const days = (Date.parse(report.earliest) - Date.now()) / DAY_MS;
        expect(days).toBeGreaterThan(9);
        expect(days).toBeLessThan(11);
        expect(certificateWarning(report.earliest, new Date(), "test-cp01")).toMatch(/control plane test-cp01 expires in (9|10) days.*kubeadm certs renew all/);
    });

    it("leaves out what is missing (super-admin.conf on a joined control plane)", () => {
        const root = controlPlaneRoot();
        fs.rmSync(path.join(root, "etc", "kubernetes", "super-admin.conf"));
        const r = runScript(root);
        expect(r.status).toBe(0);
        expect(parseCertificateReport(r.stdout, "test-cp01").certificates.map((c) => c.name)).not.toContain("super-admin.conf");
    });

    it("fails with one clear message on a host that is no control plane", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-certs-"));
        dirs.push(root);
        const r = runScript(root);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("/etc/kubernetes/pki/ca.crt is missing: this host is not a kubeadm control plane");
        expect(r.stdout).toBe("");
    });
});

it("the real kubeadm can run here (else the suite above is skipped)", () => {
    if (!fs.existsSync(KUBEADM)) {
        throw new Error(`${KUBEADM} is missing: build it with \`bash tools/upstream/build.sh kubeadm\``);
    }
    if (process.getuid?.() !== 0) {
        throw new Error("cert-expiry.kubeadm.test.ts must run as root: kubeadm reads the throw-away root through --rootfs (a chroot)");
    }
});
