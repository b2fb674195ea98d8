/**
 * The bundles the control-plane-config sandbox suites run (./fixtures) are, byte for byte, the ones
 * ControlPlaneConfig puts on stdin under Pulumi's mocks, so that what the sandbox proves holds for what
 * `pulumi up` sends; and stdin is a secret, as the encryption key is in it.
 */
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks } from "../harness";
import { bootstrapCommand, decodeBundle, encodeBundle } from "../../components/hosts/bundle";
import { ControlPlaneConfig } from "../../components/hosts/ControlPlaneConfig";
import { ClusterConfig, NodeConfig } from "../../config";
import { ENCRYPTION_KEY } from "../sandbox/joins";
import { configBundle, CONTROL_PLANE, DEV, DEV_FIRST, isFirst, NO_OIDC, TEST, TEST_FIRST } from "./fixtures";

/** Pulumi's mark of a secret in a mocked resource's inputs. */
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

describe("the bundles these suites run are the ones ControlPlaneConfig sends", () => {
    test.each([
        ["test's only control plane", TEST, TEST_FIRST],
        ["dev's first control plane", DEV, DEV_FIRST],
        ["another of dev's control planes", DEV, CONTROL_PLANE],
        ["a control plane of dev without OIDC", NO_OIDC, CONTROL_PLANE],
    ] as [string, ClusterConfig, NodeConfig][])("%s: byte for byte, a secret, on create and on update", async (_, cluster, node) => {
        const inputs = await recordingMocks();

        new ControlPlaneConfig("sandbox", {
            cluster,
            node,
            first: isFirst(cluster, node),
            connection: { host: node.address, user: "root", privateKey: "unused" },
            encryptionKey: pulumi.secret(ENCRYPTION_KEY),
            gate: "allowed",
        });
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

        const command = inputs.get("sandbox-run");
        const stdin = command?.stdin as Record<string, unknown> | undefined;
        expect(stdin?.[SIG]).toBe(SECRET);
        expect(typeof stdin?.value).toBe("string");
        expect(stdin?.value).toBe(encodeBundle(configBundle(cluster, node)));
        expect(decodeBundle(stdin?.value as string)).toEqual(configBundle(cluster, node));
        expect([command?.create, command?.update]).toEqual([bootstrapCommand(), bootstrapCommand()]);
    });
});
