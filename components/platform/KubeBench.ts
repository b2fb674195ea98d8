import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface KubeBenchArgs {
    /** The local registry's host, which keeps the kube-bench image; no default. */
    readonly registryHost: string;
    /** The kube-bench release; default KUBE_BENCH_VERSION. */
    readonly version?: string;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: its namespace; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The kube-bench release, mirrored into the local registry as aquasec/kube-bench. */
export const KUBE_BENCH_VERSION = "v0.10.6";

/** What kube-bench reads on a control plane, all read-only. */
const HOST_PATHS: Readonly<Record<string, string>> = {
    "var-lib-etcd": "/var/lib/etcd",
    "var-lib-kubelet": "/var/lib/kubelet",
    "etc-systemd": "/etc/systemd",
    "lib-systemd": "/lib/systemd",
    "etc-kubernetes": "/etc/kubernetes",
    "etc-cni-netd": "/etc/cni/net.d",
    "opt-cni-bin": "/opt/cni/bin",
    "usr-bin": "/usr/bin",
};

/**
 * The CIS Kubernetes benchmark (technote 000 "Security": kube-bench) as a Job on a control plane, so the
 * admins read the results in its log (`kubectl -n kube-bench logs job/kube-bench`). It needs the host's
 * PID namespace and configuration, which is why its namespace is privileged, with that reason written on
 * it and in the stack's policy config.
 */
export class KubeBench extends pulumi.ComponentResource {
    constructor(name: string, args: KubeBenchArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:KubeBench", name, {}, opts);
        const version = args.version ?? KUBE_BENCH_VERSION;
        // A new release is a new Job, so each run's log stays with its version.
        new k8s.batch.v1.Job(`${name}-job`, {
            metadata: { name: `kube-bench-${version.replace(/\./g, "-")}`, namespace: "kube-bench", labels: { app: "kube-bench" } },
            spec: {
                backoffLimit: 0,
                template: {
                    metadata: { labels: { app: "kube-bench" } },
                    spec: {
                        hostPID: true,
                        restartPolicy: "Never",
                        nodeSelector: { "node-role.kubernetes.io/control-plane": "" },
                        tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
                        containers: [{
                            name: "kube-bench",
                            image: `${args.registryHost}/aquasec/kube-bench:${version}`,
                            command: ["kube-bench", "run", "--targets", "master,node,etcd,policies"],
                            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                            volumeMounts: Object.entries(HOST_PATHS).map(([volume, path]) => ({
                                name: volume,
                                mountPath: volume === "usr-bin" ? "/usr/local/mount-from-host/bin" : path,
                                readOnly: true,
                            })),
                        }],
                        volumes: Object.entries(HOST_PATHS).map(([volume, path]) => ({ name: volume, hostPath: { path } })),
                    },
                },
            },
        }, { parent: this, provider: args.provider, dependsOn: args.dependsOn });
        this.registerOutputs({});
    }
}
