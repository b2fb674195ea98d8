/**
 * The program (index.ts) evaluated under Pulumi's mocks for each committed stack (tests/harness.ts): every
 * node's preparation, the SSH connection and its secrets, the stack outputs, when preparation runs again,
 * the refusal of an invalid config, and kubeadm init on the first control plane.
 */
import { bootstrapCommand, decodeBundle } from "../../components/hosts/bundle";
import { prepareBundle } from "../../components/hosts/nodeFiles";
import { validateConfig } from "../../config";
import * as yaml from "js-yaml";
import { TOKEN_RE } from "../../components/hosts/kubeadm";
import { parseReadback } from "../../components/hosts/ControlPlane";
import { PLACEHOLDER_CA_HASH } from "../../tools/offline";
import { byName, clusterOf, dependsOn, FAKE_SSH_KEY, ofType, rawConfig, runStack, STACKS, StackName } from "../harness";
import { COMMAND, paramsOf, prepareCommands, stdinOf } from "./commands";

const NODE_PREP = "lsst-k8s:node:NodePrep";
const CLUSTER = "lsst-k8s:cluster:Cluster";

describe.each(STACKS)("stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;

    it("prepares every node, each under its own NodePrep under the Cluster, with derived names", async () => {
        const e = await runStack(stack);
        const [root] = ofType(e, CLUSTER);
        expect(ofType(e, CLUSTER)).toHaveLength(1);
        expect(root.name).toBe(cluster.name);
        expect(ofType(e, NODE_PREP)).toHaveLength(cluster.nodes.length);
        expect(prepareCommands(e)).toHaveLength(cluster.nodes.length);
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
        const commands = prepareCommands(e);
        for (const a of commands) {
            // Only the version gate (the stack's reference to its own last outputs).
            expect(a.dependencies).toHaveLength(1);
            expect(a.dependencies[0]).toMatch(/pulumi:pulumi:StackReference::/);
            for (const b of commands) {
                expect(dependsOn(e, a, b)).toBe(false);
            }
        }
    });

    it("keeps the SSH key secret and out of every command line and bundle", async () => {
        const e = await runStack(stack);
        for (const cmd of ofType(e, COMMAND)) {
            if (cmd.secretInputs.includes("stdin")) {
                expect(cmd.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
            }
            expect(cmd.secretInputs).toContain("connection");
            expect(cmd.additionalSecretOutputs).toContain("connection");
            const connection = cmd.inputs.connection as Record<string, unknown>;
            expect(connection.privateKey).toBe(FAKE_SSH_KEY);
            expect(String(cmd.inputs.create)).not.toContain("PRIVATE KEY");
            expect(stdinOf(cmd)).not.toContain(FAKE_SSH_KEY);
            expect(Buffer.from(stdinOf(cmd)).toString()).not.toContain(Buffer.from(FAKE_SSH_KEY).toString("base64"));
        }
        // Every action runs the same command line, bar the entry it names: what differs travels on stdin.
        const lines = new Set(ofType(e, COMMAND).flatMap((c) => [c.inputs.create, c.inputs.delete]).filter((c) => c !== undefined));
        expect([...lines].sort()).toEqual([
            bootstrapCommand(),
            ...(cluster.nodes.length > 1 ? [bootstrapCommand("drain.sh")] : []),
            bootstrapCommand("reset.sh"),
        ].sort());
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
        return new Map(prepareCommands(e).map((c) => [c.name, stdinOf(c)]));
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

describe.each(STACKS)("kubeadm init on stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;
    const first = cluster.nodes.find((n) => n.role === "control-plane")!;

    it("runs once, on the first control plane, after that node's preparation and nothing else", async () => {
        const e = await runStack(stack);
        const inits = ofType(e, COMMAND).filter((c) => c.name.endsWith("-init"));
        expect(inits).toHaveLength(1);
        const [init] = inits;
        const component = byName(e, `${cluster.name}-control-plane`);
        expect(component.type).toBe("lsst-k8s:cluster:ControlPlane");
        expect(component.parent).toBe(byName(e, cluster.name).urn);
        expect(init.parent).toBe(component.urn);
        expect((init.inputs.connection as Record<string, unknown>).host).toBe(first.address);
        const prep = byName(e, `${cluster.name}-${first.name}-prepare`);
        expect(init.dependencies).toContain(prep.urn);
        for (const other of prepareCommands(e).filter((c) => c !== prep)) {
            expect(dependsOn(e, init, other)).toBe(false);
        }
        // A changed token or key must never reach a live control plane as a second init.
        expect(init.ignoreChanges).toEqual(["stdin"]);
    });

    it("renders kubeadm's config with the exact pin, the endpoint, the subnets and the node's address", async () => {
        const e = await runStack(stack);
        const init = ofType(e, COMMAND).find((c) => c.name.endsWith("-init"))!;
        const bundle = decodeBundle(stdinOf(init));
        expect(bundle.entry).toBe("init.sh");
        expect(bundle.files["kubeadm.yaml"].mode).toBe("0600");
        const docs = yaml.loadAll(bundle.files["kubeadm.yaml"].content) as Record<string, any>[];
        expect(docs.map((d) => [d.apiVersion, d.kind])).toEqual([
            ["kubeadm.k8s.io/v1beta4", "InitConfiguration"],
            ["kubeadm.k8s.io/v1beta4", "ClusterConfiguration"],
            ["kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"],
        ]);
        expect(docs[0].localAPIEndpoint).toEqual({ advertiseAddress: first.address, bindPort: 6443 });
        expect(docs[0].nodeRegistration.name).toBe(first.name);
        expect(docs[0].bootstrapTokens[0].token).toMatch(TOKEN_RE);
        expect(docs[0].certificateKey).toMatch(/^[0-9a-f]{64}$/);
        expect(docs[1]).toMatchObject({
            kubernetesVersion: `v${cluster.kubernetesVersion.text}`,
            clusterName: cluster.name,
            controlPlaneEndpoint: cluster.controlPlaneEndpoint.text,
            networking: { podSubnet: cluster.networks.pods, serviceSubnet: cluster.networks.services },
        });
        expect(docs[2].cgroupDriver).toBe("systemd");
    });

    it("keeps the token and certificate key secret, never in a command line, and the init logs nothing", async () => {
        const e = await runStack(stack);
        const init = ofType(e, COMMAND).find((c) => c.name.endsWith("-init"))!;
        expect(init.secretInputs).toEqual(expect.arrayContaining(["connection", "stdin"]));
        expect(init.inputs.logging).toBe("none");
        expect(init.inputs.create).toBe(ofType(e, COMMAND)[0].inputs.create);
        const token = (yaml.loadAll(decodeBundle(stdinOf(init)).files["kubeadm.yaml"].content)[0] as any).bootstrapTokens[0].token;
        expect(String(init.inputs.create)).not.toContain(token);
        for (const suffix of ["token-id", "token-secret", "certificate-key"]) {
            expect(byName(e, `${cluster.name}-control-plane-${suffix}`).parent).toBe(byName(e, `${cluster.name}-control-plane`).urn);
        }
    });

    it("exports the kubeconfig as a secret and the CA hash in the clear", async () => {
        const e = await runStack(stack);
        expect(e.outputs.kubeconfig.secret).toBe(true);
        expect(yaml.load(String(e.outputs.kubeconfig.value))).toMatchObject({
            kind: "Config",
            clusters: [{ cluster: { server: `https://${cluster.controlPlaneEndpoint.text}` } }],
        });
        expect(e.outputs.caCertHash).toEqual({ value: PLACEHOLDER_CA_HASH, secret: false });
    });

    it("fails the deploy with a clear message, not the kubeconfig, when init.sh prints no readback", () => {
        const kubeconfig = Buffer.from("secret kubeconfig").toString("base64");
        expect(parseReadback(`log line\n{"caCertHash": "${PLACEHOLDER_CA_HASH}", "kubeconfig": "${kubeconfig}"}\n`))
            .toEqual({ caCertHash: PLACEHOLDER_CA_HASH, kubeconfig });
        for (const stdout of ["", "kubeadm said something else\n", `{"caCertHash": "md5:1", "kubeconfig": "${kubeconfig}"}`]) {
            expect(() => parseReadback(stdout)).toThrow(/^init\.sh did not print the CA hash and kubeconfig on its last line of stdout$/);
        }
    });
});
