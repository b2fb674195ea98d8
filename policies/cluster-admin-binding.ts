import { StackValidationPolicy } from "@pulumi/policy";
import { kubeType } from "./lib/kube";
import { BINDING_KINDS, bindsClusterAdmin, CLUSTER_ADMIN, DEFAULT_ADMIN_GROUP, describeSubject, isGroup, itemsOf, listText, rbacKind, subjectsOf } from "./lib/rbac";
import { withDefaults } from "./lib/stackConfig";

export interface ClusterAdminBindingConfig {
    /** The one group that may be bound to cluster-admin. */
    readonly adminGroup: string;
}

export const clusterAdminBindingDefaults: ClusterAdminBindingConfig = { adminGroup: DEFAULT_ADMIN_GROUP };

/**
 * Technote 001 "Roles and Security", over the whole stack and without exemptions: cluster-admin is bound
 * to the admin group and to nobody else, whichever resource (or list of them) declares the binding.
 */
export const clusterAdminBinding: StackValidationPolicy = {
    name: "cluster-admin-binding",
    description: "Every binding to the cluster-admin ClusterRole in the stack must have the admin group as its one and only subject.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: { adminGroup: { type: "string", minLength: 1, default: DEFAULT_ADMIN_GROUP } },
    },
    validateStack: (args, reportViolation) => {
        const { adminGroup } = withDefaults(clusterAdminBindingDefaults, args.getConfig<Partial<ClusterAdminBindingConfig>>());
        for (const resource of args.resources) {
            const t = kubeType(resource.type);
            const rbac = t && rbacKind(t);
            if (!t || !rbac || !BINDING_KINDS.includes(rbac.kind)) {
                continue;
            }
            for (const { item, where } of itemsOf(resource.props, rbac.list)) {
                if (!bindsClusterAdmin(item)) {
                    continue;
                }
                const subjects = subjectsOf(item);
                if (subjects === undefined && t.patch) {
                    continue; // a patch that leaves the subjects as they are
                }
                if (!subjects?.length) {
                    reportViolation(`${where}binds ClusterRole ${CLUSTER_ADMIN} to no subject; its only subject must be the group ${adminGroup}`, resource.urn);
                } else if (subjects.length !== 1 || !isGroup(subjects[0], adminGroup)) {
                    reportViolation(`${where}binds ClusterRole ${CLUSTER_ADMIN} to ${listText(subjects.map(describeSubject))}; ` +
                        `its only subject must be the group ${adminGroup}`, resource.urn);
                }
            }
        }
    },
};
