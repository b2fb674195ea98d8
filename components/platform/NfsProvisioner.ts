import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NFS_PROVISIONER_UID, NfsConfig as NfsSection } from "../../config/platform/storage";
import type { DeepReadonly } from "../../config/types";

/** platform.storage.nfs as validated: frozen, like the rest of the config. */
export type NfsConfig = DeepReadonly<NfsSection>;

export interface NfsProvisionerArgs {
    /** The NFS server, export, class and image from platform.storage.nfs; no default. */
    readonly config: NfsConfig;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: the namespaces it goes into; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The provisioner's namespace; Platform creates it (restricted: the pod needs neither root nor an inline NFS volume). */
export const NFS_PROVISIONER_NAMESPACE = "nfs-provisioner";

/**
 * What the StorageClass names and every volume it makes records (pv.kubernetes.io/provisioned-by): fixed,
 * because volumes made under another name would no longer be the provisioner's to delete.
 */
export const NFS_PROVISIONER_NAME = "lsst-k8s.io/nfs-subdir";

/**
 * The leader-election lock the provisioner keeps at v4.0.2: sig-storage-lib-external-provisioner v6
 * takes an Endpoints object in its own namespace, named after the provisioner with "/" made "-".
 */
export const NFS_LEADER_LOCK = NFS_PROVISIONER_NAME.replace(/\//g, "-");

/** Where the provisioner expects the export mounted: it makes each claim's directory there. */
const MOUNT_PATH = "/persistentvolumes";
/** The export's own volume and claim: nominal size, NFS enforces none. */
const EXPORT_SIZE = "1Gi";


/** Cluster-wide, what the provisioner reads and writes: volumes, claims, classes, and the events it reports. */
const PROVISIONER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "delete"] },
    { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch", "update"] },
    { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "update", "patch"] },
];

/**
 * Leader election as v4.0.2 does it: client-go's Endpoints lock creates the object, then reads and
 * updates only that one. No Lease: a later release that moves to coordination.k8s.io leases needs
 * get, create and update on them added here.
 */
const LEADER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    // create cannot be narrowed by name: the name is not known to the authorizer before the object exists.
    { apiGroups: [""], resources: ["endpoints"], verbs: ["create"] },
    { apiGroups: [""], resources: ["endpoints"], resourceNames: [NFS_LEADER_LOCK], verbs: ["get", "update"] },
];

/**
 * Technote 004 "NFS": the site's NFS server already runs, so the cluster gets only the dynamic
 * provisioner half, the NFS subdir external provisioner. It mounts one export and makes a directory
 * <namespace>-<claim>-<volume> (mode 0777) per claim; with reclaimPolicy Delete it renames it to
 * archived-<name> or removes it. That needs write access to the export's top directory, not root: the
 * image runs as root by default, but root_squash (the NFS default) maps root to 65534 anyway, so it runs
 * as 65534 and never needs an export with no_root_squash. The export reaches the pod through a
 * pre-bound volume and claim rather than an inline NFS volume, which the restricted profile forbids, so
 * the namespace stays restricted.
 */
export class NfsProvisioner extends pulumi.ComponentResource {
    /** The StorageClass's name, for the claims the platform makes (the registry's, the notebook homes). */
    readonly className: string;

    constructor(name: string, args: NfsProvisionerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:NfsProvisioner", name, {}, opts);
        const { config } = args;
        const namespace = NFS_PROVISIONER_NAMESPACE;
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const after = (...rs: pulumi.Resource[]) => ({ ...o, dependsOn: [...(args.dependsOn ?? []), ...rs] });
        this.className = config.className;

        const account = new k8s.core.v1.ServiceAccount(`${name}-account`, {
            metadata: { name: "nfs-provisioner", namespace },
        }, o);
        const subjects = [{ kind: "ServiceAccount", name: "nfs-provisioner", namespace }];

        const runner = new k8s.rbac.v1.ClusterRole(`${name}-runner`, {
            metadata: { name: "lsst-k8s:nfs-provisioner" },
            rules: PROVISIONER_RULES,
        }, o);
        const runnerBinding = new k8s.rbac.v1.ClusterRoleBinding(`${name}-runner`, {
            metadata: { name: "lsst-k8s:nfs-provisioner" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "lsst-k8s:nfs-provisioner" },
            subjects,
        }, after(runner, account));
        const leader = new k8s.rbac.v1.Role(`${name}-leader`, {
            metadata: { name: "lsst-k8s:nfs-provisioner-leader", namespace },
            rules: LEADER_RULES,
        }, o);
        const leaderBinding = new k8s.rbac.v1.RoleBinding(`${name}-leader`, {
            metadata: { name: "lsst-k8s:nfs-provisioner-leader", namespace },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "lsst-k8s:nfs-provisioner-leader" },
            subjects,
        }, after(leader, account));

        // The export itself, pre-bound to the provisioner's claim; Retain, so nothing ever deletes the export.
        const volumeName = "nfs-provisioner-export";
        const volume = new k8s.core.v1.PersistentVolume(`${name}-export`, {
            metadata: { name: volumeName },
            spec: {
                capacity: { storage: EXPORT_SIZE },
                accessModes: ["ReadWriteMany"],
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: "",
                nfs: { server: config.server, path: config.path },
                claimRef: { namespace, name: "export" },
                mountOptions: [...config.mountOptions],
            },
        }, o);
        const claim = new k8s.core.v1.PersistentVolumeClaim(`${name}-export`, {
            metadata: { name: "export", namespace },
            spec: { accessModes: ["ReadWriteMany"], storageClassName: "", volumeName, resources: { requests: { storage: EXPORT_SIZE } } },
        }, after(volume));

        const labels = { app: "nfs-provisioner" };
        const deployment = new k8s.apps.v1.Deployment(`${name}-server`, {
            metadata: { name: "nfs-provisioner", namespace, labels },
            spec: {
                replicas: 1,
                // One provisioner at a time: the old pod stops before the new one takes the lock.
                strategy: { type: "Recreate" },
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: "nfs-provisioner",
                        securityContext: {
                            runAsNonRoot: true, runAsUser: NFS_PROVISIONER_UID, runAsGroup: NFS_PROVISIONER_UID,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [{
                            name: "nfs-provisioner",
                            // registry.k8s.io, not the local registry: the registry's volume comes from this provisioner.
                            image: config.image,
                            env: [
                                { name: "PROVISIONER_NAME", value: NFS_PROVISIONER_NAME },
                                { name: "NFS_SERVER", value: config.server },
                                { name: "NFS_PATH", value: config.path },
                            ],
                            // It serves no port (its metrics are off), so there is nothing for a probe to ask.
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                            volumeMounts: [{ name: "export", mountPath: MOUNT_PATH }],
                        }],
                        volumes: [{ name: "export", persistentVolumeClaim: { claimName: "export" } }],
                    },
                },
            },
        }, after(claim, runnerBinding, leaderBinding));

        new k8s.storage.v1.StorageClass(`${name}-class`, {
            metadata: {
                name: config.className,
                ...(config.default ? { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } : {}),
            },
            provisioner: NFS_PROVISIONER_NAME,
            parameters: { archiveOnDelete: String(config.archiveOnDelete) },
            reclaimPolicy: config.reclaimPolicy,
            mountOptions: [...config.mountOptions],
            volumeBindingMode: "Immediate",
            // NFS enforces no size: a claim may ask for more and its directory already holds it (the
            // provisioner resizes nothing, so the claim's status keeps the size it was made with).
            allowVolumeExpansion: true,
        }, after(deployment));

        this.registerOutputs({ className: this.className });
    }
}
