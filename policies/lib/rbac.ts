/** What the RBAC policies share: which objects are bindings and roles, and how subjects read in messages. */
import { KubeObject, KubeType } from "./kube";

export const RBAC_GROUP = "rbac.authorization.k8s.io";
/** The group technote 001 reserves cluster administration for, unless the stack's policy config names another. */
export const DEFAULT_ADMIN_GROUP = "lsst-k8s:cluster-admins";
export const CLUSTER_ADMIN = "cluster-admin";
/** Kubernetes' built-in superuser group: its members bypass authorization altogether. */
export const SYSTEM_MASTERS = "system:masters";

export const BINDING_KINDS: readonly string[] = ["RoleBinding", "ClusterRoleBinding"];
export const ROLE_KINDS: readonly string[] = ["Role", "ClusterRole"];

/** The RBAC kind an object or a list of them carries ("ClusterRoleBindingList" → "ClusterRoleBinding"). */
export function rbacKind(t: KubeType): { readonly kind: string; readonly list: boolean } | undefined {
    if (t.group !== RBAC_GROUP) {
        return undefined;
    }
    const list = t.kind.endsWith("List");
    const kind = list ? t.kind.slice(0, -"List".length) : t.kind;
    return BINDING_KINDS.includes(kind) || ROLE_KINDS.includes(kind) ? { kind, list } : undefined;
}

/** The objects to check: the object itself, or each item of a List, with a prefix for messages. */
export function itemsOf(obj: KubeObject, list: boolean): { readonly item: KubeObject; readonly where: string }[] {
    if (!list) {
        return [{ item: obj ?? {}, where: "" }];
    }
    const items = Array.isArray(obj?.items) ? obj.items : [];
    return items.flatMap((item: unknown, i: number) => item && typeof item === "object"
        ? [{ item: item as KubeObject, where: `items[${i}]${(item as KubeObject).metadata?.name ? ` (${(item as KubeObject).metadata.name})` : ""}: ` }]
        : []);
}

/** The subjects of a binding; undefined when the binding does not set them (a patch, or unknown in a preview). */
export function subjectsOf(binding: KubeObject): unknown[] | undefined {
    return Array.isArray(binding?.subjects) ? binding.subjects : undefined;
}

export function bindsClusterAdmin(binding: KubeObject): boolean {
    const ref = binding?.roleRef;
    return ref?.kind === "ClusterRole" && ref?.name === CLUSTER_ADMIN;
}

export function isGroup(subject: unknown, name: string): boolean {
    const s = subject as KubeObject | undefined;
    return !!s && typeof s === "object" && s.kind === "Group" && s.name === name;
}

/** "User alice", "Group devs", "ServiceAccount jupyter-lsst/hub", for messages. */
export function describeSubject(subject: unknown): string {
    const s = subject as KubeObject | undefined;
    if (!s || typeof s !== "object" || typeof s.kind !== "string" || typeof s.name !== "string") {
        return "an unknown subject";
    }
    return s.kind === "ServiceAccount" && s.namespace ? `ServiceAccount ${s.namespace}/${s.name}` : `${s.kind} ${s.name}`;
}

/** "a, b and c". */
export function listText(items: readonly string[]): string {
    return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
