import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { remote } from "@pulumi/command/types/input";
import { ClusterConfig, NodeConfig } from "../../config";
import { bootstrapCommand, encodeBundle } from "./bundle";
import { prepareBundle } from "./nodeFiles";
import { onHost } from "./remote";

export interface NodePrepArgs {
    /** The validated cluster the node belongs to (version pin, networks, control-plane addresses). */
    readonly cluster: ClusterConfig;
    /** The node to prepare. */
    readonly node: NodeConfig;
    /** How to reach the node over SSH (components/connection.ts). */
    readonly connection: remote.ConnectionArgs;
    /** How long preparation may take before it is failed; default "30m" (package downloads). */
    readonly timeout?: string;
    /** Resolves once a new version pin is allowed (Cluster's upgrade gate); default: no gate. */
    readonly gate?: pulumi.Input<string>;
}

/**
 * Prepares one host for kubeadm (components/scripts/prepare.sh). The script and its inputs travel on
 * stdin, so the command runs again exactly when they change (a new pin, a new script, a control plane
 * added to the firewall rules) and not on every `pulumi up`; the script itself is safe to run twice.
 */
export class NodePrep extends pulumi.ComponentResource {
    /** The remote command that ran prepare.sh; later steps on this node depend on it. */
    readonly command: command.remote.Command;

    constructor(name: string, args: NodePrepArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:node:NodePrep", name, {}, opts);
        const timeout = args.timeout ?? "30m";
        this.command = new command.remote.Command(`${name}-prepare`, {
            connection: args.connection,
            create: bootstrapCommand(),
            stdin: pulumi.output(args.gate).apply(() => encodeBundle(prepareBundle(args.cluster, args.node))),
        }, { parent: this, customTimeouts: { create: timeout, update: timeout }, ...onHost(args.node) });
        this.registerOutputs({ command: this.command });
    }
}
