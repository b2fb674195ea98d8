/**
 * Edits that would reset a live host are refused against the stack's own last outputs, before any host
 * command runs: renaming the cluster or a node, moving a node to another address or role, putting
 * another control plane first. Adding and removing nodes stays allowed. The same outputs say which joins
 * succeeded: one that did not mints a fresh token on the next deploy; and when the admin kubeconfig's
 * certificate falls due, which the next deploy renews. And no secret action hands its previous output to
 * the next run's environment.
 */
import { spawnSync } from "child_process";
import { deployProblems, identityProblems, PreviousDeploy } from "../../components/hosts/identity";
import { ClusterConfig, validateConfig } from "../../config";
import { decodeBundle } from "../../components/hosts/bundle";
import { PLACEHOLDER_NOT_AFTER } from "../../tools/offline";
import { clusterOf, dependsOn, ofType, rawConfig, REPO, runStack, STACKS } from "../harness";
import { COMMAND, GATE_PROBE, stdinOf } from "./commands";

type Json = Record<string, any>;

/** The test stack's config, edited, and what its last deploy would have reported. */
function edited(edit: (c: Json) => void): ClusterConfig {
    const cluster = clusterOf("test") as Json;
    edit(cluster);
    const { config, problems } = validateConfig(rawConfig("test", cluster).config);
    expect(problems).toEqual([]);
    return config!;
}

const deployed = (c: ClusterConfig): PreviousDeploy => ({
    clusterName: c.name,
    kubernetesVersion: c.kubernetesVersion.text,
    nodes: c.nodes.map(({ name, role, address }) => ({ name, role, address })),
});
const LAST = deployed(edited(() => undefined));

describe("the identity gate", () => {
    it("lets an unchanged config, added nodes and removed workers through", () => {
        expect(identityProblems(LAST, edited(() => undefined))).toEqual([]);
        expect(identityProblems(LAST, edited((c) => c.nodes.push({ name: "test-node003", role: "worker", address: "203.0.113.33" })))).toEqual([]);
        expect(identityProblems(LAST, edited((c) => c.nodes.pop()))).toEqual([]);
        expect(identityProblems(undefined, edited((c) => (c.name = "other")))).toEqual([]);
    });

    it("refuses a renamed cluster", () => {
        expect(identityProblems(LAST, edited((c) => (c.name = "lsst-test2")))).toEqual([
            'cluster.name: "lsst-test2" was "lsst-test" at the last deploy; renaming a cluster would reset every host, since every ' +
                "resource is named after it: keep the name, or build the new cluster as a new stack",
        ]);
    });

    it("refuses a renamed node, naming both names and the two deploys to make instead", () => {
        expect(identityProblems(LAST, edited((c) => (c.nodes[2].name = "test-node009")))).toEqual([
            'cluster.nodes[2].name: "test-node009" is at 203.0.113.32, where node "test-node002" was at the last deploy; renaming ' +
                'a node resets its host: remove "test-node002" in one deploy, then add "test-node009" in the next',
        ]);
    });

    it("refuses a node moved to another address or role", () => {
        const two = "remove the node from the inventory in one deploy (it is drained and reset), then add it back as it should be in the next";
        expect(identityProblems(LAST, edited((c) => (c.nodes[1].address = "203.0.113.39")))).toEqual([
            `cluster.nodes[1].address: node "test-node001" was at 203.0.113.31 at the last deploy; moving it would reset the host at 203.0.113.31: ${two}`,
        ]);
        expect(identityProblems(LAST, edited((c) => {
            c.nodes[1].role = "control-plane";
            c.nodes[2].role = "control-plane";
        }))).toEqual([
            `cluster.nodes[1].role: node "test-node001" was a worker at the last deploy; a node cannot change role in place: ${two}`,
            `cluster.nodes[2].role: node "test-node002" was a worker at the last deploy; a node cannot change role in place: ${two}`,
        ]);
    });

    it("refuses another control plane first, by reordering or by removing the first", () => {
        const dev = clusterOf("dev") as Json;
        const last = deployed(validateConfig(rawConfig("dev", dev).config).config!);
        const cps = dev.nodes.filter((n: Json) => n.role === "control-plane");
        dev.nodes = [cps[1], cps[0], cps[2], ...dev.nodes.filter((n: Json) => n.role === "worker")];
        const reordered = validateConfig(rawConfig("dev", dev).config).config!;
        const refusal = 'cluster.nodes: the first control plane is "dev-cp02", but "dev-cp01" created the cluster and runs every token and drain: ' +
            "keep it first among the control planes (it cannot be removed while the cluster lives)";
        expect(identityProblems(last, reordered)).toEqual([refusal]);
        // Without dev-cp01 there are two control planes: a third (a worker made one) keeps etcd's count odd.
        const without = clusterOf("dev") as Json;
        without.nodes = without.nodes.filter((n: Json) => n.name !== "dev-cp01");
        without.nodes.push({ name: "dev-cp04", role: "control-plane", address: "192.0.2.14" });
        expect(identityProblems(last, validateConfig(rawConfig("dev", without).config).config!)).toEqual([refusal]);
    });

    it("reports identity edits and a refused pin together", () => {
        const problems = deployProblems({ ...LAST, kubernetesVersion: "1.35.5" }, edited((c) => (c.name = "x")));
        expect(problems).toHaveLength(2);
        expect(problems[1]).toMatch(/^cluster\.kubernetesVersion: 1\.35\.5 → 1\.37\.1 skips a minor release/);
    });

    it("refuses moving the registry's claim to another storage class, and only that", () => {
        const now = edited(() => undefined);
        const platform = now.platform!;
        expect(platform.registry!.storageClass).toBeUndefined();
        const named = { ...now, platform: { ...platform, registry: { ...platform.registry!, storageClass: "fast" } } } as ClusterConfig;
        const noRegistry = { ...now, platform: { ...platform, registry: undefined } } as ClusterConfig;
        expect(deployProblems({ ...LAST, registryStorageClass: "nfs" }, now)).toEqual([]);
        expect(deployProblems({ ...LAST, registryStorageClass: "fast" }, named)).toEqual([]);
        // Deployed before the class was exported (no output), or with no registry now: no refusal.
        expect(deployProblems(LAST, now)).toEqual([]);
        expect(deployProblems({ ...LAST, registryStorageClass: "" }, noRegistry)).toEqual([]);
        // Deployed on the default class before storage.nfs was added: the NFS class would replace the claim.
        expect(deployProblems({ ...LAST, registryStorageClass: "" }, now)).toEqual([
            "platform.registry.storageClass: the registry's claim is on the cluster's default class since the last deploy, and this config " +
                'puts it on class "nfs"; changing it would replace the claim and lose every image in it: keep the cluster\'s default class ' +
                "(name it in storageClass), or copy the images out, delete the claim by hand and deploy again",
        ]);
        expect(deployProblems({ ...LAST, registryStorageClass: "nfs" }, named))
            .toEqual([expect.stringMatching(/^platform\.registry\.storageClass: the registry's claim is on class "nfs" .* puts it on class "fast"/)]);
    });

    it("takes malformed or missing outputs for no knowledge, never for a change", () => {
        const config = edited(() => undefined);
        expect(identityProblems({ nodes: "nonsense" as never }, config)).toEqual([]);
        expect(identityProblems({ nodes: [{ name: 7 } as never] }, config)).toEqual([]);
        expect(identityProblems({}, config)).toEqual([]);
    });
});

describe.each(STACKS)("on stack %s", (stack) => {
    it("takes every host command through the gate on the stack's own last outputs", async () => {
        const e = await runStack(stack);
        const self = `pulumi:pulumi:StackReference::organization/lsst-k8s/${stack}`;
        const commands = ofType(e, COMMAND);
        expect(commands.length).toBeGreaterThan(0);
        expect(commands.filter((c) => !c.dependencies.some((u) => u.includes(self))).map((c) => c.name)).toEqual([]);
    });

    it("never hands a secret action's previous output to its next run", async () => {
        const e = await runStack(stack);
        const secret = ofType(e, COMMAND).filter((c) => c.secretInputs.includes("stdin"));
        expect(secret.length).toBeGreaterThan(0);
        expect(secret.filter((c) => c.inputs.addPreviousOutputInEnv !== false).map((c) => c.name)).toEqual([]);
    });
});

describe("a join retried after a failed deploy", () => {
    const mintOf = (e: Awaited<ReturnType<typeof runStack>>, node: string) => e.resources.find((r) => r.name === `lsst-test-${node}-join-token`)!;

    it("mints its token anew while the join has not succeeded, and once only after", async () => {
        const e = await runStack("test", { previousOutputs: { ...LAST, joinedNodes: ["test-cp01", "test-node001"] } });
        expect(mintOf(e, "test-node001").inputs.triggers).toEqual(["joined"]);
        expect(mintOf(e, "test-node002").inputs.triggers).toEqual([expect.stringMatching(/^attempt \d{4}-\d\d-\d\dT/)]);
    });

    it("takes every node a stack listed before joinedNodes existed for joined", async () => {
        const e = await runStack("test", { previousOutputs: { ...LAST } });
        expect(["test-node001", "test-node002"].map((n) => mintOf(e, n).inputs.triggers)).toEqual([["joined"], ["joined"]]);
    });

    it("exports which nodes have joined, the first control plane included", async () => {
        const e = await runStack("test");
        expect(e.outputs.joinedNodes).toEqual({ value: ["test-cp01", "test-node001", "test-node002"], secret: false });
    });
});

describe("the admin kubeconfig", () => {
    const readbackOf = (e: Awaited<ReturnType<typeof runStack>>) => e.resources.find((r) => r.name === "lsst-test-control-plane-kubeconfig")!;

    it("is read back after init by kubeconfig.sh, which the provider waits for, and its expiry exported", async () => {
        const e = await runStack("test");
        const readback = readbackOf(e);
        expect(decodeBundle(stdinOf(readback)).entry).toBe("kubeconfig.sh");
        expect(readback.inputs.triggers).toEqual(["current"]);
        expect(dependsOn(e, readback, e.resources.find((r) => r.name === "lsst-test-control-plane-init")!)).toBe(true);
        expect(dependsOn(e, e.resources.find((r) => r.type === "pulumi:providers:kubernetes")!, readback)).toBe(true);
        expect(e.outputs.kubeconfigExpires).toEqual({ value: PLACEHOLDER_NOT_AFTER, secret: false });
        expect(e.outputs.kubeconfig.secret).toBe(true);
    });

    it("runs again, renewing, once the last deploy's certificate is within a month of expiry", async () => {
        const soon = new Date(Date.now() + 10 * 24 * 3600 * 1000).toISOString();
        const e = await runStack("test", { previousOutputs: { ...LAST, kubeconfigExpires: soon } });
        expect(readbackOf(e).inputs.triggers).toEqual([`renew before ${soon}`]);
        const later = new Date(Date.now() + 90 * 24 * 3600 * 1000).toISOString();
        const f = await runStack("test", { previousOutputs: { ...LAST, kubeconfigExpires: later } });
        expect(readbackOf(f).inputs.triggers).toEqual(["current"]);
    });
});

describe("the program itself", () => {
    function probe(previous: PreviousDeploy, cluster?: Json): string {
        const args = [...GATE_PROBE, "test", JSON.stringify(previous), ...(cluster ? [JSON.stringify(cluster)] : [])];
        return spawnSync(process.execPath, args, { cwd: REPO, encoding: "utf8" }).stdout.trim();
    }

    it("stops before any host command on a renamed node, and evaluates an added one", () => {
        const renamed = clusterOf("test") as Json;
        renamed.nodes[2].name = "test-node009";
        expect(probe(LAST, renamed)).toMatch(/^refused: .*cluster\.nodes\[2\]\.name: "test-node009" is at 203\.0\.113\.32, where node "test-node002" was/);
        const added = clusterOf("test") as Json;
        added.nodes.push({ name: "test-node003", role: "worker", address: "203.0.113.33" });
        expect(probe(LAST, added)).toBe("evaluated");
    });

    it("stops before any host command on a new class for the registry's claim", () => {
        expect(probe({ ...LAST, registryStorageClass: "" })).toMatch(/^refused: .*platform\.registry\.storageClass: the registry's claim is on the cluster's default class/);
        expect(probe({ ...LAST, registryStorageClass: "nfs" })).toBe("evaluated");
    });
});

describe.each(STACKS)("the registry's images on stack %s", (stack) => {
    it("outlive any edit: claim and namespace are kept on delete, and the claim's class is exported for the gate", async () => {
        const e = await runStack(stack);
        const claim = ofType(e, "kubernetes:core/v1:PersistentVolumeClaim").find((r) => (r.inputs.metadata as Json).name === "registry-storage")!;
        expect(claim.retainOnDelete).toBe(true);
        const namespace = ofType(e, "kubernetes:core/v1:Namespace").find((r) => (r.inputs.metadata as Json).name === "registry")!;
        expect(namespace.retainOnDelete).toBe(true);
        const others = ofType(e, "kubernetes:core/v1:Namespace").filter((r) => r !== namespace);
        expect(others.filter((r) => r.retainOnDelete)).toEqual([]);
        expect(e.outputs.registryStorageClass).toEqual({ value: (claim.inputs.spec as Json).storageClassName ?? "", secret: false });
    });
});
