/**
 * public-exposure and no-default-namespace in CEL. An approval names one object exactly (kind,
 * namespace, defaulting to default as in the pack, and name) with a reason; like an exemption, it
 * takes the object out of the policy, and nothing written on the object counts.
 */
import { ExposureApproval, PublicExposureConfig } from "../../../policies/public-exposure";
import { KubePolicyConfig } from "../../../policies/lib/kubePolicy";
import { AdmissionRule, conditions, KIND, NAME, NAMESPACE, POD_VARIABLES, rule, str, strs, WORKLOAD_RULES } from "./cel";

const UNAPPROVED = "without the Kubernetes sysadmin's approval";
const IS_SERVICE = "(request.kind.group == '' && request.kind.kind == 'Service')";
const IS_INGRESS = "(request.kind.group == 'networking.k8s.io' && request.kind.kind == 'Ingress')";
const IS_WORKLOAD = `!${IS_SERVICE} && !${IS_INGRESS}`;

function notApproved(approved: readonly ExposureApproval[] | undefined): { name: string; expression: string }[] {
    const keys = (Array.isArray(approved) ? approved : [])
        .filter((a) => a && typeof a.reason === "string" && a.reason !== "" && typeof a.kind === "string" && typeof a.name === "string")
        .map((a) => `${a.kind}/${a.namespace ?? "default"}/${a.name}`);
    return keys.length ? [{ name: "not-approved", expression: `!((${KIND} + '/' + ${NAMESPACE} + '/' + ${NAME}) in ${strs(keys)})` }] : [];
}

export function publicExposureRule(config: PublicExposureConfig): AdmissionRule {
    return {
        policy: "public-exposure",
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                // extensions/v1beta1 Ingresses, which the pack also names, are no longer served.
                resourceRules: [rule("", ["services"]), rule("networking.k8s.io", ["ingresses"]), ...WORKLOAD_RULES],
            },
            matchConditions: conditions(config.exemptions, ...notApproved(config.approved)),
            variables: POD_VARIABLES,
            validations: [
                {
                    expression: `!${IS_SERVICE} || !has(object.spec.type) || !(object.spec.type in ['LoadBalancer', 'NodePort'])`,
                    message: `a LoadBalancer or NodePort Service exposes it outside the cluster ${UNAPPROVED}`,
                    messageExpression: `'spec.type ' + object.spec.type + ${str(` exposes it outside the cluster ${UNAPPROVED}`)}`,
                    reason: "Forbidden",
                },
                {
                    expression: `!${IS_SERVICE} || !has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0`,
                    message: `spec.externalIPs expose it outside the cluster ${UNAPPROVED}`,
                    messageExpression: `'spec.externalIPs (' + object.spec.externalIPs.join(', ') + ${str(`) expose it outside the cluster ${UNAPPROVED}`)}`,
                    reason: "Forbidden",
                },
                { expression: `!${IS_INGRESS}`, message: `an Ingress exposes Services outside the cluster ${UNAPPROVED}`, reason: "Forbidden" },
                {
                    expression: `!(${IS_WORKLOAD}) || variables.spec == null || !has(variables.spec.hostNetwork) || variables.spec.hostNetwork != true`,
                    message: `hostNetwork puts its pods on the node's network ${UNAPPROVED}`,
                    reason: "Forbidden",
                },
                {
                    expression: `!(${IS_WORKLOAD}) || variables.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))`,
                    message: `a hostPort opens a port on the node ${UNAPPROVED}`,
                    reason: "Forbidden",
                },
            ],
        },
    };
}

/**
 * Every namespaced object the pack sees, so every namespaced resource here, but Events: the
 * components report about cluster-scoped objects (nodes) into default, and the program declares none.
 */
export function noDefaultNamespaceRule(config: KubePolicyConfig): AdmissionRule {
    return {
        policy: "no-default-namespace",
        spec: {
            failurePolicy: "Fail",
            matchConstraints: {
                resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], operations: ["CREATE", "UPDATE"], resources: ["*"], scope: "Namespaced" }],
                excludeResourceRules: [rule("", ["events"]), rule("events.k8s.io", ["events"])],
            },
            matchConditions: conditions(config.exemptions),
            variables: [],
            validations: [{
                expression: "request.namespace != 'default'",
                message: "is in the default namespace; put it in its application's namespace",
                reason: "Forbidden",
            }],
        },
    };
}
