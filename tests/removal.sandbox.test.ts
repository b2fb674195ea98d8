/**
 * The removal path run for real under bash in the sandbox (tests/sandbox.ts): drain.sh on the first
 * control plane (kubectl stand-in: the cluster's nodes are state files), then reset.sh on the leaving
 * host (kubeadm stand-in for `reset --force`, ip stand-in for the weave link in $ROOT/sys/class/net), from
 * the bundles NodeJoin sends (tests/sandbox/joins.ts, checked against NodeJoin in join.sandbox.test.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { Bundle } from "../components/hosts/bundle";
import { ClusterConfig, NodeConfig } from "../config";
import { cleanedUpAfterEach, createSandbox, DRAIN_TOOLS, expectSuccess, JOIN_TOOLS, LEAKS, RESET_TOOLS, RunResult, Sandbox, SandboxOptions, writeBundle } from "./sandbox";
import { drainBundle, joinBundle, lines, nodeNamed, ownLines, stackCluster, unusedTools } from "./sandbox/joins";

const ADMIN_CONF = "etc/kubernetes/admin.conf";
const KUBELET_CONF = "etc/kubernetes/kubelet.conf";

const TEST = stackCluster("test");
const DEV = stackCluster("dev");
const WORKER = nodeNamed(TEST, "test-node001");
const CONTROL_PLANE = nodeNamed(DEV, "dev-cp02");

const live = cleanedUpAfterEach();


// ---- drain.sh on the first control plane -----------------------------------------------------------------

/** A node as the kubectl stand-in keeps it: "STATUS SCHEDULABLE PODS". */
type NodeState = `${"Ready" | "NotReady"} ${"yes" | "no"} ${number}`;

interface DrainSetup {
    /** The cluster's nodes besides the first control plane (default: the leaving node, Ready with 2 pods). */
    readonly nodes?: Readonly<Record<string, NodeState>>;
    readonly noAdminConf?: boolean;
    readonly unreachable?: boolean;
    readonly bundle?: Bundle;
}

function drainHost(node: NodeConfig, setup: DrainSetup = {}): Sandbox {
    const sb = createSandbox({
        standIns: ["kubectl"],
        tools: DRAIN_TOOLS,
        files: setup.noAdminConf ? {} : { [ADMIN_CONF]: { content: "apiVersion: v1\nkind: Config\n# admin\n", mode: "0600" } },
    });
    live.push(sb);
    writeBundle(setup.bundle ?? drainBundle(node), sb.workDir);
    for (const [name, state] of Object.entries(setup.nodes ?? { [node.name]: "Ready yes 2" })) {
        sb.writeState(`nodes/${name}`, `${state}\n`);
    }
    if (setup.unreachable) {
        sb.writeState("kubectl-unreachable", "yes\n");
    }
    return sb;
}

function kubectl(sb: Sandbox, args: string): string {
    return `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF} ${args}`;
}

function nodesOf(sb: Sandbox): Record<string, string> {
    const dir = path.join(sb.stateDir, "nodes");
    return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n), "utf8").trim()]));
}

describe("drain.sh on the first control plane", () => {
    test("the bundle: drain.sh, lib.sh and the node's name and drain timeout", () => {
        expect(Object.keys(drainBundle(WORKER).files).sort()).toEqual(["drain.sh", "lib.sh", "params.env"]);
        expect(drainBundle(WORKER).files["params.env"].content).toBe("NODE_NAME=test-node001\nDRAIN_TIMEOUT=300s\n");
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

// ---- reset.sh on the leaving host ---------------------------------------------------------------------------

/** A prepared host: what the kubelet package and containerd leave, and a network link of its own. */
const PREPARED: SandboxOptions = {
    dirs: ["etc/kubernetes/manifests", "etc/cni/net.d", "sys/devices/pci0000:00/net/eth0"],
    files: {
        "etc/containerd/config.toml": "version = 3\n",
        "sys/class/net/eth0": { symlink: "../../devices/pci0000:00/net/eth0" },
    },
};

/** What Weave leaves on a node: its CNI config, its bridge, its data. */
function addWeave(sb: Sandbox): void {
    sb.writeRoot("etc/cni/net.d/10-weave.conflist", '{"cniVersion": "0.3.0", "name": "weave"}\n');
    sb.writeRoot("etc/cni/net.d/87-podman-bridge.conflist", '{"name": "podman"}\n');
    fs.mkdirSync(sb.rootPath("sys/devices/virtual/net/weave"), { recursive: true });
    sb.writeRoot("sys/class/net/weave", { symlink: "../../devices/virtual/net/weave" });
    sb.writeRoot("var/lib/weave/weave-netdata.db", "weave data\n");
}

/** A host with the node's bundle unpacked (join.sh and reset.sh); the tools of both on PATH. */
function resetHost(host: SandboxOptions = PREPARED, standIns = ["id", "ip", "kubeadm"], cluster = TEST, node = WORKER): Sandbox {
    const sb = createSandbox({ standIns, tools: [...new Set([...JOIN_TOOLS, ...RESET_TOOLS])], ...host });
    live.push(sb);
    writeBundle(joinBundle(cluster, node), sb.workDir);
    return sb;
}

/** A prepared host that joined for real (join.sh) and then ran Weave. */
function joinedHost(cluster: ClusterConfig, node: NodeConfig): Sandbox {
    const sb = resetHost(PREPARED, undefined, cluster, node);
    expectSuccess(sb.run("join.sh"));
    addWeave(sb);
    return sb;
}

describe.each([
    ["worker test-node001 (lsst-test)", TEST, WORKER],
    ["control plane dev-cp02 (lsst-dev)", DEV, CONTROL_PLANE],
])("reset.sh on the %s", (_, cluster, node) => {
    const controlPlane = node.role === "control-plane";

    test("a joined host: kubeadm reset --force, the CNI config, the weave link and Weave's data removed", () => {
        const sb = joinedHost(cluster, node);
        expect(sb.existsRoot(KUBELET_CONF)).toBe(true);
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", "kubeadm reset --force", "ip link delete weave"]);
        expect(r.stdout).toBe("");
        expect(ownLines("reset.sh", r.stderr)).toEqual([
            "reset.sh: step reset",
            "reset.sh:   changed: kubeadm reset",
            "reset.sh: step cleanup",
            "reset.sh:   changed: removed /etc/cni/net.d/10-weave.conflist",
            "reset.sh:   changed: removed /etc/cni/net.d/87-podman-bridge.conflist",
            "reset.sh:   changed: removed the weave link",
            "reset.sh:   changed: removed /var/lib/weave",
            "reset.sh: done: 5 change(s)",
        ]);
        // kubeadm's output goes to stderr, never to stdout.
        expect(r.stderr).toContain("The reset process does not clean CNI configuration");
        expect(sb.readState("kubeadm/resets")).toBe("reset\n");

        // What is left: the prepared host, the (empty) directories kubeadm keeps, and the join's log.
        const left = [...sb.snapshot().keys()];
        expect(left).toEqual([
            "etc", "etc/cni", "etc/cni/net.d", "etc/containerd", "etc/containerd/config.toml", "etc/kubernetes",
            "etc/kubernetes/manifests", "etc/kubernetes/pki",
            "sys", "sys/class", "sys/class/net", "sys/class/net/eth0", "sys/devices", "sys/devices/pci0000:00",
            "sys/devices/pci0000:00/net", "sys/devices/pci0000:00/net/eth0", "sys/devices/virtual", "sys/devices/virtual/net",
            "var", "var/lib", ...(controlPlane ? ["var/lib/etcd"] : []), "var/lib/kubelet",
            "var/log", "var/log/lsst-k8s", "var/log/lsst-k8s/kubeadm-join.log",
        ]);
        expect(sb.readRoot("etc/containerd/config.toml")).toBe("version = 3\n");
    });

    test("a second run calls no kubeadm reset and changes nothing", () => {
        const sb = joinedHost(cluster, node);
        expectSuccess(sb.run("reset.sh"));
        const tree = sb.snapshot({ identity: true });
        const state = sb.stateSnapshot();

        const again = sb.run("reset.sh");
        expectSuccess(again);
        expect(again.calls).toEqual(["id -u"]);
        expect(again.stdout).toBe("");
        expect(lines(again.stderr)).toEqual([
            "reset.sh: step reset",
            "reset.sh:   this host is not part of a cluster",
            "reset.sh: step cleanup",
            "reset.sh: done: 0 change(s)",
        ]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("after a reset the host joins again", () => {
        const sb = joinedHost(cluster, node);
        expectSuccess(sb.run("reset.sh"));
        const r = sb.run("join.sh");
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", `kubeadm join --config ${sb.workDir}/kubeadm.yaml`]);
        expect(sb.readState("kubeadm/joins")).toBe(`${node.name}\n${node.name}\n`);
    });
});

describe("reset.sh on hosts in other states", () => {
    test("a prepared host that never joined (the kubelet package's empty manifests directory): no kubeadm reset, nothing changed", () => {
        const sb = resetHost();
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u"]);
        expect(lines(r.stderr)).toEqual([
            "reset.sh: step reset",
            "reset.sh:   this host is not part of a cluster",
            "reset.sh: step cleanup",
            "reset.sh: done: 0 change(s)",
        ]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("a bare host (no /etc/kubernetes, no /etc/cni, no /sys/class/net/weave, no /var/lib/weave): exit 0, nothing done", () => {
        const sb = resetHost({});
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u"]);
        expect(r.stderr).toContain("reset.sh: done: 0 change(s)");
        expect([...sb.snapshot().keys()]).toEqual([]);
    });

    test("static pod manifests without kubelet.conf (a control plane set up partway) are reset", () => {
        const sb = resetHost({ ...PREPARED, files: { ...PREPARED.files, "etc/kubernetes/manifests/etcd.yaml": "kind: Pod\n" } });
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", "kubeadm reset --force"]);
        expect(sb.existsRoot("etc/kubernetes/manifests/etcd.yaml")).toBe(false);
        expect(sb.existsRoot("etc/kubernetes/manifests")).toBe(true);
    });

    test("kubeadm missing from PATH on a joined host: exit 0 with a message, the cleanup still done", () => {
        const sb = resetHost({ ...PREPARED, files: { ...PREPARED.files, [KUBELET_CONF]: { content: "kind: Config\n", mode: "0600" } } }, ["id", "ip"]);
        addWeave(sb);
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", "ip link delete weave"]);
        expect(lines(r.stderr)).toEqual([
            "reset.sh: step reset",
            "reset.sh:   kubeadm is not installed: nothing to reset",
            "reset.sh: step cleanup",
            "reset.sh:   changed: removed /etc/cni/net.d/10-weave.conflist",
            "reset.sh:   changed: removed /etc/cni/net.d/87-podman-bridge.conflist",
            "reset.sh:   changed: removed the weave link",
            "reset.sh:   changed: removed /var/lib/weave",
            "reset.sh: done: 4 change(s)",
        ]);
        // Nothing reset the kubelet's identity: kubelet.conf stays for an admin to look at.
        expect(sb.existsRoot(KUBELET_CONF)).toBe(true);
    });

    // Each part of the cleanup alone, the others already gone.
    test.each([
        ["only the CNI config", (sb: Sandbox) => sb.writeRoot("etc/cni/net.d/10-weave.conflist", "{}\n"), [], ["removed /etc/cni/net.d/10-weave.conflist"]],
        ["only a CNI config directory (a subdirectory of net.d)", (sb: Sandbox) => sb.writeRoot("etc/cni/net.d/old/10-weave.conflist", "{}\n"), [], ["removed /etc/cni/net.d/old"]],
        ["only the weave link", (sb: Sandbox) => {
            fs.mkdirSync(sb.rootPath("sys/devices/virtual/net/weave"), { recursive: true });
            sb.writeRoot("sys/class/net/weave", { symlink: "../../devices/virtual/net/weave" });
        }, ["ip link delete weave"], ["removed the weave link"]],
        ["only Weave's datapath, veth and VXLAN links", (sb: Sandbox) => {
            for (const link of ["datapath", "vethwe-bridge", "vxlan-6784"]) {
                fs.mkdirSync(sb.rootPath(`sys/devices/virtual/net/${link}`), { recursive: true });
                sb.writeRoot(`sys/class/net/${link}`, { symlink: `../../devices/virtual/net/${link}` });
            }
        }, ["ip link delete datapath", "ip link delete vethwe-bridge", "ip link delete vxlan-6784"],
        ["removed the datapath link", "removed the vethwe-bridge link", "removed the vxlan-6784 link"]],
        ["only Weave's data", (sb: Sandbox) => sb.writeRoot("var/lib/weave/weave-netdata.db", "x\n"), [], ["removed /var/lib/weave"]],
    ])("tolerance, %s: exit 0, only that part done", (_, arrange, extraCalls, changes) => {
        const sb = resetHost();
        arrange(sb);
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", ...extraCalls]);
        expect(lines(r.stderr)).toEqual([
            "reset.sh: step reset",
            "reset.sh:   this host is not part of a cluster",
            "reset.sh: step cleanup",
            ...changes.map((c) => `reset.sh:   changed: ${c}`),
            `reset.sh: done: ${changes.length} change(s)`,
        ]);
        expect(fs.readdirSync(sb.rootPath("etc/cni/net.d"))).toEqual([]);
        expect(sb.existsRoot("var/lib/weave")).toBe(false);
        expect(sb.existsRoot("sys/devices/virtual/net/weave")).toBe(false);
    });

    test("refuses to run when not root, before kubeadm", () => {
        const sb = resetHost({ ...PREPARED, state: { uid: 1000 }, files: { ...PREPARED.files, [KUBELET_CONF]: "x\n" } });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("reset.sh");
        expect(r.stderr).toContain("reset.sh: step 'reset' failed: must run as root\n");
        expect(r.status).toBe(1);
        expect(r.calls).toEqual(["id -u"]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });
});

// ---- the stand-ins and the tool lists ----------------------------------------------------------------------

describe("the kubectl and ip stand-ins", () => {
    function call(sb: Sandbox, command: string): RunResult {
        fs.writeFileSync(path.join(sb.workDir, "call.sh"), `${command}\necho "rc=$?"\n`);
        return sb.run("call.sh");
    }

    test("kubectl refuses what it does not know (exit 2), and fails without its kubeconfig (exit 1)", () => {
        const sb = drainHost(WORKER);
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF}`;
        const both = createSandbox({ standIns: ["kubectl", "ip"], tools: ["bash"] });
        live.push(both);
        expect(call(sb, "kubectl get node test-node001").stdout).toBe("rc=2\n");
        expect(call(sb, `${k} get nodes`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} get node test-node001 -o yaml`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} drain test-node001 --ignore-daemonsets --delete-emptydir-data --timeout 300s --force`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} drain test-node001 --ignore-daemonsets --timeout 300s`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} delete node test-node001 --grace-period 0`).stdout).toBe("rc=2\n");
        expect(call(sb, "kubectl --kubeconfig /etc/kubernetes/admin.conf get node x").stdout).toBe("rc=2\n");
        const missing = call(sb, `kubectl --kubeconfig ${sb.root}/nope.conf get node test-node001`);
        expect(missing.stdout).toBe("rc=1\n");
        expect(missing.stderr).toContain("no such file or directory");
        const absent = call(sb, `${k} get node nobody`);
        expect(absent.stdout).toBe("rc=1\n");
        expect(absent.stderr).toBe('Error from server (NotFound): nodes "nobody" not found\n');
        expect(call(sb, `${k} get node nobody --ignore-not-found -o name`).stdout).toBe("rc=0\n");
        expect(call(sb, `${k} get node test-node001 --ignore-not-found -o name`).stdout).toBe("node/test-node001\nrc=0\n");
        expect(call(sb, `${k} delete node nobody`).stdout).toBe("rc=1\n");
        // None of it drained or deleted anything.
        expect(nodesOf(sb)).toEqual({ "test-node001": "Ready yes 2" });

        expect(call(both, "ip link show weave").stdout).toBe("rc=2\n");
        expect(call(both, "ip addr flush dev weave").stdout).toBe("rc=2\n");
        expect(call(both, "ip link delete ../weave").stdout).toBe("rc=2\n");
        const noLink = call(both, "ip link delete weave");
        expect(noLink.stdout).toBe("rc=1\n");
        expect(noLink.stderr).toBe('Cannot find device "weave"\n');
    });
});

describe("static checks on the removal tools", () => {
    test("every tool on the drain and reset PATHs is one the scripts use", () => {
        expect(unusedTools(DRAIN_TOOLS, ["drain.sh", "lib.sh"])).toEqual([]);
        expect(unusedTools(RESET_TOOLS, ["reset.sh", "lib.sh"])).toEqual([]);
    });

    test("reset.sh needs nothing beyond its own tools and stand-ins", () => {
        const sb = createSandbox({ standIns: ["id", "ip", "kubeadm"], tools: RESET_TOOLS, ...PREPARED, files: { ...PREPARED.files, [KUBELET_CONF]: "x\n" } });
        live.push(sb);
        writeBundle(joinBundle(TEST, WORKER), sb.workDir);
        addWeave(sb);
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(fs.readdirSync(sb.binDir).sort()).toEqual([...RESET_TOOLS, "id", "ip", "kubeadm"].sort());
    });

    test("drain.sh needs nothing beyond its own tools and the kubectl stand-in", () => {
        const sb = drainHost(WORKER);
        expectSuccess(sb.run("drain.sh"));
        expect(fs.readdirSync(sb.binDir).sort()).toEqual([...DRAIN_TOOLS, "kubectl"].sort());
    });
});
