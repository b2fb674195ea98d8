/**
 * A committed stack's cluster grown to any size, for the scale proofs (tests/critical-path.test.ts,
 * bench/): the same platform and settings, the inventory replaced by `controlPlanes` control planes and
 * `workers` workers (cp01…, node0001…) on a node network and a pod network large enough for them.
 */

export interface Size {
    readonly controlPlanes: number;
    readonly workers: number;
}

/** 10.200.0.0/16 holds 65 534 hosts; the pods' /13 holds 110 pods each for 4 766 nodes. */
const NODE_NETWORK = "10.200.0.0/16";
const POD_NETWORK = "10.0.0.0/13";

function address(i: number): string {
    const host = i + 10;
    return `10.200.${Math.floor(host / 256)}.${host % 256}`;
}

/** The cluster object of a stack file with its inventory replaced; `cluster` is not changed. */
export function scaledCluster(cluster: Record<string, unknown>, size: Size): Record<string, unknown> {
    const nodes = [
        ...Array.from({ length: size.controlPlanes }, (_, i) => ({ name: `cp${String(i + 1).padStart(2, "0")}`, role: "control-plane", address: address(i) })),
        ...Array.from({ length: size.workers }, (_, i) => ({ name: `node${String(i + 1).padStart(4, "0")}`, role: "worker", address: address(size.controlPlanes + i) })),
    ];
    const networks = cluster.networks as Record<string, unknown>;
    return {
        ...cluster,
        controlPlaneEndpoint: `${address(0)}:6443`,
        networks: { ...networks, nodes: NODE_NETWORK, pods: POD_NETWORK },
        nodes,
    };
}
