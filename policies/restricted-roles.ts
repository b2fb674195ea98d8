import { kubePolicy, KubePolicyConfig } from "./lib/kubePolicy";
import { KubeObject } from "./lib/kube";
import {
    BINDING_KINDS, bindsClusterAdmin, CLUSTER_ADMIN, DEFAULT_ADMIN_GROUP, describeSubject, isGroup, listText, RBAC_GROUP,
    ROLE_KINDS, subjectsOf, SYSTEM_MASTERS,
} from "./lib/rbac";

export interface RestrictedRolesConfig extends KubePolicyConfig {
    /** The only group that may hold cluster-admin or be named next to system:masters. */
    readonly adminGroup: string;
}

const WILDCARD = "*";
const READING_VERBS = ["get", "list", "watch", WILDCARD];
/** Verbs that let their holders reach past the permissions they were given, and why, for messages. */
const ESCALATING_VERBS: Readonly<Record<string, string>> = {
    escalate: "create or update roles with permissions they do not hold",
    bind: "bind roles with permissions they do not hold",
    impersonate: "act as other users, groups or service accounts",
};

function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function checkBinding(binding: KubeObject, adminGroup: string, report: (message: string) => void): void {
    const subjects = subjectsOf(binding) ?? [];
    const others = subjects.filter((s) => !isGroup(s, adminGroup)).map(describeSubject);
    if (!others.length) {
        return;
    }
    if (bindsClusterAdmin(binding)) {
        report(`binds ClusterRole ${CLUSTER_ADMIN} to ${listText(others)}; only the group ${adminGroup} may be bound to it`);
    } else if (subjects.some((s) => isGroup(s, SYSTEM_MASTERS))) {
        report(`names the group ${SYSTEM_MASTERS} as a subject; superuser access is held by the group ${adminGroup} alone`);
    }
}

function checkRules(role: KubeObject, report: (message: string) => void): void {
    const rules = Array.isArray(role.rules) ? role.rules : [];
    rules.forEach((rule: unknown, i: number) => {
        if (!rule || typeof rule !== "object") {
            return;
        }
        const r = rule as KubeObject;
        const at = `rules[${i}]`;
        const verbs = strings(r.verbs);
        const resources = strings(r.resources);
        const apiGroups = strings(r.apiGroups);
        if (verbs.includes(WILDCARD)) {
            report(`${at}.verbs has the wildcard "*"; list the verbs it needs`);
        }
        for (const resource of resources.filter((x) => x.includes(WILDCARD))) {
            report(`${at}.resources has the wildcard ${JSON.stringify(resource)}; list the resources it needs`);
        }
        if (apiGroups.includes(WILDCARD)) {
            report(`${at}.apiGroups has the wildcard "*"; list the API groups it needs`);
        }
        for (const verb of Object.keys(ESCALATING_VERBS).filter((v) => verbs.includes(v))) {
            report(`${at}.verbs has ${verb}, which lets its holders ${ESCALATING_VERBS[verb]}`);
        }
        // Secrets are in the core group; a rule whose apiGroups are not written may be about it.
        const coreGroup = !Array.isArray(r.apiGroups) || apiGroups.includes("") || apiGroups.includes(WILDCARD);
        const secrets = resources.filter((x) => x === "secrets" || x === WILDCARD);
        const reading = verbs.filter((v) => READING_VERBS.includes(v));
        if (coreGroup && secrets.length && reading.length) {
            report(`${at} lets its holders read Secrets (verbs ${reading.join(", ")} on resources ${secrets.join(", ")})`);
        }
    });
}

/**
 * Technote 001 "Roles and Security": cluster administration belongs to the admin group alone, and no
 * role grants wildcards, ways around RBAC, or reading Secrets.
 */
export const restrictedRoles = kubePolicy<RestrictedRolesConfig>({
    name: "restricted-roles",
    description: "Only the admin group may be bound to cluster-admin or named next to system:masters, and roles must not grant wildcards, escalate, bind, impersonate or reading Secrets.",
    schema: { adminGroup: { type: "string", minLength: 1, default: DEFAULT_ADMIN_GROUP } },
    defaults: { adminGroup: DEFAULT_ADMIN_GROUP },
    applies: (t) => t.group === RBAC_GROUP && (BINDING_KINDS.includes(t.kind) || ROLE_KINDS.includes(t.kind)),
    validate: (t, obj, config, report) => {
        if (BINDING_KINDS.includes(t.kind)) {
            checkBinding(obj, config.adminGroup, report);
        } else {
            checkRules(obj, report);
        }
    },
});
