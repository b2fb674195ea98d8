/**
 * The join path end to end in the sandbox: the token mint-token.sh prints on the first control plane is
 * the one join.sh joins with, as the program chains them; and the mint, join and drain bundles built by
 * tests/sandbox/joins.ts, which every join and removal sandbox suite runs, are byte for byte the ones
 * NodeJoin sends under Pulumi's mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import { decodeBundle } from "../../components/hosts/bundle";
import { NodeJoin, parseToken } from "../../components/hosts/NodeJoin";
import { CA_HASH, CERT_KEY, drainBundle, ENCRYPTION_KEY, firstControlPlane, joinBundle, mintBundle, resetBundle, TOKEN } from "../sandbox/joins";
import { CONTROL_PLANE, DEV, expectNoSecrets, joinHost, LOG, mintHost, TEST, WORKER } from "./fixtures";

describe("mint then join, as the program chains them", () => {
    test("the token mint-token.sh prints is the one the node joins with, through parseToken and joinConfiguration", () => {
        const minted = "k8s4ab.z9y8x7w6v5u4t3s2";
        const cp = mintHost(DEV, CONTROL_PLANE, { tokenOutput: `${minted}\n` });
        const mint = cp.run("mint-token.sh");
        expect(mint.status).toBe(0);
        const token = parseToken(mint.stdout);
        expect(token).toBe(minted);

        const host = joinHost(DEV, CONTROL_PLANE, { bundle: joinBundle(DEV, CONTROL_PLANE, token) });
        const join = host.run("join.sh");
        expect(join.status).toBe(0);
        expect(host.readRoot(LOG)).toContain(`[discovery] Using token ${minted} to reach k8s-dev.example.org:6443`);
        // The certificate key uploaded on the first control plane is the one the node downloads with.
        expect(cp.readState("kubeadm/uploads")).toBe(`kubeadm-certs ${CERT_KEY}\n`);
        expect(host.readRoot(LOG)).toContain(`[download-certs] Using certificate key ${CERT_KEY}\n`);
        expectNoSecrets(join, [minted, CERT_KEY]);
    });
});

/** Strips Pulumi's secret wrapper from a mocked resource's input. */
function unwrapSecret(value: unknown): unknown {
    const SIG = "4dabf18193072939515e22adb298388d";
    return value && typeof value === "object" && SIG in value ? (value as Record<string, unknown>).value : value;
}

describe("the bundles these suites run are the ones NodeJoin sends", () => {
    test.each([
        ["worker", TEST, WORKER],
        ["control plane", DEV, CONTROL_PLANE],
    ])("a %s: mint, join, reset and drain bundles, byte for byte", async (_, cluster, node) => {
        const inputs = new Map<string, Record<string, unknown>>();
        await pulumi.runtime.setMocks({
            newResource: (args) => {
                inputs.set(args.name, args.inputs);
                const stdout = args.name.endsWith("-token") ? { stdout: `{"token": "${TOKEN}"}\n` } : {};
                return { id: `${args.name}-id`, state: { ...args.inputs, ...stdout } };
            },
            call: (args) => args.inputs,
        }, "lsst-k8s", "test", false);

        const first = firstControlPlane(cluster);
        const nj = new NodeJoin("sandbox", {
            cluster,
            node,
            connection: { host: node.address, user: "root", privateKey: "unused" },
            controlPlaneNode: first,
            controlPlaneConnection: { host: first.address, user: "root", privateKey: "unused" },
            caCertHash: CA_HASH,
            certificateKey: CERT_KEY,
            ...(node.role === "control-plane" ? { encryptionKey: ENCRYPTION_KEY } : {}),
        });
        const joinStdin = await new Promise<string>((done) => pulumi.unsecret(nj.join.stdin as pulumi.Output<string>).apply(done));
        const drainStdin = await new Promise<string>((done) => pulumi.output(nj.drain.stdin as pulumi.Output<string>).apply(done));
        const resetStdin = await new Promise<string>((done) => pulumi.output(nj.reset.stdin as pulumi.Output<string>).apply(done));
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

        const mintStdin = unwrapSecret(inputs.get("sandbox-token")?.stdin);
        expect(typeof mintStdin).toBe("string");
        expect(decodeBundle(mintStdin as string)).toEqual(mintBundle(cluster, node));
        expect(decodeBundle(joinStdin)).toEqual(joinBundle(cluster, node));
        expect(decodeBundle(drainStdin)).toEqual(drainBundle(node));
        expect(decodeBundle(resetStdin)).toEqual(resetBundle(cluster, node));
    });
});
