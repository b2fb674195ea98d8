/** `cluster.nodes`: the inventory, each host once, with an odd number of control planes. */
import { z } from "zod";
import { ref } from "./problems";
import { hostKey } from "./ssh";
import { ALWAYS, DNS_SUBDOMAIN, flag, IPV4_PATTERN, isIPv4, isRecord, list, oneOf, record, repeats, text } from "./values";

export const NODE_ROLES = ["control-plane", "worker"] as const;

const node = record({
    name: text(DNS_SUBDOMAIN, "is not a DNS-1123 subdomain")
        .meta({ description: "Kubernetes node name (DNS-1123 subdomain), also the Pulumi name of the node's resources." }),
    role: oneOf(NODE_ROLES).meta({ description: "control-plane or worker; the first control plane in the list runs kubeadm init." }),
    address: text(isIPv4, "is not an IPv4 address")
        .meta({ description: "IPv4 address the program reaches the node at and the node advertises, inside networks.nodes.", pattern: IPV4_PATTERN }),
    hostKey,
    unreachable: flag().default(false).meta({
        description: "The host no longer answers (dead hardware): its own commands never run again, and removing it " +
            "from the inventory only drains and deletes it from the API. Default false.",
    }),
});

const isControlPlane = (n: unknown) => isRecord(n) && n.role === "control-plane";

export const nodes = list(node).superRefine((items: unknown, ctx) => {
    if (!Array.isArray(items)) {
        return;
    }
    const firstCp = items.findIndex(isControlPlane);
    if (firstCp >= 0 && (items[firstCp] as Record<string, unknown>).unreachable === true) {
        ctx.addIssue({ code: "custom", path: [firstCp, "unreachable"], message: "the first control plane runs every drain and token: it cannot be unreachable" });
    }
    for (const { at, first, value } of repeats(items, "name", (v) => DNS_SUBDOMAIN.test(v))) {
        ctx.addIssue({ code: "custom", path: [at, "name"], message: `${JSON.stringify(value)} is already used by {ref}`, params: ref(2, first) });
    }
    for (const { at, first, value } of repeats(items, "address", isIPv4)) {
        ctx.addIssue({ code: "custom", path: [at, "address"], message: `${value} is already used by {ref}`, params: ref(2, first) });
    }
    const controlPlanes = items.filter(isControlPlane).length;
    if (controlPlanes === 0) {
        ctx.addIssue({ code: "custom", message: 'needs at least one node with role "control-plane"' });
    } else if (controlPlanes > 1 && controlPlanes % 2 === 0) {
        ctx.addIssue({ code: "custom", message: `has ${controlPlanes} control-plane nodes; etcd needs an odd number to keep quorum` });
    }
}, ALWAYS).meta({ description: "Every host of the cluster, each once; an odd number of control planes." });

export type NodeConfig = z.output<typeof node>;
export type NodeRole = (typeof NODE_ROLES)[number];
