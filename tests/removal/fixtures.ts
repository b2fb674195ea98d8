/**
 * The hosts the removal sandbox suites run drain.sh and reset.sh on, shared so that every suite starts
 * from the same clusters (tests/sandbox/joins.ts's stack files) and the same nodes: the first control
 * plane with the kubectl stand-in, whose cluster's nodes are state files, and the prepared host Weave ran on.
 *
 * Importing this module registers the afterEach that cleans up the sandboxes in `live`: jest loads it
 * afresh for each test file, so each file gets its own hook.
 */
import * as fs from "fs";
import * as path from "path";
import { Bundle } from "../../components/hosts/bundle";
import { NodeConfig } from "../../config";
import { cleanedUpAfterEach, createSandbox, DRAIN_TOOLS, Sandbox, SandboxOptions, writeBundle } from "../sandbox";
import { clusterOf, drainBundle, nodeNamed, stackCluster } from "../sandbox/joins";
import { adminConf } from "../sandbox/kubeconfigs";

export const ADMIN_CONF = "etc/kubernetes/admin.conf";
export const KUBELET_CONF = "etc/kubernetes/kubelet.conf";

export const TEST = stackCluster("test");
export const DEV = stackCluster("dev");
export const WORKER = nodeNamed(TEST, "test-node001");
export const CONTROL_PLANE = nodeNamed(DEV, "dev-cp02");

/** The sandboxes to clean up after each test: the hosts below, and any a test creates itself. */
export const live = cleanedUpAfterEach();

/** A node as the kubectl stand-in keeps it: "STATUS SCHEDULABLE PODS". */
type NodeState = `${"Ready" | "NotReady"} ${"yes" | "no"} ${number}`;

interface DrainSetup {
    /** The cluster's nodes besides the first control plane (default: the leaving node, Ready with 2 pods). */
    readonly nodes?: Readonly<Record<string, NodeState>>;
    readonly noAdminConf?: boolean;
    /** admin.conf's content (default: as kubeadm writes it for the leaving node's cluster). */
    readonly adminConf?: string;
    readonly unreachable?: boolean;
    readonly bundle?: Bundle;
}

export function drainHost(node: NodeConfig, setup: DrainSetup = {}): Sandbox {
    const sb = createSandbox({
        standIns: ["kubectl"],
        tools: DRAIN_TOOLS,
        files: setup.noAdminConf ? {} : { [ADMIN_CONF]: { content: setup.adminConf ?? adminConf(clusterOf(node).name), mode: "0600" } },
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

/** The call reset.sh makes on a member to ask whether the API still has NODE, with the kubelet's credential. */
export function lookUp(sb: Sandbox, node: NodeConfig): string {
    return `kubectl --kubeconfig ${sb.root}/${KUBELET_CONF} get node ${node.name} --ignore-not-found -o name`;
}

/** The call reset.sh makes on the first control plane to list the nodes left. */
export function listNodes(sb: Sandbox): string {
    return `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF} get nodes -o name`;
}

export function nodesOf(sb: Sandbox): Record<string, string> {
    const dir = path.join(sb.stateDir, "nodes");
    return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n), "utf8").trim()]));
}

/** A prepared host: what the kubelet package and containerd leave, and a network link of its own. */
export const PREPARED: SandboxOptions = {
    dirs: ["etc/kubernetes/manifests", "etc/cni/net.d", "sys/devices/pci0000:00/net/eth0"],
    files: {
        "etc/containerd/config.toml": "version = 3\n",
        "sys/class/net/eth0": { symlink: "../../devices/pci0000:00/net/eth0" },
    },
};

/** What Weave leaves on a node: its CNI config, its bridge, its data. */
export function addWeave(sb: Sandbox): void {
    sb.writeRoot("etc/cni/net.d/10-weave.conflist", '{"cniVersion": "0.3.0", "name": "weave"}\n');
    sb.writeRoot("etc/cni/net.d/87-podman-bridge.conflist", '{"name": "podman"}\n');
    fs.mkdirSync(sb.rootPath("sys/devices/virtual/net/weave"), { recursive: true });
    sb.writeRoot("sys/class/net/weave", { symlink: "../../devices/virtual/net/weave" });
    sb.writeRoot("var/lib/weave/weave-netdata.db", "weave data\n");
}
