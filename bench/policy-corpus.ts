/**
 * Writes the manifests the `policy check` benchmarks read: a realistic mix of the kinds the pack judges
 * (workloads, Services, Ingresses, RBAC, config, storage), mostly compliant on dev with a few violations of
 * each policy, the same for every run (a seeded generator).
 *
 *   ts-node --transpile-only bench/policy-corpus.ts DIR
 *
 * DIR/four/part-{1..4}.yaml: 10 000 objects in four files; DIR/one-10k.yaml: the same 10 000 in one file;
 * DIR/one-40k.yaml: 40 000 in one file; DIR/one-object.yaml: one Deployment; DIR/empty.yaml.
 */
import * as fs from "fs";
import * as path from "path";

/** A small deterministic generator (mulberry32), so every run writes the same bytes. */
function random(seed: number): () => number {
    let a = seed;
    return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const NAMESPACES = ["jupyter-lsst", "htcondor", "registry", "monitoring", "qserv", "rubin-apps", "kube-system"];
const TEAMS = ["alerts", "butler", "prompt", "sasquatch", "times-square", "gafaelfawr", "portal", "tap"];

interface Ctx { rnd: () => number; i: number; ns: string; name: string; bad: boolean }

function pick<T>(rnd: () => number, xs: readonly T[]): T {
    return xs[Math.floor(rnd() * xs.length)];
}

function container(c: Ctx, jupyter: boolean): string {
    const image = c.bad && c.rnd() < 0.3 ? "quay.io/someone/app:latest" : `registry.lsst-dev.example.org/${pick(c.rnd, TEAMS)}/app:w_2026_${10 + (c.i % 40)}`;
    const privileged = c.bad && c.rnd() < 0.3 ? "\n    privileged: yes" : "";
    const escalation = c.bad && c.rnd() < 0.2 ? "" : "\n    allowPrivilegeEscalation: false";
    const cpu = jupyter && c.bad && c.rnd() < 0.3 ? "8" : "1";
    const readOnly = c.bad && c.rnd() < 0.3 ? "false" : "true";
    return `- name: app
  image: ${image}
  args: ["--port", "8080", "--log-level", "info"]
  ports:
    - { name: http, containerPort: 8080, protocol: TCP }
  env:
    - { name: LOG_FORMAT, value: json }
    - name: DB_PASSWORD
      valueFrom: { secretKeyRef: { name: ${c.name}-db, key: password } }
  securityContext:${escalation}${privileged}
    readOnlyRootFilesystem: true
    capabilities: { drop: [ALL] }
  resources:
    requests: { cpu: 500m, memory: 1Gi }
    limits: { cpu: "${cpu}", memory: 2Gi }
  readinessProbe:
    httpGet: { path: /healthz, port: http }
    periodSeconds: 10
  volumeMounts:
    - { name: datasets, mountPath: /datasets, readOnly: ${readOnly} }
    - { name: tmp, mountPath: /tmp }
`;
}

function podSpec(c: Ctx, indent: string): string {
    const hostNetwork = c.bad && c.rnd() < 0.2 ? "\nhostNetwork: true" : "";
    const spec = `serviceAccountName: ${c.name}
securityContext:
  runAsNonRoot: true
  runAsUser: ${1000 + (c.i % 5000)}
  fsGroup: 1000
  seccompProfile: { type: RuntimeDefault }${hostNetwork}
containers:
${container(c, c.ns === "jupyter-lsst")}volumes:
  - name: datasets
    persistentVolumeClaim: { claimName: datasets, readOnly: true }
  - name: tmp
    emptyDir: { sizeLimit: 1Gi }
`;
    return spec.split("\n").map((l) => (l ? indent + l : l)).join("\n");
}

function metadata(c: Ctx, kind: string): string {
    const ns = c.bad && c.rnd() < 0.15 ? "" : `\n  namespace: ${c.ns}`;
    return `apiVersion: ${apiVersion(kind)}
kind: ${kind}
metadata:
  name: ${c.name}${ns}
  labels:
    app.kubernetes.io/name: ${c.name}
    app.kubernetes.io/part-of: ${pick(c.rnd, TEAMS)}
    app.kubernetes.io/managed-by: lsst-k8s
  annotations:
    lsst.io/owner: "${pick(c.rnd, TEAMS)}-team@lsst.example.org"
`;
}

function apiVersion(kind: string): string {
    if (["Deployment", "StatefulSet", "DaemonSet"].includes(kind)) {
        return "apps/v1";
    }
    if (["Job", "CronJob"].includes(kind)) {
        return "batch/v1";
    }
    if (["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"].includes(kind)) {
        return "rbac.authorization.k8s.io/v1";
    }
    if (["Ingress", "NetworkPolicy"].includes(kind)) {
        return "networking.k8s.io/v1";
    }
    return "v1";
}

const WRITERS: Record<string, (c: Ctx) => string> = {
    Deployment: (c) => `${metadata(c, "Deployment")}spec:
  replicas: 2
  selector:
    matchLabels: { app: ${c.name} }
  template:
    metadata:
      labels: { app: ${c.name} }
    spec:
${podSpec(c, "      ")}`,
    StatefulSet: (c) => `${metadata(c, "StatefulSet")}spec:
  serviceName: ${c.name}
  replicas: 3
  selector:
    matchLabels: { app: ${c.name} }
  template:
    metadata:
      labels: { app: ${c.name} }
    spec:
${podSpec(c, "      ")}`,
    CronJob: (c) => `${metadata(c, "CronJob")}spec:
  schedule: "17 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
${podSpec(c, "          ")}`,
    Pod: (c) => `${metadata(c, "Pod")}spec:
${podSpec(c, "  ")}`,
    Service: (c) => `${metadata(c, "Service")}spec:
  type: ${c.bad && c.rnd() < 0.4 ? "NodePort" : "ClusterIP"}
  selector: { app: ${c.name} }
  ports:
    - { name: http, port: 80, targetPort: http, protocol: TCP }
`,
    Ingress: (c) => `${metadata(c, "Ingress")}spec:
  ingressClassName: nginx
  rules:
    - host: ${c.name}.lsst.example.org
      http:
        paths:
          - { path: /, pathType: Prefix, backend: { service: { name: ${c.name}, port: { number: 80 } } } }
`,
    ConfigMap: (c) => `${metadata(c, "ConfigMap")}data:
  LOG_LEVEL: info
  settings.yaml: |
    server:
      port: 8080
      workers: ${1 + (c.i % 8)}
    butler:
      repo: s3://butler-${c.i % 13}/repo
`,
    Secret: (c) => `${metadata(c, "Secret")}type: Opaque
stringData:
  password: placeholder-${c.i}
`,
    ServiceAccount: (c) => `${metadata(c, "ServiceAccount")}automountServiceAccountToken: false
`,
    Role: (c) => `${metadata(c, "Role")}rules:
  - apiGroups: [""]
    resources: [configmaps, pods]
    verbs: [get, list, watch]
  - apiGroups: [apps]
    resources: [deployments]
    verbs: ${c.bad && c.rnd() < 0.5 ? '["*"]' : "[get, list, watch, patch]"}
`,
    RoleBinding: (c) => `${metadata(c, "RoleBinding")}roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${c.name} }
subjects:
  - { kind: ServiceAccount, name: ${c.name}, namespace: ${c.ns} }
  - { kind: Group, apiGroup: rbac.authorization.k8s.io, name: "lsst-dev:${pick(c.rnd, TEAMS)}" }
`,
    ClusterRoleBinding: (c) => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${c.name}
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${c.bad && c.rnd() < 0.5 ? "cluster-admin" : "view"} }
subjects:
  - { kind: Group, apiGroup: rbac.authorization.k8s.io, name: "lsst-dev:${pick(c.rnd, TEAMS)}" }
`,
    PersistentVolumeClaim: (c) => `${metadata(c, "PersistentVolumeClaim")}spec:
  accessModes: [ReadWriteOnce]
  storageClassName: nfs-client
  resources: { requests: { storage: 10Gi } }
`,
    NetworkPolicy: (c) => `${metadata(c, "NetworkPolicy")}spec:
  podSelector: { matchLabels: { app: ${c.name} } }
  policyTypes: [Ingress]
  ingress:
    - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: ${c.ns} } } }]
`,
};

/** How often each kind appears, roughly as in a platform's manifests. */
const MIX: ReadonlyArray<[string, number]> = [
    ["Deployment", 20], ["StatefulSet", 4], ["CronJob", 3], ["Pod", 3], ["Service", 16], ["Ingress", 1],
    ["ConfigMap", 14], ["Secret", 6], ["ServiceAccount", 8], ["Role", 6], ["RoleBinding", 6],
    ["ClusterRoleBinding", 2], ["PersistentVolumeClaim", 5], ["NetworkPolicy", 4],
];
const KINDS = MIX.flatMap(([kind, n]) => Array<string>(n).fill(kind));

/** `count` objects, about one in twenty with a violation. */
export function objects(count: number, seed = 1): string[] {
    const rnd = random(seed);
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
        const kind = KINDS[Math.floor(rnd() * KINDS.length)];
        const c: Ctx = { rnd, i, ns: pick(rnd, NAMESPACES), name: `${pick(rnd, TEAMS)}-${kind.toLowerCase()}-${i}`, bad: rnd() < 0.05 };
        out.push(WRITERS[kind](c));
    }
    return out;
}

function write(file: string, docs: readonly string[]): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, docs.join("---\n"));
}

function main(dir: string | undefined): void {
    if (!dir) {
        process.stderr.write("usage: ts-node bench/policy-corpus.ts DIR\n");
        process.exit(2);
    }
    const tenK = objects(10_000);
    for (let part = 0; part < 4; part++) {
        write(path.join(dir, "four", `part-${part + 1}.yaml`), tenK.slice(part * 2_500, (part + 1) * 2_500));
    }
    write(path.join(dir, "one-10k.yaml"), tenK);
    write(path.join(dir, "one-40k.yaml"), objects(40_000, 2));
    write(path.join(dir, "one-object.yaml"), [WRITERS.Deployment({ rnd: random(3), i: 0, ns: "rubin-apps", name: "app", bad: false })]);
    write(path.join(dir, "empty.yaml"), []);
}

if (require.main === module) {
    main(process.argv[2]);
}
