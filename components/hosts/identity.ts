/**
 * What a new config may not change about a running cluster. Every host resource's name derives from the
 * cluster's name and the node's, and deleting one runs reset.sh on the host its stored inputs name; so
 * renaming the cluster or a node, moving a node to another address or role, or putting another control
 * plane first would end in `kubeadm reset` on a host that is still wanted. Such edits are refused before
 * any command runs, in preview too, against the stack's own last outputs. Nodes are added and removed,
 * never renamed.
 */
import { ClusterConfig } from "../../config";
import { storageClassFor } from "../../config/platform/storage";
import { upgradeProblem } from "./versions";

/** One node as the stack's `nodes` output shows it (the inventory's order kept). */
export interface DeployedNode {
    readonly name: string;
    readonly role: string;
    readonly address: string;
}

/** The stack's outputs from its last deploy that the gate reads; each absent before the first deploy. */
export interface PreviousDeploy {
    readonly clusterName?: string;
    readonly kubernetesVersion?: string;
    readonly nodes?: readonly DeployedNode[];
    /** The nodes whose join had succeeded by the end of the last deploy that finished. */
    readonly joinedNodes?: readonly string[];
    /** When the admin kubeconfig read back then expires. */
    readonly kubeconfigExpires?: string;
    /** The storage class of the registry's claim ("" for the cluster's default class); absent with no registry. */
    readonly registryStorageClass?: string;
    /** Per control plane, when its earliest kubeadm certificate expires (read as unknown: certExpiry.ts checks it). */
    readonly certificatesExpire?: unknown;
}

const TWO_DEPLOYS = "remove the node from the inventory in one deploy (it is drained and reset), then add it back as it should be in the next";

/** The nodes output, when it has the shape the program writes; anything else is taken as no knowledge. */
function deployedNodes(value: unknown): DeployedNode[] {
    if (!Array.isArray(value)) {
        return [];
    }
    return value.filter((n): n is DeployedNode => typeof n === "object" && n !== null &&
        typeof n.name === "string" && typeof n.role === "string" && typeof n.address === "string");
}

/** Every edit of the cluster's identity that the config makes against the last deploy, as "key path: message". */
export function identityProblems(previous: PreviousDeploy | undefined, config: ClusterConfig): string[] {
    const problems: string[] = [];
    if (!previous) {
        return problems;
    }
    if (typeof previous.clusterName === "string" && previous.clusterName !== config.name) {
        problems.push(`cluster.name: ${JSON.stringify(config.name)} was ${JSON.stringify(previous.clusterName)} at the last deploy; ` +
            "renaming a cluster would reset every host, since every resource is named after it: keep the name, or build the new " +
            "cluster as a new stack");
    }
    const before = deployedNodes(previous.nodes);
    const byName = new Map(before.map((n) => [n.name, n]));
    const byAddress = new Map(before.map((n) => [n.address, n]));
    config.nodes.forEach((node, i) => {
        const at = `cluster.nodes[${i}]`;
        const was = byName.get(node.name);
        if (was) {
            if (was.address !== node.address) {
                problems.push(`${at}.address: node ${JSON.stringify(node.name)} was at ${was.address} at the last deploy; ` +
                    `moving it would reset the host at ${was.address}: ${TWO_DEPLOYS}`);
            }
            if (was.role !== node.role) {
                problems.push(`${at}.role: node ${JSON.stringify(node.name)} was a ${was.role} at the last deploy; a node cannot change ` +
                    `role in place: ${TWO_DEPLOYS}`);
            }
            return;
        }
        const there = byAddress.get(node.address);
        if (there && !config.nodes.some((n) => n.name === there.name)) {
            problems.push(`${at}.name: ${JSON.stringify(node.name)} is at ${node.address}, where node ${JSON.stringify(there.name)} was at ` +
                `the last deploy; renaming a node resets its host: remove ${JSON.stringify(there.name)} in one deploy, then add ` +
                `${JSON.stringify(node.name)} in the next`);
        }
    });
    const firstBefore = before.find((n) => n.role === "control-plane");
    const firstNow = config.nodes.find((n) => n.role === "control-plane");
    if (firstBefore && firstNow && firstBefore.name !== firstNow.name) {
        problems.push(`cluster.nodes: the first control plane is ${JSON.stringify(firstNow.name)}, but ${JSON.stringify(firstBefore.name)} ` +
            "created the cluster and runs every token and drain: keep it first among the control planes (it cannot be removed " +
            "while the cluster lives)");
    }
    return problems;
}

/**
 * Whether a node's join is known to have succeeded. A stack deployed before the joinedNodes output
 * existed only finished with every node it lists joined.
 */
export function joinedBefore(previous: PreviousDeploy | undefined, name: string): boolean {
    if (Array.isArray(previous?.joinedNodes)) {
        return previous.joinedNodes.includes(name);
    }
    return deployedNodes(previous?.nodes).some((n) => n.name === name);
}

/** The class the registry's claim gets from a config: "" for the cluster's default; undefined with no registry. */
export function registryStorageClass(config: ClusterConfig): string | undefined {
    const p = config.platform;
    return p?.registry ? storageClassFor(p.registry.storageClass, p.storage?.nfs) ?? "" : undefined;
}

/**
 * A claim's class cannot change in place: the provider would replace the registry's claim, and the
 * images with it. The claim is kept on delete, so the replace would fail anyway; refusing it first
 * says why and changes nothing.
 */
function storageProblems(previous: PreviousDeploy, config: ClusterConfig): string[] {
    const was = previous.registryStorageClass;
    const now = registryStorageClass(config);
    if (typeof was !== "string" || now === undefined || was === now) {
        return [];
    }
    const name = (c: string) => (c === "" ? "the cluster's default class" : `class ${JSON.stringify(c)}`);
    return [`platform.registry.storageClass: the registry's claim is on ${name(was)} since the last deploy, and this config puts it on ` +
        `${name(now)}; changing it would replace the claim and lose every image in it: keep ${name(was)} ` +
        `(${was === "" ? "name it in storageClass" : `set storageClass to ${JSON.stringify(was)}`}), or copy the images out, ` +
        "delete the claim by hand and deploy again"];
}

/** Everything the gate refuses: identity edits, the registry's storage class, then a pin that downgrades or skips a minor. */
export function deployProblems(previous: PreviousDeploy | undefined, config: ClusterConfig): string[] {
    const problems = [...identityProblems(previous, config), ...(previous ? storageProblems(previous, config) : [])];
    const version = upgradeProblem(previous?.kubernetesVersion, config.kubernetesVersion);
    return version ? [...problems, `cluster.kubernetesVersion: ${version}`] : problems;
}
