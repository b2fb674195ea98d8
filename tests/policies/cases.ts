/**
 * The pack's own cases as one corpus: each object with the pack's verdict under the config its suite
 * judges it with. The pack's suites (cases.test.ts) and the admission differential
 * (tools/e2e/admission.ts), which submits every object to a real API server running the cluster's
 * ValidatingAdmissionPolicies, read the same objects. Every object is complete enough for the API
 * server to accept or refuse on policy alone (selectors, container names, ports), and no Pod is
 * refused by Pod Security restricted, so only the policies under test decide.
 */
import { KubeObject } from "../../policies/lib/kube";
import { PackConfig } from "../../policies/lib/runner";

/** What a corpus is written for: the registry the stack trusts, and the admin group. */
export interface CorpusParams {
    /** A registry the config trusts, port included when it has one. */
    readonly trusted: string;
    /** The group that may hold cluster-admin. */
    readonly adminGroup: string;
}

export interface PolicyCase {
    /** Unique in the corpus, lower-kebab: it names the object too. */
    readonly name: string;
    /** The pack policy the case is about. */
    readonly policy: string;
    readonly object: KubeObject;
    /** The pack config its suite judges it with (the policy's own part). */
    readonly config: PackConfig;
    /** The pack's verdict under config: no mandatory violation of the policy. */
    readonly allowed: boolean;
}

export const SHA256 = "0123456789abcdef".repeat(4);
/** The JupyterLab namespace, where jupyterlab-bounds asks every container for resources. */
const NS = "jupyter-lsst";
/** Where the other workloads run: outside NS, so that only their own policy decides them. */
const APPS = "lsst-apps";
const RBAC = "rbac.authorization.k8s.io";

/** A restricted-compliant container, so that Pod Security never decides a case. */
export function container(name: string, image: string, extra: KubeObject = {}): KubeObject {
    return {
        name, image,
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        ...extra,
    };
}

/** A Deployment of SPEC (a pod spec) named NAME in NAMESPACE; null for none. */
export function deployment(name: string, spec: KubeObject, namespace: string | null = APPS): KubeObject {
    return {
        apiVersion: "apps/v1", kind: "Deployment",
        metadata: { name, ...(namespace === null ? {} : { namespace }) },
        spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec } },
    };
}

export function daemonSet(name: string, spec: KubeObject, namespace = "monitoring"): KubeObject {
    return {
        apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name, namespace },
        spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec } },
    };
}

export function service(name: string, spec: KubeObject, namespace: string | null = APPS): KubeObject {
    return {
        apiVersion: "v1", kind: "Service", metadata: { name, ...(namespace === null ? {} : { namespace }) },
        spec: { selector: { app: "hub" }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
    };
}

function imageCases(p: CorpusParams): PolicyCase[] {
    const config = (own: KubeObject = {}) => ({ "trusted-images": { registries: [p.trusted], ...own } });
    const image = `${p.trusted}/lsst/hub:4.1.0`;
    const one = (name: string, img: string, allowed: boolean, own: KubeObject = {}): PolicyCase => ({
        name: `images-${name}`, policy: "trusted-images", object: deployment(`images-${name}`, { containers: [container("hub", img)] }), config: config(own), allowed,
    });
    return [
        one("trusted-tagged", image, true),
        one("untrusted-registry", "ghcr.io/lsst/hub:4.1.0", false),
        one("lookalike-suffix", `${p.trusted}.evil.com/lsst/hub:4.1.0`, false),
        one("lookalike-path", `evil.com/${p.trusted}/hub:4.1.0`, false),
        one("docker-hub-not-trusted", "nginx:1.27", false),
        one("docker-hub-official", "nginx:1.27", true, { dockerHubOfficial: true }),
        one("docker-hub-official-library", "docker.io/library/nginx:1.27", true, { dockerHubOfficial: true }),
        one("docker-hub-official-index", "index.docker.io/library/nginx:1.27", true, { dockerHubOfficial: true }),
        one("docker-hub-unofficial", "bitnami/redis:7.2", false, { dockerHubOfficial: true }),
        one("docker-hub-listed", "bitnami/redis:7.2", true, { registries: ["index.docker.io"] }),
        one("latest", `${p.trusted}/lsst/hub:latest`, false),
        one("no-tag", `${p.trusted}/lsst/hub`, false),
        one("latest-with-digest", `${p.trusted}/lsst/hub:latest@sha256:${SHA256}`, false),
        one("digest-only", `${p.trusted}/lsst/hub@sha256:${SHA256}`, true),
        one("digest-required", image, false, { requireDigest: true }),
        one("digest-given", `${image}@sha256:${SHA256}`, true, { requireDigest: true }),
        one("bad-digest", `${image}@sha256:abc`, false),
        one("bad-tag", `${p.trusted}/lsst/hub:.hidden`, false),
        one("bad-component", `${p.trusted}/lsst/hub-:1`, false),
        one("empty-path-component", `${p.trusted}//hub:1`, false),
        one("underscore-host", "my_reg.example.org/app:1", false),
        one("bad-port", "registry.example.org:99999/app:1", false),
        one("scheme", "https://registry.example.org/app:1", false),
        one("long-name", `${"a".repeat(256)}:1`, false),
        {
            name: "images-init-container", policy: "trusted-images", config: config(), allowed: false,
            object: deployment("images-init-container", { containers: [container("hub", image)], initContainers: [container("init", "ghcr.io/x/init:1")] }),
        },
        {
            name: "images-exempt-namespace", policy: "trusted-images", allowed: true,
            config: config({ exemptions: [{ namespace: APPS, reason: "vendor chart, reviewed" }] }),
            object: deployment("images-exempt-namespace", { containers: [container("hub", "busybox")] }),
        },
        {
            name: "images-exempt-other-object", policy: "trusted-images", allowed: false,
            config: config({ exemptions: [{ kind: "Deployment", name: "other", reason: "another object" }] }),
            object: deployment("images-exempt-other-object", { containers: [container("hub", "busybox")] }),
        },
        {
            name: "images-cronjob", policy: "trusted-images", config: config(), allowed: false,
            object: {
                apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "images-cronjob", namespace: APPS },
                spec: { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: { restartPolicy: "Never", containers: [container("job", "busybox:1.36")] } } } } },
            },
        },
    ];
}

function exposureCases(p: CorpusParams): PolicyCase[] {
    const img = `${p.trusted}/lsst/agent:1.0`;
    const approve = (approved: KubeObject[]) => ({ "public-exposure": { approved } });
    const ok = { kind: "Service", namespace: APPS, name: "exposure-approved-lb", reason: "JupyterHub's public endpoint (sysadmin, ticket 42)" };
    const c = (name: string, object: KubeObject, allowed: boolean, config: PackConfig = {}): PolicyCase =>
        ({ name: `exposure-${name}`, policy: "public-exposure", object, config, allowed });
    return [
        c("cluster-ip", service("exposure-cluster-ip", { type: "ClusterIP" }), true),
        c("external-name", service("exposure-external-name", { type: "ExternalName", externalName: "db.example.org", selector: undefined, ports: undefined }), true),
        c("load-balancer", service("exposure-load-balancer", { type: "LoadBalancer" }), false),
        c("node-port", service("exposure-node-port", { type: "NodePort" }), false),
        c("external-ips", service("exposure-external-ips", { externalIPs: ["192.0.2.10", "192.0.2.11"] }), false),
        c("ingress", {
            apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "exposure-ingress", namespace: APPS },
            spec: { rules: [{ host: "hub.example.org", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "hub", port: { number: 80 } } } }] } }] },
        }, false),
        c("host-network", daemonSet("exposure-host-network", { hostNetwork: true, containers: [container("a", img)] }), false),
        c("host-port", daemonSet("exposure-host-port", { containers: [container("a", img, { ports: [{ containerPort: 80 }, { containerPort: 8080, hostPort: 8080 }] })] }), false),
        c("no-host-port", daemonSet("exposure-no-host-port", { hostNetwork: false, containers: [container("a", img, { ports: [{ containerPort: 9100 }] })] }), true),
        c("approved-lb", service("exposure-approved-lb", { type: "LoadBalancer" }), true, approve([ok])),
        c("approved-other-name", service("exposure-approved-other", { type: "LoadBalancer" }), false, approve([ok])),
        c("approved-no-reason", service("exposure-approved-lb", { type: "LoadBalancer" }), false, approve([{ ...ok, reason: "" }])),
        c("annotated", service("exposure-annotated", { type: "LoadBalancer" }), false),
        c("exempt-namespace", service("exposure-exempt", { type: "NodePort" }), true,
            { "public-exposure": { exemptions: [{ namespace: APPS, reason: "test cluster only" }] } }),
    ].map((x) => (x.name === "exposure-annotated"
        ? { ...x, object: { ...x.object, metadata: { ...x.object.metadata, annotations: { "lsst-k8s/public-exposure": "approved" } } } }
        : x));
}

function namespaceCases(p: CorpusParams): PolicyCase[] {
    const cm = (name: string, namespace?: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, ...(namespace ? { namespace } : {}) }, data: { a: "b" } });
    const c = (name: string, object: KubeObject, allowed: boolean): PolicyCase => ({ name: `namespace-${name}`, policy: "no-default-namespace", object, config: {}, allowed });
    return [
        c("own", cm("namespace-own", APPS), true),
        c("default", cm("namespace-default", "default"), false),
        c("none", cm("namespace-none"), false),
        c("service-none", service("namespace-service-none", {}, null), false),
        c("deployment-none", deployment("namespace-deployment-none", { containers: [container("hub", `${p.trusted}/lsst/hub:1.0`)] }, null), false),
        c("cluster-scoped", { apiVersion: `${RBAC}/v1`, kind: "ClusterRole", metadata: { name: "namespace-cluster-scoped" }, rules: [] }, true),
    ];
}

function roleCases(p: CorpusParams): PolicyCase[] {
    const admins = { kind: "Group", apiGroup: RBAC, name: p.adminGroup };
    const alice = { kind: "User", apiGroup: RBAC, name: "alice" };
    const masters = { kind: "Group", apiGroup: RBAC, name: "system:masters" };
    const hubSa = { kind: "ServiceAccount", name: "hub", namespace: NS };
    const config = { "restricted-roles": { adminGroup: p.adminGroup }, "cluster-admin-binding": { adminGroup: p.adminGroup } };
    const crb = (name: string, role: string, subjects: unknown[]) => ({
        apiVersion: `${RBAC}/v1`, kind: "ClusterRoleBinding", metadata: { name }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: role }, subjects,
    });
    const rb = (name: string, roleRef: KubeObject, subjects: unknown[]) => ({
        apiVersion: `${RBAC}/v1`, kind: "RoleBinding", metadata: { name, namespace: NS }, roleRef: { apiGroup: RBAC, ...roleRef }, subjects,
    });
    const cr = (name: string, rules: unknown[]) => ({ apiVersion: `${RBAC}/v1`, kind: "ClusterRole", metadata: { name }, rules });
    const role = (name: string, rules: unknown[]) => ({ apiVersion: `${RBAC}/v1`, kind: "Role", metadata: { name, namespace: NS }, rules });
    const c = (name: string, object: KubeObject, allowed: boolean): PolicyCase => ({ name: `roles-${name}`, policy: "restricted-roles", object, config, allowed });
    return [
        c("admins-cluster-admin", crb("roles-admins-cluster-admin", "cluster-admin", [admins]), true),
        c("view-to-people", crb("roles-view-to-people", "view", [alice, hubSa]), true),
        c("role-named-cluster-admin", rb("roles-role-named-cluster-admin", { kind: "Role", name: "cluster-admin" }, [alice]), true),
        c("cluster-admin-to-others", crb("roles-cluster-admin-to-others", "cluster-admin", [admins, alice, hubSa]), false),
        c("cluster-admin-rolebinding", rb("roles-cluster-admin-rolebinding", { kind: "ClusterRole", name: "cluster-admin" }, [{ kind: "Group", apiGroup: RBAC, name: "devs" }]), false),
        c("masters", crb("roles-masters", "view", [masters]), false),
        c("cluster-admin-twice", crb("roles-cluster-admin-twice", "cluster-admin", [admins, admins]), false),
        c("narrow", cr("roles-narrow", [{ apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] }, { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "patch"] }]), true),
        c("write-secrets", role("roles-write-secrets", [{ apiGroups: [""], resources: ["secrets"], verbs: ["create", "update", "delete"] }]), true),
        c("non-resource", cr("roles-non-resource", [{ nonResourceURLs: ["/healthz"], verbs: ["get"] }]), true),
        c("wildcard-verb", cr("roles-wildcard-verb", [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["*"] }]), false),
        c("wildcard-resource", cr("roles-wildcard-resource", [{ apiGroups: ["apps"], resources: ["deployments/*"], verbs: ["get"] }]), false),
        c("wildcard-group", cr("roles-wildcard-group", [{ apiGroups: ["*"], resources: ["deployments"], verbs: ["get"] }]), false),
        c("escalate", cr("roles-escalate", [{ apiGroups: [RBAC], resources: ["roles"], verbs: ["escalate"] }]), false),
        c("impersonate", cr("roles-impersonate", [{ apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }]), false),
        c("read-secrets", role("roles-read-secrets", [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }]), false),
        c("secrets-other-group", role("roles-secrets-other-group", [{ apiGroups: ["example.org"], resources: ["secrets"], verbs: ["get"] }]), true),
    ].map((x) => (x.name === "roles-cluster-admin-twice" ? { ...x, policy: "cluster-admin-binding" } : x));
}

function boundsCases(p: CorpusParams): PolicyCase[] {
    const img = `${p.trusted}/lsst/lab:1.0`;
    const res = (requests: [unknown, unknown], limits: [unknown, unknown]) => ({ requests: { cpu: requests[0], memory: requests[1] }, limits: { cpu: limits[0], memory: limits[1] } });
    const lab = (name: string, resources: KubeObject | undefined, namespace: string = NS) =>
        deployment(name, { containers: [container("lab", img, resources ? { resources } : {})] }, namespace);
    const lr = (name: string, item: KubeObject) => ({ apiVersion: "v1", kind: "LimitRange", metadata: { name, namespace: NS }, spec: { limits: [item, { type: "PersistentVolumeClaim", max: { storage: "100Gi" } }] } });
    const full = { type: "Container", min: { cpu: "500m", memory: "512Mi" }, max: { cpu: "4", memory: "8Gi" }, default: { cpu: "1", memory: "2Gi" }, defaultRequest: { cpu: "500m", memory: "1Gi" } };
    const c = (name: string, object: KubeObject, allowed: boolean): PolicyCase => ({ name: `bounds-${name}`, policy: "jupyterlab-bounds", object, config: {}, allowed });
    return [
        c("on-the-bounds", lab("bounds-on-the-bounds", res(["500m", "512Mi"], ["4", "8Gi"])), true),
        c("written-otherwise", lab("bounds-written-otherwise", res(["5e-1", "0.5Gi"], ["4000m", "8192Mi"])), true),
        c("cpu-below", lab("bounds-cpu-below", res(["250m", "1Gi"], ["1", "1Gi"])), false),
        c("memory-below", lab("bounds-memory-below", res(["1", "500Mi"], ["1", "1Gi"])), false),
        c("cpu-above", lab("bounds-cpu-above", res(["1", "1Gi"], ["4001m", "1Gi"])), false),
        c("memory-above", lab("bounds-memory-above", res(["1", "1Gi"], ["1", "8589934593"])), false),
        c("missing", lab("bounds-missing", undefined), false),
        c("missing-limit", lab("bounds-missing-limit", { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1" } }), false),
        c("other-namespace", lab("bounds-other-namespace", undefined, APPS), true),
        c("limit-range", lr("bounds-limit-range", full), true),
        c("limit-range-max-above", lr("bounds-limit-range-max-above", { ...full, max: { cpu: "16", memory: "8Gi" } }), false),
        c("limit-range-no-max", lr("bounds-limit-range-no-max", { type: "Container", default: { cpu: "1", memory: "1Gi" } }), false),
        c("limit-range-default-below", lr("bounds-limit-range-default-below", { ...full, min: undefined, defaultRequest: { cpu: "0.1", memory: "1Gi" } }), false),
    ];
}

function filesetCases(p: CorpusParams): PolicyCase[] {
    const img = `${p.trusted}/lsst/lab:1.0`;
    const volumes = [
        { name: "datasets", persistentVolumeClaim: { claimName: "datasets" } },
        { name: "software", nfs: { server: "nfs.lsst.org", path: "/software", readOnly: true } },
        { name: "scratch", emptyDir: {} },
    ];
    const good = [
        { name: "datasets", mountPath: "/datasets", readOnly: true },
        { name: "software", mountPath: "/software", readOnly: true },
        { name: "scratch", mountPath: "/datasets2" },
    ];
    const pod = (name: string, mounts: KubeObject[], extra: KubeObject[] = []) =>
        deployment(name, { containers: [container("lab", img, { volumeMounts: mounts })], volumes: [...volumes, ...extra] });
    const c = (name: string, mounts: KubeObject[], allowed: boolean, extra: KubeObject[] = []): PolicyCase =>
        ({ name: `filesets-${name}`, policy: "read-only-filesets", object: pod(`filesets-${name}`, mounts, extra), config: {}, allowed });
    return [
        c("read-only", good, true),
        c("writable-at-fileset", [{ ...good[0], readOnly: false }, good[1]], false),
        c("writable-below", [...good, { name: "scratch", mountPath: "/datasets/hsc/raw", subPath: "raw" }], false),
        c("untidy", [...good, { name: "scratch", mountPath: "//software/" }], false),
        c("backsteps", [...good, { name: "scratch", mountPath: "/datasets/../software" }], false),
        c("host-path-in-fileset", [...good, { name: "raw", mountPath: "/data" }], false, [{ name: "raw", hostPath: { path: "/datasets/hsc" } }]),
        c("host-path-read-only", [...good, { name: "raw", mountPath: "/data", readOnly: true }], true, [{ name: "raw", hostPath: { path: "/datasets/hsc" } }]),
        c("host-root-subpath", [...good, { name: "root", mountPath: "/opt", subPath: "software/lib" }], false, [{ name: "root", hostPath: { path: "/" } }]),
        c("host-root", [...good, { name: "root", mountPath: "/host" }], false, [{ name: "root", hostPath: { path: "/" } }]),
        c("host-root-other", [...good, { name: "root", mountPath: "/tmp2", subPath: "tmp" }], true, [{ name: "root", hostPath: { path: "/" } }]),
        c("host-sibling", [...good, { name: "other", mountPath: "/data" }], true, [{ name: "other", hostPath: { path: "/datasets2" } }]),
        c("nfs-not-read-only", [...good, { name: "raw", mountPath: "/data", readOnly: true }], false, [{ name: "raw", nfs: { server: "nfs.lsst.org", path: "/datasets/hsc" } }]),
        c("nfs-elsewhere-writable", [good[0], { name: "software", mountPath: "/opt/software", readOnly: false }], false),
        c("nfs-elsewhere-read-only", [good[0], { name: "software", mountPath: "/opt/software", readOnly: true }], true),
        c("twin", [...good, { name: "datasets", mountPath: "/scratch" }], false),
        c("twin-apart", [{ ...good[0], subPath: "hsc" }, good[1], { name: "datasets", mountPath: "/work", subPath: "work" }], true),
    ];
}

/** The exemption and the approval every stack's policy config carries, and an object they do not name. */
function stackExemptionCases(p: CorpusParams): PolicyCase[] {
    const provisioner = "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2";
    const exemption = { kind: "Deployment", namespace: "nfs-provisioner", name: "nfs-provisioner", reason: "pinned in the program" };
    const approval = { kind: "DaemonSet", namespace: "kube-system", name: "weave-net", reason: "the overlay" };
    const overlay = (name: string) => daemonSet(name, { hostNetwork: true, containers: [container("weave", `${p.trusted}/weave:2.8.1`)] }, "kube-system");
    return [
        {
            name: "stack-exempt-object", policy: "trusted-images", allowed: true,
            config: { "trusted-images": { registries: [p.trusted], exemptions: [exemption] } },
            object: deployment("nfs-provisioner", { containers: [container("nfs", provisioner)] }, "nfs-provisioner"),
        },
        {
            name: "stack-exempt-other-name", policy: "trusted-images", allowed: false,
            config: { "trusted-images": { registries: [p.trusted], exemptions: [exemption] } },
            object: deployment("nfs-provisioner-2", { containers: [container("nfs", provisioner)] }, "nfs-provisioner"),
        },
        { name: "stack-approved-overlay", policy: "public-exposure", allowed: true, config: { "public-exposure": { approved: [approval] } }, object: overlay("weave-net") },
        { name: "stack-unapproved-overlay", policy: "public-exposure", allowed: false, config: { "public-exposure": { approved: [approval] } }, object: overlay("weave-net-2") },
    ];
}

/** Every case, written for P. */
export function corpus(p: CorpusParams): PolicyCase[] {
    return [...imageCases(p), ...exposureCases(p), ...namespaceCases(p), ...roleCases(p), ...boundsCases(p), ...filesetCases(p), ...stackExemptionCases(p)];
}
