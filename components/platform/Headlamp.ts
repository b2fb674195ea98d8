import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface HeadlampArgs {
    /** The local registry's host, which keeps Headlamp's image; no default. */
    readonly registryHost: string;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: its namespace and the registry; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The Headlamp release (kubernetes-sigs/headlamp), mirrored into the local registry as headlamp-k8s/headlamp. */
export const HEADLAMP_VERSION = "v0.45.0";
export const HEADLAMP_NAMESPACE = "headlamp";
/** Headlamp's own listening port (the backend's default, and the one its image exposes). */
export const HEADLAMP_PORT = 4466;
/**
 * The only audience of the token in Headlamp's pod. The API server accepts tokens for its own audience
 * alone, so this one authenticates nobody: it is there because in-cluster mode reads the host and CA
 * through client-go's InClusterConfig, which refuses to start without a token file, and then sends each
 * request with the signed-in user's token, never this one.
 */
export const HEADLAMP_TOKEN_AUDIENCE = "lsst-k8s.io/headlamp-no-api-access";

const NAME = "headlamp";
/** The image's user and group (its Alpine base's system account "headlamp"). */
const UID = 100;
const GID = 101;
/** Where client-go looks for the in-cluster token and CA. */
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Headlamp as the read-only web UI, in place of the retired Kubernetes Dashboard (technote 003
 * "Dashboard", without its admin-user bound to cluster-admin): it grants nothing of its own. Every user
 * signs in with their own token, so Headlamp shows what their RBAC lets them see; its ServiceAccount is
 * bound to nothing and its pod holds no token the API server accepts. It is reached only through
 * `kubectl port-forward`: a ClusterIP Service, no Ingress, no flag that signs anyone in as the pod.
 */
export class Headlamp extends pulumi.ComponentResource {
    constructor(name: string, args: HeadlampArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:Headlamp", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const labels = { "app.kubernetes.io/name": NAME };
        const metadata = { name: NAME, namespace: HEADLAMP_NAMESPACE, labels };

        // Its own account, so the default one's pull secret does not reach it: it carries its own.
        const account = new k8s.core.v1.ServiceAccount(`${name}-account`, {
            metadata,
            automountServiceAccountToken: false,
            imagePullSecrets: [{ name: "registry-pull" }],
        }, o);

        new k8s.core.v1.Service(`${name}-service`, {
            metadata,
            spec: { type: "ClusterIP", selector: labels, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
        }, o);

        // The SPA's index: what the upstream chart probes, served once the backend is up.
        const probe = { httpGet: { path: "/", port: "http", scheme: "HTTP" }, periodSeconds: 10, timeoutSeconds: 5 };
        new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata,
            spec: {
                replicas: 1,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: NAME,
                        automountServiceAccountToken: false,
                        securityContext: { runAsNonRoot: true, runAsUser: UID, runAsGroup: GID, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [{
                            name: NAME,
                            image: `${args.registryHost}/headlamp-k8s/headlamp:${HEADLAMP_VERSION}`,
                            // The image's entrypoint names the frontend and plugin directories. Sign-in is by
                            // token only: no -unsafe-use-service-account-token, no OIDC, no -enable-helm, no
                            // -enable-dynamic-clusters, no -insecure-ssl, no -dev.
                            args: ["-in-cluster"],
                            ports: [{ name: "http", containerPort: HEADLAMP_PORT, protocol: "TCP" }],
                            readinessProbe: probe,
                            livenessProbe: { ...probe, initialDelaySeconds: 15 },
                            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                            volumeMounts: [
                                // It copies the frontend to a temporary directory to serve it, and makes its
                                // plugin and kubeconfig directories under the user's config directory.
                                { name: "tmp", mountPath: "/tmp" },
                                { name: "config", mountPath: "/home/headlamp/.config" },
                                { name: "in-cluster", mountPath: SERVICE_ACCOUNT_DIR, readOnly: true },
                            ],
                        }],
                        volumes: [
                            { name: "tmp", emptyDir: {} },
                            { name: "config", emptyDir: {} },
                            {
                                // The layout of the volume Kubernetes would mount, but with a token for no API.
                                name: "in-cluster",
                                projected: {
                                    sources: [
                                        { serviceAccountToken: { audience: HEADLAMP_TOKEN_AUDIENCE, expirationSeconds: 600, path: "token" } },
                                        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                                        { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
                                    ],
                                },
                            },
                        ],
                    },
                },
            },
        }, { ...o, dependsOn: [...(args.dependsOn ?? []), account] });
        this.registerOutputs({});
    }
}
