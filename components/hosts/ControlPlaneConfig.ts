import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { remote } from "@pulumi/command/types/input";
import { ClusterConfig, NodeConfig } from "../../config";
import { controlPlaneConfigBundle } from "./actions";
import { bootstrapCommand, encodeBundle } from "./bundle";

export interface ControlPlaneConfigArgs {
    /** The validated cluster (its OIDC provider, version pin, endpoint); no default. */
    readonly cluster: ClusterConfig;
    /** The control plane whose API server this keeps current; no default. */
    readonly node: NodeConfig;
    /** True for the first control plane, which also uploads the ClusterConfiguration; default false. */
    readonly first?: boolean;
    /** How to reach the node over SSH; no default. */
    readonly connection: remote.ConnectionArgs;
    /** The cluster's key for Secrets at rest, 32 bytes in base64 (secret); no default. */
    readonly encryptionKey: pulumi.Input<string>;
    /**
     * What must finish first: the node's init or join and its upgrade (the manifest kubeadm regenerates
     * is for the pinned version), and the previous control plane's ControlPlaneConfig, so only one API
     * server restarts at a time; default none.
     */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Resolves once the config is allowed against the last deploy (Cluster's gate); default: no gate. */
    readonly gate?: pulumi.Input<string>;
}

/**
 * The API server's own files on a running control plane (control-plane-config.sh): init and join put
 * them in place before kubeadm starts the API server; this keeps them current on every later deploy
 * that changes them, and brings a control plane made before they existed onto them. It runs on create
 * and on every change of its bundle; a run that changes nothing on the host is a no-op.
 */
export class ControlPlaneConfig extends pulumi.ComponentResource {
    /** The command; the next control plane's waits for it. */
    readonly command: command.remote.Command;

    constructor(name: string, args: ControlPlaneConfigArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:cluster:ControlPlaneConfig", name, {}, opts);
        this.command = new command.remote.Command(`${name}-run`, {
            connection: args.connection,
            create: bootstrapCommand(),
            update: bootstrapCommand(),
            stdin: pulumi.secret(pulumi.all([args.encryptionKey, args.gate]).apply(([key]) =>
                encodeBundle(controlPlaneConfigBundle(args.cluster, args.node, args.first ?? false, key)))),
            logging: "none",
            addPreviousOutputInEnv: false,
        }, {
            parent: this,
            dependsOn: args.dependsOn,
            additionalSecretOutputs: ["stdout", "stderr"],
            // A regenerated manifest waits up to 5 minutes for the API server, and again for the old one.
            customTimeouts: { create: "15m", update: "15m" },
        });
        this.registerOutputs({});
    }
}
