/**
 * A committed stack's cluster grown to any size, for the scale proofs (tests/critical-path.test.ts,
 * bench/): the same platform and settings, the inventory replaced by `controlPlanes` control planes and
 * `workers` workers (cp01…, node0001…) on a node network and a pod network large enough for them.
 */

import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

export interface Size {
    readonly controlPlanes: number;
    readonly workers: number;
}

/** 172.16.0.0/12 holds a million hosts; the pods' /9 holds 110 pods each for 76 000 nodes. */
const NODE_NETWORK = "172.16.0.0/12";
const POD_NETWORK = "10.128.0.0/9";

/** The i-th host: .1 to .250 of each /24, clear of its network and broadcast addresses. */
function address(i: number): string {
    return `172.16.${Math.floor(i / 250)}.${(i % 250) + 1}`;
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

/** The text of Pulumi.<stack>.yaml with its cluster scaled to `size`, for `npm run synth -- --config`. */
export function scaledStackFile(repo: string, stack: string, size: Size): string {
    const doc = yaml.load(fs.readFileSync(path.join(repo, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const key = "lsst-k8s:cluster";
    doc.config[key] = scaledCluster(doc.config[key] as Record<string, unknown>, size);
    return yaml.dump(doc, { lineWidth: -1 });
}
