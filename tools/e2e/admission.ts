/**
 * Control-plane tier step: the pack's rules in the cluster, differential. The stack's
 * ValidatingAdmissionPolicies and bindings (components/platform/admission, the objects
 * AdmissionPolicies declares) are made current on the real API server, and once they are active
 * every case of the shared corpus (tests/policies/cases.ts) is created with a server-side dry run and
 * judged by the pack under the same stack policy data; allowed or refused, the two must agree.
 */
import { ClusterConfig } from "../../config";
import { admissionManifests, ADMITTED_POLICIES, policyObjectName } from "../../components/platform/admission/rules";
import { stackPolicyData } from "../../components/platform/admission/data";
import { policies } from "../../policies/policies";
import { KubeObject, namespaceOf, typeOfManifest } from "../../policies/lib/kube";
import { PackConfig, runPolicies } from "../../policies/lib/runner";
import { corpus, PolicyCase } from "../../tests/policies/cases";
import { ApiResponse, ApiServer, pool, request } from "./api";
import { until } from "./processes";

export interface AdmissionResult {
    readonly submitted: number;
    readonly agreed: number;
    /** Of the agreed, how many both refuse. */
    readonly refused: number;
    /** The first disagreements, one line each. */
    readonly disagreements: string[];
}

const VAP_PATH = "/apis/admissionregistration.k8s.io/v1";

/** Where each corpus kind is created; NS is the object's namespace. */
const PATHS: Readonly<Record<string, string>> = {
    Pod: "api/v1/namespaces/NS/pods", Service: "api/v1/namespaces/NS/services", ConfigMap: "api/v1/namespaces/NS/configmaps",
    LimitRange: "api/v1/namespaces/NS/limitranges", PodTemplate: "api/v1/namespaces/NS/podtemplates",
    Deployment: "apis/apps/v1/namespaces/NS/deployments", DaemonSet: "apis/apps/v1/namespaces/NS/daemonsets",
    StatefulSet: "apis/apps/v1/namespaces/NS/statefulsets", ReplicaSet: "apis/apps/v1/namespaces/NS/replicasets",
    Job: "apis/batch/v1/namespaces/NS/jobs", CronJob: "apis/batch/v1/namespaces/NS/cronjobs",
    Ingress: "apis/networking.k8s.io/v1/namespaces/NS/ingresses",
    Role: "apis/rbac.authorization.k8s.io/v1/namespaces/NS/roles", RoleBinding: "apis/rbac.authorization.k8s.io/v1/namespaces/NS/rolebindings",
    ClusterRole: "apis/rbac.authorization.k8s.io/v1/clusterroles", ClusterRoleBinding: "apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
};

/** How long the API server's policy plugin may take to load a new policy or binding. */
const ACTIVE_WITHIN_MS = 30_000;


/** The stack's pack policies and bindings carry this label (rules.ts), and no other admission policy does. */
const MANAGED = "labelSelector=lsst-k8s.io%2Fpolicy";

async function must(api: ApiServer, method: string, at: string, body?: unknown): Promise<void> {
    const r = await request(api, method, at, body);
    if (r.status < 200 || r.status > 299) {
        throw new Error(`${method} ${at} (${r.status}): ${String(r.body.message)}`);
    }
}

/** For each policy that refuses, a case the pack refuses for that policy alone: the server names it once it enforces it. */
async function probesFor(data: PackConfig, cases: readonly PolicyCase[]): Promise<{ policy: string; probe: PolicyCase }[]> {
    const refusing = admissionManifests(data).filter((m) => m.binding.spec.validationActions.includes("Deny")).map((m) => m.policy);
    const probes: { policy: string; probe: PolicyCase }[] = [];
    for (const policy of refusing) {
        for (const c of cases) {
            const verdict = await packVerdict(c.object, data);
            if (!verdict.allowed && verdict.reasons.every((r) => r.startsWith(`${policy}: `))) {
                probes.push({ policy, probe: c });
                break;
            }
        }
    }
    return probes;
}

/**
 * C created with a dry run; where the stack already has an object of that name (the tier's cluster
 * runs the overlay and the provisioner the stack exemptions name), C replaces it with a dry run,
 * which the policies judge as they judge a create; what the verdict depends on is C's own.
 */
async function dryRun(api: ApiServer, c: PolicyCase): Promise<ApiResponse> {
    const collection = `/${PATHS[String(c.object.kind)].replace("NS", namespaceOf(c.object))}`;
    const created = await request(api, "POST", `${collection}?dryRun=All`, c.object);
    if (created.status !== 409) {
        return created;
    }
    const at = `${collection}/${String(c.object.metadata.name)}`;
    const current = await request(api, "GET", at);
    const held = current.body as KubeObject;
    // A workload's selector is immutable: the replacement keeps the one held, and the labels it selects.
    const spec = held.spec?.selector && c.object.spec?.template
        ? { ...c.object.spec, selector: held.spec.selector, template: { ...c.object.spec.template, metadata: { ...c.object.spec.template.metadata, labels: held.spec.template?.metadata?.labels } } }
        : c.object.spec;
    return request(api, "PUT", `${at}?dryRun=All`, { ...c.object, metadata: { ...c.object.metadata, resourceVersion: held.metadata?.resourceVersion }, spec });
}

/** A create (201) or a replacement (200) the API server accepted. */
function accepted(r: ApiResponse): boolean {
    return r.status === 201 || r.status === 200;
}

/**
 * The policies as the stack declares them, enforced when this returns. The policy plugin loads
 * policies and bindings from informers, a moment after they are written, and says nowhere which
 * version it runs (status.observedGeneration is the controller-manager's type checker, and the fast
 * suite runs none). So the policies are removed and the plugin seen without them (every probe
 * allowed), then created and seen with them: each probe refused by its own policy.
 */
export async function applyAdmissionPolicies(api: ApiServer, data: PackConfig, cluster: ClusterConfig): Promise<void> {
    const cases = stackCases(data, cluster);
    const probes = await probesFor(data, cases);
    await ensureNamespaces(api, [...new Set(probes.map((p) => namespaceOf(p.probe.object)))]);
    await must(api, "DELETE", `${VAP_PATH}/validatingadmissionpolicybindings?${MANAGED}`);
    await must(api, "DELETE", `${VAP_PATH}/validatingadmissionpolicies?${MANAGED}`);
    await until("the API server to run without the stack's admission policies", ACTIVE_WITHIN_MS, async () =>
        (await Promise.all(probes.map((p) => dryRun(api, p.probe)))).every(accepted));
    for (const m of admissionManifests(data)) {
        await must(api, "POST", `${VAP_PATH}/validatingadmissionpolicies`, m.vap);
        await must(api, "POST", `${VAP_PATH}/validatingadmissionpolicybindings`, m.binding);
    }
    await until("the API server to enforce the stack's admission policies", ACTIVE_WITHIN_MS, async () =>
        (await Promise.all(probes.map(async (p) => {
            const r = await dryRun(api, p.probe);
            return r.status === 403 && String(r.body.message).includes(`'${policyObjectName(p.policy)}'`);
        }))).every(Boolean));
}

/**
 * Removes the stack's policies and waits until the API server runs without them, for the tier's
 * later steps, which submit on purpose what the guidelines refuse (Pod Security's cases from
 * untrusted registries, a Secret in default) to judge other layers.
 */
export async function withdrawAdmissionPolicies(api: ApiServer): Promise<void> {
    await must(api, "DELETE", `${VAP_PATH}/validatingadmissionpolicybindings?${MANAGED}`);
    await must(api, "DELETE", `${VAP_PATH}/validatingadmissionpolicies?${MANAGED}`);
    const probe = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "lsst-k8s-admission-probe" } };
    await until("the API server to run without the stack's admission policies", ACTIVE_WITHIN_MS, async () =>
        (await request(api, "POST", "/api/v1/namespaces/default/configmaps?dryRun=All", probe)).status === 201);
}

/** The type checker's findings on the stack's policies (written by the controller-manager, when one runs). */
export async function typeWarnings(api: ApiServer): Promise<string[]> {
    const listed = await request(api, "GET", `${VAP_PATH}/validatingadmissionpolicies?${MANAGED}`);
    const items = (listed.body.items ?? []) as { metadata: { name: string }; status?: { typeChecking?: { expressionWarnings?: { fieldRef: string; warning: string }[] } } }[];
    return items.flatMap((i) => (i.status?.typeChecking?.expressionWarnings ?? []).map((w) => `${i.metadata.name} ${w.fieldRef}: ${w.warning}`));
}

/** The pack's verdict on OBJECT under DATA, by the policies the cluster enforces: no mandatory violation. */
export async function packVerdict(object: KubeObject, data: PackConfig): Promise<{ allowed: boolean; reasons: string[] }> {
    const type = typeOfManifest(String(object.apiVersion), String(object.kind));
    const judged = policies.filter((p) => ADMITTED_POLICIES.includes(p.name));
    const violations = await runPolicies(judged, [{ type, name: String(object.metadata?.name), urn: `urn:pulumi:e2e::lsst-k8s::${type}::case`, props: object }], data);
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
    return { allowed: mandatory.length === 0, reasons: mandatory.map((v) => `${v.policy}: ${v.message}`) };
}

/** The API server's verdict: allowed, refused by a ValidatingAdmissionPolicy (403), or another answer. */
function serverVerdict(r: ApiResponse): { allowed: boolean; message: string } | { other: string } {
    const message = String(r.body.message ?? "");
    if (accepted(r)) {
        return { allowed: true, message: "" };
    }
    // Refused by one of the pack's policies; another admission policy's refusal is another reason.
    if (r.status === 403 && ADMITTED_POLICIES.some((p) => message.includes(`ValidatingAdmissionPolicy '${policyObjectName(p)}'`))) {
        return { allowed: false, message };
    }
    return { other: `the API server refused it for another reason (${r.status}): ${message}` };
}

async function ensureNamespaces(api: ApiServer, names: readonly string[]): Promise<void> {
    for (const name of names) {
        const r = await request(api, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
        if (r.status !== 201 && r.status !== 409) {
            throw new Error(`creating namespace ${name} (${r.status}): ${String(r.body.message)}`);
        }
    }
}

/** The corpus written for the stack: its first trusted registry, its admin group. */
export function stackCases(data: PackConfig, cluster: ClusterConfig): PolicyCase[] {
    const registries = (data["trusted-images"]?.registries ?? []) as string[];
    return corpus({
        trusted: registries[0] ?? "registry.example.org",
        adminGroup: String(data["restricted-roles"]?.adminGroup ?? cluster.platform?.groups.admins),
    });
}

/** Step: every corpus case on the API server against the pack, under STACK's policy data. */
export async function admissionDifferential(api: ApiServer, stack: string, cluster: ClusterConfig): Promise<AdmissionResult> {
    const data = stackPolicyData(stack);
    await applyAdmissionPolicies(api, data, cluster);
    const result = await compareCases(api, stackCases(data, cluster), data);
    const warnings = await typeWarnings(api);
    return { ...result, disagreements: [...result.disagreements, ...warnings.map((w) => `type checking: ${w}`)] };
}

/** CASES on the API server, as its policies stand, against the pack under DATA. */
export async function compareCases(api: ApiServer, cases: readonly PolicyCase[], data: PackConfig): Promise<AdmissionResult> {
    await ensureNamespaces(api, [...new Set(cases.map((c) => namespaceOf(c.object)))]);
    const disagreements: string[] = [];
    let agreed = 0;
    let refused = 0;
    await pool(cases, 8, async (c) => {
        const verdict = await judge(api, c, data);
        if (verdict.wrong) {
            disagreements.push(`${c.name}: ${verdict.wrong}`);
        } else {
            agreed++;
            refused += verdict.refused ? 1 : 0;
        }
    });
    return { submitted: cases.length, agreed, refused, disagreements: disagreements.sort().slice(0, 20) };
}

/** Whether the API server refused C, and when it and the pack disagree, what each said. */
async function judge(api: ApiServer, c: PolicyCase, data: PackConfig): Promise<{ refused: boolean; wrong?: string }> {
    const at = PATHS[String(c.object.kind)];
    if (!at) {
        return { refused: false, wrong: `the differential knows no path for kind ${String(c.object.kind)}` };
    }
    const r = await dryRun(api, c);
    const server = serverVerdict(r);
    if ("other" in server) {
        return { refused: true, wrong: server.other };
    }
    const pack = await packVerdict(c.object, data);
    if (server.allowed === pack.allowed) {
        return { refused: !server.allowed };
    }
    return { refused: !server.allowed, wrong: `the API server ${server.allowed ? "allows it" : `refuses it (${server.message})`}, ` +
        `the pack ${pack.allowed ? "allows it" : `refuses it (${pack.reasons.join("; ")})`}` };
}
