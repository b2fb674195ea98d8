import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CondorConfig, CondorPool } from "../../config";
import { claimName, FILESET_MOUNTS } from "./Filesets";

export interface CondorPoolsArgs {
    /** The HTCondor settings from the platform config; no default. */
    readonly config: CondorConfig;
    /** Whether the filesets are declared, so /software can be mounted; default false. */
    readonly filesets?: boolean;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: the namespaces it goes into; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The namespace of a pool: each pool has its own (technote 000 "Batch Services", K8s assumption 4). */
export function poolNamespace(pool: CondorPool): string {
    return `htcondor-${pool.name}`;
}

/**
 * The startd configuration of one pool, written as HTCondor's `KEY = value` lines from an object. The
 * LSSTProcessingType ClassAd is what moves capacity between pools (use cases BCS 1-4): change it, or the
 * pool's replicas, in config.
 */
export function condorConfig(config: CondorConfig, pool: CondorPool): string {
    const settings: Record<string, string> = {
        CONDOR_HOST: config.centralManager,
        DAEMON_LIST: "MASTER, STARTD",
        // Pods come and go: each advertises itself under its pod name.
        STARTD_NAME: "$(HOSTNAME)",
        LSSTProcessingType: `"${pool.processingType}"`,
        STARTD_ATTRS: "$(STARTD_ATTRS) LSSTProcessingType",
        // Only jobs that ask for this pool's processing type run here.
        START: "(TARGET.LSSTProcessingType =?= MY.LSSTProcessingType)",
        // The whole pod is one partitionable slot, as a whole node would be.
        NUM_SLOTS: "1",
        NUM_SLOTS_TYPE_1: "1",
        SLOT_TYPE_1: "100%",
        SLOT_TYPE_1_PARTITIONABLE: "True",
    };
    return "# Written by lsst-k8s; changes here are overwritten.\n" +
        Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n";
}

/**
 * HTCondor worker pools inside the cluster (technote 000 "Batch Services"): long-running startds that
 * join the central manager outside the cluster, one Deployment per pool in the pool's namespace,
 * HTCondor and the LSST stack read from /software, mounted read-only.
 */
export class CondorPools extends pulumi.ComponentResource {
    constructor(name: string, args: CondorPoolsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:CondorPools", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        for (const pool of args.config.pools) {
            const namespace = poolNamespace(pool);
            const labels = { app: "htcondor-startd", "lsst-k8s.io/pool": pool.name };
            const config = new k8s.core.v1.ConfigMap(`${name}-${pool.name}-config`, {
                metadata: { name: "condor-config", namespace },
                data: { "50-lsst-k8s.conf": condorConfig(args.config, pool) },
            }, o);
            const software = FILESET_MOUNTS.software;
            new k8s.apps.v1.Deployment(`${name}-${pool.name}`, {
                metadata: { name: `startd-${pool.name}`, namespace, labels },
                spec: {
                    replicas: pool.replicas,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels },
                        spec: {
                            securityContext: { runAsNonRoot: true, runAsUser: 64, runAsGroup: 64, seccompProfile: { type: "RuntimeDefault" } },
                            // A startd finishing its jobs is given the time to hand them back.
                            terminationGracePeriodSeconds: 300,
                            containers: [{
                                name: "startd",
                                image: args.config.image,
                                env: [{ name: "CONDOR_HOST", value: args.config.centralManager }],
                                resources: {
                                    requests: { cpu: pool.cpu, memory: pool.memory },
                                    limits: { cpu: pool.cpu, memory: pool.memory },
                                },
                                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                                volumeMounts: [
                                    { name: "condor-config", mountPath: "/etc/condor/config.d/50-lsst-k8s.conf", subPath: "50-lsst-k8s.conf", readOnly: true },
                                    ...(args.filesets ? [{ name: "software", mountPath: software.path, readOnly: true }] : []),
                                ],
                            }],
                            volumes: [
                                { name: "condor-config", configMap: { name: "condor-config" } },
                                ...(args.filesets ? [{ name: "software", persistentVolumeClaim: { claimName: claimName("software"), readOnly: true } }] : []),
                            ],
                        },
                    },
                },
            }, { ...o, dependsOn: [...(args.dependsOn ?? []), config] });
        }
        this.registerOutputs({});
    }
}
