/**
 * The config hash (components/platform/configHash.ts): a pod template annotation that follows the data
 * of the ConfigMaps and Secrets its pods mount, so a change rolls the pods; secrets hashed only under a
 * key, so the annotation, readable by more people than the Secret, tells nothing of them. Then every
 * workload of every stack: each pod template that mounts (or reads) a ConfigMap or Secret the program
 * declares carries it.
 */
import { createHash, createHmac } from "crypto";
import { canonicalJson, CONFIG_HASH_ANNOTATION, digest } from "../components/platform/configHash";
import { evaluate, RecordedResource, StackOutput } from "../tools/evaluate";
import { runStack, STACKS } from "./harness";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

/** The annotation configHash gives `data` (built by `make` inside the program, so Outputs resolve) as the engine sees it. */
async function annotation(make: (pulumi: typeof import("@pulumi/pulumi")) => { data: Obj; key?: unknown }): Promise<StackOutput> {
    const e = await evaluate({
        stack: "test",
        config: {},
        secretKeys: [],
        load: () => {
            let exports: Obj = {};
            jest.isolateModules(() => {
                const pulumi = require("@pulumi/pulumi");
                const { configHash } = require("../components/platform/configHash");
                const { data, key } = make(pulumi);
                exports = { hash: configHash(data, key) };
            });
            return exports;
        },
    });
    return e.outputs.hash;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const hmac = (key: string, text: string) => createHmac("sha256", key).update(text).digest("hex");

describe("configHash", () => {
    it("writes JSON with sorted keys, so the order data is built in changes nothing", () => {
        expect(canonicalJson({ b: [2, { d: 1, c: undefined }], a: "x" })).toBe('{"a":"x","b":[2,{"d":1}]}');
        expect(canonicalJson({ a: "x", b: [2, { d: 1 }] })).toBe(canonicalJson({ b: [2, { d: 1 }], a: "x" }));
    });

    it("hashes plain data with SHA-256, the same for the same data whatever its order, Outputs resolved", async () => {
        const data = { "configmap/a": { "x.conf": "A = 1\n", "y.conf": "B = 2\n" } };
        const plain = await annotation(() => ({ data }));
        expect(plain).toEqual({ secret: false, value: { [CONFIG_HASH_ANNOTATION]: sha256(canonicalJson(data)) } });
        const viaOutputs = await annotation((pulumi) => ({ data: { "configmap/a": { "y.conf": pulumi.output("B = 2\n"), "x.conf": "A = 1\n" } } }));
        expect(viaOutputs).toEqual(plain);
        const changed = await annotation(() => ({ data: { "configmap/a": { "x.conf": "A = 2\n", "y.conf": "B = 2\n" } } }));
        expect(changed.value).not.toEqual(plain.value);
        const renamed = await annotation(() => ({ data: { "configmap/b": data["configmap/a"] } }));
        expect(renamed.value).not.toEqual(plain.value);
    });

    it("hashes data holding a secret with HMAC under the key, and the result is not secret", async () => {
        const data = { "configmap/a": { "x.conf": "A = 1\n" }, "secret/t": { token: "hunter2" } };
        const keyed = await annotation((pulumi) => ({
            data: { "configmap/a": data["configmap/a"], "secret/t": pulumi.secret({ token: "hunter2" }) },
            key: pulumi.secret("k".repeat(44)),
        }));
        expect(keyed).toEqual({ secret: false, value: { [CONFIG_HASH_ANNOTATION]: hmac("k".repeat(44), canonicalJson(data)) } });
        // Not the bare hash anyone could compute from a guess of the secret.
        expect(keyed.value).not.toEqual({ [CONFIG_HASH_ANNOTATION]: sha256(canonicalJson(data)) });
        const otherKey = await annotation((pulumi) => ({ data: { "secret/t": pulumi.secret({ token: "hunter2" }) }, key: pulumi.secret("j".repeat(44)) }));
        const sameKey = await annotation((pulumi) => ({ data: { "secret/t": pulumi.secret({ token: "hunter2" }) }, key: pulumi.secret("k".repeat(44)) }));
        expect(otherKey.value).not.toEqual(sameKey.value);
    });

    it("refuses to hash a secret without a key, or under an empty one", () => {
        expect(() => digest("{}", true)).toThrow(/holds a secret and no key was given: a bare SHA-256 of it would let whoever reads/);
        expect(() => digest("{}", true, "")).toThrow(/the HMAC key is empty/);
        expect(() => digest("{}", false, "")).toThrow(/the HMAC key is empty/);
        expect(digest("{}", false)).toBe(sha256("{}"));
        expect(digest("{}", true, "k")).toBe(hmac("k", "{}"));
    });
});

// ---- every workload of every stack -------------------------------------------------------------------

const WORKLOADS: Readonly<Record<string, (spec: Obj) => Obj | undefined>> = {
    "kubernetes:apps/v1:Deployment": (s) => s.template,
    "kubernetes:apps/v1:StatefulSet": (s) => s.template,
    "kubernetes:apps/v1:DaemonSet": (s) => s.template,
    "kubernetes:batch/v1:Job": (s) => s.template,
    "kubernetes:batch/v1:CronJob": (s) => s.jobTemplate?.spec?.template,
};

/** The ConfigMaps and Secrets a pod spec mounts or reads, as "configmap/NAME" and "secret/NAME". */
function referenced(pod: Obj): string[] {
    const refs = new Set<string>();
    for (const v of pod.volumes ?? []) {
        if (v.configMap) {
            refs.add(`configmap/${v.configMap.name}`);
        }
        if (v.secret) {
            refs.add(`secret/${v.secret.secretName}`);
        }
        for (const s of v.projected?.sources ?? []) {
            if (s.configMap) {
                refs.add(`configmap/${s.configMap.name}`);
            }
            if (s.secret) {
                refs.add(`secret/${s.secret.name}`);
            }
        }
    }
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
        for (const f of c.envFrom ?? []) {
            if (f.configMapRef) {
                refs.add(`configmap/${f.configMapRef.name}`);
            }
            if (f.secretRef) {
                refs.add(`secret/${f.secretRef.name}`);
            }
        }
        for (const e of c.env ?? []) {
            if (e.valueFrom?.configMapKeyRef) {
                refs.add(`configmap/${e.valueFrom.configMapKeyRef.name}`);
            }
            if (e.valueFrom?.secretKeyRef) {
                refs.add(`secret/${e.valueFrom.secretKeyRef.name}`);
            }
        }
    }
    return [...refs];
}

describe.each(STACKS)("every workload of stack %s", (stack) => {
    it("carries the config hash on each pod template that mounts or reads a ConfigMap or Secret the program declares", async () => {
        const e = await runStack(stack);
        const meta = (r: RecordedResource) => r.inputs.metadata as Obj;
        const declared = new Set(e.resources
            .filter((r) => r.type === "kubernetes:core/v1:ConfigMap" || r.type === "kubernetes:core/v1:Secret")
            .map((r) => `${meta(r).namespace}/${r.type.endsWith("ConfigMap") ? "configmap" : "secret"}/${meta(r).name}`));
        const workloads = e.resources.filter((r) => r.type in WORKLOADS);
        expect(workloads.length).toBeGreaterThan(0);
        const unhashed: string[] = [];
        let hashed = 0;
        for (const w of workloads) {
            const template = WORKLOADS[w.type]((w.inputs.spec ?? {}) as Obj) ?? {};
            const ns = meta(w).namespace;
            const mounted = referenced(template.spec ?? {}).filter((ref) => declared.has(`${ns}/${ref}`));
            if (mounted.length === 0) {
                continue;
            }
            const value = template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
            if (typeof value === "string" && /^[0-9a-f]{64}$/.test(value)) {
                hashed++;
            } else {
                unhashed.push(`${w.type.split(":").pop()} ${ns}/${meta(w).name} (mounts ${mounted.join(", ")})`);
            }
        }
        expect(unhashed).toEqual([]);
        expect(hashed).toBeGreaterThan(0);
    });
});
