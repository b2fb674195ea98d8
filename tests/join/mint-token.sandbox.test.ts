/**
 * mint-token.sh run for real under bash in the sandbox (tests/sandbox.ts) on the first control plane of
 * ./fixtures, from the bundle NodeJoin sends (tests/sandbox/joins.ts, checked against NodeJoin in
 * bundles.sandbox.test.ts): the token it mints, the certificates it uploads for a control plane, and how
 * it fails without leaking either secret. The kubeadm stand-in prints the secrets in its output (so a
 * leak shows) and keeps what it minted and uploaded in its state.
 */
import * as yaml from "js-yaml";
import { parseToken } from "../../components/hosts/NodeJoin";
import { NodeConfig } from "../../config";
import { LEAKS, RunResult, Sandbox } from "../sandbox";
import { CERT_KEY, lines, mintBundle, TOKEN } from "../sandbox/joins";
import { ADMIN_CONF, CONTROL_PLANE, DEV, expectNoSecrets, mintHost, TEST, WORKER } from "./fixtures";

function tokenCreateArgv(sb: Sandbox, node: NodeConfig): string[] {
    return [
        "kubeadm", "token", "create", "--kubeconfig", `${sb.root}/${ADMIN_CONF}`, "--ttl", "1h0m0s",
        "--description", `lsst-k8s: join of ${node.name}`,
    ];
}

function uploadCertsArgv(sb: Sandbox): string[] {
    return [
        "kubeadm", "init", "phase", "upload-certs", "--upload-certs", "--config", `${sb.workDir}/upload-certs.yaml`,
        "--kubeconfig", `${sb.root}/${ADMIN_CONF}`,
    ];
}

function expectMintDied(r: RunResult, message: string, step = "token"): void {
    expect(r.stderr).not.toMatch(LEAKS);
    expect(r.stderr).toContain(`mint-token.sh: step '${step}' failed: ${message}\n`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
}

describe("mint-token.sh on the first control plane", () => {
    test("the bundles: a worker's has no upload-certs.yaml; a control plane's carries the key for the first control plane", () => {
        expect(Object.keys(mintBundle(TEST, WORKER).files).sort()).toEqual(["lib.sh", "mint-token.sh", "params.env"]);
        expect(mintBundle(TEST, WORKER).files["params.env"].content).toBe("NODE_NAME=test-node001\nNODE_ROLE=worker\n");
        const cp = mintBundle(DEV, CONTROL_PLANE);
        expect(cp.files["params.env"].content).toBe("NODE_NAME=dev-cp02\nNODE_ROLE=control-plane\n");
        expect(cp.files["upload-certs.yaml"].mode).toBe("0600");
        const docs = yaml.loadAll(cp.files["upload-certs.yaml"].content) as Record<string, any>[];
        expect(docs.map((d) => d.kind)).toEqual(["InitConfiguration", "ClusterConfiguration"]);
        expect(docs[0].certificateKey).toBe(CERT_KEY);
        // Uploaded from the first control plane, not the joining one.
        expect(docs[0].nodeRegistration.name).toBe("dev-cp01");
        expect(docs[0].localAPIEndpoint.advertiseAddress).toBe("192.0.2.11");
        expect(docs[1].controlPlaneEndpoint).toBe("k8s-dev.example.org:6443");
    });

    test("a worker: one `kubeadm token create` on admin.conf, no upload-certs, exactly one line of JSON", () => {
        const sb = mintHost(TEST, WORKER);
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("mint-token.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(0);

        expect(sb.argv()).toEqual([tokenCreateArgv(sb, WORKER)]);
        expect(r.stdout).toBe(`{"token": "${TOKEN}"}\n`);
        expect(parseToken(r.stdout)).toBe(TOKEN);
        expect(lines(r.stderr)).toEqual([
            "mint-token.sh: step token",
            "mint-token.sh:   changed: token minted for test-node001",
            "mint-token.sh: done: 1 change(s)",
        ]);
        expect(r.stderr).not.toContain(TOKEN);
        expect(r.calls.join("\n")).not.toContain(TOKEN);
        // One token, for an hour, described; no certificates uploaded; nothing written on the host.
        expect(sb.readState("kubeadm/tokens")).toBe(`${TOKEN}\t1h0m0s\tlsst-k8s: join of test-node001\n`);
        expect(sb.readState("kubeadm/uploads")).toBeUndefined();
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("a control plane: upload-certs from the bundle's upload-certs.yaml first, its output (the key) discarded", () => {
        const sb = mintHost(DEV, CONTROL_PLANE);
        const r = sb.run("mint-token.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(0);

        expect(sb.argv()).toEqual([uploadCertsArgv(sb), tokenCreateArgv(sb, CONTROL_PLANE)]);
        // The stand-in read the key from the file and printed it; none of that reached the output.
        expect(sb.readState("kubeadm/uploads")).toBe(`kubeadm-certs ${CERT_KEY}\n`);
        expect(r.stdout).toBe(`{"token": "${TOKEN}"}\n`);
        expect(lines(r.stderr)).toEqual([
            "mint-token.sh: step token",
            "mint-token.sh:   changed: control-plane certificates uploaded",
            "mint-token.sh:   changed: token minted for dev-cp02",
            "mint-token.sh: done: 2 change(s)",
        ]);
        expect(r.stdout + r.stderr).not.toContain("[upload-certs]");
        expect(r.stdout + r.stderr).not.toContain(CERT_KEY);
        // No secret in any command line.
        expect(sb.calls().join("\n")).not.toContain(CERT_KEY);
        expect(sb.calls().join("\n")).not.toContain(TOKEN);
        expect(parseToken(r.stdout)).toBe(TOKEN);
    });

    test.each([
        ["worker", TEST, WORKER],
        ["control plane", DEV, CONTROL_PLANE],
    ])("a %s on a host without admin.conf: step 'token' fails naming it, kubeadm never called", (_, cluster, node) => {
        const sb = mintHost(cluster, node, { noAdminConf: true });
        const r = sb.run("mint-token.sh");
        expectMintDied(r, "/etc/kubernetes/admin.conf is missing: kubeadm init has not run on this host");
        expect(lines(r.stderr)).toEqual([
            "mint-token.sh: step token",
            "mint-token.sh: step 'token' failed: /etc/kubernetes/admin.conf is missing: kubeadm init has not run on this host",
        ]);
        expect(sb.calls()).toEqual([]);
    });

    test("kubeadm printing something else than a token (a warning first): 'did not print a token', nothing echoed", () => {
        const warning = "W0612 10:00:00.000000    1234 version.go:104] could not fetch a Kubernetes version from the internet";
        const sb = mintHost(TEST, WORKER, { tokenOutput: `${warning}\n${TOKEN}\n` });
        const r = sb.run("mint-token.sh");
        expectMintDied(r, "kubeadm token create did not print a token");
        expect(sb.argv()).toEqual([tokenCreateArgv(sb, WORKER)]);
        expect(r.stderr).not.toContain("changed:");
        expect(r.stderr).not.toContain(warning);
        expectNoSecrets(r);
        // ...and what it did print is not taken for a token by the program either.
        expect(() => parseToken(`${warning}\n${TOKEN}\n`)).toThrow(/did not print a token/);
    });

    test("kubeadm printing garbage: 'did not print a token'", () => {
        const sb = mintHost(TEST, WORKER, { tokenOutput: "not-a-token\n" });
        const r = sb.run("mint-token.sh");
        expectMintDied(r, "kubeadm token create did not print a token");
        expect(r.stderr).not.toContain("not-a-token");
    });

    test("upload-certs failing: 'uploading the control-plane certificates failed', no token minted, no key shown", () => {
        const sb = mintHost(DEV, CONTROL_PLANE, { uploadFails: true });
        const r = sb.run("mint-token.sh");
        expectMintDied(r, "uploading the control-plane certificates failed");
        expect(sb.argv()).toEqual([uploadCertsArgv(sb)]);
        expect(lines(r.stderr)).toEqual([
            "mint-token.sh: step token",
            // kubeadm's own error, on stderr, is kept for the operator.
            "error execution phase upload-certs: error uploading certs: error creating token: timed out waiting for the condition",
            "To see the stack trace of this error execute with --v=5 or higher",
            "mint-token.sh: step 'token' failed: uploading the control-plane certificates failed",
        ]);
        expect(sb.readState("kubeadm/tokens")).toBeUndefined();
        expectNoSecrets(r);
    });

    test("token create failing: step 'token' fails, nothing on stdout", () => {
        const sb = mintHost(TEST, WORKER, { tokenFails: true });
        const r = sb.run("mint-token.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain("failed to create or update bootstrap token");
        expect(r.stderr).toMatch(/^mint-token\.sh: step 'token' failed \(exit 1\) at line \d+: /m);
        expect(r.stderr).not.toContain("changed:");
        expect(() => parseToken(r.stdout)).toThrow(/did not print a token/);
    });

    test("a control plane's bundle without upload-certs.yaml fails before kubeadm", () => {
        const { "upload-certs.yaml": _omitted, ...files } = mintBundle(DEV, CONTROL_PLANE).files;
        void _omitted;
        const sb = mintHost(DEV, CONTROL_PLANE, { bundle: { entry: "mint-token.sh", files } });
        const r = sb.run("mint-token.sh");
        expectMintDied(r, "the bundle has no upload-certs.yaml");
        expect(sb.calls()).toEqual([]);
    });

    test("malformed parameters fail step 'setup' before kubeadm", () => {
        const bundle = mintBundle(TEST, WORKER);
        const sb = mintHost(TEST, WORKER, {
            bundle: { ...bundle, files: { ...bundle.files, "params.env": { content: "NODE_NAME=test-node001\nNODE_ROLE=etcd\n", mode: "0600" } } },
        });
        const r = sb.run("mint-token.sh");
        expectMintDied(r, "parameter NODE_ROLE is malformed", "setup");
        expect(sb.calls()).toEqual([]);
    });
});
