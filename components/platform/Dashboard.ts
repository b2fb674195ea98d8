import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface DashboardArgs {
    /** The local registry's host, which keeps the dashboard's images; no default. */
    readonly registryHost: string;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: its namespace; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The dashboard's releases, mirrored into the local registry under kubernetesui/. */
export const DASHBOARD_VERSION = "v2.7.0";
export const METRICS_SCRAPER_VERSION = "v1.0.8";

const NAMESPACE = "kubernetes-dashboard";
const NAME = "kubernetes-dashboard";
/** The secrets the dashboard keeps its own state in: the only ones its role may touch. */
const OWN_SECRETS = ["kubernetes-dashboard-key-holder", "kubernetes-dashboard-certs", "kubernetes-dashboard-csrf"];

/**
 * A read-only Kubernetes Dashboard (technote 003 "Dashboard", without its admin-user bound to
 * cluster-admin, which is exactly what must not be rebuilt): it grants nothing of its own. Every user
 * signs in with their own token, so the dashboard shows what their RBAC lets them see, and it is reached
 * only through `kubectl proxy` or `kubectl port-forward`: a ClusterIP Service, no Ingress, no skip-login.
 */
export class Dashboard extends pulumi.ComponentResource {
    constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:Dashboard", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const labels = { "k8s-app": NAME };
        const metadata = { name: NAME, namespace: NAMESPACE, labels };
        const image = (component: string, version: string) => `${args.registryHost}/kubernetesui/${component}:${version}`;
        const restricted = {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            readOnlyRootFilesystem: true,
        };
        const podSecurity = { runAsNonRoot: true, runAsUser: 1001, runAsGroup: 2001, seccompProfile: { type: "RuntimeDefault" } };

        // Its own account, so the default one's pull secret does not reach it: it carries its own.
        const account = new k8s.core.v1.ServiceAccount(`${name}-account`, { metadata, imagePullSecrets: [{ name: "registry-pull" }] }, o);
        for (const secret of OWN_SECRETS) {
            new k8s.core.v1.Secret(`${name}-${secret}`, {
                metadata: { name: secret, namespace: NAMESPACE, labels },
                type: "Opaque",
            }, { ...o, ignoreChanges: ["data", "stringData"] });
        }
        new k8s.core.v1.ConfigMap(`${name}-settings`, { metadata: { name: "kubernetes-dashboard-settings", namespace: NAMESPACE, labels } }, o);

        const role = new k8s.rbac.v1.Role(`${name}-role`, {
            metadata,
            rules: [
                { apiGroups: [""], resources: ["secrets"], resourceNames: OWN_SECRETS, verbs: ["get", "update", "delete"] },
                { apiGroups: [""], resources: ["configmaps"], resourceNames: ["kubernetes-dashboard-settings"], verbs: ["get", "update"] },
                { apiGroups: [""], resources: ["services/proxy"], resourceNames: ["dashboard-metrics-scraper", "http:dashboard-metrics-scraper"], verbs: ["get"] },
            ],
        }, o);
        new k8s.rbac.v1.RoleBinding(`${name}-role-binding`, {
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NAME },
            subjects: [{ kind: "ServiceAccount", name: NAME, namespace: NAMESPACE }],
        }, { ...o, dependsOn: [...(args.dependsOn ?? []), role, account] });
        // The metrics scraper reads resource metrics; nothing else is cluster-wide.
        const metricsRole = new k8s.rbac.v1.ClusterRole(`${name}-metrics`, {
            metadata: { name: NAME, labels },
            rules: [{ apiGroups: ["metrics.k8s.io"], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] }],
        }, o);
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-metrics-binding`, {
            metadata: { name: NAME, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NAME },
            subjects: [{ kind: "ServiceAccount", name: NAME, namespace: NAMESPACE }],
        }, { ...o, dependsOn: [...(args.dependsOn ?? []), metricsRole, account] });

        new k8s.core.v1.Service(`${name}-service`, {
            metadata,
            spec: { type: "ClusterIP", selector: labels, ports: [{ port: 443, targetPort: 8443 }] },
        }, o);
        new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata,
            spec: {
                replicas: 1,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: NAME,
                        securityContext: podSecurity,
                        containers: [{
                            name: NAME,
                            image: image("dashboard", DASHBOARD_VERSION),
                            // Sign-in with a token only: no --enable-skip-login, no --enable-insecure-login.
                            args: ["--auto-generate-certificates", `--namespace=${NAMESPACE}`],
                            ports: [{ containerPort: 8443, protocol: "TCP" }],
                            livenessProbe: { httpGet: { scheme: "HTTPS", path: "/", port: 8443 }, initialDelaySeconds: 30, timeoutSeconds: 30 },
                            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                            securityContext: restricted,
                            volumeMounts: [
                                { name: "certs", mountPath: "/certs" },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        }],
                        volumes: [
                            { name: "certs", secret: { secretName: "kubernetes-dashboard-certs" } },
                            { name: "tmp", emptyDir: {} },
                        ],
                        tolerations: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
                    },
                },
            },
        }, { ...o, dependsOn: [...(args.dependsOn ?? []), account] });

        const scraper = { "k8s-app": "dashboard-metrics-scraper" };
        new k8s.core.v1.Service(`${name}-scraper-service`, {
            metadata: { name: "dashboard-metrics-scraper", namespace: NAMESPACE, labels: scraper },
            spec: { type: "ClusterIP", selector: scraper, ports: [{ port: 8000, targetPort: 8000 }] },
        }, o);
        new k8s.apps.v1.Deployment(`${name}-scraper`, {
            metadata: { name: "dashboard-metrics-scraper", namespace: NAMESPACE, labels: scraper },
            spec: {
                replicas: 1,
                selector: { matchLabels: scraper },
                template: {
                    metadata: { labels: scraper },
                    spec: {
                        serviceAccountName: NAME,
                        securityContext: podSecurity,
                        containers: [{
                            name: "dashboard-metrics-scraper",
                            image: image("metrics-scraper", METRICS_SCRAPER_VERSION),
                            ports: [{ containerPort: 8000, protocol: "TCP" }],
                            livenessProbe: { httpGet: { scheme: "HTTP", path: "/", port: 8000 }, initialDelaySeconds: 30, timeoutSeconds: 30 },
                            resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
                            securityContext: restricted,
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        }],
                        volumes: [{ name: "tmp", emptyDir: {} }],
                    },
                },
            },
        }, { ...o, dependsOn: [...(args.dependsOn ?? []), account] });
        this.registerOutputs({});
    }
}
