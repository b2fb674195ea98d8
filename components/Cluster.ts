import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, NodeRole } from "../config";
import { nodeConnection } from "./connection";
import { ControlPlane } from "./ControlPlane";
import { NodePrep } from "./NodePrep";

export interface ClusterArgs {
    /** The validated stack config (config.ts); no default. */
    readonly config: ClusterConfig;
    /** The SSH private key for every host, as a secret; no default. */
    readonly sshPrivateKey: pulumi.Input<string>;
}

export interface NodeSummary {
    readonly name: string;
    readonly role: NodeRole;
    readonly address: string;
}

/**
 * One Kubernetes cluster built from bare hosts. Every node is prepared in parallel: nothing in the
 * graph puts one node's preparation behind another's.
 */
export class Cluster extends pulumi.ComponentResource {
    /** The preparation of each node, by node name. */
    readonly preparations: Readonly<Record<string, NodePrep>>;
    /** The inventory as the stack outputs show it. */
    readonly nodes: readonly NodeSummary[];
    /** kubeadm init on the first control plane; its kubeconfig and CA hash. */
    readonly controlPlane: ControlPlane;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:cluster:Cluster", name, {}, opts);
        const { config } = args;
        const preparations: Record<string, NodePrep> = {};
        for (const node of config.nodes) {
            preparations[node.name] = new NodePrep(`${name}-${node.name}`, {
                cluster: config,
                node,
                connection: nodeConnection(config.ssh, node, args.sshPrivateKey),
            }, { parent: this });
        }
        this.preparations = preparations;

        // The first control plane in the inventory creates the cluster; moving it there later is not
        // supported (a new first control plane would be a new cluster).
        const first = config.nodes.find((n) => n.role === "control-plane")!;
        this.controlPlane = new ControlPlane(`${name}-control-plane`, {
            cluster: config,
            node: first,
            connection: nodeConnection(config.ssh, first, args.sshPrivateKey),
            dependsOn: [preparations[first.name].command],
        }, { parent: this });
        this.nodes = config.nodes.map(({ name: n, role, address }) => ({ name: n, role, address }));
        this.registerOutputs({ nodes: this.nodes, kubeconfig: this.controlPlane.kubeconfig, caCertHash: this.controlPlane.caCertHash });
    }
}
