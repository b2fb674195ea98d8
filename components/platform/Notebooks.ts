import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as yaml from "js-yaml";
import { JupyterConfig } from "../../config";
import { multiply } from "./quantity";

export interface NotebooksArgs {
    /** The JupyterLab settings from the platform config; no default. */
    readonly config: JupyterConfig;
    /** The storage class of the users' home volumes, for the spawner; default the cluster's default class. */
    readonly homeStorageClass?: string;
    /** The notebook namespace; default "jupyter-lsst". */
    readonly namespace?: string;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: the namespaces it goes into; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Technote 000 "JupyterLab Requirements": 0.5 to 4 cores and 512MB to 8GB per concurrent user. The
 * LimitRange holds every notebook container inside those bounds; the ResourceQuota caps the namespace at
 * what the expected number of concurrent users may take at most.
 */
export const BOUNDS = { minCpu: "500m", maxCpu: "4", minMemory: "512Mi", maxMemory: "8Gi" } as const;

/** The quota, sized from the number of concurrent users. */
export function notebookQuota(config: JupyterConfig): Record<string, string> {
    const users = config.concurrentUsers;
    return {
        "requests.cpu": multiply(BOUNDS.maxCpu, users),
        "limits.cpu": multiply(BOUNDS.maxCpu, users),
        "requests.memory": multiply(BOUNDS.maxMemory, users),
        "limits.memory": multiply(BOUNDS.maxMemory, users),
        // One home volume per user (technote 000 "User Storage": 100GB), and one more as room for the
        // fileset claims, whose sizes are nominal.
        "requests.storage": multiply(config.homeSize, users + 1),
        persistentvolumeclaims: String(users + 10),
        // Each user's notebook, plus the hub and its proxy.
        pods: String(users + 5),
    };
}

/** The spawner's choices (KubeSpawner profile_list), inside the bounds. */
export function spawnerProfiles(config: JupyterConfig): Record<string, unknown>[] {
    return config.profiles.map((p, i) => ({
        display_name: `${p.name}: ${p.cpu} CPU, ${p.memory} RAM`,
        slug: p.name,
        ...(i === 0 ? { default: true } : {}),
        kubespawner_override: {
            cpu_guarantee: 0.5,
            cpu_limit: Number(p.cpu),
            mem_guarantee: "512M",
            mem_limit: p.memory.replace(/i$/, ""),
        },
    }));
}

/** The notebook namespace's bounds, quota and spawner profiles. */
export class Notebooks extends pulumi.ComponentResource {
    constructor(name: string, args: NotebooksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:Notebooks", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const namespace = args.namespace ?? "jupyter-lsst";
        new k8s.core.v1.LimitRange(`${name}-bounds`, {
            metadata: { name: "notebook-bounds", namespace },
            spec: {
                limits: [{
                    type: "Container",
                    min: { cpu: BOUNDS.minCpu, memory: BOUNDS.minMemory },
                    max: { cpu: BOUNDS.maxCpu, memory: BOUNDS.maxMemory },
                    defaultRequest: { cpu: BOUNDS.minCpu, memory: "1Gi" },
                    default: { cpu: "1", memory: "2Gi" },
                }],
            },
        }, o);
        new k8s.core.v1.ResourceQuota(`${name}-quota`, {
            metadata: { name: "notebook-quota", namespace },
            spec: { hard: notebookQuota(args.config) },
        }, o);
        new k8s.core.v1.ConfigMap(`${name}-profiles`, {
            metadata: { name: "spawner-profiles", namespace },
            data: {
                "profiles.yaml": yaml.dump(spawnerProfiles(args.config)),
                homeSize: args.config.homeSize,
                ...(args.homeStorageClass ? { homeStorageClass: args.homeStorageClass } : {}),
            },
        }, o);
        this.registerOutputs({});
    }
}
