import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { remote } from "@pulumi/command/types/input";
import { NodeConfig, RegistryConfig } from "../../config";
import { trustRegistryBundle } from "./actions";
import { bootstrapCommand, encodeBundle } from "./bundle";
import { onHost } from "./remote";

export interface RegistryTrustArgs {
    /** The registry's host and Service address; no default. */
    readonly registry: RegistryConfig;
    /** Its certificate (PEM), which the node trusts; no default. */
    readonly certificate: pulumi.Input<string>;
    /** The node; no default. */
    readonly node: NodeConfig;
    /** How to reach it over SSH; no default. */
    readonly connection: remote.ConnectionArgs;
    /** What must finish first (the node's preparation, which points containerd at certs.d); default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Resolves once the config is allowed against the last deploy (Cluster's gate); default: no gate. */
    readonly gate?: pulumi.Input<string>;
}

/**
 * One node's containerd told about the cluster's registry (trust-registry.sh). It runs again when the
 * certificate or the registry's address changes, and never restarts containerd.
 */
export class RegistryTrust extends pulumi.ComponentResource {
    constructor(name: string, args: RegistryTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:node:RegistryTrust", name, {}, opts);
        new command.remote.Command(`${name}-run`, {
            connection: args.connection,
            create: bootstrapCommand(),
            stdin: pulumi.all([args.certificate, args.gate]).apply(([certificate]) => encodeBundle(trustRegistryBundle(args.registry, certificate))),
        }, { parent: this, dependsOn: args.dependsOn, ...onHost(args.node) });
        this.registerOutputs({});
    }
}
