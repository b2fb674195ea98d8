/**
 * The id-range policy (components/platform/IdRanges.ts) asked of the real API server: in each
 * namespace with ranges, pods inside them are admitted, and a pod that leaves them by any one field,
 * or leaves runAsUser or runAsGroup unset, is refused with a message naming that field and the range;
 * a namespace without ranges is left alone. Pods are server-side dry runs, so nothing is scheduled;
 * the ephemeral container cases need a real pod, which is deleted afterwards.
 */
import { ClusterConfig } from "../../config";
import { IdRangesConfig, parseIdRange } from "../../config/platform";
import { ID_RANGE_POLICY } from "../../components/platform/IdRanges";
import { ApiResponse, ApiServer, pool, request } from "./api";
import { StepResult } from "./apiServerFiles";
import { until } from "./processes";

export interface RangedNamespace {
    readonly name: string;
    readonly ids: IdRangesConfig;
}

/** The namespaces of a stack that have ranges: its developer groups' and the notebooks', where configured. */
export function rangedNamespaces(config: ClusterConfig): RangedNamespace[] {
    const p = config.platform;
    const groups = (p?.developerGroups ?? []).flatMap((d) => (d.ids ? [{ name: d.namespace, ids: d.ids }] : []));
    return p?.jupyter?.ids ? [...groups, { name: "jupyter-lsst", ids: p.jupyter.ids }] : groups;
}

export interface IdRangeCheckOptions {
    /** A namespace without ranges, which must admit a pod outside them; default "default". */
    readonly unaffected?: string;
    /** How long the API server may take to enforce the policy it was given; default 30 s. */
    readonly activeWithinMs?: number;
    /** The image of every pod (dry runs pull nothing); default registry.k8s.io/pause:3.10. */
    readonly image?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Pod = Record<string, any>;

interface Case {
    readonly what: string;
    readonly pod: Pod;
    /** undefined: admitted; else what the refusal must say. */
    readonly refused?: RegExp;
}

const RESOURCES = { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "500m", memory: "512Mi" } };
/** What Pod Security's restricted profile asks of every container, so only the ids decide. */
const RESTRICTED = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/** A pod Pod Security's restricted profile admits, its ids at the pod level: min uid, min gid, fsGroup min, supplementalGroups max. */
function basePod(ns: RangedNamespace, image: string): Pod {
    const u = parseIdRange(ns.ids.uids)!;
    const g = parseIdRange(ns.ids.gids)!;
    const container = (name: string) => ({ name, image, resources: RESOURCES, securityContext: { ...RESTRICTED } });
    return {
        apiVersion: "v1", kind: "Pod",
        metadata: { name: "id-range-check", namespace: ns.name },
        spec: {
            automountServiceAccountToken: false,
            securityContext: {
                runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" },
                runAsUser: u.min, runAsGroup: g.min, fsGroup: g.min, supplementalGroups: [g.max],
            },
            initContainers: [container("init")],
            containers: [container("main")],
        },
    };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function cases(ns: RangedNamespace, image: string): Case[] {
    const u = parseIdRange(ns.ids.uids)!;
    const g = parseIdRange(ns.ids.gids)!;
    const uids = `${escape(ns.name)}'s uid range ${ns.ids.uids} \\(lsst-k8s.io/uid-range\\)`;
    const gids = `${escape(ns.name)}'s gid range ${ns.ids.gids} \\(lsst-k8s.io/gid-range\\)`;
    const make = (what: string, change: (p: Pod) => void, refused?: string): Case => {
        const pod = basePod(ns, image);
        change(pod);
        return { what, pod, refused: refused === undefined ? undefined : new RegExp(refused) };
    };
    const sc = (p: Pod) => p.spec.securityContext;
    const main = (p: Pod) => p.spec.containers[0].securityContext;
    const init = (p: Pod) => p.spec.initContainers[0].securityContext;
    return [
        make("ids at the pod level, inside the ranges", () => undefined),
        make("each container's own ids at the top of the ranges, none on the pod", (p) => {
            delete sc(p).runAsUser;
            delete sc(p).runAsGroup;
            for (const c of [main(p), init(p)]) {
                Object.assign(c, { runAsUser: u.max, runAsGroup: g.max });
            }
        }),
        make("runAsUser below the range", (p) => (sc(p).runAsUser = u.min - 1), `spec\\.securityContext\\.runAsUser ${u.min - 1} is outside ${uids}`),
        make("runAsUser above the range", (p) => (sc(p).runAsUser = u.max + 1), `spec\\.securityContext\\.runAsUser ${u.max + 1} is outside ${uids}`),
        make("a container's runAsUser outside the range", (p) => (main(p).runAsUser = u.max + 1),
            `spec\\.containers\\["main"\\]\\.securityContext\\.runAsUser ${u.max + 1} is outside ${uids}`),
        make("runAsGroup outside the range", (p) => (sc(p).runAsGroup = g.max + 1), `spec\\.securityContext\\.runAsGroup ${g.max + 1} is outside ${gids}`),
        make("an init container's runAsGroup outside the range", (p) => (init(p).runAsGroup = g.min - 1),
            `spec\\.initContainers\\["init"\\]\\.securityContext\\.runAsGroup ${g.min - 1} is outside ${gids}`),
        make("fsGroup outside the gid range", (p) => (sc(p).fsGroup = g.max + 1), `spec\\.securityContext\\.fsGroup ${g.max + 1} is outside ${gids}`),
        make("a supplementalGroups entry outside the gid range", (p) => (sc(p).supplementalGroups = [g.min, g.max + 1]),
            `spec\\.securityContext\\.supplementalGroups ${g.max + 1} outside ${gids}`),
        make("runAsUser unset on the pod and on its containers", (p) => delete sc(p).runAsUser,
            `spec\\.initContainers\\["init"\\]\\.securityContext\\.runAsUser is unset, as is spec\\.securityContext\\.runAsUser`),
        make("runAsGroup unset on the pod and on one container", (p) => {
            delete sc(p).runAsGroup;
            init(p).runAsGroup = g.min;
        }, `spec\\.containers\\["main"\\]\\.securityContext\\.runAsGroup is unset, as is spec\\.securityContext\\.runAsGroup`),
    ];
}

/** True when R is this policy's refusal. */
const refusedByPolicy = (r: ApiResponse) => r.status === 403 && String(r.body.message ?? "").includes(`ValidatingAdmissionPolicy '${ID_RANGE_POLICY}'`);

/** What is wrong with answer R to case C, or undefined. */
function judge(r: ApiResponse, c: Case, where: string): string | undefined {
    const message = String(r.body.message ?? "");
    if (!c.refused) {
        return r.status === 201 || r.status === 200 ? undefined : `${where}: ${c.what}: refused (${r.status}): ${message}`;
    }
    if (!refusedByPolicy(r)) {
        return `${where}: ${c.what}: ${r.status === 201 || r.status === 200 ? "admitted" : `refused otherwise (${r.status}): ${message}`}`;
    }
    return c.refused.test(message) ? undefined : `${where}: ${c.what}: refused, but the message does not match ${c.refused}: ${message}`;
}

/** How many times an ephemeral container is submitted again after a 409 (kwok updated its pod's status meanwhile). */
const CONFLICT_RETRIES = 5;

const podsPath = (ns: string) => `/api/v1/namespaces/${ns}/pods`;
const dryRun = (api: ApiServer, pod: Pod) => request(api, "POST", `${podsPath(pod.metadata.namespace)}?dryRun=All`, pod);

/** Ephemeral containers, added to a real pod through their subresource: one inside the ranges, one outside. */
async function ephemeralChecks(api: ApiServer, ns: RangedNamespace, image: string): Promise<string[]> {
    const u = parseIdRange(ns.ids.uids)!;
    const pod = basePod(ns, image);
    pod.metadata.name = "id-range-ephemeral";
    const created = await request(api, "POST", podsPath(ns.name), pod);
    if (created.status !== 201) {
        return [`${ns.name}: ephemeral containers: could not create a pod to add them to (${created.status}): ${String(created.body.message ?? "")}`];
    }
    const problems: string[] = [];
    try {
        const debug = (runAsUser: number) => ({
            name: "debug", image, securityContext: { ...RESTRICTED, runAsUser },
        });
        for (const c of [
            { what: "an ephemeral container inside the range", uid: u.min },
            { what: "an ephemeral container's runAsUser outside the range", uid: u.max + 1,
                refused: new RegExp(`spec\\.ephemeralContainers\\["debug"\\]\\.securityContext\\.runAsUser ${u.max + 1} is outside`) },
        ]) {
            let r: ApiResponse;
            let body: Pod;
            let tries = 0;
            do {
                const current = await request(api, "GET", `${podsPath(ns.name)}/${pod.metadata.name}`);
                body = { ...current.body, spec: { ...(current.body.spec as Pod), ephemeralContainers: [debug(c.uid)] } };
                r = await request(api, "PUT", `${podsPath(ns.name)}/${pod.metadata.name}/ephemeralcontainers?dryRun=All`, body);
            } while (r.status === 409 && ++tries < CONFLICT_RETRIES);
            const wrong = judge(r, { what: c.what, pod: body, refused: c.refused }, ns.name);
            if (wrong) {
                problems.push(wrong);
            }
        }
    } finally {
        await request(api, "DELETE", `${podsPath(ns.name)}/${pod.metadata.name}`, { gracePeriodSeconds: 0 });
    }
    return problems;
}

/**
 * Runs every case in each of NAMESPACES (already created with their ranges, the policy and its
 * binding applied), and one out-of-range pod in a namespace without ranges, which must admit it.
 * Waits first for the API server to enforce the policy it was given.
 */
export async function idRangeChecks(api: ApiServer, namespaces: readonly RangedNamespace[], opts: IdRangeCheckOptions = {}): Promise<StepResult> {
    const { unaffected = "default", activeWithinMs = 30_000, image = "registry.k8s.io/pause:3.10" } = opts;
    if (namespaces.length === 0) {
        return { checked: 0, passed: 0, problems: [] };
    }
    const probe = cases(namespaces[0], image).find((c) => c.refused)!;
    try {
        await until(`the ${ID_RANGE_POLICY} policy to refuse pods`, activeWithinMs, async () => refusedByPolicy(await dryRun(api, probe.pod)));
    } catch (e) {
        return { checked: 1, passed: 0, problems: [`id-ranges: ${(e as Error).message}`] };
    }
    const all = namespaces.flatMap((ns) => cases(ns, image).map((c) => ({ ns, c })));
    const answers = await pool(all, 8, ({ c }) => dryRun(api, c.pod));
    const problems = all.flatMap(({ ns, c }, i) => judge(answers[i], c, ns.name) ?? []);
    for (const ns of namespaces) {
        problems.push(...await ephemeralChecks(api, ns, image));
    }
    const outside = basePod(namespaces[0], image);
    outside.metadata.namespace = unaffected;
    outside.spec.securityContext.runAsUser = parseIdRange(namespaces[0].ids.uids)!.max + 1;
    delete outside.spec.securityContext.runAsGroup;
    const free = judge(await dryRun(api, outside), { what: `a pod outside ${namespaces[0].name}'s ranges, in a namespace without ranges`, pod: outside }, unaffected);
    if (free) {
        problems.push(free);
    }
    const checked = all.length + namespaces.length * 2 + 1;
    return { checked, passed: checked - problems.length, problems };
}
