import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface OverlayArgs {
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** The pod network (cluster.networks.pods), Weave's allocation range; no default. */
    readonly podCidr: string;
    /** The Weave Net release of the maintained fork; default WEAVE_VERSION. */
    readonly version?: string;
    /** Where its images come from; default "docker.io/rajchaudhuri". */
    readonly imageRepository?: string;
}

/**
 * The maintained fork's release (Weaveworks stopped in 2024; rajch/weave carries on). Pinned: moving it
 * is a reviewed change like any other.
 */
export const WEAVE_VERSION = "2.8.8";

/**
 * The environment each container of weave-net WEAVE_VERSION reads, by container: weave-kube's
 * launch.sh (IPALLOC_RANGE, INIT_CONTAINER, HOSTNAME as the peer's nickname, and its tuning knobs),
 * weaver's update checker (CHECKPOINT_DISABLE), weave-npc's node name (HOSTNAME). A name outside this
 * table is silently ignored by the image (as IPALLOC was), so every name the program sets must be here.
 * Neither weaveworks/weave nor the fork is a Go module the proxy serves, so the table is read from the
 * fork's prog/weave-kube/launch.sh and prog/weave-npc, not extracted at test time.
 */
export const WEAVE_READS: Readonly<Record<string, readonly string[]>> = {
    weave: ["IPALLOC_RANGE", "IPALLOC_INIT", "INIT_CONTAINER", "HOSTNAME", "CHECKPOINT_DISABLE", "EXTRA_ARGS", "WEAVE_MTU",
        "WEAVE_NO_FASTDP", "WEAVE_EXPOSE_IP", "WEAVE_HTTP_ADDR", "WEAVE_STATUS_ADDR", "HOST_ROOT", "CONN_LIMIT", "EXPECT_NPC",
        "KUBE_PEERS", "IPTABLES_BACKEND", "WEAVE_DEBUG", "WEAVE_PASSWORD"],
    "weave-npc": ["HOSTNAME"],
};

const NAMESPACE = "kube-system";
const NAME = "weave-net";

/**
 * Weave Net, the overlay technote 000/003 chose because it carries multicast (Firefly and Qserv need
 * it): written here as typed resources instead of `kubectl apply -f` from a URL that no longer exists
 * (technote 004: manifests checked in, never downloaded at deploy time). Multicast is Weave's default.
 * It lives in kube-system, whose exemption in each stack's policy config says why it may run
 * privileged on the host network, and its images come straight from the fork's repository: the
 * overlay has to run before the local registry can.
 */
export class Overlay extends pulumi.ComponentResource {
    /** The DaemonSet; workloads that need pod networking wait for it. */
    readonly daemonSet: k8s.apps.v1.DaemonSet;

    constructor(name: string, args: OverlayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:cluster:Overlay", name, {}, opts);
        const o = { parent: this, provider: args.provider };
        const image = (component: string) => `${args.imageRepository ?? "docker.io/rajchaudhuri"}/${component}:${args.version ?? WEAVE_VERSION}`;
        const labels = { name: NAME };
        const metadata = { name: NAME, namespace: NAMESPACE, labels };
        const read = ["get", "list", "watch"];

        const account = new k8s.core.v1.ServiceAccount(`${name}-account`, { metadata }, o);
        const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-cluster-role`, {
            metadata: { name: NAME, labels },
            rules: [
                { apiGroups: [""], resources: ["pods", "namespaces", "nodes"], verbs: read },
                { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: read },
                { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch", "update"] },
            ],
        }, o);
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-cluster-role-binding`, {
            metadata: { name: NAME, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NAME },
            subjects: [{ kind: "ServiceAccount", name: NAME, namespace: NAMESPACE }],
        }, { ...o, dependsOn: [clusterRole, account] });
        // Weave keeps its peer list in one ConfigMap: it may read and update that one, and create it.
        const role = new k8s.rbac.v1.Role(`${name}-role`, {
            metadata,
            rules: [
                { apiGroups: [""], resources: ["configmaps"], resourceNames: [NAME], verbs: ["get", "update"] },
                { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
            ],
        }, o);
        new k8s.rbac.v1.RoleBinding(`${name}-role-binding`, {
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NAME },
            subjects: [{ kind: "ServiceAccount", name: NAME, namespace: NAMESPACE }],
        }, { ...o, dependsOn: [role, account] });

        const hostPath = (volume: string, path: string, type?: string) => ({ name: volume, hostPath: { path, ...(type ? { type } : {}) } });
        const nodeName = { name: "HOSTNAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "spec.nodeName" } } };
        const xtablesLock = { name: "xtables-lock", mountPath: "/run/xtables.lock" };
        this.daemonSet = new k8s.apps.v1.DaemonSet(`${name}-daemonset`, {
            metadata,
            spec: {
                selector: { matchLabels: labels },
                minReadySeconds: 5,
                updateStrategy: { type: "RollingUpdate" },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: NAME,
                        // The overlay programs the node's own network: it runs privileged on the host network.
                        hostNetwork: true,
                        dnsPolicy: "ClusterFirstWithHostNet",
                        priorityClassName: "system-node-critical",
                        tolerations: [{ effect: "NoSchedule", operator: "Exists" }, { effect: "NoExecute", operator: "Exists" }],
                        initContainers: [{
                            name: "weave-init",
                            image: image("weave-kube"),
                            command: ["/home/weave/init.sh"],
                            securityContext: { privileged: true },
                            volumeMounts: [
                                { name: "cni-bin", mountPath: "/host/opt" },
                                { name: "cni-bin2", mountPath: "/host/home" },
                                { name: "cni-conf", mountPath: "/host/etc" },
                                { name: "lib-modules", mountPath: "/lib/modules" },
                                xtablesLock,
                            ],
                        }],
                        containers: [
                            {
                                name: "weave",
                                image: image("weave-kube"),
                                command: ["/home/weave/launch.sh"],
                                env: [
                                    // Pods get their addresses from the stack's pod network.
                                    { name: "IPALLOC_RANGE", value: args.podCidr },
                                    { name: "INIT_CONTAINER", value: "true" },
                                    nodeName,
                                    { name: "CHECKPOINT_DISABLE", value: "1" },
                                ],
                                readinessProbe: { httpGet: { host: "127.0.0.1", path: "/status", port: 6784 } },
                                resources: { requests: { cpu: "50m", memory: "100Mi" } },
                                securityContext: { privileged: true },
                                volumeMounts: [
                                    { name: "weavedb", mountPath: "/weavedb" },
                                    { name: "dbus", mountPath: "/host/var/lib/dbus", readOnly: true },
                                    { name: "cni-machine-id", mountPath: "/host/etc/machine-id", readOnly: true },
                                    xtablesLock,
                                ],
                            },
                            {
                                name: "weave-npc",
                                image: image("weave-npc"),
                                env: [nodeName],
                                resources: { requests: { cpu: "50m", memory: "50Mi" } },
                                securityContext: { privileged: true },
                                volumeMounts: [xtablesLock],
                            },
                        ],
                        volumes: [
                            hostPath("weavedb", "/var/lib/weave"),
                            hostPath("cni-bin", "/opt"),
                            hostPath("cni-bin2", "/home"),
                            hostPath("cni-conf", "/etc"),
                            hostPath("cni-machine-id", "/etc/machine-id"),
                            hostPath("dbus", "/var/lib/dbus"),
                            hostPath("lib-modules", "/lib/modules"),
                            hostPath("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                        ],
                    },
                },
            },
        }, { ...o, dependsOn: [account] });
        this.registerOutputs({});
    }
}
