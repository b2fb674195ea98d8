import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CONDOR_TOKEN, FilesetName, NodeConfig, PlatformConfig } from "../../config";
import { IdRangesConfig } from "../../config/platform";
import { storageClassFor } from "../../config/platform/storage";
import { EtcdBackup } from "./EtcdBackup";
import { AdmissionPolicies } from "./AdmissionPolicies";
import { stackPolicyData } from "./admission/data";
import { CondorPools, poolNamespace } from "./CondorPools";
import { KubeBench } from "./KubeBench";
import { MulticastCheck } from "./MulticastCheck";
import { Filesets, FILESETS_FOR } from "./Filesets";
import { Headlamp, HEADLAMP_NAMESPACE } from "./Headlamp";
import { idRangeMetadata, IdRanges } from "./IdRanges";
import { parseRegistryRef } from "./images";
import { NetworkPolicies } from "./NetworkPolicies";
import { NFS_PROVISIONER_NAMESPACE, NfsProvisioner } from "./NfsProvisioner";
import { Notebooks } from "./Notebooks";
import { Registry } from "./Registry";
import { REGISTRY_PULL_PORT, REGISTRY_PUSH_PORT } from "./registryConfig";

export interface PlatformArgs {
    /** The validated platform config; no default. */
    readonly config: PlatformConfig;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** The control-plane nodes, for the etcd backups; default none. */
    readonly controlPlanes?: readonly NodeConfig[];
    /** The pod network (cluster.networks.pods), where node-originated traffic to pods comes from under Weave; no default. */
    readonly podNetwork: string;
    /** The HTCondor startds' IDTOKEN (secret); required when config.htcondor is set, else unused. */
    readonly condorToken?: pulumi.Input<string>;
}

/** The namespaces of the platform's services (technote 000/001: JupyterLab, registry); each HTCondor pool adds its own. */
export const SERVICE_NAMESPACES = ["jupyter-lsst", "registry"] as const;

const PSA = "pod-security.kubernetes.io";
/** Why a namespace is not held to the restricted profile; read by people, kept on the object. */
const PSA_REASON = "lsst-k8s.io/pod-security-reason";

/** Read-only across the cluster, secrets excepted (technote 000 "Security"): explicit, no wildcards. */
const SECURITY_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    {
        apiGroups: [""],
        resources: ["pods", "pods/log", "services", "endpoints", "namespaces", "nodes", "events", "serviceaccounts",
            "persistentvolumes", "persistentvolumeclaims", "resourcequotas", "limitranges", "replicationcontrollers"],
        verbs: ["get", "list", "watch"],
    },
    { apiGroups: ["apps"], resources: ["deployments", "daemonsets", "statefulsets", "replicasets"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
    {
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"],
        verbs: ["get", "list", "watch"],
    },
];

/** Science users see their notebooks and nothing else (technote 000 "Users"). */
const NOTEBOOK_USER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["pods", "pods/log", "persistentvolumeclaims"], verbs: ["get", "list", "watch"] },
];

/**
 * Namespaces and who may do what in them, by actor (technote 000 "Actors" and "Users", 001 "Roles
 * and Security", 004 "RBAC"): cluster admins (the only cluster-admin binding), service admins (the
 * service namespaces), developers (their groups' namespaces: edit, or view only), science users (the
 * notebook namespace), security (read-only everywhere, secrets excepted). Every namespace enforces the
 * restricted Pod Security profile unless the reason it cannot is written on it.
 */
export class Platform extends pulumi.ComponentResource {
    /** Every namespace the platform owns, by name. */
    readonly namespaces: Readonly<Record<string, k8s.core.v1.Namespace>>;
    /** The local image registry, when configured. */
    readonly registry?: Registry;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:Platform", name, {}, opts);
        const { config } = args;
        const o = { parent: this, provider: args.provider };

        const namespaces: Record<string, k8s.core.v1.Namespace> = {};
        const namespace = (ns: string, privileged?: string, ids?: IdRangesConfig) => {
            const level = privileged ? "privileged" : "restricted";
            const ranges = ids ? idRangeMetadata(ids) : { labels: {}, annotations: {} };
            const annotations = { ...(privileged ? { [PSA_REASON]: privileged } : {}), ...ranges.annotations };
            namespaces[ns] = new k8s.core.v1.Namespace(`${name}-${ns}`, {
                metadata: {
                    name: ns,
                    labels: { [`${PSA}/enforce`]: level, [`${PSA}/audit`]: "restricted", [`${PSA}/warn`]: "restricted", ...ranges.labels },
                    ...(Object.keys(annotations).length ? { annotations } : {}),
                },
                // Deleting the registry's namespace would delete its claim, and the images with it.
            }, { ...o, retainOnDelete: ns === "registry" });
            return namespaces[ns];
        };
        const poolNamespaces = (config.htcondor?.pools ?? []).map(poolNamespace);
        const serviceNamespaces = [...SERVICE_NAMESPACES, ...poolNamespaces];
        for (const ns of serviceNamespaces) {
            namespace(ns, undefined, ns === "jupyter-lsst" ? config.jupyter?.ids : undefined);
        }
        for (const d of config.developerGroups) {
            namespace(d.namespace, undefined, d.ids);
        }
        if (config.kubeBench) {
            namespace("kube-bench", "kube-bench reads the node's configuration through host paths and the host PID namespace (technote 000 \"Security\")");
        }
        if (config.multicastCheck) {
            namespace("multicast-check");
        }
        if (config.dashboard) {
            namespace(HEADLAMP_NAMESPACE);
        }
        if (config.storage?.nfs) {
            // Restricted like the rest: the provisioner runs as 65534 and reaches its export through a claim.
            namespace(NFS_PROVISIONER_NAMESPACE);
        }
        this.namespaces = namespaces;
        // Each namespace denies ingress but what its workloads need (technote 000 "Security"); nodes
        // dial the registry's reader and its writer.
        new NetworkPolicies(`${name}-network-policies`, {
            namespaces: Object.keys(namespaces), podNetwork: args.podNetwork, registryPorts: [REGISTRY_PULL_PORT, REGISTRY_PUSH_PORT],
            provider: args.provider, dependsOn: Object.values(namespaces),
        }, { parent: this });
        // Technote 001 "Access to File Sets": pods of a namespace with ranges run only as its own ids.
        if (config.jupyter?.ids || config.developerGroups.some((d) => d.ids)) {
            new IdRanges(`${name}-id-ranges`, { provider: args.provider }, { parent: this });
        }

        const group = (g: string) => [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: g }];
        const clusterRole = (role: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role });
        const roleBinding = (ns: string, suffix: string, role: { kind: string; name: string; apiGroup: string }, g: string) =>
            new k8s.rbac.v1.RoleBinding(`${name}-${ns}-${suffix}`, {
                metadata: { name: `lsst-k8s:${suffix}`, namespace: ns },
                roleRef: role,
                subjects: group(g),
            }, { ...o, dependsOn: [namespaces[ns]] });

        // The one binding to cluster-admin: the K8s cluster administrators (technote 000 "Actors").
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-cluster-admins`, {
            metadata: { name: "lsst-k8s:cluster-admins" },
            roleRef: clusterRole("cluster-admin"),
            subjects: group(config.groups.admins),
        }, o);

        // Service administrators deploy services into the service namespaces only: Kubernetes' own
        // namespace-scoped "admin" role, which grants nothing on nodes or cluster-scoped objects.
        for (const ns of serviceNamespaces) {
            roleBinding(ns, "service-admins", clusterRole("admin"), config.groups.serviceAdmins);
        }

        // Developers: edit (which includes reading logs) in their groups' namespaces, or view only.
        for (const d of config.developerGroups) {
            roleBinding(d.namespace, "developers", clusterRole(config.developerAccess), d.group);
        }

        const notebookUser = new k8s.rbac.v1.Role(`${name}-notebook-user`, {
            metadata: { name: "lsst-k8s:notebook-user", namespace: "jupyter-lsst" },
            rules: NOTEBOOK_USER_RULES,
        }, { ...o, dependsOn: [namespaces["jupyter-lsst"]] });
        new k8s.rbac.v1.RoleBinding(`${name}-science-users`, {
            metadata: { name: "lsst-k8s:science-users", namespace: "jupyter-lsst" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "lsst-k8s:notebook-user" },
            subjects: group(config.groups.scienceUsers),
        }, { ...o, dependsOn: [notebookUser] });

        const auditor = new k8s.rbac.v1.ClusterRole(`${name}-security`, {
            metadata: { name: "lsst-k8s:security-auditor" },
            rules: SECURITY_RULES,
        }, o);
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-security`, {
            metadata: { name: "lsst-k8s:security-auditors" },
            roleRef: clusterRole("lsst-k8s:security-auditor"),
            subjects: group(config.groups.security),
        }, { ...o, dependsOn: [auditor] });

        // The services, each object after the namespaces it lives in.
        const dependsOn = Object.values(namespaces);
        // The pack's rules in the cluster, from the same policy data, for whatever anyone writes with kubectl.
        new AdmissionPolicies(`${name}-admission`, { policy: stackPolicyData(pulumi.getStack()), config, provider: args.provider, dependsOn }, { parent: this });
        // The NFS provisioner first: the registry's volume and the notebook homes come from its class.
        const nfs = config.storage?.nfs
            ? new NfsProvisioner(`${name}-nfs`, { config: config.storage.nfs, provider: args.provider, dependsOn }, { parent: this })
            : undefined;
        const withStorage = nfs ? [...dependsOn, nfs] : dependsOn;
        if (config.jupyter) {
            const homeStorageClass = storageClassFor(undefined, config.storage?.nfs);
            new Notebooks(`${name}-notebooks`, { config: config.jupyter, homeStorageClass, provider: args.provider, dependsOn: withStorage }, { parent: this });
        }
        if (config.filesets) {
            const claims: Record<string, readonly FilesetName[]> = { "jupyter-lsst": FILESETS_FOR.notebooks };
            for (const d of config.developerGroups) {
                claims[d.namespace] = FILESETS_FOR.developers;
            }
            for (const ns of poolNamespaces) {
                claims[ns] = FILESETS_FOR.batch;
            }
            new Filesets(`${name}-filesets`, { config: config.filesets, claims, provider: args.provider, dependsOn }, { parent: this });
        }
        // Pods get the pull secret from their ServiceAccount when they are admitted, never later, so
        // whatever pulls through the registry waits for its credentials (and the registry itself).
        let pulling: pulumi.Resource[] = dependsOn;
        const registryHost = config.registry?.host;
        const fromRegistry = (ref: string | undefined) => registryHost !== undefined && ref !== undefined && parseRegistryRef(registryHost, ref) !== undefined;
        if (config.registry) {
            // Every namespace the platform owns pulls from it, except the registry's own and the NFS
            // provisioner's (it runs before the registry has a volume), and kube-system when the etcd
            // backups' image is kept there.
            const pullers = Object.keys(namespaces).filter((ns) => ns !== "registry" && ns !== NFS_PROVISIONER_NAMESPACE);
            if (fromRegistry(config.etcdBackup?.image)) {
                pullers.push("kube-system");
            }
            const storageClass = storageClassFor(config.registry.storageClass, config.storage?.nfs);
            this.registry = new Registry(`${name}-registry`, {
                config: { ...config.registry, storageClass }, pullers, provider: args.provider, dependsOn: withStorage,
            }, { parent: this });
            pulling = [...dependsOn, this.registry];
        }
        // A first deploy cannot pull through an empty registry: until the stack says its images are
        // mirrored (npm run mirror, then platform.registry.mirrored), nothing that pulls through it is
        // declared, so the registry and its storage come up and the deploy finishes.
        const mirrored = config.registry?.mirrored === true;
        const deployable = (ref: string) => !fromRegistry(ref) || mirrored;
        if (registryHost && mirrored) {
            if (config.dashboard) {
                new Headlamp(`${name}-headlamp`, { registryHost, provider: args.provider, dependsOn: pulling }, { parent: this });
            }
            if (config.kubeBench) {
                new KubeBench(`${name}-kube-bench`, { registryHost, provider: args.provider, dependsOn: pulling }, { parent: this });
            }
            if (config.multicastCheck) {
                new MulticastCheck(`${name}-multicast`, { registryHost, provider: args.provider, dependsOn: pulling }, { parent: this });
            }
        }
        if (config.etcdBackup && deployable(config.etcdBackup.image)) {
            new EtcdBackup(`${name}-etcd-backup`, {
                config: config.etcdBackup, controlPlanes: args.controlPlanes ?? [], provider: args.provider,
                dependsOn: fromRegistry(config.etcdBackup.image) ? pulling : undefined,
            }, { parent: this });
        }
        if (config.htcondor && deployable(config.htcondor.image)) {
            if (args.condorToken === undefined) {
                throw new pulumi.RunError(`${CONDOR_TOKEN}: required with platform.htcondor (readConfig reads it)`);
            }
            new CondorPools(`${name}-condor`, {
                config: config.htcondor, token: args.condorToken, filesets: !!config.filesets, provider: args.provider,
                dependsOn: fromRegistry(config.htcondor.image) ? pulling : dependsOn,
            }, { parent: this });
        }
        this.registerOutputs({});
    }
}
