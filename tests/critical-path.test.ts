/**
 * The deploy's critical path does not grow with the cluster (issue 14): the longest chain of remote
 * commands, read from the recorded graph the way the engine schedules it, is prepare → init → (token →
 * join) per extra control plane → token → join of every worker at once, whatever the number of workers;
 * a pin change rolls through the nodes one batch at a time.
 */
import { Evaluation, RecordedResource } from "../tools/evaluate";
import { GraphResource, longestChain, runsOnCreate } from "../tools/criticalPath";
import { scaledCluster, Size } from "../tools/scaledStack";
import { clusterOf, runStack } from "./harness";

const COMMAND = "command:remote:Command";

async function evaluateAt(size: Size, extra: { previousVersion?: string; workersAtOnce?: number; version?: string } = {}): Promise<Evaluation> {
    const cluster = scaledCluster(clusterOf("test"), size);
    if (extra.version) {
        cluster.kubernetesVersion = extra.version;
    }
    if (extra.workersAtOnce) {
        cluster.upgrade = { workersAtOnce: extra.workersAtOnce };
    }
    const names = (cluster.nodes as { name: string }[]).map((n) => n.name);
    return runStack("test", {
        cluster,
        ...(extra.previousVersion ? {
            previousOutputs: {
                clusterName: cluster.name, kubernetesVersion: extra.previousVersion, joinedNodes: names,
                nodes: (cluster.nodes as Record<string, unknown>[]).map(({ name, role, address }) => ({ name, role, address })),
            },
        } : {}),
    });
}

/** The inputs the engine diffs: those the resource does not ignore changes of. */
const diffed = (r: RecordedResource) => JSON.stringify(Object.entries(r.inputs).filter(([k]) => !r.ignoreChanges.includes(k)));

/** The commands whose inputs differ from `before`'s: what an update deploy runs. */
function changedSince(before: Evaluation): (r: GraphResource) => boolean {
    const old = new Map(before.resources.map((r) => [r.urn, diffed(r)]));
    return (r) => r.type === COMMAND && old.get(r.urn) !== diffed(r as RecordedResource);
}

const bound = (controlPlanes: number) => 2 + 2 * controlPlanes;

/** Evaluated once, on first use: a suite's evaluations never run all at once. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
    let made: Promise<T> | undefined;
    return () => (made ??= make());
}

const version = String(clusterOf("test").kubernetesVersion);
const [major, minor] = version.split(".").map(Number);
const older = `${major}.${minor - 1}.0`;
const small = { controlPlanes: 3, workers: 6 };
const smallFirst = once(() => evaluateAt(small));
const smallKept = once(() => evaluateAt(small, { previousVersion: version }));
/** The same cluster one minor back: what a pin change's deploy is compared against. */
const smallOlder = once(() => evaluateAt(small, { previousVersion: older, version: older }));

describe.each([
    { size: { controlPlanes: 1, workers: 10 }, first: once(() => evaluateAt({ controlPlanes: 1, workers: 10 })) },
    { size: small, first: smallFirst },
])("a cluster of $size.controlPlanes control plane(s) and $size.workers workers, under the mocks", ({ size, first }) => {
    it(`runs a first deploy in ${bound(size.controlPlanes)} sequential remote steps`, async () => {
        const chain = longestChain((await first()).resources);
        expect(chain.length).toBe(bound(size.controlPlanes));
        expect(chain.steps.slice(0, 2)).toEqual(["lsst-test-cp01-prepare", "lsst-test-control-plane-init"]);
    });
});

describe("a deploy that keeps the pin", () => {
    it(`keeps that bound, and runs no command but the joins' retry triggers`, async () => {
        const again = await smallKept();
        expect(longestChain(again.resources).length).toBe(bound(small.controlPlanes));
        // Every node has joined now, so no join mints a token again; nothing else differs from a first deploy.
        const changed = again.resources.filter(changedSince(await smallFirst())).map((r) => r.name);
        expect(changed.length).toBeGreaterThan(0);
        expect(changed.every((n) => /-join-token$/.test(n))).toBe(true);
    });
});

describe("a pin change", () => {
    it.each([1, 4, 6])("drains the control planes one at a time, then the workers %i at a time", async (workersAtOnce) => {
        const upgrade = await evaluateAt(small, { previousVersion: older, workersAtOnce });
        const chain = longestChain(upgrade.resources, changedSince(await smallOlder()));
        // Every preparation at once, then drain → upgrade → uncordon per batch, in order.
        const batches = small.controlPlanes + Math.ceil(small.workers / workersAtOnce);
        expect(chain.length).toBe(1 + 3 * batches);
        const drains = chain.steps.filter((s) => s.endsWith("-upgrade-drain"));
        expect(drains.slice(0, 3)).toEqual(["lsst-test-cp01-upgrade-drain", "lsst-test-cp02-upgrade-drain", "lsst-test-cp03-upgrade-drain"]);
        // Each batch waits for every node of the one before it, and no node waits for one of its own batch.
        const byName = new Map(upgrade.resources.map((r) => [r.name, r]));
        const worker = (i: number, step: string) => byName.get(`lsst-test-node${String(i).padStart(4, "0")}-upgrade-${step}`)!;
        for (let w = 1; w <= small.workers; w++) {
            const batch = Math.floor((w - 1) / workersAtOnce);
            const before = batch === 0 ? [byName.get("lsst-test-cp03-upgrade-uncordon")!]
                : Array.from({ length: workersAtOnce }, (_, i) => worker((batch - 1) * workersAtOnce + i + 1, "uncordon"));
            expect(worker(w, "drain").dependencies).toEqual(expect.arrayContaining(before.map((r) => r.urn)));
            for (let other = batch * workersAtOnce + 1; other <= Math.min(small.workers, (batch + 1) * workersAtOnce); other++) {
                expect(worker(w, "drain").dependencies).not.toContain(worker(other, "uncordon").urn);
            }
        }
    });

    it("makes every join wait for the control planes' upgrades before it, which cost nothing on a first deploy", async () => {
        const e = await smallFirst();
        const byName = new Map(e.resources.map((r) => [r.name, r]));
        const token = (node: string) => byName.get(`lsst-test-${node}-join-token`)!;
        expect(token("node0001").dependencies).toContain(byName.get("lsst-test-cp03-upgrade-uncordon")!.urn);
        expect(token("cp02").dependencies).toContain(byName.get("lsst-test-cp01-upgrade-uncordon")!.urn);
        for (const r of e.resources.filter((x) => x.name.includes("-upgrade-"))) {
            expect([r.name, runsOnCreate(r)]).toEqual([r.name, false]);
        }
    });
});

describe("the chain reader", () => {
    const r = (name: string, deps: string[], create?: string, extra: Partial<GraphResource> = {}): GraphResource =>
        ({ urn: `urn:${name}`, type: create === undefined ? "lsst-k8s:x:Component" : COMMAND, name, dependencies: deps.map((d) => `urn:${d}`), inputs: create === undefined ? {} : { create }, ...extra });

    it("counts only commands that run on create, through components and providers", () => {
        const graph = [
            r("a", [], "run"),
            r("parent", []),
            r("child", ["a"], "run", { parent: "urn:parent" }),
            r("quiet", ["child"], undefined, { type: COMMAND, inputs: { update: "run" } }),
            r("provider", ["quiet"], undefined, { type: "pulumi:providers:kubernetes" }),
            r("object", [], undefined, { type: "kubernetes:v1:Namespace", provider: "urn:provider::some-id" }),
            r("after-parent", ["parent"], "run"),
            r("after-object", ["object"], "run"),
        ];
        expect(runsOnCreate(graph[3])).toBe(false);
        expect(longestChain(graph)).toEqual({ length: 3, steps: ["a", "child", "after-parent"] });
    });

    it("refuses a cycle", () => {
        expect(() => longestChain([r("a", ["b"], "x"), r("b", ["a"], "x")])).toThrow(/dependency cycle/);
    });
});
