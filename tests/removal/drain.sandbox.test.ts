/**
 * drain.sh run for real under bash in the sandbox (tests/sandbox.ts) on the first control plane of
 * ./fixtures, from the bundle NodeJoin sends (tests/sandbox/joins.ts, checked against NodeJoin in
 * tests/join/bundles.sandbox.test.ts): how it takes a leaving node out of the API, whether the node is
 * there, gone, dead or the cluster itself is gone, how it fails when the API server does not answer, and
 * how it refuses a first control plane of another cluster (a stale address in the Pulumi state).
 */
import { expectSuccess, LEAKS, Sandbox } from "../sandbox";
import { drainBundle, lines, ownLines } from "../sandbox/joins";
import { adminConf } from "../sandbox/kubeconfigs";
import { ADMIN_CONF, CONTROL_PLANE, drainHost, nodesOf, WORKER } from "./fixtures";

function kubectl(sb: Sandbox, args: string): string {
    return `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF} ${args}`;
}

describe("drain.sh on the first control plane", () => {
    test("the bundle: drain.sh, lib.sh and the node's name, drain timeout and cluster", () => {
        expect(Object.keys(drainBundle(WORKER).files).sort()).toEqual(["drain.sh", "lib.sh", "params.env"]);
        expect(drainBundle(WORKER).files["params.env"].content).toBe("NODE_NAME=test-node001\nDRAIN_TIMEOUT=300s\nCLUSTER_NAME=lsst-test\n");
    });

    test("a node in the cluster: get, drain, then delete; exit 0; the other nodes untouched", () => {
        const sb = drainHost(WORKER, { nodes: { "test-cp01": "Ready yes 1", "test-node001": "Ready yes 2", "test-node002": "Ready yes 4" } });
        const r = sb.run("drain.sh");
        expectSuccess(r);
        expect(sb.argv()).toEqual([
            ["kubectl", "--kubeconfig", `${sb.root}/${ADMIN_CONF}`, "get", "node", "test-node001", "--ignore-not-found", "-o", "name"],
            ["kubectl", "--kubeconfig", `${sb.root}/${ADMIN_CONF}`, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout", "300s"],
            ["kubectl", "--kubeconfig", `${sb.root}/${ADMIN_CONF}`, "delete", "node", "test-node001", "--ignore-not-found"],
        ]);
        expect(lines(r.stderr)).toEqual([
            "drain.sh: step drain",
            "Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-sandbox, kube-system/weave-net-sandbox",
            "drain.sh:   changed: drained test-node001",
            "drain.sh: step delete",
            "drain.sh:   changed: deleted node test-node001",
            "drain.sh: done: 2 change(s)",
        ]);
        // kubectl's own report of the drain and the delete.
        expect(r.stdout).toBe([
            "node/test-node001 cordoned",
            "evicting pod default/app-1",
            "evicting pod default/app-2",
            "pod/app-1 evicted",
            "pod/app-2 evicted",
            "node/test-node001 drained",
            'node "test-node001" deleted',
            "",
        ].join("\n"));
        expect(nodesOf(sb)).toEqual({ "test-cp01": "Ready yes 1", "test-node002": "Ready yes 4" });
    });

    test("the drain timeout comes from the bundle", () => {
        const sb = drainHost(CONTROL_PLANE, { bundle: drainBundle(CONTROL_PLANE, "90s") });
        expectSuccess(sb.run("drain.sh"));
        expect(sb.calls()).toContain(kubectl(sb, "drain dev-cp02 --ignore-daemonsets --delete-emptydir-data --timeout 90s"));
    });

    test("a node already gone from the API: only the lookup, exit 0, says so", () => {
        const sb = drainHost(WORKER, { nodes: { "test-cp01": "Ready yes 1", "test-node002": "Ready yes 4" } });
        const state = sb.stateSnapshot();
        const r = sb.run("drain.sh");
        expectSuccess(r);
        expect(r.calls).toEqual([kubectl(sb, "get node test-node001 --ignore-not-found -o name")]);
        expect(r.stdout).toBe("");
        expect(lines(r.stderr)).toEqual([
            "drain.sh: step drain",
            "drain.sh:   node test-node001 is not in the cluster",
            "drain.sh: done: 0 change(s)",
        ]);
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("a second run after a removal finds the node gone and changes nothing", () => {
        const sb = drainHost(WORKER);
        expectSuccess(sb.run("drain.sh"));
        const state = sb.stateSnapshot();
        const again = sb.run("drain.sh");
        expectSuccess(again);
        expect(again.calls).toEqual([kubectl(sb, "get node test-node001 --ignore-not-found -o name")]);
        expect(again.stderr).toContain("drain.sh: done: 0 change(s)");
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("a dead node whose drain times out is still deleted, exit 0, and the report says so", () => {
        const sb = drainHost(WORKER, { nodes: { "test-node001": "NotReady yes 3", "test-node002": "Ready yes 1" } });
        const r = sb.run("drain.sh");
        expectSuccess(r);
        expect(r.calls).toEqual([
            kubectl(sb, "get node test-node001 --ignore-not-found -o name"),
            kubectl(sb, "drain test-node001 --ignore-daemonsets --delete-emptydir-data --timeout 300s"),
            kubectl(sb, "delete node test-node001 --ignore-not-found"),
        ]);
        expect(ownLines("drain.sh", r.stderr)).toEqual([
            "drain.sh: step drain",
            "drain.sh:   drain of test-node001 did not finish within 300s (a dead node?); deleting it anyway",
            "drain.sh: step delete",
            "drain.sh:   changed: deleted node test-node001",
            "drain.sh: done: 1 change(s)",
        ]);
        // kubectl's error is shown to the operator.
        expect(r.stderr).toContain('error: unable to drain node "test-node001" due to error');
        expect(r.stderr).toContain("global timeout reached: 300s");
        expect(r.stdout).toContain('node "test-node001" deleted');
        expect(nodesOf(sb)).toEqual({ "test-node002": "Ready yes 1" });
    });

    test("no admin.conf (the cluster is gone): exit 0 with a message, kubectl never called", () => {
        const sb = drainHost(WORKER, { noAdminConf: true });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("drain.sh");
        expectSuccess(r);
        expect(sb.calls()).toEqual([]);
        expect(lines(r.stderr)).toEqual([
            "drain.sh: step drain",
            "drain.sh:   no admin.conf here: the cluster is gone, nothing to drain",
            "drain.sh: done: 0 change(s)",
        ]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("an API server that does not answer fails the removal instead of taking the node for gone", () => {
        const sb = drainHost(WORKER, { unreachable: true });
        const state = sb.stateSnapshot();
        const r = sb.run("drain.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.calls).toEqual([kubectl(sb, "get node test-node001 --ignore-not-found -o name")]);
        expect(ownLines("drain.sh", r.stderr)).toEqual([
            "drain.sh: step drain",
            "drain.sh: step 'drain' failed: cannot look up node test-node001 in the API; nothing was drained or deleted",
        ]);
        expect(r.stderr).toContain("The connection to the server 203.0.113.11:6443 was refused");
        expect(r.stderr).not.toContain("is not in the cluster");
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test.each([
        ["another cluster's control plane (its admin.conf, as kubeadm writes it, names lsst-dev)", adminConf("lsst-dev"),
            "this host is a control plane of cluster lsst-dev (its /etc/kubernetes/admin.conf), not of lsst-test: node test-node001 was not drained or deleted"],
        ["an admin.conf that names no cluster", "apiVersion: v1\nkind: Config\n",
            "cannot tell which cluster this host is a control plane of: its /etc/kubernetes/admin.conf does not hold one cluster and one user; node test-node001 of cluster lsst-test was not drained or deleted"],
    ])("a stale bundle on %s is refused, exit 3, before kubectl; nothing drained", (_, admin, message) => {
        const sb = drainHost(WORKER, { adminConf: admin });
        const state = sb.stateSnapshot();
        const r = sb.run("drain.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(3);
        expect(sb.calls()).toEqual([]);
        expect(lines(r.stderr)).toEqual(["drain.sh: step drain", `drain.sh: step 'drain' refused: ${message}`]);
        expect(sb.stateSnapshot()).toEqual(state);
        expect(nodesOf(sb)).toEqual({ "test-node001": "Ready yes 2" });
    });

    test("a bundle without the cluster fails step 'setup' before kubectl", () => {
        const bundle = drainBundle(WORKER);
        const sb = drainHost(WORKER, {
            bundle: { ...bundle, files: { ...bundle.files, "params.env": { content: "NODE_NAME=test-node001\nDRAIN_TIMEOUT=300s\n", mode: "0600" } } },
        });
        const r = sb.run("drain.sh");
        expect(r.stderr).toContain("drain.sh: step 'setup' failed: parameter CLUSTER_NAME is missing\n");
        expect(r.status).toBe(1);
        expect(sb.calls()).toEqual([]);
    });

    test("malformed parameters fail step 'setup' before kubectl", () => {
        const bundle = drainBundle(WORKER);
        const sb = drainHost(WORKER, {
            bundle: { ...bundle, files: { ...bundle.files, "params.env": { content: "NODE_NAME=test-node001\nDRAIN_TIMEOUT=5m\n", mode: "0600" } } },
        });
        const r = sb.run("drain.sh");
        expect(r.stderr).toContain("drain.sh: step 'setup' failed: parameter DRAIN_TIMEOUT is malformed\n");
        expect(r.status).toBe(1);
        expect(sb.calls()).toEqual([]);
    });
});
