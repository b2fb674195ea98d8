import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { remote } from "@pulumi/command/types/input";
import { ClusterConfig, NodeConfig } from "../../config";
import { drainBundle, joinBundle, mintTokenBundle, resetBundle } from "./actions";
import { encodeBundle } from "./bundle";
import { deleteAction, lastLineObject, onHost, secretAction } from "./remote";

export interface NodeJoinArgs {
    /** The validated cluster (endpoint, version pin); no default. */
    readonly cluster: ClusterConfig;
    /** The node that joins; no default. */
    readonly node: NodeConfig;
    /** How to reach the joining node over SSH; no default. */
    readonly connection: remote.ConnectionArgs;
    /** The first control plane, where the join token is minted; no default. */
    readonly controlPlaneNode: NodeConfig;
    /** How to reach the first control plane over SSH; no default. */
    readonly controlPlaneConnection: remote.ConnectionArgs;
    /** "sha256:<hex>" of the cluster CA (ControlPlane.caCertHash); no default. */
    readonly caCertHash: pulumi.Input<string>;
    /** The certificate key (ControlPlane.certificateKey), secret; used by control planes only. */
    readonly certificateKey: pulumi.Input<string>;
    /** The cluster's key for Secrets at rest (secret); control planes only, which need it; default none. */
    readonly encryptionKey?: pulumi.Input<string>;
    /** What must finish first: the node's preparation, kubeadm init, earlier joins; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** How long a drain may take when the node is removed before it is deleted anyway; default "300s". */
    readonly drainTimeout?: string;
    /**
     * Changes on every deploy until the node's join has succeeded ("joined" from then on), so a join that
     * failed is retried with a freshly minted token rather than one that expired an hour after the
     * first try; default: the token is minted once.
     */
    readonly mintTrigger?: pulumi.Input<string>;
    /** Resolves once the config is allowed against the last deploy (Cluster's gate); default: no gate. */
    readonly gate?: pulumi.Input<string>;
}

/** Reads mint-token.sh's last line of stdout; throws without echoing it (it holds the token). */
export function parseToken(stdout: string): string {
    const token = lastLineObject(stdout).token;
    if (typeof token !== "string" || !/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(token)) {
        throw new Error("mint-token.sh did not print a token on its last line of stdout");
    }
    return token;
}

/**
 * One node's membership of the cluster (technote 003 "Adding Addition Nodes" and "Removing Nodes",
 * kubespray's join and remove phases). Joining: a token minted on the first control plane at the moment
 * of the join, so the init token's 24-hour life never matters, then `kubeadm join` on the node with the
 * CA hash pinned. Both run once: a new token or key never re-joins a node, join.sh skips a host that
 * already has kubelet.conf, and stops (asking for a reset) when an earlier join died after writing it.
 * Leaving: drain, delete from the API, reset the host. The join itself has no delete, so a replace of it
 * never resets the host; the reset is a command of its own, whose script refuses while the node is
 * still in the cluster's API.
 */
export class NodeJoin extends pulumi.ComponentResource {
    /** The join command on the node; later steps on this node depend on it. */
    readonly join: command.remote.Command;
    /** Resets the host when the node leaves the inventory, after its drain. */
    readonly reset: command.remote.Command;
    /** Drains and deletes the node from the API when it leaves the inventory. */
    readonly drain: command.remote.Command;

    constructor(name: string, args: NodeJoinArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:cluster:NodeJoin", name, {}, opts);
        const { cluster, node } = args;

        const mint = secretAction(`${name}-token`, {
            connection: args.controlPlaneConnection,
            stdin: pulumi.all([args.certificateKey, args.gate]).apply(([key]) => encodeBundle(mintTokenBundle(cluster, node, args.controlPlaneNode, key))),
            ...(args.mintTrigger ? { triggers: [args.mintTrigger] } : {}),
        }, { parent: this, dependsOn: args.dependsOn });

        this.join = secretAction(`${name}-run`, {
            connection: args.connection,
            stdin: pulumi.all([mint.stdout, args.caCertHash, args.certificateKey, args.encryptionKey, args.gate]).apply(([stdout, caCertHash, certificateKey, encryptionKey]) =>
                encodeBundle(joinBundle(cluster, node, {
                    token: parseToken(stdout),
                    caCertHash,
                    ...(node.role === "control-plane" ? { certificateKey } : {}),
                }, encryptionKey))),
        }, { parent: this, dependsOn: args.dependsOn, ...onHost(node) });

        // Removal runs in reverse dependency order: the drain depends on the reset, which depends on the
        // join, so deleting the node from the inventory first drains and deletes it from the API (on
        // the control plane), then resets the host.
        this.reset = deleteAction(`${name}-reset`, {
            connection: args.connection,
            entry: "reset.sh",
            stdin: pulumi.all([args.caCertHash, args.gate]).apply(([caCertHash]) => encodeBundle(resetBundle(cluster, node, caCertHash, false))),
        }, { parent: this, dependsOn: [this.join], ...onHost(node) });
        this.drain = deleteAction(`${name}-drain`, {
            connection: args.controlPlaneConnection,
            entry: "drain.sh",
            stdin: pulumi.output(args.gate).apply(() => encodeBundle(drainBundle(cluster, node, args.drainTimeout ?? "300s"))),
        }, { parent: this, dependsOn: [this.reset] });
        this.registerOutputs({});
    }
}
