/**
 * The join path run for real under bash in the sandbox (tests/sandbox.ts): mint-token.sh on the first
 * control plane, then join.sh on the joining node, from the bundles NodeJoin sends (built from the same
 * functions in tests/sandbox/joins.ts, and checked below against NodeJoin itself under Pulumi's mocks).
 * The kubeadm stand-in reads the bundles' real configuration files, prints the secrets in its output
 * (so a leak shows) and keeps what it minted, uploaded and joined in its state.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import { Bundle, decodeBundle } from "../components/hosts/bundle";
import { NodeJoin, parseToken } from "../components/hosts/NodeJoin";
import { ClusterConfig, NodeConfig } from "../config";
import { cleanedUpAfterEach, createSandbox, JOIN_TOOLS, LEAKS, MINT_TOOLS, RunResult, Sandbox, SandboxOptions, writeBundle } from "./sandbox";
import {
    CA_HASH, CA_HEX, CERT_KEY, drainBundle, firstControlPlane, joinBundle, lines, mintBundle, nodeNamed, stackCluster,
    TOKEN, unusedTools,
} from "./sandbox/joins";

const ADMIN_CONF = "etc/kubernetes/admin.conf";
const KUBELET_CONF = "etc/kubernetes/kubelet.conf";
const LOG_DIR = "var/log/lsst-k8s";
const LOG = `${LOG_DIR}/kubeadm-join.log`;
/** join.sh's mark of a kubeadm join that has not finished. */
const UNFINISHED = `${LOG_DIR}/kubeadm-join.unfinished`;
/** What the kubelet package leaves on a prepared host that never joined. */
const PREPARED_DIRS = ["etc/kubernetes/manifests"];

const TEST = stackCluster("test");
const DEV = stackCluster("dev");
/** A worker of the test cluster and a second control plane of the dev cluster. */
const WORKER = nodeNamed(TEST, "test-node001");
const CONTROL_PLANE = nodeNamed(DEV, "dev-cp02");

const live = cleanedUpAfterEach();

function expectNoSecrets(r: RunResult, secrets: readonly string[] = [TOKEN, CERT_KEY]): void {
    for (const out of [r.stdout, r.stderr, r.calls.join("\n")]) {
        for (const s of secrets) {
            expect(out).not.toContain(s);
        }
        // The token's secret half alone.
        expect(out).not.toContain(TOKEN.split(".")[1]);
    }
}

function kubeadmArgv(sb: Sandbox): string[][] {
    return sb.argv().filter((a) => a[0] === "kubeadm");
}

// ---- mint-token.sh on the first control plane ---------------------------------------------------------

interface MintSetup {
    /** What `kubeadm token create` prints (the token by default). */
    readonly tokenOutput?: string;
    readonly noAdminConf?: boolean;
    readonly uploadFails?: boolean;
    readonly tokenFails?: boolean;
    readonly bundle?: Bundle;
}

/** The first control plane, initialised: admin.conf in place, the kubeadm stand-in, the mint bundle. */
function mintHost(cluster: ClusterConfig, node: NodeConfig, setup: MintSetup = {}): Sandbox {
    const sb = createSandbox({
        standIns: ["kubeadm"],
        tools: MINT_TOOLS,
        files: setup.noAdminConf ? {} : { [ADMIN_CONF]: { content: "apiVersion: v1\nkind: Config\n# admin\n", mode: "0600" } },
    });
    live.push(sb);
    writeBundle(setup.bundle ?? mintBundle(cluster, node), sb.workDir);
    sb.writeState("kubeadm/token", setup.tokenOutput ?? `${TOKEN}\n`);
    if (setup.uploadFails) {
        sb.writeState("kubeadm-upload-certs-fail", "yes\n");
    }
    if (setup.tokenFails) {
        sb.writeState("kubeadm-token-fail", "yes\n");
    }
    return sb;
}

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

// ---- join.sh on the joining node ------------------------------------------------------------------------

interface JoinSetup {
    /** kubeadm join fails: before creating anything (true), or after the kubelet's TLS bootstrap wrote kubelet.conf. */
    readonly joinFails?: boolean | "after-tls-bootstrap";
    readonly bundle?: Bundle;
    readonly host?: SandboxOptions;
}

/** A prepared host about to join: the id and kubeadm stand-ins, the join tools, the join bundle unpacked. */
function joinHost(cluster: ClusterConfig, node: NodeConfig, setup: JoinSetup = {}): Sandbox {
    const sb = createSandbox({ standIns: ["id", "kubeadm"], tools: JOIN_TOOLS, dirs: PREPARED_DIRS, ...setup.host });
    live.push(sb);
    writeBundle(setup.bundle ?? joinBundle(cluster, node), sb.workDir);
    if (setup.joinFails) {
        sb.writeState("kubeadm-join-fail", setup.joinFails === true ? "yes\n" : `${setup.joinFails}\n`);
    }
    return sb;
}

function joinCall(sb: Sandbox): string {
    return `kubeadm join --config ${sb.workDir}/kubeadm.yaml`;
}

describe.each([
    ["worker test-node001 (lsst-test)", TEST, WORKER],
    ["control plane dev-cp02 (lsst-dev)", DEV, CONTROL_PLANE],
])("join.sh on the %s", (_, cluster, node) => {
    const controlPlane = node.role === "control-plane";
    const secrets = controlPlane ? [TOKEN, CERT_KEY] : [TOKEN];

    test("the bundle's kubeadm.yaml is the rendered JoinConfiguration, the CA hash pinned", () => {
        const bundle = joinBundle(cluster, node);
        expect(Object.keys(bundle.files).sort()).toEqual(["join.sh", "kubeadm.yaml", "lib.sh", "reset.sh"]);
        expect(bundle.files["kubeadm.yaml"].mode).toBe("0600");
        const [doc, ...rest] = yaml.loadAll(bundle.files["kubeadm.yaml"].content) as Record<string, any>[];
        expect(rest).toEqual([]);
        expect(doc.kind).toBe("JoinConfiguration");
        expect(doc.discovery.bootstrapToken).toEqual({
            apiServerEndpoint: cluster.controlPlaneEndpoint.text, token: TOKEN, caCertHashes: [CA_HASH],
        });
        expect(doc.nodeRegistration.name).toBe(node.name);
        expect(doc.controlPlane?.certificateKey).toBe(controlPlane ? CERT_KEY : undefined);
    });

    test("joins: `kubeadm join --config <bundle>/kubeadm.yaml` once, kubelet.conf made, kubeadm's output in a root-only log", () => {
        const sb = joinHost(cluster, node);
        const r = sb.run("join.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(0);

        expect(r.calls).toEqual(["id -u", joinCall(sb)]);
        expect(kubeadmArgv(sb)).toEqual([["kubeadm", "join", "--config", `${sb.workDir}/kubeadm.yaml`]]);
        expect(r.stdout).toBe("");
        expect(lines(r.stderr)).toEqual([
            "join.sh: step join",
            "join.sh:   changed: kubeadm join",
            "join.sh: done: 1 change(s)",
        ]);
        expectNoSecrets(r, secrets);

        // The stand-in joined this node from the bundle's file.
        expect(sb.readState("kubeadm/joins")).toBe(`${node.name}\n`);
        expect(sb.existsRoot(KUBELET_CONF)).toBe(true);
        expect(sb.modeOf(KUBELET_CONF)).toBe("0600");
        expect(sb.existsRoot(ADMIN_CONF)).toBe(controlPlane);
        expect(sb.existsRoot("etc/kubernetes/manifests/kube-apiserver.yaml")).toBe(controlPlane);

        // kubeadm's output, the token in it, went to the log: 0600 in a 0700 directory.
        const log = sb.readRoot(LOG);
        expect(log).toContain("This node has joined the cluster:");
        expect(log).toContain(`[discovery] Using token ${TOKEN} to reach ${cluster.controlPlaneEndpoint.text}, pinning ${CA_HASH}`);
        expect(log.includes(CERT_KEY)).toBe(controlPlane);
        expect(sb.modeOf(LOG)).toBe("0600");
        expect(sb.modeOf(LOG_DIR)).toBe("0700");
        expect(sb.existsRoot(UNFINISHED)).toBe(false);
    });

    test("GUARD: a second run never calls kubeadm, reports 0 change(s), changes nothing", () => {
        const sb = joinHost(cluster, node);
        expect(sb.run("join.sh").status).toBe(0);
        const tree = sb.snapshot({ identity: true });
        const state = sb.stateSnapshot();

        const again = sb.run("join.sh");
        expect(again.stderr).not.toMatch(LEAKS);
        expect(again.status).toBe(0);
        expect(again.calls).toEqual(["id -u"]);
        expect(again.stdout).toBe("");
        expect(lines(again.stderr)).toEqual([
            "join.sh: step join",
            "join.sh:   /etc/kubernetes/kubelet.conf exists: this host has already joined",
            "join.sh: done: 0 change(s)",
        ]);
        // Contents, modes, inodes and mtimes: the log is not even truncated.
        expect(sb.snapshot({ identity: true })).toEqual(tree);
        expect(sb.stateSnapshot()).toEqual(state);
        expect(sb.readState("kubeadm/joins")).toBe(`${node.name}\n`);
    });

    test("GUARD: a host joined before (by hand, no log of ours) is kept, kubeadm never called", () => {
        const sb = joinHost(cluster, node, {
            joinFails: true,
            host: { dirs: PREPARED_DIRS, files: { [KUBELET_CONF]: { content: "apiVersion: v1\nkind: Config\n# joined by hand\n", mode: "0600" } } },
        });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("join.sh");
        expect(r.status).toBe(0);
        expect(r.calls).toEqual(["id -u"]);
        expect(r.stderr).toContain("join.sh: done: 0 change(s)");
        expect(sb.existsRoot(LOG_DIR)).toBe(false);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("a failing join: step 'join' fails, the end of the log shown with the secrets masked, the log root-only", () => {
        const sb = joinHost(cluster, node, { joinFails: true });
        const r = sb.run("join.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.calls).toEqual(["id -u", joinCall(sb)]);

        // The log holds all of kubeadm's output, secrets included, and stays root-only.
        const log = sb.readRoot(LOG);
        expect(log).toContain(`error execution phase kubelet-start: timed out waiting for the condition (bootstrap token ${TOKEN})`);
        expect(log.includes(CERT_KEY)).toBe(controlPlane);
        expect(sb.modeOf(LOG)).toBe("0600");
        expect(sb.modeOf(LOG_DIR)).toBe("0700");

        // stderr: the step, the last 20 lines of the log masked, then the failure. The token and the
        // certificate key are masked; the public CA hash after "sha256:" is kept.
        const tail = lines(log).slice(-20).map((l) => l.replaceAll(TOKEN, "<token>").replaceAll(CERT_KEY, "<certificate-key>"));
        expect(lines(r.stderr)).toEqual([
            "join.sh: step join",
            ...tail,
            `join.sh: step 'join' failed: kubeadm join failed; the whole log is ${sb.root}/${LOG} on this host`,
        ]);
        expect(r.stderr).toContain("(bootstrap token <token>)");
        expect(r.stderr).toContain(`[discovery] Using token <token> to reach ${cluster.controlPlaneEndpoint.text}, pinning sha256:${CA_HEX}`);
        if (controlPlane) {
            expect(r.stderr).toContain("[download-certs] Using certificate key <certificate-key>\n");
        }
        expectNoSecrets(r, secrets);
        expect(r.stderr).not.toContain("changed:");
        expect(sb.existsRoot(KUBELET_CONF)).toBe(false);
        expect(sb.existsRoot(UNFINISHED)).toBe(true);
    });

    test("a join that failed after kubelet.conf was written is not taken for joined: the retry refuses until the host is reset", () => {
        const sb = joinHost(cluster, node, { joinFails: "after-tls-bootstrap" });
        const failed = sb.run("join.sh");
        expect(failed.status).toBe(1);
        expect(failed.stderr).toContain("join.sh: step 'join' failed: kubeadm join failed;");
        expect(sb.existsRoot(KUBELET_CONF)).toBe(true);
        expect(sb.existsRoot("etc/kubernetes/manifests/etcd.yaml")).toBe(false);
        fs.rmSync(path.join(sb.stateDir, "kubeadm-join-fail"));

        // The retry (the next `pulumi up`) fails, kubeadm never called, nothing touched.
        const tree = sb.snapshot({ identity: true });
        const retry = sb.run("join.sh");
        expect(retry.stderr).not.toMatch(LEAKS);
        expect(retry.status).toBe(1);
        expect(retry.calls).toEqual(["id -u"]);
        expect(lines(retry.stderr)).toEqual([
            "join.sh: step join",
            `join.sh: step 'join' failed: an earlier kubeadm join stopped partway on this host (see ${sb.root}/${LOG}): run 'kubeadm reset --force' here, then retry`,
        ]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);

        // After a reset (reset.sh, in the same bundle) the host joins.
        expect(sb.run("reset.sh").status).toBe(0);
        const joined = sb.run("join.sh");
        expect(joined.status).toBe(0);
        expect(joined.calls).toEqual(["id -u", joinCall(sb)]);
        expect(sb.readState("kubeadm/joins")).toBe(`${node.name}\n`);
        expect(sb.existsRoot(UNFINISHED)).toBe(false);
        expect(sb.existsRoot("etc/kubernetes/manifests/etcd.yaml")).toBe(controlPlane);
    });

    test("after a failed join, a retry runs kubeadm again and the log holds only the new run", () => {
        const sb = joinHost(cluster, node, { joinFails: true });
        expect(sb.run("join.sh").status).toBe(1);
        fs.rmSync(path.join(sb.stateDir, "kubeadm-join-fail"));
        const r = sb.run("join.sh");
        expect(r.status).toBe(0);
        expect(r.calls).toEqual(["id -u", joinCall(sb)]);
        const log = sb.readRoot(LOG);
        expect(log).not.toContain("error execution phase");
        expect(log.match(/\[preflight\] Running pre-flight checks\n/g)).toHaveLength(1);
        expect(sb.modeOf(LOG)).toBe("0600");
    });
});

describe("join.sh refusals", () => {
    test("a bundle without kubeadm.yaml fails step 'join' naming it, before anything is done", () => {
        const { "kubeadm.yaml": _omitted, ...files } = joinBundle(TEST, WORKER).files;
        void _omitted;
        const sb = joinHost(TEST, WORKER, { bundle: { entry: "join.sh", files } });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("join.sh");
        expect(r.stderr).toContain("join.sh: step 'join' failed: the bundle has no kubeadm.yaml\n");
        expect(r.status).toBe(1);
        expect(r.calls).toEqual(["id -u"]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("refuses to run when not root, before kubeadm", () => {
        const sb = joinHost(TEST, WORKER, { host: { dirs: PREPARED_DIRS, state: { uid: 1000 } } });
        const r = sb.run("join.sh");
        expect(r.stderr).toContain("join.sh: step 'join' failed: must run as root\n");
        expect(r.status).toBe(1);
        expect(r.calls).toEqual(["id -u"]);
        expect(sb.existsRoot("var")).toBe(false);
    });
});

// ---- the two together, and the bundles against NodeJoin ---------------------------------------------------

describe("mint then join, as the program chains them", () => {
    test("the token mint-token.sh prints is the one the node joins with, through parseToken and joinConfiguration", () => {
        const minted = "k8s4ab.z9y8x7w6v5u4t3s2";
        const cp = mintHost(DEV, CONTROL_PLANE, { tokenOutput: `${minted}\n` });
        const mint = cp.run("mint-token.sh");
        expect(mint.status).toBe(0);
        const token = parseToken(mint.stdout);
        expect(token).toBe(minted);

        const host = joinHost(DEV, CONTROL_PLANE, { bundle: joinBundle(DEV, CONTROL_PLANE, token) });
        const join = host.run("join.sh");
        expect(join.status).toBe(0);
        expect(host.readRoot(LOG)).toContain(`[discovery] Using token ${minted} to reach k8s-dev.example.org:6443`);
        // The certificate key uploaded on the first control plane is the one the node downloads with.
        expect(cp.readState("kubeadm/uploads")).toBe(`kubeadm-certs ${CERT_KEY}\n`);
        expect(host.readRoot(LOG)).toContain(`[download-certs] Using certificate key ${CERT_KEY}\n`);
        expectNoSecrets(join, [minted, CERT_KEY]);
    });
});

/** Strips Pulumi's secret wrapper from a mocked resource's input. */
function unwrapSecret(value: unknown): unknown {
    const SIG = "4dabf18193072939515e22adb298388d";
    return value && typeof value === "object" && SIG in value ? (value as Record<string, unknown>).value : value;
}

describe("the bundles these suites run are the ones NodeJoin sends", () => {
    test.each([
        ["worker", TEST, WORKER],
        ["control plane", DEV, CONTROL_PLANE],
    ])("a %s: mint, join and drain bundles, byte for byte", async (_, cluster, node) => {
        const inputs = new Map<string, Record<string, unknown>>();
        await pulumi.runtime.setMocks({
            newResource: (args) => {
                inputs.set(args.name, args.inputs);
                const stdout = args.name.endsWith("-token") ? { stdout: `{"token": "${TOKEN}"}\n` } : {};
                return { id: `${args.name}-id`, state: { ...args.inputs, ...stdout } };
            },
            call: (args) => args.inputs,
        }, "lsst-k8s", "test", false);

        const first = firstControlPlane(cluster);
        const nj = new NodeJoin("sandbox", {
            cluster,
            node,
            connection: { host: node.address, user: "root", privateKey: "unused" },
            controlPlaneNode: first,
            controlPlaneConnection: { host: first.address, user: "root", privateKey: "unused" },
            caCertHash: CA_HASH,
            certificateKey: CERT_KEY,
        });
        const joinStdin = await new Promise<string>((done) => pulumi.unsecret(nj.join.stdin as pulumi.Output<string>).apply(done));
        const drainStdin = await new Promise<string>((done) => pulumi.output(nj.drain.stdin as pulumi.Output<string>).apply(done));
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

        const mintStdin = unwrapSecret(inputs.get("sandbox-token")?.stdin);
        expect(typeof mintStdin).toBe("string");
        expect(decodeBundle(mintStdin as string)).toEqual(mintBundle(cluster, node));
        expect(decodeBundle(joinStdin)).toEqual(joinBundle(cluster, node));
        expect(decodeBundle(drainStdin)).toEqual(drainBundle(node));
    });
});

// ---- the stand-in and the tool lists ------------------------------------------------------------------------

describe("the kubeadm stand-in's join-time subcommands", () => {
    function kubeadm(sb: Sandbox, args: string): RunResult {
        fs.writeFileSync(path.join(sb.workDir, "call.sh"), `kubeadm ${args}\necho "rc=$?"\n`);
        return sb.run("call.sh");
    }

    test("refuses what it does not know (exit 2) and fails on a missing kubeconfig or config (exit 1)", () => {
        const sb = mintHost(DEV, CONTROL_PLANE);
        const admin = `${sb.root}/${ADMIN_CONF}`;
        const cfg = `${sb.workDir}/upload-certs.yaml`;
        expect(kubeadm(sb, `token create --kubeconfig ${admin}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `token create --kubeconfig ${admin} --ttl 1h0m0s --description x --print-join-command`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `token list --kubeconfig ${admin}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `init phase upload-certs --upload-certs --config ${cfg}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `init phase upload-certs --upload-certs --config ${cfg} --kubeconfig ${admin} --certificate-key ${CERT_KEY}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "join 203.0.113.11:6443 --token x").stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "join --config /etc/hosts").stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "reset").stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "reset --force --cleanup-tmp-dir").stdout).toBe("rc=2\n");
        const missing = kubeadm(sb, `token create --kubeconfig ${sb.root}/nope.conf --ttl 1h0m0s --description x`);
        expect(missing.stdout).toBe("rc=1\n");
        expect(missing.stderr).toContain("failed to load admin kubeconfig");
        expect(kubeadm(sb, `join --config ${sb.workDir}/nope.yaml`).stdout).toBe("rc=1\n");
        // None of these minted, uploaded or joined anything.
        expect(sb.readState("kubeadm/tokens")).toBeUndefined();
        expect(sb.readState("kubeadm/uploads")).toBeUndefined();
        expect(sb.readState("kubeadm/joins")).toBeUndefined();
    });

    test("a second join on a joined host fails preflight", () => {
        const sb = joinHost(TEST, WORKER);
        expect(kubeadm(sb, `join --config ${sb.workDir}/kubeadm.yaml`).stdout).toContain("rc=0");
        const again = kubeadm(sb, `join --config ${sb.workDir}/kubeadm.yaml`);
        expect(again.stdout).toContain("rc=1");
        expect(again.stderr).toContain("[ERROR FileAvailable--etc-kubernetes-kubelet.conf]");
        expect(sb.readState("kubeadm/joins")).toBe("test-node001\n");
    });
});

describe("static checks on the join tools", () => {
    test("every tool on the mint and join PATHs is one the scripts use", () => {
        expect(unusedTools(MINT_TOOLS, ["mint-token.sh", "lib.sh"])).toEqual([]);
        expect(unusedTools(JOIN_TOOLS, ["join.sh", "lib.sh"])).toEqual([]);
    });

    test("the sandbox PATHs hold those tools and the stand-ins, nothing else", () => {
        expect(fs.readdirSync(mintHost(TEST, WORKER).binDir).sort()).toEqual([...MINT_TOOLS, "kubeadm"].sort());
        expect(fs.readdirSync(joinHost(TEST, WORKER).binDir).sort()).toEqual([...JOIN_TOOLS, "id", "kubeadm"].sort());
    });
});
