import { decodeBundle, isBundle } from "../components/bundle";
import { prepareBundle } from "../components/nodeFiles";
import { validateConfig } from "../config";
import { RecordedResource } from "../tools/evaluate";
import { byName, clusterOf, dependsOn, FAKE_SSH_KEY, ofType, rawConfig, runStack, STACKS, StackName } from "./harness";

const COMMAND = "command:remote:Command";
const NODE_PREP = "lsst-k8s:node:NodePrep";
const CLUSTER = "lsst-k8s:cluster:Cluster";

function stdinOf(r: RecordedResource): string {
    const stdin = r.inputs.stdin;
    if (!isBundle(stdin)) {
        throw new Error(`${r.name} has no bundle on stdin`);
    }
    return stdin;
}

function paramsOf(r: RecordedResource): Record<string, string> {
    const text = decodeBundle(stdinOf(r)).files["params.env"].content;
    return Object.fromEntries(text.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

describe.each(STACKS)("stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;

    it("prepares every node, each under its own NodePrep under the Cluster, with derived names", async () => {
        const e = await runStack(stack);
        const [root] = ofType(e, CLUSTER);
        expect(ofType(e, CLUSTER)).toHaveLength(1);
        expect(root.name).toBe(cluster.name);
        expect(ofType(e, NODE_PREP)).toHaveLength(cluster.nodes.length);
        expect(ofType(e, COMMAND)).toHaveLength(cluster.nodes.length);
        for (const node of cluster.nodes) {
            const prep = byName(e, `${cluster.name}-${node.name}`);
            const cmd = byName(e, `${cluster.name}-${node.name}-prepare`);
            expect(prep.type).toBe(NODE_PREP);
            expect(prep.parent).toBe(root.urn);
            expect(cmd.parent).toBe(prep.urn);
            expect((cmd.inputs.connection as Record<string, unknown>).host).toBe(node.address);
            expect(decodeBundle(stdinOf(cmd))).toEqual(prepareBundle(cluster, node));
            expect(paramsOf(cmd)).toMatchObject({ K8S_VERSION: cluster.kubernetesVersion.text, NODE_ROLE: node.role });
            expect(cmd.customTimeouts).toEqual({ create: "30m", update: "30m" });
        }
    });

    it("prepares nodes in parallel: no preparation depends on another", async () => {
        const e = await runStack(stack);
        const commands = ofType(e, COMMAND);
        for (const a of commands) {
            expect(a.dependencies).toEqual([]);
            for (const b of commands) {
                expect(dependsOn(e, a, b)).toBe(false);
            }
        }
    });

    it("keeps the SSH key secret and out of every command line and bundle", async () => {
        const e = await runStack(stack);
        for (const cmd of ofType(e, COMMAND)) {
            expect(cmd.secretInputs).toContain("connection");
            expect(cmd.additionalSecretOutputs).toContain("connection");
            const connection = cmd.inputs.connection as Record<string, unknown>;
            expect(connection.privateKey).toBe(FAKE_SSH_KEY);
            expect(String(cmd.inputs.create)).not.toContain("PRIVATE KEY");
            expect(stdinOf(cmd)).not.toContain(FAKE_SSH_KEY);
            expect(Buffer.from(stdinOf(cmd)).toString()).not.toContain(Buffer.from(FAKE_SSH_KEY).toString("base64"));
        }
        // Every node runs the same command line: what differs travels on stdin.
        expect(new Set(ofType(e, COMMAND).map((c) => c.inputs.create)).size).toBe(1);
    });

    it("connects with the configured user, pinned host keys, retries and bastion", async () => {
        const e = await runStack(stack);
        for (const node of cluster.nodes) {
            const connection = byName(e, `${cluster.name}-${node.name}-prepare`).inputs.connection as Record<string, unknown>;
            expect(connection).toMatchObject({
                user: cluster.ssh.user,
                port: cluster.ssh.port,
                dialErrorLimit: cluster.ssh.dialErrorLimit,
                perDialTimeout: cluster.ssh.perDialTimeout,
            });
            expect(connection.hostKey).toBe(node.hostKey);
            if (cluster.ssh.bastion) {
                expect(connection.proxy).toMatchObject({
                    host: cluster.ssh.bastion.host,
                    user: cluster.ssh.bastion.user,
                    port: cluster.ssh.bastion.port,
                    privateKey: FAKE_SSH_KEY,
                });
            } else {
                expect(connection.proxy).toBeUndefined();
            }
        }
    });

    it("exports the endpoint, the version and the inventory", async () => {
        const e = await runStack(stack);
        expect(e.outputs.apiEndpoint).toEqual({ value: cluster.controlPlaneEndpoint.text, secret: false });
        expect(e.outputs.kubernetesVersion).toEqual({ value: cluster.kubernetesVersion.text, secret: false });
        expect(e.outputs.nodes.value).toEqual(cluster.nodes.map(({ name, role, address }) => ({ name, role, address })));
    });
});

describe("when preparation runs again", () => {
    const bundles = async (cluster?: Record<string, unknown>) => {
        const e = await runStack("test", { cluster });
        return new Map(ofType(e, COMMAND).map((c) => [c.name, stdinOf(c)]));
    };

    it("does not on a plain re-run: the same config gives byte-identical inputs", async () => {
        expect(await bundles()).toEqual(await bundles());
    });

    it("does on every node when the version pin changes", async () => {
        const before = await bundles();
        const cluster = clusterOf("test");
        const [major, minor, patch] = String(cluster.kubernetesVersion).split(".").map(Number);
        cluster.kubernetesVersion = `${major}.${minor}.${patch + 1}`;
        const after = await bundles(cluster);
        for (const [name, stdin] of before) {
            expect(after.get(name)).not.toBe(stdin);
        }
    });

    it("does not on existing nodes when a worker is added, and does on all when a control plane is", async () => {
        const before = await bundles();
        const withWorker = clusterOf("test");
        (withWorker.nodes as unknown[]).push({ name: "test-node003", role: "worker", address: "203.0.113.33" });
        const afterWorker = await bundles(withWorker);
        expect(afterWorker.size).toBe(before.size + 1);
        for (const [name, stdin] of before) {
            expect(afterWorker.get(name)).toBe(stdin);
        }
        // etcd's firewall rules name every control plane, so all nodes' inputs move.
        const withControlPlanes = clusterOf("test");
        (withControlPlanes.nodes as unknown[]).push(
            { name: "test-cp02", role: "control-plane", address: "203.0.113.12" },
            { name: "test-cp03", role: "control-plane", address: "203.0.113.13" },
        );
        const afterCps = await bundles(withControlPlanes);
        for (const [name, stdin] of before) {
            expect(afterCps.get(name)).not.toBe(stdin);
        }
    });
});

describe("with an invalid config", () => {
    it("creates nothing and reports every problem with its key path", async () => {
        const cluster = clusterOf("test");
        cluster.kubernetesVersion = "1.36";
        (cluster.nodes as Record<string, unknown>[])[1].address = "10.0.0.300";
        await expect(runStack("test", { cluster })).rejects.toThrow(
            /cluster\.kubernetesVersion: "1\.36" is not an exact version[\s\S]*cluster\.nodes\[1\]\.address: "10\.0\.0\.300" is not an IPv4 address/,
        );
    });
});
