/** `cluster`: the cluster's name, its exact version pin, its endpoint, its networks and its hosts. */
import { z } from "zod";
import { parseVersion, windowProblem } from "../components/hosts/versions";
import { blockSize, contains, hasHostBits, isNetworkOrBroadcast, overlaps, parseCidr, validCidr } from "./net";
import { nodes } from "./nodes";
import { oidc } from "./oidc";
import { quote, ref } from "./problems";
import { ssh } from "./ssh";
import { ALWAYS, CIDR_PATTERN, DNS_LABEL, isHost, isIPv4, isPort, isRecord, record, text, whole } from "./values";

const kubernetesVersion = text().transform((s, ctx) => {
    const v = parseVersion(s);
    if (!v) {
        ctx.addIssue({ code: "custom", input: s, message: `${quote(s)} is not an exact version X.Y.Z (kubeadm must not pick a newer patch)` });
        return z.NEVER;
    }
    const outside = windowProblem(v);
    if (outside) {
        ctx.addIssue({ code: "custom", input: s, message: outside });
        return z.NEVER;
    }
    return v;
}).meta({
    description: 'The exact Kubernetes release "X.Y.Z", inside the maintained window; raising it by one minor upgrades in place.',
    pattern: "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$",
});

const ENDPOINT = /^([^:]+):([1-9]\d*)$/;

const controlPlaneEndpoint = text(
    (s) => { const m = ENDPOINT.exec(s); return !!m && isHost(m[1]) && isPort(Number(m[2])); },
    "is not host:port (a DNS name or IPv4 address, a port 1-65535)",
).transform((s) => {
    const [, host, port] = ENDPOINT.exec(s)!;
    return { host, port: Number(port), text: s };
}).meta({
    description: 'The API server as every node and client reaches it, "host:port" (a load balancer or DNS name for several control planes).',
    pattern: ENDPOINT.source,
});

const cidr = (what: string) => text().superRefine((s, ctx) => {
    if (s === "") {
        return;
    }
    const c = parseCidr(s);
    if (!c) {
        ctx.addIssue({ code: "custom", input: s, message: `${quote(s)} is not an IPv4 CIDR (a.b.c.d/n)` });
    } else if (hasHostBits(c)) {
        ctx.addIssue({ code: "custom", input: s, message: `${s} has host bits set` });
    }
}).meta({ description: what, pattern: CIDR_PATTERN });

const NETWORKS = ["nodes", "pods", "services"] as const;

/** The kubelet's default maxPods: Weave hands every pod an address from the one pod network. */
const MAX_PODS = 110;

/** The three networks never overlap: a later one is reported against the first it overlaps. */
const networks = record({
    nodes: cidr("The hosts' network: every node address lies inside it."),
    pods: cidr("The pod network Weave allocates from (kubeadm's podSubnet)."),
    services: cidr("The Service network (kubeadm's serviceSubnet); the registry's fixed address lies inside it."),
}).superRefine((value: unknown, ctx) => {
    if (!isRecord(value)) {
        return;
    }
    for (let j = 1; j < NETWORKS.length; j++) {
        const b = validCidr(value[NETWORKS[j]]);
        for (let i = 0; b && i < j; i++) {
            const a = validCidr(value[NETWORKS[i]]);
            if (a && overlaps(a, b)) {
                ctx.addIssue({ code: "custom", path: [NETWORKS[j]], message: `${b.text} overlaps {ref} (${a.text})`, params: ref(1, NETWORKS[i]) });
            }
        }
    }
}, ALWAYS);

/** How a pin change rolls through the nodes (technote 000 "Maintenance"). */
const upgrade = record({
    workersAtOnce: whole(1, 10000).default(1).meta({
        description: "How many workers are drained and upgraded at once (kubespray's serial); control planes always go one at a time; default 1.",
    }),
});

export const cluster = record({
    name: text(DNS_LABEL, "is not a DNS-1123 label").meta({ description: "The cluster's name (DNS-1123 label): every resource's name derives from it." }),
    kubernetesVersion,
    controlPlaneEndpoint,
    networks,
    ssh,
    nodes,
    oidc: oidc.optional().meta({ description: "How people log in: the OpenID Connect provider the API server trusts; absent, only the admin kubeconfig." }),
    upgrade: upgrade.default({ workersAtOnce: 1 }).meta({ description: "How a pin change rolls through the nodes; default one worker at a time." }),
}).superRefine((value: unknown, ctx) => {
    const pods = isRecord(value) && isRecord(value.networks) ? validCidr(value.networks.pods) : undefined;
    const count = isRecord(value) && Array.isArray(value.nodes) ? value.nodes.length : 0;
    if (pods && count > 0 && blockSize(pods) < count * MAX_PODS) {
        const bits = 32 - Math.ceil(Math.log2(count * MAX_PODS));
        ctx.addIssue({
            code: "custom", path: ["networks", "pods"],
            message: `${pods.text} has ${blockSize(pods)} addresses, too few for ${count} nodes of up to ${MAX_PODS} pods each: make it a /${bits} or larger`,
        });
    }
    // Checked even when another network is wrong, so every address problem shows in the same pass.
    const network = isRecord(value) && isRecord(value.networks) ? validCidr(value.networks.nodes) : undefined;
    if (!network || !isRecord(value) || !Array.isArray(value.nodes)) {
        return;
    }
    value.nodes.forEach((n: unknown, i: number) => {
        const address = isRecord(n) ? n.address : undefined;
        if (typeof address !== "string" || !isIPv4(address)) {
            return;
        }
        if (!contains(network, address)) {
            ctx.addIssue({ code: "custom", path: ["nodes", i, "address"], message: `${address} is outside the node network ${network.text}` });
        } else if (network.bits <= 30 && isNetworkOrBroadcast(network, address)) {
            ctx.addIssue({ code: "custom", path: ["nodes", i, "address"], message: `${address} is the network or broadcast address of ${network.text}` });
        }
    });
}, ALWAYS);

export type ClusterSection = z.output<typeof cluster>;
