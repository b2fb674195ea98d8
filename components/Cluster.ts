import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { ClusterConfig, NodeConfig, NodeRole } from "../config";
import {
    CertificateCheck, certificatesExpire, ControlPlane, ControlPlaneConfig, deployProblems, joinedBefore, nodeConnection, NodeJoin, NodePrep,
    NodeUpgrade, PreviousDeploy, previousCertificateExpiry, RegistryTrust, upgradeOrder,
} from "./hosts";
import { Overlay, Platform } from "./platform";

export interface ClusterArgs {
    /** The validated stack config (config/); no default. */
    readonly config: ClusterConfig;
    /** The SSH private key for every host, as a secret; no default. */
    readonly sshPrivateKey: pulumi.Input<string>;
    /** The HTCondor startds' IDTOKEN, as a secret; required when the platform has pools, else unused. */
    readonly condorToken?: pulumi.Input<string>;
    /**
     * The stack's own outputs from its last deploy (clusterName, kubernetesVersion, nodes): an edit of the
     * cluster's identity (components/hosts/identity.ts) or a pin that would downgrade it or skip a minor
     * is refused before any host command runs. Default unknown: a first deploy, nothing to check.
     */
    readonly previous?: pulumi.Input<PreviousDeploy | undefined>;
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
    /** The nodes whose join succeeded (every node once the deploy finishes): the next deploy's retry list. */
    readonly joinedNodes: pulumi.Output<string[]>;
    /** kubeadm init on the first control plane; its kubeconfig and CA hash. */
    readonly controlPlane: ControlPlane;
    /** Every other node's join, by node name. */
    readonly joins: Readonly<Record<string, NodeJoin>>;
    /** Each reachable control plane's API server files, by node name. */
    readonly controlPlaneConfigs: Readonly<Record<string, ControlPlaneConfig>>;
    /** The certificate check of every reachable control plane, by node name. */
    readonly certificateChecks: Readonly<Record<string, CertificateCheck>>;
    /** Per reachable control plane, when its earliest kubeadm certificate expires (RFC 3339): the next deploy's check clock. */
    readonly certificatesExpire: pulumi.Output<Record<string, string>>;
    /** Every node's upgrade steps, by node name. */
    readonly upgrades: Readonly<Record<string, NodeUpgrade>>;
    /** Talks to the cluster's API with the admin kubeconfig, once every node has joined. */
    readonly provider: k8s.Provider;
    /** The Weave Net overlay. */
    readonly overlay: Overlay;
    /** What the cluster carries, when the stack configures a platform. */
    readonly platform?: Platform;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // The pin is the component's one property, so the policy pack's stack policy can check it.
        super("lsst-k8s:cluster:Cluster", name, { kubernetesVersion: args.config.kubernetesVersion.text }, opts);
        const { config } = args;
        // Every host command takes the pin through this gate, so a refused edit stops them all before any
        // runs, in preview too; and a failed program never reaches the engine's deletes, so no host
        // resource left out of a refused config is reset.
        const previousDeploy = pulumi.output(args.previous) as pulumi.Output<PreviousDeploy | undefined>;
        const version = previousDeploy.apply((previous) => {
            const problems = deployProblems(previous, config);
            if (problems.length === 1) {
                throw new pulumi.RunError(problems[0]);
            }
            if (problems.length > 1) {
                throw new pulumi.RunError(`refused against the last deploy (${problems.length} problems):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
            }
            return config.kubernetesVersion.text;
        });
        // One connection definition per host, shared by every action on it.
        const connection = Object.fromEntries(config.nodes.map((n) => [n.name, nodeConnection(config.ssh, n, args.sshPrivateKey)]));
        const preparations: Record<string, NodePrep> = {};
        for (const node of config.nodes) {
            preparations[node.name] = new NodePrep(`${name}-${node.name}`, {
                cluster: config,
                node,
                connection: connection[node.name],
                gate: version,
            }, { parent: this });
        }
        this.preparations = preparations;

        // The first control plane in the inventory creates the cluster; moving it there later is not
        // supported (a new first control plane would be a new cluster).
        const first = config.nodes.find((n) => n.role === "control-plane")!;
        // One key for the whole cluster: every API server must read what any other wrote to etcd.
        const encryptionKey = pulumi.secret(new random.RandomBytes(`${name}-encryption-key`, { length: 32 }, { parent: this }).base64);
        this.controlPlane = new ControlPlane(`${name}-control-plane`, {
            cluster: config,
            node: first,
            connection: connection[first.name],
            encryptionKey,
            gate: version,
            previousKubeconfigExpiry: previousDeploy.apply((p) => (typeof p?.kubeconfigExpires === "string" ? p.kubeconfigExpires : undefined)),
            dependsOn: [preparations[first.name].command],
        }, { parent: this });

        // Upgrades drain one batch at a time (upgradeOrder.ts): the first control plane, the other control
        // planes one by one, then the workers `upgrade.workersAtOnce` at a time. Their steps run nothing
        // when created, so on a first deploy waiting for them costs nothing; on a pin change, joins wait
        // for the control planes' upgrades, so a node added with a new pin joins control planes already
        // at it (a kubelet is never newer than the API server). The dependencies are plain lists: an
        // output whose value holds resources makes the SDK walk the resource graph each time it resolves.
        const upgrades: Record<string, NodeUpgrade> = {};
        const upgrade = (node: NodeConfig, member: pulumi.Resource, after: pulumi.Resource[]) => {
            upgrades[node.name] = new NodeUpgrade(`${name}-${node.name}-upgrade`, {
                node,
                first: node === first,
                connection: connection[node.name],
                controlPlaneConnection: connection[first.name],
                version,
                dependsOn: [preparations[node.name].command, member, ...after],
            }, { parent: this });
            return upgrades[node.name].done;
        };
        const order = upgradeOrder(config);
        const firstUpgraded = [upgrade(first, this.controlPlane.init, [])];

        // init → control-plane joins, one at a time (etcd grows by one member at a time) → workers, all
        // at once. Nothing else is serialised.
        const joins: Record<string, NodeJoin> = {};
        // A join that has not succeeded yet mints its token anew on every deploy: the one minted for a
        // failed try has expired an hour later. A dead host is never retried.
        const attempt = `attempt ${new Date().toISOString()}`;
        const joinArgs = (node: NodeConfig, after: pulumi.Resource[]) => ({
            cluster: config,
            node,
            connection: connection[node.name],
            controlPlaneNode: first,
            controlPlaneConnection: connection[first.name],
            caCertHash: this.controlPlane.caCertHash,
            certificateKey: this.controlPlane.certificateKey,
            ...(node.role === "control-plane" ? { encryptionKey } : {}),
            mintTrigger: previousDeploy.apply((p) => (node.unreachable || joinedBefore(p, node.name) ? "joined" : attempt)),
            gate: version,
            // The first control plane's reset is deleted only after every node's drain and reset.
            dependsOn: [preparations[node.name].command, this.controlPlane.reset, ...after],
        });
        let previous: pulumi.Resource = this.controlPlane.init;
        for (const node of config.nodes.filter((n) => n.role === "control-plane" && n !== first)) {
            joins[node.name] = new NodeJoin(`${name}-${node.name}-join`, joinArgs(node, [previous, ...firstUpgraded]), { parent: this });
            previous = joins[node.name].join;
        }
        const controlPlanesUpgraded = order.controlPlanes.reduce((after, node) => [upgrade(node, joins[node.name].join, after)], firstUpgraded);
        for (const node of config.nodes.filter((n) => n.role === "worker")) {
            joins[node.name] = new NodeJoin(`${name}-${node.name}-join`, joinArgs(node, [previous, ...controlPlanesUpgraded]), { parent: this });
        }
        this.joins = joins;
        this.joinedNodes = pulumi.all([this.controlPlane.init.id.apply(() => first.name),
            ...Object.entries(joins).map(([n, j]) => j.join.id.apply(() => n))]);
        order.workerBatches.reduce((after, batch) => batch.map((node) => upgrade(node, joins[node.name].join, after)), controlPlanesUpgraded);
        this.upgrades = upgrades;

        // The API server's own files, kept current one control plane at a time, each after its node is
        // at the pin (the manifest kubeadm may regenerate is the pinned version's).
        const configs: Record<string, ControlPlaneConfig> = {};
        let configured: pulumi.Resource | undefined;
        for (const node of config.nodes.filter((n) => n.role === "control-plane" && !n.unreachable)) {
            configs[node.name] = new ControlPlaneConfig(`${name}-${node.name}-api-config`, {
                cluster: config,
                node,
                first: node === first,
                connection: connection[node.name],
                encryptionKey,
                gate: version,
                dependsOn: [upgrades[node.name].done, ...(configured ? [configured] : [])],
            }, { parent: this });
            configured = configs[node.name].command;
        }
        this.controlPlaneConfigs = configs;

        // When each control plane's certificates expire, read once its API server files are current (after
        // its upgrade, which renews them).
        const checks: Record<string, CertificateCheck> = {};
        for (const node of config.nodes.filter((n) => n.role === "control-plane" && !n.unreachable)) {
            checks[node.name] = new CertificateCheck(`${name}-${node.name}-cert-expiry`, {
                cluster: config,
                node,
                connection: connection[node.name],
                gate: version,
                dependsOn: [configs[node.name].command],
                previousEarliest: previousDeploy.apply((p) => previousCertificateExpiry(p?.certificatesExpire, node.name)),
            }, { parent: this });
        }
        this.certificateChecks = checks;
        this.certificatesExpire = pulumi.all(Object.values(checks).map((c) => c.report)).apply(certificatesExpire);

        this.provider = new k8s.Provider(`${name}-kubernetes`, {
            kubeconfig: this.controlPlane.kubeconfig,
            // Objects are applied as declared, with the program as their field manager.
            enableServerSideApply: true,
        }, {
            parent: this,
            dependsOn: [this.controlPlane.init, this.controlPlane.reset, this.controlPlane.kubeconfigReadback, ...Object.values(joins).map((j) => j.join)],
        });
        this.overlay = new Overlay(`${name}-overlay`, { provider: this.provider, podCidr: config.networks.pods }, { parent: this });
        if (config.platform) {
            // Pods need the overlay before anything of the platform can run.
            this.platform = new Platform(`${name}-platform`, {
                config: config.platform,
                provider: this.provider,
                podNetwork: config.networks.pods,
                controlPlanes: config.nodes.filter((n) => n.role === "control-plane"),
                condorToken: args.condorToken,
            },
                { parent: this, dependsOn: [this.overlay] });
        }
        const registry = this.platform?.registry;
        if (registry && config.platform?.registry) {
            for (const node of config.nodes) {
                new RegistryTrust(`${name}-${node.name}-registry-trust`, {
                    registry: config.platform.registry,
                    certificate: registry.certificate,
                    node,
                    connection: connection[node.name],
                    gate: version,
                    dependsOn: [preparations[node.name].command],
                }, { parent: this });
            }
        }
        this.nodes = config.nodes.map(({ name: n, role, address }) => ({ name: n, role, address }));
        this.registerOutputs({
            nodes: this.nodes, kubeconfig: this.controlPlane.kubeconfig, caCertHash: this.controlPlane.caCertHash, certificatesExpire: this.certificatesExpire,
        });
    }
}
