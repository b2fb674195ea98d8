/**
 * cordon.sh run for real under bash in the sandbox (tests/sandbox.ts) on the first control plane of
 * ./fixtures, before and after each node's upgrade: the drain that marks the node, the uncordon that
 * only undoes a drain of ours, the pair around an upgrade, and its refusals.
 */
import { expectSuccess, LEAKS, Sandbox, writeBundle } from "../sandbox";
import { cordonBundle, lines, ownLines } from "../sandbox/joins";
import { ADMIN_CONF, ClusterNode, cordonHost, drain, FROM, MARK, MARK_PATH, OLD_NODE, PODS_PATH, TO, uncordon, WORKER } from "./fixtures";

/** A node as the kubectl stand-in has it: its state line and its annotations. */
function nodeState(sb: Sandbox, name: string): { node: string | undefined; annotations: string[] } {
    return { node: sb.readState(`nodes/${name}`)?.trim(), annotations: lines(sb.readState(`annotations/${name}`) ?? "") };
}

function kubectl(sb: Sandbox, ...args: string[]): string[] {
    return ["kubectl", "--kubeconfig", `${sb.root}/${ADMIN_CONF}`, ...args];
}

/** The pods cordon.sh lists on NAME before draining it, to name the bare ones. */
function podsOn(sb: Sandbox, name: string): string[] {
    return kubectl(sb, "get", "pods", "--all-namespaces", "--field-selector", `spec.nodeName=${name}`, "-o", PODS_PATH);
}

/** Lets the test play the upgrade between drain and uncordon: the node's kubelet now reports VERSION. */
function kubeletNowAt(sb: Sandbox, name: string, version: string): void {
    const [status, schedulable, pods] = (sb.readState(`nodes/${name}`) ?? "").trim().split(" ");
    sb.writeState(`nodes/${name}`, `${status} ${schedulable} ${pods} v${version}\n`);
}

describe("cordon.sh drain", () => {
    test("the bundle: cordon.sh, lib.sh and the action, node, pin and drain timeout", () => {
        expect(Object.keys(drain().files).sort()).toEqual(["cordon.sh", "lib.sh", "params.env"]);
        expect(drain().files["params.env"].content).toBe(`ACTION=drain\nNODE_NAME=test-node001\nK8S_VERSION=${TO}\nDRAIN_TIMEOUT=300s\n`);
        expect(uncordon().files["params.env"].content).toBe(`ACTION=uncordon\nNODE_NAME=test-node001\nK8S_VERSION=${TO}\nDRAIN_TIMEOUT=300s\n`);
    });

    test("a node on an older kubelet: marked with the pin (--overwrite), then drained; the other nodes and annotations untouched", () => {
        const sb = cordonHost(drain(), {
            nodes: {
                "test-cp01": { state: "Ready yes 1", kubelet: `v${TO}` },
                "test-node001": { ...OLD_NODE, annotations: { "node.alpha.kubernetes.io/ttl": "0" } },
                "test-node002": { state: "Ready yes 4", kubelet: `v${FROM}` },
            },
        });
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(sb.argv()).toEqual([
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}"),
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.spec.unschedulable}"),
            kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH),
            kubectl(sb, "annotate", "--overwrite", "node", "test-node001", `${MARK}=v${TO}`),
            podsOn(sb, "test-node001"),
            kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout", "300s"),
        ]);
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step drain",
            "Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-sandbox, kube-system/weave-net-sandbox",
            `cordon.sh:   changed: drained test-node001 for the upgrade to v${TO}`,
            "cordon.sh: done: 1 change(s)",
        ]);
        // kubectl's report of the drain; the annotate's is discarded.
        expect(r.stdout).toBe([
            "node/test-node001 cordoned",
            "evicting pod default/app-1",
            "evicting pod default/app-2",
            "pod/app-1 evicted",
            "pod/app-2 evicted",
            "node/test-node001 drained",
            "",
        ].join("\n"));
        expect(nodeState(sb, "test-node001")).toEqual({
            node: `Ready no 0 v${FROM}`,
            annotations: ["node.alpha.kubernetes.io/ttl=0", `${MARK}=v${TO}`],
        });
        expect(nodeState(sb, "test-cp01")).toEqual({ node: `Ready yes 1 v${TO}`, annotations: [] });
        expect(nodeState(sb, "test-node002")).toEqual({ node: `Ready yes 4 v${FROM}`, annotations: [] });
    });

    test("the drain timeout comes from the bundle", () => {
        const sb = cordonHost(drain(WORKER, "90s"));
        expectSuccess(sb.run("cordon.sh"));
        expect(sb.argv()).toContainEqual(kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout", "90s"));
    });

    test("a node running bare pods (JupyterHub's notebooks): named in the log, then evicted with the others by a drain with --force", () => {
        const notebooks = ["jupyter-lsst/jupyter-alice", "jupyter-lsst/jupyter-bob"];
        const sb = cordonHost(drain(), {
            nodes: {
                "test-node001": { ...OLD_NODE, barePods: notebooks },
                "test-node002": { state: "Ready yes 1", kubelet: `v${FROM}`, barePods: ["jupyter-lsst/jupyter-carol"] },
            },
        });
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        // Eviction with each pod's own grace period: no --grace-period, no --disable-eviction.
        expect(sb.argv().slice(-2)).toEqual([
            podsOn(sb, "test-node001"),
            kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout", "300s"),
        ]);
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step drain",
            `cordon.sh:   bare pods on test-node001 (no controller, nothing recreates them), evicted after their grace period: ${notebooks.join(" ")}`,
            "Warning: deleting Pods that declare no controller: jupyter-lsst/jupyter-alice, jupyter-lsst/jupyter-bob; " +
                "ignoring DaemonSet-managed Pods: kube-system/kube-proxy-sandbox, kube-system/weave-net-sandbox",
            `cordon.sh:   changed: drained test-node001 for the upgrade to v${TO}`,
            "cordon.sh: done: 1 change(s)",
        ]);
        expect(r.stdout).toBe([
            "node/test-node001 cordoned",
            "evicting pod default/app-1",
            "evicting pod default/app-2",
            "evicting pod jupyter-lsst/jupyter-alice",
            "evicting pod jupyter-lsst/jupyter-bob",
            "pod/app-1 evicted",
            "pod/app-2 evicted",
            "pod/jupyter-alice evicted",
            "pod/jupyter-bob evicted",
            "node/test-node001 drained",
            "",
        ].join("\n"));
        // The notebooks are gone for good; the other node's is untouched.
        expect(sb.readState("bare-pods/test-node001")).toBeUndefined();
        expect(sb.readState("bare-pods/test-node002")).toBe("jupyter-lsst/jupyter-carol\n");
        expect(sb.readState("drains")).toBe("test-node001 --ignore-daemonsets --delete-emptydir-data --force --timeout 300s\n");
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready no 0 v${FROM}`, annotations: [`${MARK}=v${TO}`] });
    });

    test("bare pods on a node whose drain does not finish are named before it fails, and are still there", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { state: "NotReady yes 0", kubelet: `v${FROM}`, barePods: ["jupyter-lsst/jupyter-alice"] } } });
        const r = sb.run("cordon.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(ownLines("cordon.sh", r.stderr)).toEqual([
            "cordon.sh: step drain",
            "cordon.sh:   bare pods on test-node001 (no controller, nothing recreates them), evicted after their grace period: jupyter-lsst/jupyter-alice",
            expect.stringMatching(/^cordon\.sh: step 'drain' failed \(exit 1\) at line \d+: "\$\{kubectl\[@\]\}" drain "\$P_NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force /),
        ]);
        expect(r.stderr).toContain('error when waiting for pod "jupyter-alice" in namespace "jupyter-lsst" to terminate: global timeout reached: 300s');
        expect(sb.readState("bare-pods/test-node001")).toBe("jupyter-lsst/jupyter-alice\n");
        expect(sb.readState("drains")).toBeUndefined();
    });

    test("a node already on the pinned kubelet: no mark, no drain, 0 change(s)", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { state: "Ready yes 2", kubelet: `v${TO}` } } });
        const state = sb.stateSnapshot();
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(r.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}").join(" ")]);
        expect(r.stdout).toBe("");
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step drain",
            `cordon.sh:   test-node001 already runs kubelet v${TO}: no drain`,
            "cordon.sh: done: 0 change(s)",
        ]);
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("a node an admin cordoned by hand is drained without the mark, so the uncordon leaves it cordoned", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { state: "Ready no 2", kubelet: `v${FROM}` } } });
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(sb.argv()).toEqual([
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}"),
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.spec.unschedulable}"),
            kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH),
            podsOn(sb, "test-node001"),
            kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout", "300s"),
        ]);
        expect(ownLines("cordon.sh", r.stderr)).toEqual([
            "cordon.sh: step drain",
            "cordon.sh:   test-node001 was cordoned by hand: drained without the mark, it stays cordoned after the upgrade",
            `cordon.sh:   changed: drained test-node001 for the upgrade to v${TO}`,
            "cordon.sh: done: 1 change(s)",
        ]);
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready no 0 v${FROM}`, annotations: [] });

        kubeletNowAt(sb, "test-node001", TO);
        writeBundle(uncordon(), sb.workDir);
        const after = sb.run("cordon.sh");
        expectSuccess(after);
        expect(after.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" ")]);
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready no 0 v${TO}`, annotations: [] });
    });

    test("a drain of ours that did not finish is taken up again: the node is cordoned and marked, so it is marked again and drained", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { state: "NotReady yes 2", kubelet: `v${FROM}` } } });
        const failed = sb.run("cordon.sh");
        expect(failed.stderr).not.toMatch(LEAKS);
        expect(failed.status).toBe(1);
        expect(failed.stderr).toMatch(/cordon\.sh: step 'drain' failed \(exit 1\) at line \d+: "\$\{kubectl\[@\]\}" drain "\$P_NODE_NAME"/);
        expect(failed.stderr).toContain("global timeout reached: 300s");
        expect(nodeState(sb, "test-node001")).toEqual({ node: `NotReady no 2 v${FROM}`, annotations: [`${MARK}=v${TO}`] });

        // The node came back; the next `pulumi up` runs the drain again.
        sb.writeState("nodes/test-node001", `Ready no 2 v${FROM}\n`);
        const retry = sb.run("cordon.sh");
        expectSuccess(retry);
        expect(retry.calls.slice(3)).toEqual([
            kubectl(sb, "annotate", "--overwrite", "node", "test-node001", `${MARK}=v${TO}`).join(" "),
            podsOn(sb, "test-node001").join(" "),
            kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout", "300s").join(" "),
        ]);
        expect(retry.stdout).toContain("node/test-node001 already cordoned\n");
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready no 0 v${FROM}`, annotations: [`${MARK}=v${TO}`] });
    });

    test("an API server that does not answer fails step 'drain' before anything is changed", () => {
        const sb = cordonHost(drain(), { unreachable: true });
        const state = sb.stateSnapshot();
        const r = sb.run("cordon.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}").join(" ")]);
        expect(r.stderr).toMatch(/cordon\.sh: step 'drain' failed \(exit 1\) at line \d+: kubelet=\$\("\$\{kubectl\[@\]\}" get node/);
        expect(sb.stateSnapshot()).toEqual(state);
    });
});

describe("cordon.sh uncordon", () => {
    const marked: ClusterNode = {
        state: "Ready no 0", kubelet: `v${TO}`, annotations: { "node.alpha.kubernetes.io/ttl": "0", [MARK]: `v${TO}` },
    };

    test("a node marked by the drain: uncordoned, then the mark removed; the other annotations kept", () => {
        const sb = cordonHost(uncordon(), { nodes: { "test-node001": marked } });
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(sb.argv()).toEqual([
            kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH),
            kubectl(sb, "uncordon", "test-node001"),
            kubectl(sb, "annotate", "node", "test-node001", `${MARK}-`),
        ]);
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step uncordon",
            "cordon.sh:   changed: uncordoned test-node001",
            "cordon.sh: done: 1 change(s)",
        ]);
        expect(r.stdout).toBe("node/test-node001 uncordoned\n");
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready yes 0 v${TO}`, annotations: ["node.alpha.kubernetes.io/ttl=0"] });

        const state = sb.stateSnapshot();
        const again = sb.run("cordon.sh");
        expectSuccess(again);
        expect(again.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" ")]);
        expect(again.stderr).toContain("cordon.sh: done: 0 change(s)");
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("a node without the mark (an admin cordoned it by hand): left cordoned, 0 change(s)", () => {
        const sb = cordonHost(uncordon(), { nodes: { "test-node001": { state: "Ready no 0", kubelet: `v${TO}` } } });
        const state = sb.stateSnapshot();
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(r.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" ")]);
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step uncordon",
            "cordon.sh:   test-node001 was not drained for an upgrade: left as it is",
            "cordon.sh: done: 0 change(s)",
        ]);
        expect(r.stdout).toBe("");
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("an API server that does not answer fails step 'uncordon' instead of taking the node for unmarked", () => {
        const sb = cordonHost(uncordon(), { nodes: { "test-node001": marked }, unreachable: true });
        const state = sb.stateSnapshot();
        const r = sb.run("cordon.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" ")]);
        expect(r.stderr).toContain("The connection to the server 203.0.113.11:6443 was refused");
        expect(r.stderr).toMatch(/cordon\.sh: step 'uncordon' failed \(exit 1\) at line \d+: marked=\$\("\$\{kubectl\[@\]\}" get node/);
        expect(r.stderr).not.toContain("left as it is");
        expect(r.stderr).not.toContain("done:");
        expect(sb.stateSnapshot()).toEqual(state);
    });
});

describe("cordon.sh around an upgrade, and refusals", () => {
    test("drain, the node moves, uncordon: schedulable again without the mark; the same pin again does nothing", () => {
        const sb = cordonHost(drain());
        expectSuccess(sb.run("cordon.sh"));
        kubeletNowAt(sb, "test-node001", TO);
        writeBundle(uncordon(), sb.workDir);
        expectSuccess(sb.run("cordon.sh"));
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready yes 0 v${TO}`, annotations: [] });

        const state = sb.stateSnapshot();
        writeBundle(drain(), sb.workDir);
        const d = sb.run("cordon.sh");
        writeBundle(uncordon(), sb.workDir);
        const u = sb.run("cordon.sh");
        expectSuccess(d);
        expectSuccess(u);
        expect([...d.calls, ...u.calls]).toEqual([
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}").join(" "),
            kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" "),
        ]);
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test.each(["drain", "uncordon"] as const)("%s without admin.conf: a clear failure, kubectl never called", (action) => {
        const sb = cordonHost(cordonBundle(WORKER, action, TO), { noAdminConf: true });
        const r = sb.run("cordon.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(lines(r.stderr)).toEqual([
            `cordon.sh: step ${action}`,
            `cordon.sh: step '${action}' failed: /etc/kubernetes/admin.conf is missing on the first control plane`,
        ]);
        expect(sb.calls()).toEqual([]);
    });

    test.each([
        ["ACTION=cordon", "ACTION", `ACTION=cordon\nNODE_NAME=test-node001\nK8S_VERSION=${TO}\nDRAIN_TIMEOUT=300s\n`],
        ["a version with a v", "K8S_VERSION", `ACTION=drain\nNODE_NAME=test-node001\nK8S_VERSION=v${TO}\nDRAIN_TIMEOUT=300s\n`],
        ["a timeout in minutes", "DRAIN_TIMEOUT", `ACTION=drain\nNODE_NAME=test-node001\nK8S_VERSION=${TO}\nDRAIN_TIMEOUT=5m\n`],
    ])("malformed parameters (%s) fail step 'setup' before kubectl", (_, key, params) => {
        const bundle = drain();
        const sb = cordonHost({ ...bundle, files: { ...bundle.files, "params.env": { content: params, mode: "0600" } } });
        const r = sb.run("cordon.sh");
        expect(r.stderr).toBe(`cordon.sh: step 'setup' failed: parameter ${key} is malformed\n`);
        expect(r.status).toBe(1);
        expect(sb.calls()).toEqual([]);
    });
});
