import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { configHash } from "./configHash";
import { podScript } from "./podScripts";

/** The python the check runs on, mirrored into the local registry as library/python. */
export const PYTHON_TAG = "3.13-alpine";

export interface MulticastCheckArgs {
    /** The local registry's host, which keeps the official python image; no default. */
    readonly registryHost: string;
    /** The python image's tag; default PYTHON_TAG. */
    readonly pythonTag?: string;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: its namespace; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

const NAMESPACE = "multicast-check";

/**
 * Technote 003 "Multicast Testing", as a check the operator switches on: a sender and a receiver of
 * components/scripts/multicast-check.py on two different nodes (the receiver may never share a node
 * with the sender), so what it reports crossed the overlay. The answer is in the receiver's log:
 * `kubectl -n multicast-check logs deploy/multicast-receiver` prints "multicast: OK ..." or
 * "multicast: FAILED ..." every window.
 */
export class MulticastCheck extends pulumi.ComponentResource {
    constructor(name: string, args: MulticastCheckArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:MulticastCheck", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const codeData = { "multicast-check.py": podScript("multicast-check.py") };
        const code = new k8s.core.v1.ConfigMap(`${name}-script`, {
            metadata: { name: "multicast-check", namespace: NAMESPACE },
            data: codeData,
        }, o);
        // A new script reaches the running pods: the changed hash rolls them.
        const annotations = configHash({ "configmap/multicast-check": codeData });
        const image = `${args.registryHost}/library/python:${args.pythonTag ?? PYTHON_TAG}`;
        for (const role of ["sender", "receiver"] as const) {
            const labels = { app: "multicast-check", role };
            const other = role === "sender" ? "receiver" : "sender";
            new k8s.apps.v1.Deployment(`${name}-${role}`, {
                metadata: { name: `multicast-${role}`, namespace: NAMESPACE, labels },
                spec: {
                    replicas: 1,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: { labels, annotations },
                        spec: {
                            affinity: {
                                podAntiAffinity: {
                                    requiredDuringSchedulingIgnoredDuringExecution: [{
                                        labelSelector: { matchLabels: { app: "multicast-check", role: other } },
                                        topologyKey: "kubernetes.io/hostname",
                                    }],
                                },
                            },
                            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [{
                                name: role,
                                image,
                                command: ["python3", "/scripts/multicast-check.py", role === "sender" ? "send" : "receive"],
                                env: [{ name: "PYTHONUNBUFFERED", value: "1" }],
                                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                                volumeMounts: [{ name: "script", mountPath: "/scripts", readOnly: true }],
                            }],
                            volumes: [{ name: "script", configMap: { name: "multicast-check" } }],
                        },
                    },
                },
            }, { ...o, dependsOn: [...(args.dependsOn ?? []), code] });
        }
        this.registerOutputs({});
    }
}
