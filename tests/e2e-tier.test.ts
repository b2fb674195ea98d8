/**
 * The control-plane tier's own logic, apart from the API server (the tier itself runs from
 * tools/test.sh): the apply order, the readiness rules, the RBAC table and the process clean-up.
 */
import * as fs from "fs";
import { isReady } from "../tools/e2e/apply";
import { groupsOf } from "../tools/e2e/declared";
import { alive, freePort, Processes, until } from "../tools/e2e/processes";
import { Actors, canIArgs, rbacTable } from "../tools/e2e/rbac";
import { RecordedResource } from "../tools/evaluate";

function resource(name: string, type: string, inputs: Record<string, unknown>, extra: Partial<RecordedResource> = {}): RecordedResource {
    return {
        urn: `urn:${name}`, type, name, custom: !type.startsWith("lsst-k8s:"), dependencies: [], inputs, secretInputs: [],
        additionalSecretOutputs: [], ignoreChanges: [], retainOnDelete: false, deleteBeforeReplace: false, ...extra,
    };
}

describe("the apply order", () => {
    const ns = resource("ns", "kubernetes:core/v1:Namespace", { metadata: { name: "qserv" } });
    const component = resource("svc", "lsst-k8s:platform:Thing", {});
    const cm = resource("cm", "kubernetes:core/v1:ConfigMap", { metadata: { name: "c", namespace: "qserv" } }, { parent: component.urn });
    const deploy = resource("deploy", "kubernetes:apps/v1:Deployment", { metadata: { name: "d", namespace: "qserv" } }, { dependencies: [component.urn] });
    const command = resource("cmd", "command:remote:Command", {});

    it("puts a namespaced object after its Namespace, and a dependency on a component after everything under it", () => {
        const groups = groupsOf([deploy, command, cm, component, ns]);
        expect(groups.map((g) => g.map((o) => o.resource))).toEqual([["ns"], ["cm"], ["deploy"]]);
        expect(groups[0][0].object).toEqual({ metadata: { name: "qserv" } });
    });

    it("names an object the program left to the provider after its resource, and refuses a cycle", () => {
        const unnamed = resource("auto-1", "kubernetes:core/v1:ConfigMap", { metadata: { namespace: "qserv" } });
        expect(groupsOf([ns, unnamed])[1][0].object.metadata).toEqual({ namespace: "qserv", name: "auto-1" });
        const a = resource("a", "kubernetes:core/v1:ConfigMap", { metadata: { name: "a" } }, { dependencies: ["urn:b"] });
        const b = resource("b", "kubernetes:core/v1:ConfigMap", { metadata: { name: "b" } }, { dependencies: ["urn:a"] });
        expect(() => groupsOf([a, b])).toThrow(/dependency cycle/);
    });
});

describe("readiness", () => {
    const meta = { generation: 2 };
    it.each([
        ["Deployment", { metadata: meta, spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 2, updatedReplicas: 2 } }, true],
        ["Deployment", { metadata: meta, spec: { replicas: 2 }, status: { observedGeneration: 1, availableReplicas: 2, updatedReplicas: 2 } }, false],
        ["Deployment", { metadata: meta, spec: {}, status: { observedGeneration: 2, availableReplicas: 0 } }, false],
        ["DaemonSet", { metadata: meta, status: { observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 } }, true],
        ["DaemonSet", { metadata: meta, status: { observedGeneration: 2, desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0 } }, false],
        ["StatefulSet", { metadata: meta, spec: { replicas: 1 }, status: { observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 } }, true],
        ["Job", { metadata: meta, spec: { completions: 2 }, status: { succeeded: 1 } }, false],
        ["Job", { metadata: meta, spec: {}, status: { succeeded: 1 } }, true],
    ])("%s %j: %s", (kind, o, ready) => {
        expect(isReady(kind, o as Record<string, unknown>)).toBe(ready);
    });
});

describe("the RBAC table", () => {
    const actors = (developerAccess: "edit" | "view"): Actors => ({
        admins: "k8s-admins", serviceAdmins: "k8s-service-admins", security: "security", scienceUsers: "science",
        developers: [{ group: "qserv-devs", namespace: "qserv" }, { group: "firefly-devs", namespace: "firefly" }],
        developerAccess, serviceNamespaces: ["jupyter-lsst", "registry", "htcondor-prompt"],
    });

    it.each(["edit", "view"] as const)("asks at least 60 questions, yes and no of every actor, escalation only for admins (%s)", (access) => {
        const q = rbacTable(actors(access));
        expect(q.length).toBeGreaterThanOrEqual(60);
        for (const actor of new Set(q.map((x) => x.actor))) {
            const answers = new Set(q.filter((x) => x.actor === actor).map((x) => x.expected));
            expect(actor === "cluster admin" ? [...answers] : [...answers].sort()).toEqual(actor === "cluster admin" ? [true] : [false, true]);
        }
        for (const x of q.filter((y) => ["bind", "escalate", "impersonate"].includes(y.verb))) {
            expect(x.expected).toBe(x.actor === "cluster admin");
        }
        expect(q.filter((x) => x.actor === "security" && x.resource === "secrets").every((x) => !x.expected)).toBe(true);
        expect(q.filter((x) => x.resource === "nodes" && x.actor.startsWith("developer")).every((x) => !x.expected)).toBe(true);
        const dev = q.filter((x) => x.actor === "developer (qserv-devs)" && x.verb === "create" && x.resource === "deployments");
        expect(dev.map((x) => [x.namespace, x.expected])).toEqual([["qserv", access === "edit"], ["firefly", false]]);
    });

    it("asks kubectl as the actor, with the group, a subresource and a namespace as kubectl spells them", () => {
        expect(canIArgs({ actor: "developer (qserv-devs)", group: "qserv-devs", verb: "get", resource: "pods/log", namespace: "qserv", expected: true }))
            .toEqual(["auth", "can-i", "get", "pods", "--subresource=log", "-n", "qserv", "--as=lsst-k8s-e2e:developer-qserv-devs-", "--as-group=qserv-devs"]);
        expect(canIArgs({ actor: "security", group: "security", verb: "list", resource: "pods", namespace: "*", expected: true }))
            .toEqual(["auth", "can-i", "list", "pods", "--all-namespaces", "--as=lsst-k8s-e2e:security", "--as-group=security"]);
    });
});

describe("the tier's processes", () => {
    it("stops every process it started, by pid, and removes its directory", async () => {
        const procs = new Processes("jest");
        const pidFile = `${procs.dir}/grandchild.pid`;
        const child = procs.start("sleeper", "bash", ["-c", `sleep 300 & echo $! > ${pidFile}; wait`]);
        const exited = new Promise((done) => child.once("exit", done));
        while (!fs.existsSync(pidFile) || !fs.readFileSync(pidFile, "utf8").trim()) {
            await new Promise((done) => setTimeout(done, 20));
        }
        const grandchild = Number(fs.readFileSync(pidFile, "utf8"));
        procs.stopAll();
        await exited;
        // What the process started goes with it: the stop reaches its whole group. The grandchild is
        // reparented when its shell ends, so it may linger as a zombie until init reaps it.
        await until("the grandchild to end", 10_000, () => !alive(grandchild));
        expect(fs.existsSync(procs.dir)).toBe(false);
        expect(await freePort()).toBeGreaterThan(0);
    });

    it("says which process ended, with its log", async () => {
        const procs = new Processes("jest");
        try {
            procs.start("quitter", "bash", ["-c", "echo giving up; exit 3"]);
            await new Promise((done) => setTimeout(done, 300));
            expect(() => procs.checkAlive()).toThrow(/quitter exited \(3\); its log ends:\ngiving up/);
        } finally {
            procs.stopAll();
        }
    });
});
