import { jupyterlabBounds } from "../../policies/jupyterlab-bounds";
import { compareQuantities, parseQuantity } from "../../policies/lib/quantity";
import { KubeObject } from "../../policies/lib/kube";
import { messages } from "./helpers";

const NS = "jupyter-lsst";
const RANGE = "cpu 500m to 4, memory 512Mi to 8Gi";

const resources = (requests: [unknown, unknown], limits: [unknown, unknown]): KubeObject => ({
    requests: { cpu: requests[0], memory: requests[1] },
    limits: { cpu: limits[0], memory: limits[1] },
});

/** A pod spec whose containers sit on the bounds or inside them. */
const podSpec = (): KubeObject => ({
    containers: [{ name: "hub", image: "registry.lsst.org/hub:1.0", resources: resources(["500m", "512Mi"], ["4", "8Gi"]) }],
    initContainers: [{ name: "init", image: "registry.lsst.org/init:1.0", resources: resources(["0.5", "1Gi"], [1, "1Gi"]) }],
});

function deployment(change: (spec: KubeObject) => void = () => undefined, namespace = NS): KubeObject {
    const spec = podSpec();
    change(spec);
    return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "hub", namespace }, spec: { template: { spec } } };
}

const limitRange = (change: (limits: KubeObject[]) => void = () => undefined, namespace = NS): KubeObject => {
    const limits: KubeObject[] = [
        {
            type: "Container",
            min: { cpu: "500m", memory: "512Mi" },
            max: { cpu: "4", memory: "8Gi" },
            default: { cpu: "1", memory: "2Gi" },
            defaultRequest: { cpu: "500m", memory: "1Gi" },
        },
        { type: "PersistentVolumeClaim", max: { storage: "100Gi" } },
    ];
    change(limits);
    return { apiVersion: "v1", kind: "LimitRange", metadata: { name: "user-limits", namespace }, spec: { limits } };
};

const check = (change: (spec: KubeObject) => void, config = {}) => messages(jupyterlabBounds, deployment(change), config);
const hub = (spec: KubeObject) => spec.containers[0];

describe("Kubernetes quantities", () => {
    const value = (text: string | number) => {
        const q = parseQuantity(text);
        return q ? Number(q.num) / Number(q.den) : undefined;
    };
    const same = (a: string | number, b: string | number) => compareQuantities(parseQuantity(a)!, parseQuantity(b)!) === 0;

    it("parses plain, decimal, signed and suffixed numbers", () => {
        expect(value("4")).toBe(4);
        expect(value("0.5")).toBe(0.5);
        expect(value(".5")).toBe(0.5);
        expect(value("5.")).toBe(5);
        expect(value("+2")).toBe(2);
        expect(value("-2")).toBe(-2);
        expect(value("500m")).toBe(0.5);
        expect(value("1k")).toBe(1000);
        expect(value("1M")).toBe(1e6);
        expect(value("1G")).toBe(1e9);
        expect(value("1T")).toBe(1e12);
        expect(value("1P")).toBe(1e15);
        expect(value("1E")).toBe(1e18);
        expect(value("1Ki")).toBe(1024);
        expect(value("1.5Mi")).toBe(1.5 * 2 ** 20);
        expect(value("1Gi")).toBe(2 ** 30);
        expect(value("1Ti")).toBe(2 ** 40);
        expect(value("1Pi")).toBe(2 ** 50);
        expect(value("1Ei")).toBe(2 ** 60);
        expect(value(2)).toBe(2);
        expect(value(0.25)).toBe(0.25);
    });

    it("parses decimal exponents, E alone being exa", () => {
        expect(value("1e3")).toBe(1000);
        expect(value("1E3")).toBe(1000);
        expect(value("5e-1")).toBe(0.5);
        expect(value("1.5e+2")).toBe(150);
        expect(value("2E")).toBe(2e18);
    });

    it("compares exactly", () => {
        expect(same("0.5", "500m")).toBe(true);
        expect(same("1Gi", "1073741824")).toBe(true);
        expect(same("8192Mi", "8Gi")).toBe(true);
        expect(same("1e3", "1k")).toBe(true);
        expect(same("4e0", "4000m")).toBe(true);
        expect(compareQuantities(parseQuantity("8G")!, parseQuantity("8Gi")!)).toBe(-1);
        expect(compareQuantities(parseQuantity("0.1")!, parseQuantity("99m")!)).toBe(1);
    });

    it("refuses what is no quantity", () => {
        for (const text of ["", "m", "1.2.3", "1e", "1KB", "1ki", "1 Gi", "1mi", "e3", "0x10", "1e99999", "1e3m", "1Kie3", "Infinity", "1Gi ", "."]) {
            expect(parseQuantity(text)).toBeUndefined();
        }
        expect(parseQuantity(Number.NaN)).toBeUndefined();
        expect(parseQuantity(null)).toBeUndefined();
        expect(parseQuantity({})).toBeUndefined();
    });
});

describe("jupyterlab-bounds", () => {
    it("is mandatory and describes itself in a sentence", () => {
        expect(jupyterlabBounds.enforcementLevel).toBe("mandatory");
        expect(jupyterlabBounds.description).toMatch(/^[A-Z].*\.$/);
    });

    it("passes containers on and inside the bounds, and a LimitRange within them", async () => {
        expect(await check(() => undefined)).toEqual([]);
        expect(await messages(jupyterlabBounds, limitRange())).toEqual([]);
    });

    describe("containers", () => {
        it("report a request below the minimum", async () => {
            expect(await check((s) => (hub(s).resources.requests.cpu = "250m")))
                .toEqual(["containers[0] (hub): resources.requests.cpu is 250m, below the minimum of 500m"]);
            expect(await check((s) => (hub(s).resources.requests.memory = "500Mi")))
                .toEqual(["containers[0] (hub): resources.requests.memory is 500Mi, below the minimum of 512Mi"]);
        });

        it("report a limit above the maximum", async () => {
            expect(await check((s) => (hub(s).resources.limits.cpu = "4001m")))
                .toEqual(["containers[0] (hub): resources.limits.cpu is 4001m, above the maximum of 4"]);
            expect(await check((s) => (s.initContainers[0].resources.limits.memory = "8589934593")))
                .toEqual(["initContainers[0] (init): resources.limits.memory is 8589934593, above the maximum of 8Gi"]);
        });

        it("compare quantities however they are written", async () => {
            expect(await check((s) => (hub(s).resources = resources(["5e-1", "0.5Gi"], ["4000m", "8192Mi"])))).toEqual([]);
            expect(await check((s) => (hub(s).resources = resources([2, "8G"], ["4e0", "8589934592"])))).toEqual([]);
        });

        it("report a value that is no quantity", async () => {
            expect(await check((s) => (hub(s).resources.limits.cpu = "lots")))
                .toEqual(['containers[0] (hub): resources.limits.cpu is "lots", which is not a Kubernetes quantity']);
        });

        it("report missing requests and limits, in one message per container", async () => {
            expect(await check((s) => delete hub(s).resources))
                .toEqual([`containers[0] (hub): resources.requests.cpu, resources.requests.memory, resources.limits.cpu, resources.limits.memory are not set; every container in ${NS} needs cpu and memory requests and limits (${RANGE})`]);
            expect(await check((s) => delete s.initContainers[0].resources.limits.memory))
                .toEqual([`initContainers[0] (init): resources.limits.memory is not set; every container in ${NS} needs cpu and memory requests and limits (${RANGE})`]);
        });

        it("leave ephemeral containers alone (the API gives them no resources)", async () => {
            expect(await check((s) => (s.ephemeralContainers = [{ name: "debug", image: "busybox" }]))).toEqual([]);
        });

        it("bound pod-level resources when they are set", async () => {
            expect(await check((s) => (s.resources = { limits: { cpu: "6", memory: "4Gi" } })))
                .toEqual(["spec.template.spec.resources.limits.cpu is 6, above the maximum of 4"]);
        });
    });

    describe("LimitRanges", () => {
        it.each([
            ["max", "cpu", "16", "spec.limits[0].max.cpu is 16, above the maximum of 4"],
            ["max", "memory", "256Mi", "spec.limits[0].max.memory is 256Mi, below the minimum of 512Mi"],
            ["min", "cpu", "100m", "spec.limits[0].min.cpu is 100m, below the minimum of 500m"],
            ["min", "memory", "9Gi", "spec.limits[0].min.memory is 9Gi, above the maximum of 8Gi"],
            ["default", "memory", "16Gi", "spec.limits[0].default.memory is 16Gi, above the maximum of 8Gi"],
            ["defaultRequest", "cpu", "0.1", "spec.limits[0].defaultRequest.cpu is 0.1, below the minimum of 500m"],
        ])("report %s.%s out of bounds", async (field, resource, value, message) => {
            expect(await messages(jupyterlabBounds, limitRange((l) => (l[0][field][resource] = value)))).toEqual([message]);
        });

        it("require max for cpu and memory; min, default and defaultRequest are optional", async () => {
            expect(await messages(jupyterlabBounds, limitRange((l) => delete l[0].max.memory)))
                .toEqual([`spec.limits[0].max.memory is not set; a Container LimitRange in ${NS} must cap cpu and memory (${RANGE})`]);
            expect(await messages(jupyterlabBounds, limitRange((l) => (l[0] = { type: "Container" }))))
                .toEqual([`spec.limits[0].max.cpu, spec.limits[0].max.memory are not set; a Container LimitRange in ${NS} must cap cpu and memory (${RANGE})`]);
            expect(await messages(jupyterlabBounds, limitRange((l) => (l[0] = { type: "Container", max: { cpu: "2", memory: "4Gi" } })))).toEqual([]);
        });

        it("ignore Pod and PersistentVolumeClaim limits", async () => {
            expect(await messages(jupyterlabBounds, limitRange((l) => l.push({ type: "Pod", max: { cpu: "64" } })))).toEqual([]);
        });

        it("check a LimitRangePatch's limits whole (the list is replaced, not merged)", async () => {
            const patch = { metadata: { name: "user-limits", namespace: NS }, spec: { limits: [{ type: "Container", max: { cpu: "8" } }] } };
            expect(await messages(jupyterlabBounds, patch, {}, "kubernetes:core/v1:LimitRangePatch")).toEqual([
                "spec.limits[0].max.cpu is 8, above the maximum of 4",
                `spec.limits[0].max.memory is not set; a Container LimitRange in ${NS} must cap cpu and memory (${RANGE})`,
            ]);
            expect(await messages(jupyterlabBounds, { metadata: { name: "user-limits", namespace: NS } }, {}, "kubernetes:core/v1:LimitRangePatch")).toEqual([]);
        });
    });

    it("looks only at its namespace", async () => {
        expect(await messages(jupyterlabBounds, deployment((s) => delete hub(s).resources, "monitoring"))).toEqual([]);
        expect(await messages(jupyterlabBounds, limitRange((l) => (l[0].max.cpu = "64"), "monitoring"))).toEqual([]);
        const unnamespaced = deployment((s) => delete hub(s).resources);
        delete unnamespaced.metadata.namespace;
        expect(await messages(jupyterlabBounds, unnamespaced)).toEqual([]);
    });

    it("reads its namespace and bounds from the config", async () => {
        const config = { "jupyterlab-bounds": { namespace: "lab", minCpu: "1", maxCpu: "8", minMemory: "1Gi", maxMemory: "16Gi" } };
        expect(await messages(jupyterlabBounds, deployment((s) => delete hub(s).resources), config)).toEqual([]);
        expect(await messages(jupyterlabBounds, deployment((s) => {
            hub(s).resources = resources(["1", "1Gi"], ["8", "16Gi"]);
            s.initContainers[0].resources.requests.cpu = "1000m";
        }, "lab"), config)).toEqual([]);
        expect(await messages(jupyterlabBounds, deployment(() => undefined, "lab"), config)).toEqual([
            "containers[0] (hub): resources.requests.cpu is 500m, below the minimum of 1",
            "containers[0] (hub): resources.requests.memory is 512Mi, below the minimum of 1Gi",
            "initContainers[0] (init): resources.requests.cpu is 0.5, below the minimum of 1",
        ]);
        const partial = { "jupyterlab-bounds": { maxCpu: "2" } };
        expect(await check(() => undefined, partial)).toEqual(["containers[0] (hub): resources.limits.cpu is 4, above the maximum of 2"]);
    });

    it("reports a config it cannot use instead of guessing", async () => {
        expect(await check(() => undefined, { "jupyterlab-bounds": { maxCpu: "lots" } }))
            .toEqual(['the policy\'s config maxCpu is "lots", which is not a Kubernetes quantity; fix the stack\'s policy config']);
        expect(await check(() => undefined, { "jupyterlab-bounds": { minMemory: "16Gi" } }))
            .toEqual(["the policy's config minMemory (16Gi) is above maxMemory (8Gi); fix the stack's policy config"]);
    });

    it("checks a CronJob, a PodTemplate and a DeploymentPatch", async () => {
        const spec = { containers: [{ name: "cull", resources: resources(["100m", "512Mi"], ["1", "1Gi"]) }] };
        const message = "containers[0] (cull): resources.requests.cpu is 100m, below the minimum of 500m";
        expect(await messages(jupyterlabBounds, { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c", namespace: NS }, spec: { jobTemplate: { spec: { template: { spec } } } } }))
            .toEqual([message]);
        expect(await messages(jupyterlabBounds, { apiVersion: "v1", kind: "PodTemplate", metadata: { name: "t", namespace: NS }, template: { spec } })).toEqual([message]);
        // A patch sets only some fields: what it sets is bounded, nothing is required.
        const patch = (containers: KubeObject[]) => messages(jupyterlabBounds, { metadata: { name: "hub", namespace: NS }, spec: { template: { spec: { containers } } } }, {}, "kubernetes:apps/v1:DeploymentPatch");
        expect(await patch([{ name: "hub", image: "registry.lsst.org/hub:1.1" }])).toEqual([]);
        expect(await patch([{ name: "hub", resources: { limits: { memory: "16Gi" } } }]))
            .toEqual(["containers[0] (hub): resources.limits.memory is 16Gi, above the maximum of 8Gi"]);
    });

    it("does not crash on missing or null fields", async () => {
        expect(await messages(jupyterlabBounds, {} as never, {}, "kubernetes:apps/v1:Deployment")).toEqual([]);
        expect(await messages(jupyterlabBounds, { metadata: { namespace: NS } }, {}, "kubernetes:core/v1:LimitRange")).toEqual([]);
        expect(await messages(jupyterlabBounds, { metadata: { namespace: NS }, spec: { limits: [null, { type: "Container", max: null, min: { cpu: null } }] } }, {}, "kubernetes:core/v1:LimitRange"))
            .toEqual([`spec.limits[1].max.cpu, spec.limits[1].max.memory are not set; a Container LimitRange in ${NS} must cap cpu and memory (${RANGE})`]);
        expect(await check((s) => {
            s.containers = null;
            s.initContainers = [null, { name: "i", resources: { requests: null, limits: { cpu: "1", memory: "1Gi" } } }];
            s.resources = null;
        })).toEqual([`initContainers[1] (i): resources.requests.cpu, resources.requests.memory are not set; every container in ${NS} needs cpu and memory requests and limits (${RANGE})`]);
    });

    it("does not apply to other resource types", async () => {
        expect(await messages(jupyterlabBounds, { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: NS }, spec: {} })).toEqual([]);
        expect(await messages(jupyterlabBounds, { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: NS }, spec: { hard: { cpu: "1000" } } })).toEqual([]);
        expect(await messages(jupyterlabBounds, { metadata: { namespace: NS }, spec: { template: { spec: { containers: [{ name: "x" }] } } } }, {}, "command:remote:Command")).toEqual([]);
    });

    it("honours exemptions by namespace and by object", async () => {
        const bare = () => deployment((s) => delete hub(s).resources);
        expect(await messages(jupyterlabBounds, bare(), { "jupyterlab-bounds": { exemptions: [{ namespace: NS, reason: "staging the rollout" }] } })).toEqual([]);
        const byObject = { "jupyterlab-bounds": { exemptions: [{ kind: "Deployment", namespace: NS, name: "hub", reason: "the hub is not a user session" }] } };
        expect(await messages(jupyterlabBounds, bare(), byObject)).toEqual([]);
        expect(await messages(jupyterlabBounds, limitRange((l) => (l[0].max.cpu = "64")), byObject)).toHaveLength(1);
    });
});
