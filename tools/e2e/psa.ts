/**
 * Step 3 of the control-plane tier: Pod Security, differential. Every case of psa/ is submitted
 * to the real API server with a server-side dry run into a namespace enforcing the restricted profile
 * at the stack's minor, and judged by the pack's pod-security-restricted; the two verdicts must agree.
 * Pods are enforced; the workload forms (Deployment, Job, CronJob) only draw the profile's warning,
 * which the namespace's warn labels ask for, and a warning counts as "forbidden".
 */
import { ApiServer, pool, request } from "./api";
import { judgeWithPack, psaCases } from "./psa/index";

export interface PsaResult {
    readonly submitted: number;
    readonly agreed: number;
    /** The first disagreements, one line each. */
    readonly disagreements: string[];
}

const PLURALS: Record<string, string> = {
    Pod: "api/v1/namespaces/NS/pods", Deployment: "apis/apps/v1/namespaces/NS/deployments",
    Job: "apis/batch/v1/namespaces/NS/jobs", CronJob: "apis/batch/v1/namespaces/NS/cronjobs",
};

/**
 * Runs the cases for MINOR against an API server of SERVER_MINOR. A server judges a newer
 * enforce-version by its own newest rules, so the minor both sides use is the older of the two.
 */
export async function psaDifferential(api: ApiServer, stack: string, minor: number, serverMinor: number): Promise<PsaResult> {
    const judged = Math.min(minor, serverMinor);
    const ns = `e2e-psa-${stack}`;
    const version = `v1.${judged}`;
    const created = await request(api, "POST", "/api/v1/namespaces", {
        apiVersion: "v1", kind: "Namespace",
        metadata: {
            name: ns,
            labels: {
                "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": version,
                "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": version,
            },
        },
    });
    if (created.status !== 201) {
        throw new Error(`creating namespace ${ns}: ${String(created.body.message)}`);
    }
    const cases = psaCases(judged);
    const submissions = cases.flatMap((c) => [
        { name: c.name, kind: "Pod", object: { apiVersion: "v1", kind: "Pod", ...c.pod }, verdict: judgeWithPack(c.object, judged) },
        ...(c.object.kind !== "Pod" ? [{ name: c.name, kind: String(c.object.kind), object: c.object, verdict: judgeWithPack(c.object, judged) }] : []),
    ]);
    const disagreements: string[] = [];
    let agreed = 0;
    await pool(submissions, 8, async (s) => {
        const r = await request(api, "POST", `/${PLURALS[s.kind].replace("NS", ns)}?dryRun=All`, s.object);
        const message = String(r.body.message ?? "");
        let allowed: boolean;
        if (s.kind === "Pod" && r.status === 403 && /violates PodSecurity/.test(message)) {
            allowed = false;
        } else if (r.status === 201) {
            allowed = !r.warnings.some((w) => /would violate PodSecurity/.test(w));
        } else {
            disagreements.push(`${s.kind} ${s.name}: the API server refused it for another reason (${r.status}): ${message}`);
            return;
        }
        if (allowed === s.verdict.allowed) {
            agreed++;
        } else {
            const server = allowed ? "allowed" : message || r.warnings.join("; ");
            disagreements.push(`${s.kind} ${s.name}: the API server ${allowed ? "allows it" : `forbids it (${server})`}, ` +
                `the pack ${s.verdict.allowed ? "allows it" : `forbids it (${s.verdict.reasons.join("; ")})`}`);
        }
    });
    return { submitted: submissions.length, agreed, disagreements: disagreements.slice(0, 20) };
}
