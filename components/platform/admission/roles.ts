/**
 * restricted-roles and cluster-admin-binding in CEL. The pack's cluster-admin-binding is a stack
 * policy without exemptions over every binding the stack declares; in the cluster each binding is
 * judged as it is written, which is the same rule one binding at a time. Lists of bindings, which
 * the stack policy also reads, do not exist in the API: each item is written on its own.
 */
import { RestrictedRolesConfig } from "../../../policies/restricted-roles";
import { ClusterAdminBindingConfig } from "../../../policies/cluster-admin-binding";
import { CLUSTER_ADMIN, RBAC_GROUP, SYSTEM_MASTERS } from "../../../policies/lib/rbac";
import { AdmissionRule, conditions, rule, str, Validation } from "./cel";

const IS_BINDING = "(request.kind.kind in ['RoleBinding', 'ClusterRoleBinding'])";
const SUBJECTS = "(has(object.subjects) ? object.subjects : [])";
const BINDS_CLUSTER_ADMIN = `(object.roleRef.kind == 'ClusterRole' && object.roleRef.name == ${str(CLUSTER_ADMIN)})`;
const isGroup = (s: string, name: string) => `(${s}.kind == 'Group' && ${s}.name == ${str(name)})`;
const list = (r: string, field: string) => `(has(${r}.${field}) ? ${r}.${field} : [])`;

/** One check over each rule of a Role or ClusterRole. */
function eachRule(check: string, message: string): Validation {
    return {
        expression: `${IS_BINDING} || ${list("object", "rules")}.all(r, ${check})`,
        message,
        reason: "Forbidden",
    };
}

export function restrictedRolesRule(config: RestrictedRolesConfig): AdmissionRule {
    const admin = config.adminGroup;
    const others = `${SUBJECTS}.exists(s, !${isGroup("s", admin)})`;
    const verbs = list("r", "verbs");
    const resources = list("r", "resources");
    const groups = list("r", "apiGroups");
    return {
        policy: "restricted-roles",
        spec: {
            failurePolicy: "Fail",
            matchConstraints: { resourceRules: [rule(RBAC_GROUP, ["roles", "rolebindings", "clusterroles", "clusterrolebindings"])] },
            matchConditions: conditions(config.exemptions),
            variables: [],
            validations: [
                {
                    expression: `!${IS_BINDING} || !${BINDS_CLUSTER_ADMIN} || !${others}`,
                    message: `binds ClusterRole ${CLUSTER_ADMIN} to others than the group ${admin}; only the group ${admin} may be bound to it`,
                    reason: "Forbidden",
                },
                {
                    expression: `!${IS_BINDING} || ${BINDS_CLUSTER_ADMIN} || !${others} || !${SUBJECTS}.exists(s, ${isGroup("s", SYSTEM_MASTERS)})`,
                    message: `names the group ${SYSTEM_MASTERS} as a subject; superuser access is held by the group ${admin} alone`,
                    reason: "Forbidden",
                },
                eachRule(`!('*' in ${verbs})`, "a rule's verbs have the wildcard \"*\"; list the verbs it needs"),
                eachRule(`!${resources}.exists(x, x.contains('*'))`, "a rule's resources have a wildcard; list the resources it needs"),
                eachRule(`!('*' in ${groups})`, "a rule's apiGroups have the wildcard \"*\"; list the API groups it needs"),
                eachRule(`!${verbs}.exists(v, v in ['escalate', 'bind', 'impersonate'])`,
                    "a rule has escalate, bind or impersonate, which let its holders reach past the permissions they were given"),
                // Secrets are in the core group; a rule whose apiGroups are not written may be about it.
                eachRule(`!((!has(r.apiGroups) || '' in r.apiGroups || '*' in r.apiGroups) && ${resources}.exists(x, x in ['secrets', '*'])` +
                    ` && ${verbs}.exists(v, v in ['get', 'list', 'watch', '*']))`, "a rule lets its holders read Secrets"),
            ],
        },
    };
}

/** Stack-wide in the pack and without exemptions, so without the exemption condition here. */
export function clusterAdminBindingRule(config: ClusterAdminBindingConfig): AdmissionRule {
    const admin = config.adminGroup;
    return {
        policy: "cluster-admin-binding",
        spec: {
            failurePolicy: "Fail",
            matchConstraints: { resourceRules: [rule(RBAC_GROUP, ["rolebindings", "clusterrolebindings"])] },
            matchConditions: conditions(undefined),
            variables: [],
            validations: [{
                expression: `!${BINDS_CLUSTER_ADMIN} || (size(${SUBJECTS}) == 1 && ${isGroup(`${SUBJECTS}[0]`, admin)})`,
                message: `binds ClusterRole ${CLUSTER_ADMIN} to others than exactly the group ${admin}; its only subject must be the group ${admin}`,
                reason: "Forbidden",
            }],
        },
    };
}
