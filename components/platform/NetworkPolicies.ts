import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface NetworkPoliciesArgs {
    /** Every namespace the platform owns: each denies all ingress but what an allow below admits; no default. */
    readonly namespaces: readonly string[];
    /** The pod network (cluster.networks.pods), from which Weave's bridge addresses are drawn; no default. */
    readonly podNetwork: string;
    /** The namespace the notebooks are spawned in; default "jupyter-lsst". */
    readonly notebookNamespace?: string;
    /** The namespace JupyterHub's hub and proxy run in; default the notebook namespace. */
    readonly hubNamespace?: string;
    /** The registry's namespace; default "registry". */
    readonly registryNamespace?: string;
    /** The registry pod's ports that nodes dial: containerd's pulls, and the mirror's pushes where they have their own; default [5000]. */
    readonly registryPorts?: readonly number[];
    /** The multicast check's namespace; default "multicast-check". */
    readonly multicastNamespace?: string;
    /** The UDP port of the check's datagrams (multicast-check.py's PORT); default 4446. */
    readonly multicastPort?: number;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: the namespaces it goes into; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The name of every namespace's deny-all-ingress policy. */
export const DEFAULT_DENY = "default-deny-ingress";
/** The label Zero to JupyterHub puts on its pods, and the values of the hub, its proxy and a user's notebook. */
export const Z2JH_COMPONENT = "component";
export const Z2JH = { hub: "hub", proxy: "proxy", notebook: "singleuser-server" } as const;
/** The port a JupyterHub notebook server listens on (KubeSpawner's default). */
export const NOTEBOOK_PORT = 8888;
/** Set by the API server on every namespace, and not editable: the one namespace label no tenant can forge. */
const NAMESPACE_NAME = "kubernetes.io/metadata.name";

type Policy = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * Isolation between tenants (technote 000 "Security"): every namespace the platform owns refuses all
 * ingress unless an allow below says who may come in and why. Egress is left open, so DNS to
 * kube-system and everything the workloads dial out to (the HTCondor central manager, NFS, the API
 * server) keeps working. Weave Net's weave-npc (the overlay's DaemonSet) enforces them. What needs no
 * allow, and why: traffic a node sends to a pod on the same node (kubelet probes) never enters
 * weave-npc's chain, which filters only what is forwarded onto the weave bridge; `kubectl port-forward`
 * (Headlamp) reaches the pod through the kubelet and the runtime inside the pod's own network namespace,
 * not over the pod network; the HTCondor startds, kube-bench and the NFS provisioner serve nothing,
 * the startds reaching their access points only through connections they open to the central manager's
 * connection broker.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:NetworkPolicies", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const notebooks = args.notebookNamespace ?? "jupyter-lsst";
        const registry = args.registryNamespace ?? "registry";
        const multicast = args.multicastNamespace ?? "multicast-check";
        const owned = new Set(args.namespaces);
        const policy = (namespace: string, policyName: string, spec: Policy) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${namespace}-${policyName}`, {
                metadata: { name: policyName, namespace },
                spec,
            }, o);

        for (const namespace of args.namespaces) {
            // Every pod, no ingress rule: nothing comes in that a policy below does not let in.
            policy(namespace, DEFAULT_DENY, { podSelector: {}, policyTypes: ["Ingress"] });
        }

        if (owned.has(registry)) {
            // containerd pulls (and the mirror, run on a node, pushes) through the Service's fixed address,
            // not pods: kube-proxy masquerades a node's connection to the weave bridge's address, which
            // Weave draws from the pod network and which no pod or namespace selector can name. From the
            // registry pod's own node it never reaches weave-npc; from any other node it does, and only
            // this lets it through. weave-npc matches the block on pods' addresses too: the registry's
            // credentials, not the network, keep pods out.
            policy(registry, "allow-node-pulls", {
                podSelector: { matchLabels: { app: "registry" } },
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [{ ipBlock: { cidr: args.podNetwork } }],
                    ports: (args.registryPorts ?? [5000]).map((port) => ({ protocol: "TCP", port })),
                }],
            });
        }

        if (owned.has(notebooks)) {
            // The proxy forwards each user's requests to their notebook, and the hub checks on it: both
            // by Zero to JupyterHub's labels, and only from the hub's namespace, whose pods only the
            // service admins create (a developer may label a pod "hub", not move it there).
            policy(notebooks, "allow-hub-to-notebooks", {
                podSelector: { matchLabels: { [Z2JH_COMPONENT]: Z2JH.notebook } },
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [{
                        namespaceSelector: { matchLabels: { [NAMESPACE_NAME]: args.hubNamespace ?? notebooks } },
                        podSelector: { matchExpressions: [{ key: Z2JH_COMPONENT, operator: "In", values: [Z2JH.hub, Z2JH.proxy] }] },
                    }],
                    ports: [{ protocol: "TCP", port: NOTEBOOK_PORT }],
                }],
            });
        }

        if (owned.has(multicast)) {
            // The check's datagrams between its own two pods. weave-npc accepts multicast before any
            // policy (its --allow-mcast, on by default), so under Weave this is the written record of
            // what the check needs; it is what keeps the check passing under a controller that filters
            // multicast by the receiving pod.
            const check = { matchLabels: { app: "multicast-check" } };
            policy(multicast, "allow-multicast-check", {
                podSelector: check,
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [{ podSelector: check }],
                    ports: [{ protocol: "UDP", port: args.multicastPort ?? 4446 }],
                }],
            });
        }
        this.registerOutputs({});
    }
}
