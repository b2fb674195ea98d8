import { isWithin, normalizePath, readOnlyFilesets } from "../../policies/read-only-filesets";
import { KubeObject } from "../../policies/lib/kube";
import { messages } from "./helpers";

const P = "spec.template.spec";

/** A JupyterLab-like pod spec: the filesets read-only, home and scratch writable. */
const podSpec = (): KubeObject => ({
    containers: [{
        name: "lab",
        image: "registry.lsst.org/lab:1.0",
        volumeMounts: [
            { name: "datasets", mountPath: "/datasets", readOnly: true },
            { name: "software", mountPath: "/software", readOnly: true },
            { name: "home", mountPath: "/home/user" },
            { name: "scratch", mountPath: "/datasets2" },
            { name: "scratch", mountPath: "/tmp", subPath: "tmp" },
        ],
    }],
    initContainers: [{ name: "init", image: "registry.lsst.org/init:1.0", volumeMounts: [{ name: "home", mountPath: "/home/user" }] }],
    volumes: [
        { name: "datasets", persistentVolumeClaim: { claimName: "datasets" } },
        { name: "software", nfs: { server: "nfs.lsst.org", path: "/software", readOnly: true } },
        { name: "home", persistentVolumeClaim: { claimName: "home" } },
        { name: "scratch", emptyDir: {} },
    ],
});

function deployment(change: (spec: KubeObject) => void = () => undefined, namespace = "jupyter-lsst"): KubeObject {
    const spec = podSpec();
    change(spec);
    return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "lab", namespace }, spec: { template: { spec } } };
}

const check = (change: (spec: KubeObject) => void, config = {}) => messages(readOnlyFilesets, deployment(change), config);
const lab = (spec: KubeObject) => spec.containers[0];
const volume = (spec: KubeObject, v: KubeObject) => spec.volumes.push(v);

describe("paths", () => {
    it("normalises and compares segment by segment", () => {
        expect(normalizePath("//datasets/./hsc/")).toBe("/datasets/hsc");
        expect(normalizePath("/datasets/../software")).toBe("/software");
        expect(isWithin("/datasets", "/datasets")).toBe(true);
        expect(isWithin("/datasets/hsc", "/datasets/")).toBe(true);
        expect(isWithin("/datasets2", "/datasets")).toBe(false);
        expect(isWithin("/data", "/datasets")).toBe(false);
        expect(isWithin("/anything", "/")).toBe(true);
    });
});

describe("read-only-filesets", () => {
    it("is mandatory and describes itself in a sentence", () => {
        expect(readOnlyFilesets.enforcementLevel).toBe("mandatory");
        expect(readOnlyFilesets.description).toMatch(/^[A-Z].*\.$/);
    });

    it("passes read-only filesets beside writable mounts (/datasets2 is not under /datasets)", async () => {
        expect(await check(() => undefined)).toEqual([]);
    });

    describe("a mount at or under a fileset path", () => {
        it("must be readOnly", async () => {
            expect(await check((s) => (lab(s).volumeMounts[0].readOnly = false)))
                .toEqual(["containers[0] (lab): volumeMounts[0] (datasets) at /datasets is not readOnly; mounts at or under /datasets must set readOnly: true"]);
            expect(await check((s) => delete lab(s).volumeMounts[1].readOnly))
                .toEqual(["containers[0] (lab): volumeMounts[1] (software) at /software is not readOnly; mounts at or under /software must set readOnly: true"]);
        });

        it("including below it, with a subPath, or written untidily", async () => {
            expect(await check((s) => lab(s).volumeMounts.push({ name: "scratch", mountPath: "/datasets/hsc/raw", subPath: "raw" })))
                .toEqual(["containers[0] (lab): volumeMounts[5] (scratch) at /datasets/hsc/raw is not readOnly; mounts at or under /datasets must set readOnly: true"]);
            expect(await check((s) => lab(s).volumeMounts.push({ name: "scratch", mountPath: "//software/" })))
                .toEqual(["containers[0] (lab): volumeMounts[5] (scratch) at //software/ is not readOnly; mounts at or under /software must set readOnly: true"]);
        });

        it("in init and ephemeral containers too", async () => {
            expect(await check((s) => s.initContainers[0].volumeMounts.push({ name: "datasets", mountPath: "/datasets" })))
                .toEqual(["initContainers[0] (init): volumeMounts[1] (datasets) at /datasets is not readOnly; mounts at or under /datasets must set readOnly: true"]);
            expect(await check((s) => (s.ephemeralContainers = [{ name: "debug", volumeMounts: [{ name: "software", mountPath: "/software" }] }])))
                .toEqual(["ephemeralContainers[0] (debug): volumeMounts[0] (software) at /software is not readOnly; mounts at or under /software must set readOnly: true"]);
        });
    });

    describe("a hostPath or NFS volume reaching a fileset", () => {
        it("must be mounted readOnly wherever it is mounted", async () => {
            expect(await check((s) => {
                volume(s, { name: "raw", hostPath: { path: "/datasets/hsc" } });
                lab(s).volumeMounts.push({ name: "raw", mountPath: "/data" });
            })).toEqual(["containers[0] (lab): volumeMounts[5] (raw) at /data is not readOnly, but its hostPath volume reaches /datasets/hsc; set readOnly: true"]);
            expect(await check((s) => {
                volume(s, { name: "raw", hostPath: { path: "/datasets/hsc" } });
                lab(s).volumeMounts.push({ name: "raw", mountPath: "/data", readOnly: true });
            })).toEqual([]);
        });

        it("through a subPath of a parent directory, or the parent itself", async () => {
            const root = (mount: KubeObject) => (s: KubeObject) => {
                volume(s, { name: "root", hostPath: { path: "/" } });
                lab(s).volumeMounts.push({ name: "root", ...mount });
            };
            expect(await check(root({ mountPath: "/opt", subPath: "software/lib" })))
                .toEqual(["containers[0] (lab): volumeMounts[5] (root) at /opt is not readOnly, but its hostPath volume reaches /software/lib; set readOnly: true"]);
            expect(await check(root({ mountPath: "/host" })))
                .toEqual(["containers[0] (lab): volumeMounts[5] (root) at /host is not readOnly, but its hostPath volume reaches /datasets, /software; set readOnly: true"]);
            expect(await check(root({ mountPath: "/host", subPathExpr: "$(POD_NAME)" })))
                .toEqual(["containers[0] (lab): volumeMounts[5] (root) at /host is not readOnly, but its hostPath volume reaches /datasets, /software; set readOnly: true"]);
            expect(await check(root({ mountPath: "/tmp2", subPath: "tmp" }))).toEqual([]);
        });

        it("not when the source is only a sibling (/datasets2)", async () => {
            expect(await check((s) => {
                volume(s, { name: "other", hostPath: { path: "/datasets2" } });
                lab(s).volumeMounts.push({ name: "other", mountPath: "/data" });
            })).toEqual([]);
        });

        it("and an NFS volume exporting a fileset is readOnly on the volume", async () => {
            expect(await check((s) => {
                volume(s, { name: "raw", nfs: { server: "nfs.lsst.org", path: "/datasets/hsc" } });
                lab(s).volumeMounts.push({ name: "raw", mountPath: "/data", readOnly: true });
            })).toEqual([`${P}.volumes[4] (raw): nfs.path /datasets/hsc is under /datasets, but nfs.readOnly is not true; set readOnly: true on the volume`]);
            expect(await check((s) => (lab(s).volumeMounts[1].mountPath = "/opt/software"))).toEqual([]);
            expect(await check((s) => {
                lab(s).volumeMounts[1].mountPath = "/opt/software";
                lab(s).volumeMounts[1].readOnly = false;
            })).toEqual(["containers[0] (lab): volumeMounts[1] (software) at /opt/software is not readOnly, but its nfs volume reaches /software; set readOnly: true"]);
        });
    });

    describe("another mount of a volume mounted at a fileset path", () => {
        it("must be readOnly too", async () => {
            expect(await check((s) => lab(s).volumeMounts.push({ name: "datasets", mountPath: "/scratch" })))
                .toEqual(["containers[0] (lab): volumeMounts[5] (datasets) at /scratch is not readOnly, but containers[0] (lab) mounts the same volume at /datasets, under /datasets; set readOnly: true"]);
            expect(await check((s) => s.initContainers[0].volumeMounts.push({ name: "datasets", mountPath: "/in", subPath: "hsc" })))
                .toEqual(["initContainers[0] (init): volumeMounts[1] (datasets) at /in is not readOnly, but containers[0] (lab) mounts the same volume at /datasets, under /datasets; set readOnly: true"]);
        });

        it("unless the two subPaths share nothing", async () => {
            expect(await check((s) => {
                lab(s).volumeMounts[0].subPath = "hsc";
                lab(s).volumeMounts.push({ name: "datasets", mountPath: "/work", subPath: "work" });
            })).toEqual([]);
        });
    });

    it("reads other fileset paths from the config", async () => {
        const config = { "read-only-filesets": { paths: ["/repo"] } };
        expect(await check((s) => (lab(s).volumeMounts[0].readOnly = false), config)).toEqual([]);
        expect(await check((s) => lab(s).volumeMounts.push({ name: "scratch", mountPath: "/repo/main" }), config))
            .toEqual(["containers[0] (lab): volumeMounts[5] (scratch) at /repo/main is not readOnly; mounts at or under /repo must set readOnly: true"]);
    });

    it("checks a CronJob, a PodTemplate and a DeploymentPatch", async () => {
        const spec = { containers: [{ name: "job", volumeMounts: [{ name: "d", mountPath: "/datasets/x" }] }], volumes: [{ name: "d", emptyDir: {} }] };
        const message = "containers[0] (job): volumeMounts[0] (d) at /datasets/x is not readOnly; mounts at or under /datasets must set readOnly: true";
        expect(await messages(readOnlyFilesets, { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c", namespace: "a" }, spec: { jobTemplate: { spec: { template: { spec } } } } }))
            .toEqual([message]);
        expect(await messages(readOnlyFilesets, { apiVersion: "v1", kind: "PodTemplate", metadata: { name: "t", namespace: "a" }, template: { spec } })).toEqual([message]);
        expect(await messages(readOnlyFilesets, { metadata: { name: "d", namespace: "a" }, spec: { template: { spec } } }, {}, "kubernetes:apps/v1:DeploymentPatch")).toEqual([message]);
    });

    it("does not crash on missing or null fields", async () => {
        expect(await messages(readOnlyFilesets, {} as never, {}, "kubernetes:apps/v1:Deployment")).toEqual([]);
        expect(await messages(readOnlyFilesets, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} })).toEqual([]);
        expect(await check((s) => {
            s.containers = null;
            s.initContainers = [null, { name: "i", volumeMounts: null }, { volumeMounts: [null, {}, { name: "datasets" }] }];
            s.volumes = [null, { name: "datasets", hostPath: null, nfs: {} }];
        })).toEqual([]);
    });

    it("does not apply to other resource types", async () => {
        expect(await messages(readOnlyFilesets, { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: {} })).toEqual([]);
        expect(await messages(readOnlyFilesets, { spec: { template: { spec: podSpec() } } }, {}, "command:remote:Command")).toEqual([]);
    });

    it("honours exemptions by namespace and by object", async () => {
        const writable = (namespace: string) => deployment((s) => (lab(s).volumeMounts[0].readOnly = false), namespace);
        const byNamespace = { "read-only-filesets": { exemptions: [{ namespace: "data-curation", reason: "curators write the datasets" }] } };
        expect(await messages(readOnlyFilesets, writable("data-curation"), byNamespace)).toEqual([]);
        expect(await messages(readOnlyFilesets, writable("jupyter-lsst"), byNamespace)).toHaveLength(1);
        const byObject = { "read-only-filesets": { exemptions: [{ kind: "Deployment", namespace: "jupyter-lsst", name: "lab", reason: "ingest" }] } };
        expect(await messages(readOnlyFilesets, writable("jupyter-lsst"), byObject)).toEqual([]);
        expect(await messages(readOnlyFilesets, writable("other"), byObject)).toHaveLength(1);
    });
});
