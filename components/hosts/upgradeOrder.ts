/**
 * The order a pin change rolls through the nodes (technote 000 "Maintenance", kubespray's `serial`): the
 * first control plane, each other control plane on its own, then the workers in batches of
 * `workersAtOnce`. A batch starts once every node of the one before it is uncordoned.
 */
import { ClusterConfig, NodeConfig } from "../../config";

export interface UpgradeOrder {
    /** The control planes after the first, each a batch of its own. */
    readonly controlPlanes: readonly NodeConfig[];
    /** The workers, `upgrade.workersAtOnce` to a batch, in inventory order. */
    readonly workerBatches: readonly (readonly NodeConfig[])[];
}

/** Who follows the first control plane; a node marked unreachable is in no batch (nothing may dial it). */
export function upgradeOrder(config: ClusterConfig): UpgradeOrder {
    const reachable = config.nodes.filter((n) => !n.unreachable);
    const first = config.nodes.find((n) => n.role === "control-plane");
    const workers = reachable.filter((n) => n.role === "worker");
    const workerBatches: NodeConfig[][] = [];
    for (let i = 0; i < workers.length; i += config.upgrade.workersAtOnce) {
        workerBatches.push(workers.slice(i, i + config.upgrade.workersAtOnce));
    }
    return { controlPlanes: reachable.filter((n) => n.role === "control-plane" && n !== first), workerBatches };
}
