import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { remote } from "@pulumi/command/types/input";
import { NodeConfig } from "../../config";
import { cordonBundle, upgradeBundle } from "./actions";
import { bootstrapCommand, encodeBundle } from "./bundle";

export interface NodeUpgradeArgs {
    /** The node to upgrade; no default. */
    readonly node: NodeConfig;
    /** True for the first control plane, which runs `kubeadm upgrade apply`; default false. */
    readonly first?: boolean;
    /** How to reach the node over SSH; no default. */
    readonly connection: remote.ConnectionArgs;
    /** How to reach the first control plane, where drain and uncordon run; no default. */
    readonly controlPlaneConnection: remote.ConnectionArgs;
    /**
     * The version pin once the gate has passed (Cluster's upgrade gate); nothing runs while it is
     * unresolved or failed; no default.
     */
    readonly version: pulumi.Input<string>;
    /** What must finish first: the node's preparation and join, the previous node's upgrade; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** How long the drain may take; default "300s". */
    readonly drainTimeout?: string;
}

/**
 * Moves one node to a new version pin (technote 000 "Maintenance"): drain from the first control plane,
 * upgrade.sh on the node, uncordon. Each step has no create command, so creating it runs nothing, not
 * even an SSH session (the provider only stores its inputs), and it runs when its inputs change, that
 * is when the pin or the upgrade's own scripts change; the Cluster chains the nodes in batches
 * (upgradeOrder.ts).
 */
export class NodeUpgrade extends pulumi.ComponentResource {
    /** The last step; the next node's upgrade waits for it. */
    readonly done: command.remote.Command;

    constructor(name: string, args: NodeUpgradeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:cluster:NodeUpgrade", name, {}, opts);
        const drainTimeout = args.drainTimeout ?? "300s";
        const cordon = (action: "drain" | "uncordon") =>
            pulumi.output(args.version).apply((version) => encodeBundle(cordonBundle(action, args.node, version, drainTimeout)));
        const step = (suffix: string, connection: remote.ConnectionArgs, stdin: pulumi.Input<string>, after: pulumi.Input<pulumi.Resource>[] | undefined) =>
            new command.remote.Command(`${name}-${suffix}`, {
                connection,
                update: bootstrapCommand(),
                stdin,
            }, { parent: this, dependsOn: after, customTimeouts: { update: "40m" } });

        const drain = step("drain", args.controlPlaneConnection, cordon("drain"), args.dependsOn);
        const upgrade = step("run", args.connection,
            pulumi.output(args.version).apply((version) => encodeBundle(upgradeBundle(args.node, args.first ?? false, version))), [drain]);
        this.done = step("uncordon", args.controlPlaneConnection, cordon("uncordon"), [upgrade]);
        this.registerOutputs({});
    }
}
