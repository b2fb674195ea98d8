import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { IdRangesConfig } from "../../config/platform";

/** The label that puts a namespace under the policy; its ranges are the two annotations below. */
export const ID_RANGE_LABEL = "lsst-k8s.io/id-range";
export const UID_RANGE_ANNOTATION = "lsst-k8s.io/uid-range";
export const GID_RANGE_ANNOTATION = "lsst-k8s.io/gid-range";
/** The policy's and its binding's name on the cluster. */
export const ID_RANGE_POLICY = "lsst-k8s-id-ranges";

/** What a namespace with ranges carries, for the Platform to merge into its metadata. */
export function idRangeMetadata(ids: IdRangesConfig): { labels: Record<string, string>; annotations: Record<string, string> } {
    return {
        labels: { [ID_RANGE_LABEL]: "true" },
        annotations: { [UID_RANGE_ANNOTATION]: ids.uids, [GID_RANGE_ANNOTATION]: ids.gids },
    };
}

const annotation = (key: string) => `'${key}' in variables.annotations ? variables.annotations['${key}'] : ''`;
const bound = (text: string, i: number) => `variables.valid ? int(variables.${text}.split('-')[${i}]) : 0`;
const podField = (f: string) => `has(object.spec.securityContext) && has(object.spec.securityContext.${f}) ? object.spec.securityContext.${f} : -1`;
const own = (f: string) => `has(c.securityContext) && has(c.securityContext.${f}) ? c.securityContext.${f} : -1`;
/**
 * One kind of container as {field, user, group}: its own runAsUser and runAsGroup, -1 where unset.
 * dyn(), because a CEL map literal holds one value type unless told otherwise.
 */
const kind = (k: string) =>
    `object.spec.${k}.map(c, {'field': dyn('spec.${k}["' + c.name + '"].securityContext'), 'user': dyn(${own("runAsUser")}), 'group': dyn(${own("runAsGroup")})})`;
const optionalKind = (k: string) => `(has(object.spec.${k}) ? ${kind(k)} : [])`;
const inRange = (v: string, ids: "uid" | "gid") => `(${v} >= variables.${ids}Min && ${v} <= variables.${ids}Max)`;
/** "qserv's uid range 20000-20999 (lsst-k8s.io/uid-range)" */
const rangeText = (ids: "uid" | "gid", key: string) =>
    `namespaceObject.metadata.name + "'s ${ids} range " + variables.${ids}Text + ' (${key})'`;

/** A pod-level id field, checked when set. */
function podCheck(field: string, ids: "uid" | "gid", key: string, variable: string) {
    return {
        expression: `!variables.valid || variables.${variable} == -1 || ${inRange(`variables.${variable}`, ids)}`,
        messageExpression: `'spec.securityContext.${field} ' + string(variables.${variable}) + ' is outside ' + ${rangeText(ids, key)}`,
        reason: "Forbidden",
    };
}

/**
 * Every container's effective runAsUser or runAsGroup: its own inside the range, or none and the
 * pod's set (which podCheck holds to the range). Unset on both, the image's user or group would run,
 * which may be root or anyone's.
 */
function containerCheck(field: "runAsUser" | "runAsGroup", ids: "uid" | "gid", key: string, podVariable: string) {
    const k = field === "runAsUser" ? "user" : "group";
    const good = `(c.${k} == -1 ? variables.${podVariable} != -1 : ${inRange(`c.${k}`, ids)})`;
    return {
        expression: `!variables.valid || variables.containers.all(c, ${good})`,
        messageExpression: `variables.containers.filter(c, !${good}).map(c, c.${k} == -1 ` +
            `? c.field + '.${field} is unset, as is spec.securityContext.${field}, so the image\\'s would be used: set it inside ' + ${rangeText(ids, key)} ` +
            `: c.field + '.${field} ' + string(c.${k}) + ' is outside ' + ${rangeText(ids, key)}).join('; ')`,
        reason: "Forbidden",
    };
}

/** The policy's spec: pods of a labeled namespace run only as the ids its annotations give. */
export function idRangePolicySpec(): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
    const U = UID_RANGE_ANNOTATION;
    const G = GID_RANGE_ANNOTATION;
    const groups = "object.spec.securityContext.supplementalGroups";
    return {
        failurePolicy: "Fail",
        matchConstraints: {
            // A pod's security context cannot change once created; its ephemeral containers come later,
            // through their subresource. Plain pod updates are left alone, so a pod admitted before the
            // policy can still have its finalizers removed and go.
            resourceRules: [
                { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] },
                { apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["pods/ephemeralcontainers"] },
            ],
        },
        variables: [
            { name: "annotations", expression: "has(namespaceObject.metadata.annotations) ? namespaceObject.metadata.annotations : {}" },
            { name: "uidText", expression: annotation(U) },
            { name: "gidText", expression: annotation(G) },
            { name: "valid", expression: "variables.uidText.matches('^[0-9]+-[0-9]+$') && variables.gidText.matches('^[0-9]+-[0-9]+$')" },
            { name: "uidMin", expression: bound("uidText", 0) },
            { name: "uidMax", expression: bound("uidText", 1) },
            { name: "gidMin", expression: bound("gidText", 0) },
            { name: "gidMax", expression: bound("gidText", 1) },
            { name: "podUser", expression: podField("runAsUser") },
            { name: "podGroup", expression: podField("runAsGroup") },
            { name: "containers", expression: `${kind("containers")} + ${optionalKind("initContainers")} + ${optionalKind("ephemeralContainers")}` },
        ],
        // Forbidden (403), as RBAC and Pod Security answer, rather than the default Invalid (422).
        validations: [
            {
                // A labeled namespace with no usable range refuses every pod rather than admitting any id.
                expression: "variables.valid && variables.uidMin <= variables.uidMax && variables.gidMin <= variables.gidMax",
                messageExpression: `'namespace ' + namespaceObject.metadata.name + ' is labeled ${ID_RANGE_LABEL} but its annotations ` +
                    `${U} and ${G} are not both ranges like "20000-20999"'`,
                reason: "Forbidden",
            },
            podCheck("runAsUser", "uid", U, "podUser"),
            podCheck("runAsGroup", "gid", G, "podGroup"),
            {
                expression: "!variables.valid || !has(object.spec.securityContext) || !has(object.spec.securityContext.fsGroup) || " +
                    inRange("object.spec.securityContext.fsGroup", "gid"),
                messageExpression: `'spec.securityContext.fsGroup ' + string(object.spec.securityContext.fsGroup) + ' is outside ' + ${rangeText("gid", G)}`,
                reason: "Forbidden",
            },
            {
                expression: `!variables.valid || !has(object.spec.securityContext) || !has(${groups}) || ${groups}.all(g, ${inRange("g", "gid")})`,
                messageExpression: `'spec.securityContext.supplementalGroups ' + ${groups}.filter(g, !${inRange("g", "gid")}).map(g, string(g)).join(', ') + ` +
                    `' outside ' + ${rangeText("gid", G)}`,
                reason: "Forbidden",
            },
            containerCheck("runAsUser", "uid", U, "podUser"),
            containerCheck("runAsGroup", "gid", G, "podGroup"),
        ],
    };
}

/** The binding's spec: the policy, denying, in the namespaces labeled for it only. */
export function idRangeBindingSpec(): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec {
    return {
        policyName: ID_RANGE_POLICY,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { [ID_RANGE_LABEL]: "true" } } },
    };
}

export interface IdRangesArgs {
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What the policy waits for: the namespaces it applies to; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Technote 001 "Access to File Sets" over NFS: the server trusts the uid and gids a pod sends, so the
 * per-group permissions hold only while a pod cannot choose another group's ids. An admission policy
 * holds the pods of every namespace labeled ID_RANGE_LABEL to the uid and gid ranges its annotations
 * give: runAsUser and runAsGroup set (on the pod or on every container, init and ephemeral ones
 * included) and inside them, fsGroup and every supplementalGroups entry inside the gid range.
 */
export class IdRanges extends pulumi.ComponentResource {
    constructor(name: string, args: IdRangesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:IdRanges", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-policy`, {
            metadata: { name: ID_RANGE_POLICY },
            spec: idRangePolicySpec(),
        }, o);
        new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-binding`, {
            metadata: { name: ID_RANGE_POLICY },
            spec: idRangeBindingSpec(),
        }, { ...o, dependsOn: [policy] });
        this.registerOutputs({});
    }
}
