/**
 * NetworkPolicy semantics (networking.k8s.io/v1), written from the API's own reference and the
 * "Network Policies" concept page, to decide whether a connection is let in:
 *
 * - A pod is isolated for ingress when some policy of its namespace selects it (podSelector; {} selects
 *   every pod) with Ingress among its policyTypes. policyTypes absent means Ingress, plus Egress when
 *   the policy has egress rules. A pod no policy isolates accepts everything.
 * - An isolated pod accepts a connection when any ingress rule of any policy isolating it allows it
 *   (the union of the allows; no policy denies). A rule allows when its `from` is absent or empty, or
 *   one peer matches; and its `ports` is absent or empty, or one port matches.
 * - A peer with only podSelector: pods of the policy's own namespace. Only namespaceSelector: every pod
 *   of the namespaces it selects. Both: pods matching podSelector in those namespaces. ipBlock: source
 *   addresses inside cidr and outside every except.
 * - A port: protocol (default TCP) and port, a number or a named container port of the receiving pod
 *   (default every port), up to endPort when given.
 *
 * Left to the implementation by the spec, and a parameter here: whether ipBlock matches a pod's own
 * address. weave-npc matches it (its ipBlock rules test the source address only).
 */

export type Labels = Readonly<Record<string, string>>;

export interface LabelSelector {
    readonly matchLabels?: Labels;
    readonly matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

export interface PolicyPort { readonly protocol?: string; readonly port?: number | string; readonly endPort?: number }
export interface PolicyPeer {
    readonly podSelector?: LabelSelector;
    readonly namespaceSelector?: LabelSelector;
    readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

export interface NetworkPolicy {
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: {
        readonly podSelector: LabelSelector;
        readonly policyTypes?: readonly string[];
        readonly ingress?: readonly { readonly from?: readonly PolicyPeer[]; readonly ports?: readonly PolicyPort[] }[];
        readonly egress?: readonly unknown[];
    };
}

/** A pod: its namespace, labels, address and named container ports. */
export interface Pod {
    readonly kind: "pod";
    readonly namespace: string;
    readonly labels: Labels;
    readonly ip: string;
    readonly ports?: Readonly<Record<string, { port: number; protocol: string }>>;
}

/** Anything that is not a pod: a node (through Weave's bridge address), a host outside the cluster. */
export interface Host { readonly kind: "host"; readonly ip: string }

export interface Connection { readonly protocol: "TCP" | "UDP" | "SCTP"; readonly port: number }

export interface Cluster {
    /** Every namespace's labels (the API server adds kubernetes.io/metadata.name itself: include it). */
    readonly namespaces: Readonly<Record<string, Labels>>;
    readonly policies: readonly NetworkPolicy[];
    /** Whether an ipBlock peer matches a pod's own address (implementation-defined; weave-npc: true). */
    readonly ipBlockMatchesPods: boolean;
}

export function selects(selector: LabelSelector, labels: Labels): boolean {
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[k] !== v) {
            return false;
        }
    }
    return (selector.matchExpressions ?? []).every((e) => {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        switch (e.operator) {
            case "In": return has && (e.values ?? []).includes(labels[e.key]);
            case "NotIn": return !has || !(e.values ?? []).includes(labels[e.key]);
            case "Exists": return has;
            case "DoesNotExist": return !has;
            default: throw new Error(`unknown selector operator ${e.operator}`);
        }
    });
}

function toNumber(ip: string): number {
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
        throw new Error(`not an IPv4 address: ${ip}`);
    }
    return parts.reduce((n, p) => n * 256 + p, 0);
}

export function inCidr(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    return Math.floor(toNumber(ip) / size) === Math.floor(toNumber(base) / size);
}

export function policyTypes(p: NetworkPolicy): readonly string[] {
    return p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
}

function peerMatches(c: Cluster, policyNamespace: string, peer: PolicyPeer, from: Pod | Host): boolean {
    if (peer.ipBlock) {
        if (from.kind === "pod" && !c.ipBlockMatchesPods) {
            return false;
        }
        return inCidr(from.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e) => inCidr(from.ip, e));
    }
    if (from.kind !== "pod") {
        return false;
    }
    const namespaceOk = peer.namespaceSelector
        ? selects(peer.namespaceSelector, c.namespaces[from.namespace] ?? {})
        : from.namespace === policyNamespace;
    return namespaceOk && (!peer.podSelector || selects(peer.podSelector, from.labels));
}

function portMatches(port: PolicyPort, to: Pod, conn: Connection): boolean {
    if ((port.protocol ?? "TCP") !== conn.protocol) {
        return false;
    }
    if (port.port === undefined) {
        return true;
    }
    if (typeof port.port === "string") {
        const named = to.ports?.[port.port];
        return named !== undefined && named.protocol === conn.protocol && named.port === conn.port;
    }
    return port.endPort === undefined ? port.port === conn.port : conn.port >= port.port && conn.port <= port.endPort;
}

/** The policies isolating `to` for ingress. */
export function isolating(c: Cluster, to: Pod): NetworkPolicy[] {
    return c.policies.filter((p) => p.metadata.namespace === to.namespace && policyTypes(p).includes("Ingress") && selects(p.spec.podSelector, to.labels));
}

/** Whether `to` accepts a new connection (or datagram) from `from`; the names of the policies that allow it. */
export function admits(c: Cluster, from: Pod | Host, to: Pod, conn: Connection): { allowed: boolean; by: string[] } {
    const policies = isolating(c, to);
    if (policies.length === 0) {
        return { allowed: true, by: [] };
    }
    const by = policies.filter((p) => (p.spec.ingress ?? []).some((rule) =>
        (!rule.from || rule.from.length === 0 || rule.from.some((peer) => peerMatches(c, p.metadata.namespace, peer, from))) &&
        (!rule.ports || rule.ports.length === 0 || rule.ports.some((port) => portMatches(port, to, conn)))))
        .map((p) => p.metadata.name);
    return { allowed: by.length > 0, by };
}
