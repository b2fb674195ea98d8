/**
 * The bundles the upgrade sandbox suites run (tests/sandbox/joins.ts) are, byte for byte, the ones
 * NodeUpgrade puts on stdin, so that what the sandbox proves holds for what `pulumi up` sends.
 */
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks } from "../harness";
import { bootstrapCommand, Bundle, decodeBundle } from "../../components/hosts/bundle";
import { NodeUpgrade } from "../../components/hosts/NodeUpgrade";
import { ClusterConfig, NodeConfig } from "../../config";
import { cordonBundle, firstControlPlane, upgradeBundle, UpgradeRole } from "../sandbox/joins";
import { CONTROL_PLANE, DEV, FIRST, TEST, TO, WORKER } from "./fixtures";

/** Strips Pulumi's secret wrapper from a mocked resource's input. */
function unwrapSecret(value: unknown): unknown {
    const SIG = "4dabf18193072939515e22adb298388d";
    return value && typeof value === "object" && SIG in value ? (value as Record<string, unknown>).value : value;
}

describe("the bundles these suites run are the ones NodeUpgrade sends", () => {
    test.each([
        ["the first control plane", TEST, FIRST, true, "first-control-plane"],
        ["another control plane", DEV, CONTROL_PLANE, false, "control-plane"],
        ["a worker", TEST, WORKER, false, "worker"],
    ] as [string, ClusterConfig, NodeConfig, boolean, UpgradeRole][])("%s: drain, run and uncordon, byte for byte, each the update of a no-op create", async (_, cluster, node, first, role) => {
        const inputs = await recordingMocks();

        const cp = firstControlPlane(cluster);
        new NodeUpgrade("sandbox", {
            node,
            first,
            connection: { host: node.address, user: "root", privateKey: "unused" },
            controlPlaneConnection: { host: cp.address, user: "root", privateKey: "unused" },
            version: TO,
        });
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

        const expected: Record<string, Bundle> = {
            "sandbox-drain": cordonBundle(node, "drain", TO),
            "sandbox-run": upgradeBundle(TO, role),
            "sandbox-uncordon": cordonBundle(node, "uncordon", TO),
        };
        for (const [name, bundle] of Object.entries(expected)) {
            const command = inputs.get(name);
            expect([name, typeof command?.stdin]).toEqual([name, "string"]);
            expect(decodeBundle(command?.stdin as string)).toEqual(bundle);
            expect([name, command?.create, command?.update]).toEqual([name, undefined, bootstrapCommand()]);
            // The connection is a secret (it carries the key): the drain and uncordon on the first control plane.
            expect([name, (unwrapSecret(command?.connection) as { host?: string } | undefined)?.host])
                .toEqual([name, name === "sandbox-run" ? node.address : cp.address]);
        }
    });
});
