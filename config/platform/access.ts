/** Who is who on the cluster (technote 000 "Actors", "Users"; 001 "Namespaces"): the groups RBAC binds. */
import { z } from "zod";
import { ref } from "../problems";
import { ALWAYS, DNS_LABEL, GROUP_NAME, list, oneOf, record, repeats, text } from "../values";

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

const developerGroup = record({
    namespace: text(DNS_LABEL, "is not a DNS-1123 label")
        .refine((ns) => !isReserved(ns), { error: (iss) => `${JSON.stringify(iss.input)} is a system or platform namespace` })
        .meta({ description: "The group's own namespace (DNS-1123 label), never a system or platform one." }),
    group: text(GROUP_NAME, "is not a group name").meta({ description: "The group as the API server's authenticator names it." }),
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

export type PlatformGroups = z.output<typeof groups>;
export type DeveloperGroup = z.output<typeof developerGroup>;
