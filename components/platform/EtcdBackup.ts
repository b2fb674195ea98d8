import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ETCD_BACKUP_PREFIX, EtcdBackupConfig, NodeConfig } from "../../config";
import { configHash } from "./configHash";
import { podScript } from "./podScripts";

export interface EtcdBackupArgs {
    /** Image, schedule, host directory and retention from the platform config; no default. */
    readonly config: EtcdBackupConfig;
    /** The control planes: each backs up its own etcd member into its own directory; no default. */
    readonly controlPlanes: readonly NodeConfig[];
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: the registry's pull credentials when the image comes from it; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

const NAMESPACE = "kube-system";

/**
 * The control plane's lsst-k8s directory, as components/hosts/controlPlaneFiles.ts names it (platform/
 * may not import hosts/; tests/etcd-backup/cronjob.test.ts holds the two equal): the API server's own
 * files, the key Secrets are encrypted with among them, archived with the PKI because a restored
 * snapshot's Secrets cannot be read without it.
 */
const CONTROL_PLANE_CONFIG_DIR = "/etc/kubernetes/lsst-k8s";

/**
 * Scheduled etcd snapshots and archives of the PKI and the API server's lsst-k8s files, the encryption
 * key among them (technote 004 "Storage", 000 "Preparing for disaster recovery"), with
 * components/scripts/etcd-backup.sh, one CronJob per control plane pinned to it, so every control plane
 * keeps its own copies. The pod reaches its node's etcd at the node's address over
 * the overlay (prepare.sh accepts pod traffic from the weave interface), so it needs no host network;
 * it reads the PKI as root, which is why it lives in kube-system, whose exemption says so.
 */
export class EtcdBackup extends pulumi.ComponentResource {
    constructor(name: string, args: EtcdBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:EtcdBackup", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const scriptData = { "etcd-backup.sh": podScript("etcd-backup.sh") };
        const scriptMap = new k8s.core.v1.ConfigMap(`${name}-script`, {
            metadata: { name: "etcd-backup", namespace: NAMESPACE },
            data: scriptData,
        }, o);
        // A run reads the script as it is when its pod starts; the hash still shows on the template which one it runs.
        const annotations = configHash({ "configmap/etcd-backup": scriptData });
        for (const node of args.controlPlanes) {
            new k8s.batch.v1.CronJob(`${name}-${node.name}`, {
                metadata: { name: `${ETCD_BACKUP_PREFIX}${node.name}`, namespace: NAMESPACE, labels: { app: "etcd-backup" } },
                spec: {
                    schedule: args.config.schedule,
                    concurrencyPolicy: "Forbid",
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        spec: {
                            backoffLimit: 2,
                            // A snapshot that stalls is stopped rather than left to block the next one.
                            activeDeadlineSeconds: 1800,
                            template: {
                                metadata: { labels: { app: "etcd-backup" }, annotations },
                                spec: {
                                    restartPolicy: "Never",
                                    nodeSelector: { "kubernetes.io/hostname": node.name },
                                    tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
                                    securityContext: { seccompProfile: { type: "RuntimeDefault" } },
                                    containers: [{
                                        name: "backup",
                                        image: args.config.image,
                                        command: ["bash", "/scripts/etcd-backup.sh"],
                                        env: [
                                            { name: "ETCD_ENDPOINTS", value: `https://${node.address}:2379` },
                                            { name: "BACKUP_DIR", value: "/backup" },
                                            { name: "KEEP", value: String(args.config.keep) },
                                            { name: "NODE_NAME", value: node.name },
                                            { name: "CONFIG_DIR", value: CONTROL_PLANE_CONFIG_DIR },
                                        ],
                                        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                                        volumeMounts: [
                                            { name: "pki", mountPath: "/etc/kubernetes/pki", readOnly: true },
                                            { name: "lsst-k8s-config", mountPath: CONTROL_PLANE_CONFIG_DIR, readOnly: true },
                                            { name: "backup", mountPath: "/backup" },
                                            { name: "scripts", mountPath: "/scripts", readOnly: true },
                                            { name: "tmp", mountPath: "/tmp" },
                                        ],
                                    }],
                                    volumes: [
                                        { name: "pki", hostPath: { path: "/etc/kubernetes/pki", type: "Directory" } },
                                        // Not "Directory": a control plane set up before lsst-k8s wrote these files has none,
                                        // and its backups must go on. The kubelet creates it empty, the script then archives
                                        // the PKI alone, and the hosts tier makes it 0700 when it installs the files.
                                        { name: "lsst-k8s-config", hostPath: { path: CONTROL_PLANE_CONFIG_DIR, type: "DirectoryOrCreate" } },
                                        { name: "backup", hostPath: { path: args.config.hostPath, type: "DirectoryOrCreate" } },
                                        { name: "scripts", configMap: { name: "etcd-backup", defaultMode: 0o555 } },
                                        { name: "tmp", emptyDir: {} },
                                    ],
                                },
                            },
                        },
                    },
                },
            }, { ...o, dependsOn: [...(args.dependsOn ?? []), scriptMap] });
        }
        this.registerOutputs({});
    }
}
