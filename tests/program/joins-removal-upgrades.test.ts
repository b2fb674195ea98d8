/**
 * The program (index.ts) evaluated under Pulumi's mocks for each committed stack (tests/harness.ts): the
 * joins of the other nodes, their removal, the upgrades one node at a time, the version gate that refuses
 * a downgrade or a skipped minor release, and a node marked unreachable.
 */
import { bootstrapCommand, decodeBundle } from "../../components/hosts/bundle";
import { validateConfig } from "../../config";
import { spawnSync } from "child_process";
import * as yaml from "js-yaml";
import { parseVersion, upgradeProblem } from "../../components/hosts/versions";
import { initConfiguration, joinConfiguration } from "../../components/hosts/kubeadm";
import { parseToken } from "../../components/hosts/NodeJoin";
import { Evaluation, RecordedResource } from "../../tools/evaluate";
import { PLACEHOLDER_CA_HASH, PLACEHOLDER_TOKEN } from "../../tools/offline";
import { byName, clusterOf, dependsOn, ofType, rawConfig, REPO, runStack, STACKS, StackName } from "../harness";
import { COMMAND, GATE_PROBE, paramsOf, prepareCommands, stdinOf } from "./commands";

/** The API server's own files, in every control plane's init or join bundle (all stacks configure OIDC). */
const API_SERVER_FILES = ["audit-policy.yaml", "authentication.yaml", "encryption.yaml"];

describe.each(STACKS)("joins on stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;
    const [first, ...otherControlPlanes] = cluster.nodes.filter((n) => n.role === "control-plane");
    const workers = cluster.nodes.filter((n) => n.role === "worker");
    const runOf = (e: Evaluation, node: string) => byName(e, `${cluster.name}-${node}-join-run`);
    const tokenOf = (e: Evaluation, node: string) => byName(e, `${cluster.name}-${node}-join-token`);
    const host = (r: RecordedResource) => (r.inputs.connection as Record<string, unknown>).host;

    it("joins every other node: a token minted on the first control plane, then kubeadm join on the node", async () => {
        const e = await runStack(stack);
        expect(ofType(e, "lsst-k8s:cluster:NodeJoin")).toHaveLength(cluster.nodes.length - 1);
        for (const node of [...otherControlPlanes, ...workers]) {
            const component = byName(e, `${cluster.name}-${node.name}-join`);
            expect(component.parent).toBe(byName(e, cluster.name).urn);
            const token = tokenOf(e, node.name);
            const run = runOf(e, node.name);
            expect([token.parent, run.parent]).toEqual([component.urn, component.urn]);
            expect(host(token)).toBe(first.address);
            expect(host(run)).toBe(node.address);
            expect(dependsOn(e, run, token)).toBe(true);
            expect(dependsOn(e, run, byName(e, `${cluster.name}-${node.name}-prepare`))).toBe(true);
            expect(dependsOn(e, token, ofType(e, COMMAND).find((c) => c.name.endsWith("-init"))!)).toBe(true);
            for (const r of [token, run]) {
                expect(r.secretInputs).toEqual(expect.arrayContaining(["connection", "stdin"]));
                expect(r.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
                expect(r.inputs.logging).toBe("none");
                expect(r.ignoreChanges).toEqual(["stdin"]);
            }
        }
        expect(ofType(e, "lsst-k8s:cluster:NodeJoin").map((j) => j.name)).not.toContain(`${cluster.name}-${first.name}-join`);
    });

    it("orders init → control-plane joins one at a time → workers, and nothing else", async () => {
        const e = await runStack(stack);
        const init = ofType(e, COMMAND).find((c) => c.name.endsWith("-init"))!;
        const cpRuns = otherControlPlanes.map((n) => runOf(e, n.name));
        cpRuns.forEach((run, i) => {
            expect(dependsOn(e, run, init)).toBe(true);
            for (const earlier of cpRuns.slice(0, i)) {
                expect(dependsOn(e, run, earlier)).toBe(true);
            }
        });
        const workerRuns = workers.map((n) => runOf(e, n.name));
        for (const run of workerRuns) {
            expect(dependsOn(e, run, init)).toBe(true);
            for (const cp of cpRuns) {
                expect(dependsOn(e, run, cp)).toBe(true);
            }
            for (const other of workerRuns.filter((r) => r !== run)) {
                expect(dependsOn(e, run, other)).toBe(false);
            }
            // Only its own host's preparation.
            for (const prep of prepareCommands(e).filter((p) => p.name !== run.name.replace(/-join-run$/, "-prepare"))) {
                const ownControlPlanePath = [first, ...otherControlPlanes].some((n) => prep.name === `${cluster.name}-${n.name}-prepare`);
                expect(dependsOn(e, run, prep)).toBe(ownControlPlanePath);
            }
        }
    });

    it("renders each JoinConfiguration with a fresh token, the pinned CA hash, and the certificate key for control planes only", async () => {
        const e = await runStack(stack);
        for (const node of [...otherControlPlanes, ...workers]) {
            const run = runOf(e, node.name);
            const bundle = decodeBundle(stdinOf(run));
            expect(bundle.entry).toBe("join.sh");
            expect(bundle.files["kubeadm.yaml"].mode).toBe("0600");
            const [doc] = yaml.loadAll(bundle.files["kubeadm.yaml"].content) as Record<string, any>[];
            expect(doc.kind).toBe("JoinConfiguration");
            expect(doc.discovery.bootstrapToken).toEqual({
                apiServerEndpoint: cluster.controlPlaneEndpoint.text,
                token: PLACEHOLDER_TOKEN,
                caCertHashes: [PLACEHOLDER_CA_HASH],
            });
            expect(doc.nodeRegistration.name).toBe(node.name);
            const mint = decodeBundle(stdinOf(tokenOf(e, node.name)));
            expect(paramsOf(tokenOf(e, node.name))).toEqual({ NODE_NAME: node.name, NODE_ROLE: node.role });
            if (node.role === "control-plane") {
                expect(doc.controlPlane.localAPIEndpoint).toEqual({ advertiseAddress: node.address, bindPort: 6443 });
                expect(doc.controlPlane.certificateKey).toMatch(/^[0-9a-f]{64}$/);
                expect(Object.keys(mint.files)).toContain("upload-certs.yaml");
            } else {
                expect(doc.controlPlane).toBeUndefined();
                expect(Object.keys(mint.files)).not.toContain("upload-certs.yaml");
            }
            expect(bundle.files["kubeadm.yaml"].content + bundle.files["join.sh"].content).not.toMatch(/unsafe-skip-ca-verification/);
        }
    });

    it("exports the join command as a secret", async () => {
        const e = await runStack(stack);
        expect(e.outputs.joinCommand.secret).toBe(true);
        expect(e.outputs.joinCommand.value).toMatch(new RegExp(
            `^kubeadm join ${cluster.controlPlaneEndpoint.text} --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$`));
    });
});

describe("join helpers", () => {
    it("reads the minted token, and fails without echoing stdout otherwise", () => {
        expect(parseToken(`{"token": "${PLACEHOLDER_TOKEN}"}\n`)).toBe(PLACEHOLDER_TOKEN);
        for (const stdout of ["", "abcdef.0123456789abcdef\n", '{"token": "short.x"}']) {
            expect(() => parseToken(stdout)).toThrow(/^mint-token\.sh did not print a token on its last line of stdout$/);
        }
    });

    it("refuses to render a join without a token, a CA hash, or a control plane's certificate key", () => {
        const cluster = validateConfig(rawConfig("dev").config).config!;
        const cp = cluster.nodes[1];
        const worker = cluster.nodes[cluster.nodes.length - 1];
        expect(() => joinConfiguration(cluster, worker, { token: "bad", caCertHash: PLACEHOLDER_CA_HASH })).toThrow(/needs a kubeadm token/);
        expect(() => joinConfiguration(cluster, worker, { token: PLACEHOLDER_TOKEN, caCertHash: "sha256:xyz" })).toThrow(/sha256 CA hash/);
        expect(() => joinConfiguration(cluster, cp, { token: PLACEHOLDER_TOKEN, caCertHash: PLACEHOLDER_CA_HASH })).toThrow(/needs the 64-hex-digit certificate key/);
    });

    it("leaves control planes untainted only when the inventory has no workers (technote 004's single box)", () => {
        const key = "0123456789abcdef".repeat(4);
        const cluster = validateConfig(rawConfig("dev").config).config!;
        const registration = (c: typeof cluster, node: (typeof cluster.nodes)[number]) => node === c.nodes[0]
            ? (initConfiguration(c, node, { token: PLACEHOLDER_TOKEN, certificateKey: key })[0] as any).nodeRegistration
            : (joinConfiguration(c, node, { token: PLACEHOLDER_TOKEN, caCertHash: PLACEHOLDER_CA_HASH, certificateKey: key })[0] as any).nodeRegistration;
        for (const node of cluster.nodes) {
            expect(registration(cluster, node)).not.toHaveProperty("taints");
        }
        const controlPlanesOnly = { ...cluster, nodes: cluster.nodes.filter((n) => n.role === "control-plane") };
        for (const node of controlPlanesOnly.nodes) {
            expect(registration(controlPlanesOnly, node).taints).toEqual([]);
        }
    });
});

describe.each(STACKS)("removal on stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;
    const first = cluster.nodes.find((n) => n.role === "control-plane")!;

    it("drains and deletes a removed node from the first control plane, then resets the host", async () => {
        const e = await runStack(stack);
        for (const node of cluster.nodes.filter((n) => n !== first)) {
            const run = byName(e, `${cluster.name}-${node.name}-join-run`);
            const reset = byName(e, `${cluster.name}-${node.name}-join-reset`);
            const drain = byName(e, `${cluster.name}-${node.name}-join-drain`);
            for (const r of [reset, drain]) {
                expect(r.parent).toBe(byName(e, `${cluster.name}-${node.name}-join`).urn);
                // No create command: storing the bundle opens no SSH session.
                expect(r.inputs.create).toBeUndefined();
                expect(r.inputs.update).toBeUndefined();
                // Stored again on every deploy that changes it, so a fix to the script reaches the delete.
                expect(r.ignoreChanges).toEqual([]);
                expect(r.deleteBeforeReplace).toBe(true);
                expect(r.customTimeouts?.delete).toBe("20m");
            }
            // Deletion runs in reverse dependency order: the drain, then the reset; the join has no delete.
            expect(drain.dependencies).toContain(reset.urn);
            expect(reset.dependencies).toContain(run.urn);
            expect(run.inputs.delete).toBeUndefined();
            // A control plane's join also carries the API server's own files (controlPlaneFiles.ts).
            expect(Object.keys(decodeBundle(stdinOf(run)).files).sort()).toEqual(
                [...(node.role === "control-plane" ? API_SERVER_FILES : []), "join.sh", "kubeadm.yaml", "lib.sh"]);
            expect((drain.inputs.connection as Record<string, unknown>).host).toBe(first.address);
            expect(drain.inputs.delete).toBe(bootstrapCommand("drain.sh"));
            expect(paramsOf(drain)).toEqual({ NODE_NAME: node.name, DRAIN_TIMEOUT: "300s", CLUSTER_NAME: cluster.name });
            expect((reset.inputs.connection as Record<string, unknown>).host).toBe(node.address);
            expect(reset.inputs.delete).toBe(bootstrapCommand("reset.sh"));
            expect(Object.keys(decodeBundle(stdinOf(reset)).files).sort()).toEqual(["lib.sh", "params.env", "reset.sh"]);
            // What reset.sh checks the host against: the node, its cluster and the CA the node pinned.
            expect(paramsOf(reset)).toEqual({
                NODE_NAME: node.name, CLUSTER_NAME: cluster.name, CA_CERT_HASH: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), RESET_ROLE: "member",
            });
        }
    });

    it("resets the first control plane only when the whole cluster is destroyed, last", async () => {
        const e = await runStack(stack);
        const init = byName(e, `${cluster.name}-control-plane-init`);
        const reset = byName(e, `${cluster.name}-control-plane-reset`);
        expect(init.inputs.delete).toBeUndefined();
        expect(Object.keys(decodeBundle(stdinOf(init)).files).sort()).toEqual([...API_SERVER_FILES, "init.sh", "kubeadm.yaml", "lib.sh"]);
        expect(reset.dependencies).toContain(init.urn);
        expect(reset.inputs.delete).toBe(bootstrapCommand("reset.sh"));
        expect(reset.deleteBeforeReplace).toBe(true);
        expect(paramsOf(reset)).toEqual({
            NODE_NAME: first.name, CLUSTER_NAME: cluster.name, CA_CERT_HASH: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), RESET_ROLE: "first-control-plane",
        });
        // Every other node's drain and reset, and every object on the cluster (through the provider),
        // depend on it, so a destroy deletes them first.
        for (const node of cluster.nodes.filter((n) => n !== first)) {
            for (const step of ["reset", "drain"]) {
                expect(dependsOn(e, byName(e, `${cluster.name}-${node.name}-join-${step}`), reset)).toBe(true);
            }
        }
        expect(byName(e, `${cluster.name}-kubernetes`).dependencies).toContain(reset.urn);
    });

    it("no replace of a host command can reset a host: only the reset commands delete by resetting, and they delete before they replace", async () => {
        const e = await runStack(stack);
        const resets = ofType(e, COMMAND).filter((c) => c.inputs.delete === bootstrapCommand("reset.sh")).map((c) => c.name).sort();
        expect(resets).toEqual([`${cluster.name}-control-plane-reset`,
            ...cluster.nodes.filter((n) => n !== first).map((n) => `${cluster.name}-${n.name}-join-reset`)].sort());
        for (const c of ofType(e, COMMAND).filter((x) => x.inputs.delete !== undefined)) {
            expect(c.deleteBeforeReplace).toBe(true);
        }
    });

    it("removing a worker from the inventory touches no other node's resources", async () => {
        const before = await runStack(stack);
        const shrunk = clusterOf(stack);
        const removed = (shrunk.nodes as Record<string, unknown>[]).pop()!;
        const after = await runStack(stack, { cluster: shrunk });
        const gone = before.resources.filter((r) => !after.resources.some((a) => a.urn === r.urn)).map((r) => r.name).sort();
        const prefix = `${cluster.name}-${removed.name}`;
        expect(gone).toEqual([prefix, `${prefix}-join`, `${prefix}-join-drain`, `${prefix}-join-reset`, `${prefix}-join-run`, `${prefix}-join-token`,
            `${prefix}-prepare`,
            `${prefix}-upgrade`, `${prefix}-upgrade-drain`, `${prefix}-upgrade-run`, `${prefix}-upgrade-uncordon`,
            `${prefix}-registry-trust`, `${prefix}-registry-trust-run`].sort());
        for (const r of after.resources.filter((x) => x.type === COMMAND)) {
            const old = before.resources.find((b) => b.urn === r.urn)!;
            expect(r.inputs.stdin).toEqual(old.inputs.stdin);
        }
    });
});

describe.each(STACKS)("upgrades on stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;
    const first = cluster.nodes.find((n) => n.role === "control-plane")!;
    const order = [first, ...cluster.nodes.filter((n) => n.role === "control-plane" && n !== first),
        ...cluster.nodes.filter((n) => n.role === "worker")];
    const steps = (e: Evaluation, node: string) =>
        ["drain", "run", "uncordon"].map((s) => byName(e, `${cluster.name}-${node}-upgrade-${s}`));

    it("gives every node drain → upgrade → uncordon steps that run nothing, not even SSH, until the pin changes", async () => {
        const e = await runStack(stack);
        expect(ofType(e, "lsst-k8s:cluster:NodeUpgrade")).toHaveLength(cluster.nodes.length);
        for (const node of cluster.nodes) {
            const [drain, run, uncordon] = steps(e, node.name);
            for (const s of [drain, run, uncordon]) {
                expect(s.parent).toBe(byName(e, `${cluster.name}-${node.name}-upgrade`).urn);
                expect(s.inputs.create).toBeUndefined();
                expect(s.inputs.update).toBe(bootstrapCommand());
            }
            expect([drain, run, uncordon].map((s) => (s.inputs.connection as Record<string, unknown>).host))
                .toEqual([first.address, node.address, first.address]);
            expect(run.dependencies).toContain(drain.urn);
            expect(uncordon.dependencies).toContain(run.urn);
            expect(paramsOf(run)).toEqual({
                K8S_VERSION: cluster.kubernetesVersion.text,
                UPGRADE_ROLE: node === first ? "first-control-plane" : node.role,
            });
            expect(paramsOf(drain)).toMatchObject({ ACTION: "drain", NODE_NAME: node.name, K8S_VERSION: cluster.kubernetesVersion.text });
            expect(paramsOf(uncordon)).toMatchObject({ ACTION: "uncordon", NODE_NAME: node.name });
            expect(dependsOn(e, drain, byName(e, `${cluster.name}-${node.name}-prepare`))).toBe(true);
        }
    });

    it("upgrades one node at a time: first control plane, other control planes, then workers", async () => {
        const e = await runStack(stack);
        order.forEach((node, i) => {
            const [drain] = steps(e, node.name);
            if (i > 0) {
                expect(drain.dependencies).toContain(steps(e, order[i - 1].name)[2].urn);
            }
            for (const later of order.slice(i + 1)) {
                expect(dependsOn(e, drain, steps(e, later.name)[0])).toBe(false);
            }
        });
    });

    it("moves the upgrade and preparation inputs on a pin change, never init's or the joins'", async () => {
        const before = await runStack(stack);
        const bumped = clusterOf(stack);
        const [major, minor, patch] = String(bumped.kubernetesVersion).split(".").map(Number);
        bumped.kubernetesVersion = `${major}.${minor}.${patch + 1}`;
        const after = await runStack(stack, { cluster: bumped, previousOutputs: { kubernetesVersion: cluster.kubernetesVersion.text } });
        const changedNames = after.resources.filter((r) => r.type === COMMAND)
            .filter((r) => {
                const old = before.resources.find((b) => b.urn === r.urn)!;
                return JSON.stringify(old.inputs) !== JSON.stringify(r.inputs);
            })
            .map((r) => r.name);
        // ControlPlaneConfig's kubeadm.yaml names the pin: it runs again once its node is upgraded; so
        // does the certificate check, as the upgrade renewed the certificates.
        const expected = cluster.nodes.flatMap((n) => [`${cluster.name}-${n.name}-prepare`,
            ...["drain", "run", "uncordon"].map((s) => `${cluster.name}-${n.name}-upgrade-${s}`),
            ...(n.role === "control-plane" && !n.unreachable
                ? [`${cluster.name}-${n.name}-api-config-run`, `${cluster.name}-${n.name}-cert-expiry-run`] : [])]);
        // init, joins and the kubeconfig readback ignore their stdin: kubeadm init never runs a second time.
        const moved = changedNames.filter((n) => !expected.includes(n));
        expect(moved.every((n) => /-(init|join-run|join-token|kubeconfig)$/.test(n))).toBe(true);
        for (const r of after.resources.filter((x) => /-(init|join-run|join-token|kubeconfig)$/.test(x.name))) {
            expect(r.ignoreChanges).toEqual(["stdin"]);
            expect(r.inputs.create).toBe(bootstrapCommand());
        }
        expect(changedNames.filter((n) => expected.includes(n)).sort()).toEqual(expected.sort());
    });

    it("takes every preparation and upgrade step through the version gate (the stack's own last output)", async () => {
        const e = await runStack(stack);
        const gated = ofType(e, COMMAND).filter((c) => /-(prepare|upgrade-drain|upgrade-run|upgrade-uncordon)$/.test(c.name));
        expect(gated).toHaveLength(cluster.nodes.length * 4);
        for (const c of gated) {
            expect(c.dependencies.some((u) => u.includes("pulumi:pulumi:StackReference::organization/lsst-k8s/" + stack))).toBe(true);
        }
    });
});

describe("upgrade order", () => {
    it("puts control planes before workers whatever the inventory order, and every join after the first control plane's upgrade", async () => {
        const cluster = clusterOf("dev");
        const nodes = cluster.nodes as Record<string, unknown>[];
        // Workers first in the file, control planes last.
        cluster.nodes = [...nodes.filter((n) => n.role === "worker"), ...nodes.filter((n) => n.role === "control-plane")];
        const e = await runStack("dev", { cluster });
        const drain = (n: string) => byName(e, `lsst-dev-${n}-upgrade-drain`);
        const uncordon = (n: string) => byName(e, `lsst-dev-${n}-upgrade-uncordon`);
        // The first control plane is the first in the inventory: dev-cp01.
        expect(dependsOn(e, drain("dev-cp02"), uncordon("dev-cp01"))).toBe(true);
        expect(dependsOn(e, drain("dev-cp03"), uncordon("dev-cp02"))).toBe(true);
        expect(dependsOn(e, drain("dev-node001"), uncordon("dev-cp03"))).toBe(true);
        expect(dependsOn(e, drain("dev-cp02"), uncordon("dev-node001"))).toBe(false);
        for (const n of nodes.filter((x) => x.name !== "dev-cp01")) {
            expect(dependsOn(e, byName(e, `lsst-dev-${n.name}-join-run`), uncordon("dev-cp01"))).toBe(true);
        }
    });
});

describe("the version gate", () => {
    const v = (text: string) => parseVersion(text)!;

    it("allows a first deploy, the same version, a patch, and one minor release up", () => {
        expect(upgradeProblem(undefined, v("1.36.3"))).toBeUndefined();
        expect(upgradeProblem("1.36.3", v("1.36.3"))).toBeUndefined();
        expect(upgradeProblem("1.36.3", v("1.36.9"))).toBeUndefined();
        expect(upgradeProblem("1.35.9", v("1.36.0"))).toBeUndefined();
    });

    it("refuses a downgrade and a skipped minor release with their messages", () => {
        expect(upgradeProblem("1.36.3", v("1.36.2"))).toBe("1.36.3 → 1.36.2 is a downgrade: kubeadm cannot take a cluster back; restore from an etcd backup instead");
        expect(upgradeProblem("1.37.0", v("1.36.9"))).toBe("1.37.0 → 1.36.9 is a downgrade: kubeadm cannot take a cluster back; restore from an etcd backup instead");
        expect(upgradeProblem("1.35.5", v("1.37.1"))).toBe("1.35.5 → 1.37.1 skips a minor release: upgrade one minor at a time (first to 1.36.x)");
        expect(upgradeProblem("1.37", v("1.37.1"))).toBe('the cluster reports version "1.37", which is not X.Y.Z');
    });

    function probe(stack: string, previous: string): string {
        const r = spawnSync(process.execPath, [...GATE_PROBE, stack, previous], { cwd: REPO, encoding: "utf8" });
        return r.stdout.trim();
    }

    it("stops the program itself, before any node command, when the last deploy was two minors back", () => {
        // The SDK prefixes the message with the property it was computing ("error serializing property").
        expect(probe("test", "1.35.5")).toMatch(/^refused: .*cluster\.kubernetesVersion: 1\.35\.5 → 1\.37\.1 skips a minor release: upgrade one minor at a time \(first to 1\.36\.x\)$/);
        expect(probe("test", "1.37.2")).toMatch(/^refused: .*cluster\.kubernetesVersion: 1\.37\.2 → 1\.37\.1 is a downgrade: kubeadm cannot take a cluster back; restore from an etcd backup instead$/);
        expect(probe("test", "1.36.8")).toBe("evaluated");
    });
});

describe("a node marked unreachable", () => {
    it("is never dialled again: its own commands ignore changes and are dropped, not run, on removal", async () => {
        const cluster = clusterOf("test");
        const nodes = cluster.nodes as Record<string, unknown>[];
        nodes[2].unreachable = true;
        // The pin moves in the same deploy: the dead node must not be part of it.
        const [major, minor, patch] = String(cluster.kubernetesVersion).split(".").map(Number);
        cluster.kubernetesVersion = `${major}.${minor}.${patch + 1}`;
        const e = await runStack("test", { cluster, previousOutputs: { kubernetesVersion: `${major}.${minor}.${patch}` } });
        for (const name of ["lsst-test-test-node002-prepare", "lsst-test-test-node002-join-run", "lsst-test-test-node002-join-reset"]) {
            const r = byName(e, name);
            expect(r.retainOnDelete).toBe(true);
            expect(r.ignoreChanges).toEqual(expect.arrayContaining(["stdin", "connection"]));
        }
        // Its drain runs on the first control plane, so removing the node still takes it out of the API.
        const drain = byName(e, "lsst-test-test-node002-join-drain");
        expect(drain.retainOnDelete).toBe(false);
        expect(drain.inputs.delete).toBe(bootstrapCommand("drain.sh"));
        expect(e.resources.filter((r) => r.name.startsWith("lsst-test-test-node002-upgrade"))).toEqual([]);
        // Every other node is as before; only the registry's images are kept on delete, by design.
        const kept = e.resources.filter((x) => !x.name.includes("test-node002") && x.retainOnDelete).map((x) => x.name);
        expect(kept.sort()).toEqual(["lsst-test-platform-registry", "lsst-test-platform-registry-storage"]);
        expect(byName(e, "lsst-test-test-node001-upgrade-drain")).toBeDefined();
    });
});
