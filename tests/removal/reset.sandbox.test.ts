/**
 * reset.sh run for real under bash in the sandbox (tests/sandbox.ts) on a leaving host of ./fixtures, from
 * the bundle NodeJoin sends (tests/sandbox/joins.ts, checked against NodeJoin in
 * tests/join/bundles.sandbox.test.ts): kubeadm stand-in for `reset --force`, ip stand-in for the weave link
 * in $ROOT/sys/class/net. A joined worker and control plane are reset and can join again; hosts in other
 * states are left as they are, or only what is there is cleaned up.
 */
import * as fs from "fs";
import { ClusterConfig, NodeConfig } from "../../config";
import { createSandbox, expectSuccess, JOIN_TOOLS, RESET_TOOLS, Sandbox, SandboxOptions, writeBundle } from "../sandbox";
import { joinBundle, lines, ownLines, resetBundle } from "../sandbox/joins";
import { joinedKubeletConf } from "../sandbox/kubeconfigs";
import { addWeave, CONTROL_PLANE, DEV, KUBELET_CONF, live, lookUp, PREPARED, TEST, WORKER } from "./fixtures";

/** A host with the node's join and reset bundles unpacked; the tools of both on PATH. */
function resetHost(host: SandboxOptions = PREPARED, standIns = ["id", "ip", "kubeadm", "kubectl"], cluster = TEST, node = WORKER): Sandbox {
    const sb = createSandbox({ standIns, tools: [...new Set([...JOIN_TOOLS, ...RESET_TOOLS])], ...host });
    live.push(sb);
    writeBundle(joinBundle(cluster, node), sb.workDir);
    writeBundle(resetBundle(cluster, node), sb.workDir);
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
        expect(r.calls).toEqual(["id -u", lookUp(sb, node), "kubeadm reset --force", "ip link delete weave"]);
        expect(r.stdout).toBe("");
        expect(ownLines("reset.sh", r.stderr)).toEqual([
            "reset.sh: step reset",
            `reset.sh:   this host is node ${node.name} of cluster ${cluster.name} (its kubelet client certificate and kubelet.conf)`,
            `reset.sh:   node ${node.name} is no longer in the cluster's API`,
            "reset.sh:   changed: kubeadm reset",
            "reset.sh: step cleanup",
            "reset.sh:   changed: removed /etc/cni/net.d/10-weave.conflist",
            "reset.sh:   changed: removed /etc/cni/net.d/87-podman-bridge.conflist",
            "reset.sh:   changed: removed the weave link",
            "reset.sh:   changed: removed /var/lib/weave",
            // The API server's files, the cluster's encryption key among them, which its join put there.
            ...(controlPlane ? ["reset.sh:   changed: removed /etc/kubernetes/lsst-k8s"] : []),
            `reset.sh: done: ${controlPlane ? 6 : 5} change(s)`,
        ]);
        // kubeadm's output goes to stderr, never to stdout.
        expect(r.stderr).toContain("The reset process does not clean CNI configuration");
        expect(sb.readState("kubeadm/resets")).toBe("reset\n");

        // What is left: the prepared host, the (empty) directories kubeadm keeps, and the join's and audit logs.
        const left = [...sb.snapshot().keys()];
        expect(left).toEqual([
            "etc", "etc/cni", "etc/cni/net.d", "etc/containerd", "etc/containerd/config.toml", "etc/kubernetes",
            "etc/kubernetes/manifests", "etc/kubernetes/pki",
            "sys", "sys/class", "sys/class/net", "sys/class/net/eth0", "sys/devices", "sys/devices/pci0000:00",
            "sys/devices/pci0000:00/net", "sys/devices/pci0000:00/net/eth0", "sys/devices/virtual", "sys/devices/virtual/net",
            "var", "var/lib", ...(controlPlane ? ["var/lib/etcd"] : []), "var/lib/kubelet",
            // A control plane's audit log directory stays: a record of what was done on the host.
            "var/log", ...(controlPlane ? ["var/log/kubernetes", "var/log/kubernetes/audit"] : []), "var/log/lsst-k8s", "var/log/lsst-k8s/kubeadm-join.log",
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
        const sb = resetHost({ ...PREPARED, files: { ...PREPARED.files, ...joinedKubeletConf(WORKER.name) } }, ["id", "ip", "kubectl"]);
        addWeave(sb);
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", lookUp(sb, WORKER), "ip link delete weave"]);
        expect(lines(r.stderr)).toEqual([
            "reset.sh: step reset",
            "reset.sh:   this host is node test-node001 of cluster lsst-test (its kubelet client certificate and kubelet.conf)",
            "reset.sh:   node test-node001 is no longer in the cluster's API",
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
