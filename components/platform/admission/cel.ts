/**
 * What every admission policy shares: the shape of a ValidatingAdmissionPolicy as the builders write
 * it, CEL literals, the pod spec of each workload kind, and the two match conditions every policy
 * carries (the pack's exemptions, and the control plane's own writes).
 *
 * The stack's policy data is rendered into each policy as CEL constants rather than read through
 * paramKind: the data is the stack's policy config, changed only with the program, so a ConfigMap of
 * params would be a second copy anyone with write access to its namespace could edit, and a policy
 * with paramKind denies everything while its param is missing.
 */
import { Exemption } from "../../../policies/lib/exemptions";

/** One CEL check: the expression must hold, else the request is refused with the message. */
export interface Validation {
    readonly expression: string;
    readonly message: string;
    /** Names what is wrong in the object; falls back to message when it fails to evaluate. */
    readonly messageExpression?: string;
    readonly reason?: "Invalid" | "Forbidden";
}

export interface ResourceRule {
    readonly apiGroups: readonly string[];
    readonly apiVersions: readonly string[];
    readonly operations: readonly string[];
    readonly resources: readonly string[];
    readonly scope?: "Namespaced" | "Cluster" | "*";
}

/** A ValidatingAdmissionPolicy's spec, as admissionregistration.k8s.io/v1 takes it. */
export interface PolicySpec {
    readonly failurePolicy: "Fail";
    readonly matchConstraints: { readonly resourceRules: readonly ResourceRule[]; readonly excludeResourceRules?: readonly ResourceRule[] };
    readonly matchConditions: readonly { readonly name: string; readonly expression: string }[];
    readonly variables: readonly { readonly name: string; readonly expression: string }[];
    readonly validations: readonly Validation[];
}

/** One pack policy in the cluster: its pack name and the policy that enforces it. */
export interface AdmissionRule {
    /** The pack policy's name ("trusted-images"). */
    readonly policy: string;
    readonly spec: PolicySpec;
}

/** A CEL string literal: JSON's escapes are CEL's for every string the policy data holds. */
export function str(value: string): string {
    return JSON.stringify(value);
}

/** A CEL list of string literals. */
export function strs(values: readonly string[]): string {
    return `[${values.map(str).join(", ")}]`;
}

const WRITE = ["CREATE", "UPDATE"];

/** A rule over RESOURCES of GROUP, created or updated. */
export function rule(group: string, resources: readonly string[], scope: ResourceRule["scope"] = "*"): ResourceRule {
    return { apiGroups: [group], apiVersions: ["*"], operations: WRITE, resources, scope };
}

/**
 * The workload kinds the pack looks into (policies/lib/kube.ts WORKLOAD_KINDS), by API group, and
 * pods/ephemeralcontainers, the only way a Pod gets an ephemeral container.
 */
export const WORKLOAD_RULES: readonly ResourceRule[] = [
    rule("", ["pods", "pods/ephemeralcontainers", "podtemplates", "replicationcontrollers"]),
    rule("apps", ["deployments", "replicasets", "statefulsets", "daemonsets"]),
    rule("batch", ["jobs", "cronjobs"]),
];

/** The kind the request is about ("Deployment"); the Pod for pods/ephemeralcontainers. */
export const KIND = "request.kind.kind";

/** The namespace as the pack's namespaceOf reads it: a cluster-scoped object is in "default". */
export const NAMESPACE = "(request.namespace == '' ? 'default' : request.namespace)";

/** The object's name; a generated one is set before validating admission runs. */
export const NAME = "(has(object.metadata.name) ? object.metadata.name : '')";

/** The pod spec of a workload (policies/lib/kube.ts POD_SPEC_PATH); null when a PodTemplate carries none. */
export const POD_SPEC = [
    "object.kind == 'Pod' ? object.spec",
    ": object.kind == 'PodTemplate' ? (has(object.template) && has(object.template.spec) ? object.template.spec : null)",
    ": object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec",
    ": object.spec.template.spec",
].join(" ");

/** The containers of variables.spec, by list, as the pack's containersOf walks them. */
export function containerList(field: "containers" | "initContainers" | "ephemeralContainers"): string {
    return `(variables.spec != null && has(variables.spec.${field}) ? variables.spec.${field} : [])`;
}

export const ALL_CONTAINERS = ["containers", "initContainers", "ephemeralContainers"].map((f) => containerList(f as "containers")).join(" + ");

/** The variables every workload policy starts from. */
export const POD_VARIABLES = [
    { name: "spec", expression: POD_SPEC },
    { name: "containers", expression: ALL_CONTAINERS },
];

/**
 * The pack's exemptions (policies/lib/exemptions.ts exemptionFor) as a match condition: a policy does
 * not look at an exempt object. Only entries with a reason count, as in the pack; an entry with a
 * kind or a name names one object (in any namespace when it names none), else a whole namespace. An
 * entry with a kind and no name (or a name and no kind) matches only a nameless object in the pack,
 * which the API server never admits, so it is left out.
 */
export function notExempt(exemptions: readonly Exemption[] | undefined): { name: string; expression: string } | undefined {
    const valid = (exemptions ?? []).filter((e) => typeof e.reason === "string" && e.reason !== "");
    const namespaces = valid.filter((e) => e.kind === undefined && e.name === undefined && e.namespace !== undefined).map((e) => e.namespace as string);
    const objects = valid.filter((e) => typeof e.kind === "string" && typeof e.name === "string");
    const inNamespace = objects.filter((e) => e.namespace !== undefined).map((e) => `${e.kind}/${e.namespace}/${e.name}`);
    const anywhere = objects.filter((e) => e.namespace === undefined).map((e) => `${e.kind}/${e.name}`);
    const terms = [
        ...(namespaces.length ? [`${NAMESPACE} in ${strs(namespaces)}`] : []),
        ...(inNamespace.length ? [`(${KIND} + '/' + ${NAMESPACE} + '/' + ${NAME}) in ${strs(inNamespace)}`] : []),
        ...(anywhere.length ? [`(${KIND} + '/' + ${NAME}) in ${strs(anywhere)}`] : []),
    ];
    return terms.length ? { name: "not-exempt", expression: `!(${terms.join(" || ")})` } : undefined;
}

/**
 * The control plane's own writes are not judged: the API server's bootstrap objects (the kubernetes
 * Service in default, the system ClusterRoles), the controllers' (a ReplicaSet's Pods come from a
 * template already judged on its Deployment; the ClusterRole aggregator fills admin/edit/view), the
 * scheduler's and the kubelets'. The pack never sees these: the program declares none of them. The
 * controllers run as kube-system service accounts (kubeadm's --use-service-account-credentials), a
 * namespace only cluster admins reach.
 */
export const NOT_CONTROL_PLANE = {
    name: "not-the-control-plane",
    expression: "!(request.userInfo.username in ['system:apiserver', 'system:kube-controller-manager', 'system:kube-scheduler']" +
        " || request.userInfo.username.startsWith('system:serviceaccount:kube-system:')" +
        " || request.userInfo.username.startsWith('system:node:'))",
};

/** The match conditions of a policy: its exemptions, the control plane, and its own (EXTRA). */
export function conditions(exemptions: readonly Exemption[] | undefined, ...extra: { name: string; expression: string }[]): PolicySpec["matchConditions"] {
    const exempt = notExempt(exemptions);
    return [...(exempt ? [exempt] : []), NOT_CONTROL_PLANE, ...extra];
}
