import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { kubePolicy, KubePolicyConfig } from "./lib/kubePolicy";
import { containersOf, KubeObject, KubeType, namespaceOf, podSpecOf, WORKLOAD_KINDS } from "./lib/kube";

/** One object the Kubernetes sysadmin has approved for exposure outside the cluster. */
export interface ExposureApproval {
    /** The object's kind ("Service", "Ingress", "DaemonSet"). */
    readonly kind: string;
    /** Its namespace; left out, the object Kubernetes puts in default. */
    readonly namespace?: string;
    readonly name: string;
    /** Who approved it and why: required. */
    readonly reason: string;
}

export interface PublicExposureConfig extends KubePolicyConfig {
    /** The exact objects approved for exposure, each with its reason. */
    readonly approved: readonly ExposureApproval[];
}

const approvalSchema: PolicyConfigJSONSchema = {
    type: "array",
    items: {
        type: "object",
        properties: {
            kind: { type: "string", minLength: 1 },
            namespace: { type: "string", minLength: 1 },
            name: { type: "string", minLength: 1 },
            reason: { type: "string", minLength: 1 },
        },
        required: ["kind", "name", "reason"],
        additionalProperties: false,
    },
    default: [],
};

const INGRESS_GROUPS = new Set(["networking.k8s.io", "extensions"]);
const EXPOSING_SERVICE_TYPES = new Set(["LoadBalancer", "NodePort"]);
const UNAPPROVED = "without the Kubernetes sysadmin's approval";

function isService(t: KubeType): boolean {
    return t.group === "" && t.kind === "Service";
}

function isIngress(t: KubeType): boolean {
    return INGRESS_GROUPS.has(t.group) && t.kind === "Ingress";
}

/** Approved only by an entry naming exactly this object, with a reason; an annotation on the object counts for nothing. */
function isApproved(approved: readonly ExposureApproval[] | undefined, t: KubeType, obj: KubeObject): boolean {
    const name = obj?.metadata?.name;
    const ns = namespaceOf(obj);
    return (Array.isArray(approved) ? approved : []).some((a) =>
        a && typeof a === "object" && typeof a.reason === "string" && a.reason !== "" &&
        a.kind === t.kind && name !== undefined && a.name === name && (a.namespace ?? "default") === ns);
}

/**
 * Technote 001 "Network Ports": only the Kubernetes sysadmin exposes anything outside the cluster, so
 * every exposure needs an approval naming the exact object in the stack's policy config.
 */
export const publicExposure = kubePolicy<PublicExposureConfig>({
    name: "public-exposure",
    description: "Objects that expose anything outside the cluster (LoadBalancer and NodePort Services, external IPs, Ingresses, host networking and host ports) must be approved by the Kubernetes sysadmin in the policy config.",
    schema: { approved: approvalSchema },
    defaults: { approved: [] },
    applies: (t) => isService(t) || isIngress(t) || WORKLOAD_KINDS.includes(t.kind),
    validate: (t, obj, config, report) => {
        if (isApproved(config.approved, t, obj)) {
            return;
        }
        if (isService(t)) {
            const spec = obj.spec ?? {};
            if (EXPOSING_SERVICE_TYPES.has(spec.type)) {
                report(`spec.type ${spec.type} exposes it outside the cluster ${UNAPPROVED}`);
            }
            const ips = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
            if (ips.length) {
                report(`spec.externalIPs (${ips.join(", ")}) expose it outside the cluster ${UNAPPROVED}`);
            }
            return;
        }
        if (isIngress(t)) {
            report(`an Ingress exposes Services outside the cluster ${UNAPPROVED}`);
            return;
        }
        const pod = podSpecOf(t, obj);
        if (!pod) {
            return;
        }
        if (pod.spec.hostNetwork === true) {
            report(`${pod.path}.hostNetwork puts its pods on the node's network ${UNAPPROVED}`);
        }
        for (const { container, label } of containersOf(pod.spec)) {
            const ports = Array.isArray(container.ports) ? container.ports : [];
            ports.forEach((port: KubeObject, i: number) => {
                const hostPort = port && typeof port === "object" ? port.hostPort : undefined;
                if (hostPort !== undefined && hostPort !== null && hostPort !== 0) {
                    report(`${label}: ports[${i}].hostPort ${hostPort} opens a port on the node ${UNAPPROVED}`);
                }
            });
        }
    },
});
