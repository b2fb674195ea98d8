/**
 * Step 3 of the control-plane tier: Pod Security, differential. Every case of psa/ is submitted
 * to the real API server with a server-side dry run into a namespace enforcing the restricted profile
 * at the stack's minor, and judged by the pack's pod-security-restricted; the two verdicts must agree.
 * Pods are enforced; the workload forms (Deployment, Job, CronJob) only draw the profile's warning,
 * which the namespace's warn labels ask for, and a warning counts as "forbidden". Ephemeral
 * containers, which a Pod create may not have, are added to base Pods created for real, through the
 * pods/ephemeralcontainers subresource, where Pod Security is enforced as on a Pod create.
 */
import { KubeObject } from "../../policies/lib/kube";
import { ApiResponse, ApiServer, pool, request } from "./api";
import { ephemeralCases, judgeWithPack, psaCases } from "./psa/index";

export interface PsaResult {
    /** Every submission, the ephemeral containers' included. */
    readonly submitted: number;
    readonly agreed: number;
    readonly ephemeral: { readonly submitted: number; readonly agreed: number };
    /** The first disagreements, one line each. */
    readonly disagreements: string[];
}

type Verdict = ReturnType<typeof judgeWithPack>;

const PLURALS: Record<string, string> = {
    Pod: "api/v1/namespaces/NS/pods", Deployment: "apis/apps/v1/namespaces/NS/deployments",
    Job: "apis/batch/v1/namespaces/NS/jobs", CronJob: "apis/batch/v1/namespaces/NS/cronjobs",
};

/** How many times an ephemeral container is submitted again after a 409 (kwok updated its base's status meanwhile). */
const CONFLICT_RETRIES = 5;

/**
 * Compares the API server's answer R with the pack's VERDICT: undefined when they agree, else the
 * disagreement. ENFORCED: Pod Security refuses the request (403) rather than only warning; OK: the
 * status of an accepted request. Any other answer is a refusal for another reason, a disagreement.
 */
function disagreement(r: ApiResponse, enforced: boolean, ok: number, verdict: Verdict): string | undefined {
    const message = String(r.body.message ?? "");
    let allowed: boolean;
    if (enforced && r.status === 403 && /violates PodSecurity/.test(message)) {
        allowed = false;
    } else if (r.status === ok) {
        allowed = !r.warnings.some((w) => /would violate PodSecurity/.test(w));
    } else {
        return `the API server refused it for another reason (${r.status}): ${message}`;
    }
    if (allowed === verdict.allowed) {
        return undefined;
    }
    const server = allowed ? "allowed" : message || r.warnings.join("; ");
    return `the API server ${allowed ? "allows it" : `forbids it (${server})`}, ` +
        `the pack ${verdict.allowed ? "allows it" : `forbids it (${verdict.reasons.join("; ")})`}`;
}

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
        const wrong = disagreement(r, s.kind === "Pod", 201, s.verdict);
        if (wrong) {
            disagreements.push(`${s.kind} ${s.name}: ${wrong}`);
        } else {
            agreed++;
        }
    });
    const ephemeral = await ephemeralDifferential(api, ns, judged, disagreements);
    return {
        submitted: submissions.length + ephemeral.submitted, agreed: agreed + ephemeral.agreed, ephemeral,
        disagreements: disagreements.slice(0, 20),
    };
}

/**
 * The ephemeral containers: each base Pod is created for real, then every container is PUT with it
 * to the base's ephemeralcontainers subresource with a dry run, so the bases never change but
 * for kwok's status updates, which make a submission's resourceVersion stale (409): the base is
 * read again and the container submitted again. The pack judges the Pod as submitted.
 */
async function ephemeralDifferential(api: ApiServer, ns: string, minor: number, disagreements: string[]): Promise<{ submitted: number; agreed: number }> {
    const cases = ephemeralCases(minor);
    const bases = new Map<string, KubeObject>();
    for (const c of cases) {
        const name = String(c.base.metadata.name);
        if (bases.has(name)) {
            continue;
        }
        const r = await request(api, "POST", `/api/v1/namespaces/${ns}/pods`, { apiVersion: "v1", kind: "Pod", ...c.base });
        const warned = r.warnings.filter((w) => /would violate PodSecurity/.test(w));
        if (r.status !== 201 || warned.length) {
            throw new Error(`creating the base pod ${name} for the ephemeral containers (${r.status}): ${String(r.body.message ?? warned.join("; "))}`);
        }
        bases.set(name, r.body);
    }
    let agreed = 0;
    await pool(cases, 8, async (c) => {
        const name = String(c.base.metadata.name);
        for (let attempt = 0; ; attempt++) {
            const base = bases.get(name)!;
            const pod = { ...base, spec: { ...base.spec, ephemeralContainers: [c.container] } };
            const r = await request(api, "PUT", `/api/v1/namespaces/${ns}/pods/${name}/ephemeralcontainers?dryRun=All`, pod);
            if (r.status === 409 && attempt < CONFLICT_RETRIES) {
                const read = await request(api, "GET", `/api/v1/namespaces/${ns}/pods/${name}`);
                if (read.status === 200) {
                    bases.set(name, read.body);
                }
                continue;
            }
            const wrong = disagreement(r, true, 200, judgeWithPack(pod, minor));
            if (wrong) {
                disagreements.push(`ephemeral container ${c.name} (in ${name}): ${wrong}`);
            } else {
                agreed++;
            }
            return;
        }
    });
    return { submitted: cases.length, agreed };
}
