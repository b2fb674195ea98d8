/** Who is who on the cluster (technote 000 "Actors", "Users"; 001 "Namespaces"): the groups RBAC binds. */
import { z } from "zod";
import { quote, ref } from "../problems";
import { ALWAYS, DNS_LABEL, GROUP_NAME, isRecord, list, oneOf, record, repeats, text } from "../values";

/** Namespaces the platform itself owns; no development group may take one. */
export const PLATFORM_NAMESPACES = ["jupyter-lsst", "registry", "htcondor", "kube-bench", "multicast-check", "headlamp", "nfs-provisioner"];

const group = (description: string) => text(GROUP_NAME, "is not a group name").meta({ description });

export const groups = record({
    admins: group("K8s cluster administrators: the only group bound to cluster-admin."),
    serviceAdmins: group("K8s service administrators: admin in the service namespaces."),
    security: group("Security: read-only across the cluster, secrets excepted."),
    scienceUsers: group("Science users: the notebook namespace only."),
});

export const developerAccess = oneOf(["edit", "view"] as const)
    .meta({ description: '"edit" in the development groups\' namespaces (dev), or "view" only (pre-production).' });

const isReserved = (ns: string) => PLATFORM_NAMESPACES.includes(ns) || /^(kube|htcondor)-/.test(ns) || ns === "default";

/**
 * The lowest id a range may hold: below it are root and the hosts' system accounts, whose files no
 * developer's pod should ever own over NFS.
 */
export const MIN_ID = 1000;
/** The highest id Kubernetes takes for runAsUser, runAsGroup, fsGroup and supplementalGroups. */
export const MAX_ID = 2 ** 31 - 1;

const RANGE = /^[0-9]+-[0-9]+$/;

export interface IdRange {
    readonly min: number;
    readonly max: number;
}

/** The bounds of a range as config writes it ("20000-20999"); undefined unless it matches RANGE. */
export function parseIdRange(s: unknown): IdRange | undefined {
    if (typeof s !== "string" || !RANGE.test(s)) {
        return undefined;
    }
    const [min, max] = s.split("-").map(Number);
    return { min, max };
}

/** A range that parses, is in order and lies inside MIN_ID..MAX_ID. */
function validRange(s: unknown): IdRange | undefined {
    const r = parseIdRange(s);
    return r && r.min <= r.max && r.min >= MIN_ID && r.max <= MAX_ID ? r : undefined;
}

const idRange = (description: string) => text(RANGE, 'is not a range of ids like "20000-20999"')
    .superRefine((s, ctx) => {
        const r = parseIdRange(s);
        if (!r) {
            return;
        }
        if (r.min > r.max) {
            ctx.addIssue({ code: "custom", message: `${quote(s)} runs backwards: its first id is above its last` });
        } else if (r.min < MIN_ID) {
            ctx.addIssue({ code: "custom", message: `${quote(s)} reaches below ${MIN_ID}: ids under it are root's and the system accounts'` });
        } else if (r.max > MAX_ID) {
            ctx.addIssue({ code: "custom", message: `${quote(s)} reaches above ${MAX_ID}, the highest id Kubernetes takes` });
        }
    })
    .meta({ description, pattern: RANGE.source });

/**
 * The POSIX ids a namespace's pods may run as (technote 001 "Access to File Sets": the filesets'
 * per-group permissions hold over NFS only while a pod cannot claim another group's ids). No default:
 * the ranges are the site's directory's own, which the program cannot guess.
 */
export const idRangesOf = (whose: string) => record({
    uids: idRange(`The user ids ${whose}'s pods may run as (runAsUser), "MIN-MAX", ${MIN_ID} and above.`),
    gids: idRange(`The group ids ${whose}'s pods may run as (runAsGroup, fsGroup, supplementalGroups), "MIN-MAX", ${MIN_ID} and above.`),
}).meta({
    description: `The id ranges ${whose}'s pods are held to by admission; required with platform.filesets; absent, none is enforced.`,
});

export type IdRangesConfig = z.output<ReturnType<typeof idRangesOf>>;

const developerGroup = record({
    namespace: text(DNS_LABEL, "is not a DNS-1123 label")
        .refine((ns) => !isReserved(ns), { error: (iss) => `${JSON.stringify(iss.input)} is a system or platform namespace` })
        .meta({ description: "The group's own namespace (DNS-1123 label), never a system or platform one." }),
    group: text(GROUP_NAME, "is not a group name").meta({ description: "The group as the API server's authenticator names it." }),
    ids: idRangesOf("the group's namespace").optional(),
});

/** Each development group has a namespace of its own. */
export const developerGroups = list(developerGroup).superRefine((items: unknown, ctx) => {
    if (!Array.isArray(items)) {
        return;
    }
    for (const { at, first, value } of repeats(items, "namespace", (ns) => DNS_LABEL.test(ns) && !isReserved(ns))) {
        ctx.addIssue({ code: "custom", path: [at, "namespace"], message: `${JSON.stringify(value)} is already used by {ref}`, params: ref(2, first) });
    }
}, ALWAYS).meta({ description: "One namespace per development group (technote 001 \"Namespaces\")." });

interface RangeOwner {
    readonly path: (string | number)[];
    readonly ids: unknown;
}

/**
 * The platform-wide checks of the id ranges, for platform's own refinement (VALUE: the platform
 * section as written): with filesets every namespace that mounts them has its ranges, and no two
 * namespaces share an id, or either could read and write the other's files.
 */
export function checkIdRanges(value: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
    const groups = Array.isArray(value.developerGroups) ? value.developerGroups : [];
    const owners: RangeOwner[] = groups.flatMap((g, i) => (isRecord(g) ? [{ path: ["developerGroups", i, "ids"], ids: g.ids }] : []));
    if (isRecord(value.jupyter)) {
        owners.push({ path: ["jupyter", "ids"], ids: value.jupyter.ids });
    }
    if (value.filesets !== undefined) {
        for (const o of owners.filter((x) => x.ids === undefined)) {
            ctx.addIssue({
                code: "custom", path: o.path, params: ref(o.path.length, "filesets"),
                message: "required with {ref}: this namespace mounts the filesets over NFS, and only an id range keeps its pods to their own files",
            });
        }
        if (value.jupyter === undefined) {
            ctx.addIssue({
                code: "custom", path: ["jupyter"], params: ref(1, "filesets"),
                message: "required with {ref}: the notebook namespace mounts the filesets, and its id ranges (jupyter.ids) keep notebooks to their users' files",
            });
        }
    }
    for (const kind of ["uids", "gids"] as const) {
        const seen: { path: (string | number)[]; text: string; range: IdRange }[] = [];
        for (const o of owners) {
            const text = isRecord(o.ids) ? o.ids[kind] : undefined;
            const range = validRange(text);
            if (!range) {
                continue;
            }
            const path = [...o.path, kind];
            const first = seen.find((s) => s.range.min <= range.max && range.min <= s.range.max);
            if (first) {
                ctx.addIssue({
                    code: "custom", path, params: ref(path.length, ...first.path),
                    message: `${quote(text)} overlaps {ref} (${quote(first.text)}): pods of either namespace could own the other's files`,
                });
            } else {
                seen.push({ path, text: text as string, range });
            }
        }
    }
}

export type PlatformGroups = z.output<typeof groups>;
export type DeveloperGroup = z.output<typeof developerGroup>;
