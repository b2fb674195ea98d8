/**
 * What `policy check` keeps while it is made fast for large inputs: each violation line names its own
 * object in a big file, the runner still hands unknowns to policies as undefined wherever they sit, and
 * asynchronous policies are still awaited. Timing itself is measured by bench/policy-*.sh, never here.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ResourceValidationPolicy } from "@pulumi/policy";
import { runPolicies, Subject, UNKNOWN } from "../policies/lib/runner";
import { subjectOf, violationLabeller } from "../tools/policyCheck";
import { REPO } from "./harness";
import { npmScript } from "../tools/build/scripts";

function policy(...args: string[]) {
    return spawnSync(process.execPath, [...npmScript("policy"), ...args], {
        cwd: REPO,
        encoding: "utf8",
    });
}

/** A policy that keeps what it was shown and reports what `judge` returns. */
function recording(judge: (props: Record<string, unknown>) => string | undefined | Promise<string | undefined>) {
    const seen: Record<string, unknown>[] = [];
    const p: ResourceValidationPolicy = {
        name: "recording",
        description: "Records every object it is shown.",
        enforcementLevel: "mandatory",
        validateResource: (args, report) => {
            seen.push(args.props);
            const verdict = judge(args.props);
            if (verdict instanceof Promise) {
                return verdict.then((m) => (m === undefined ? undefined : report(m)));
            }
            if (verdict !== undefined) {
                report(verdict);
            }
            return undefined;
        },
    };
    return { policy: p, seen };
}

const configMap = (name: string, extra: Record<string, unknown> = {}): Subject =>
    subjectOf({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "apps" }, ...extra });

describe("policy check over a big file", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-scale-"));
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("names the right object on every violation line, in the file's order", () => {
        const count = 3_000;
        const misplaced = new Set([0, 1, 977, 1_500, 2_998, 2_999]);
        const docs: string[] = [];
        for (let i = 0; i < count; i++) {
            const namespace = misplaced.has(i) ? "" : "\n  namespace: apps";
            docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-${i}${namespace}\ndata: {index: "${i}"}\n`);
        }
        const file = path.join(dir, "big.yaml");
        fs.writeFileSync(file, docs.join("---\n"));
        const r = policy("check", file);
        expect(r.stderr).toBe("");
        expect(r.stdout.trimEnd().split("\n")).toEqual([...misplaced].map((i) =>
            `${file}: ConfigMap/default/settings-${i}: no-default-namespace: names no namespace, so it would land in default; set metadata.namespace`));
        expect(r.status).toBe(1);
    });
});

describe("violation labels", () => {
    it("label by the first object with the URN, and a finding without one as the stack", () => {
        // No name and the name "unnamed" share a URN; the first of them names both, as it always has.
        const first = subjectOf({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "apps" } });
        const second = subjectOf({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "unnamed", namespace: "apps" } });
        expect(first.urn).toBe(second.urn);
        const labelOf = violationLabeller([configMap("a"), first, second]);
        expect(labelOf(second.urn)).toBe("ConfigMap/apps/<unnamed>");
        expect(labelOf(configMap("a").urn)).toBe("ConfigMap/apps/a");
        expect(labelOf(undefined)).toBe("stack");
        expect(labelOf("kubernetes:core/v1:ConfigMap::apps::missing")).toBe("stack");
    });
});

describe("the runner at scale", () => {
    it("hands unknowns as undefined wherever they sit: in lists, in lists of objects, at any depth", async () => {
        const { policy: p, seen } = recording(() => undefined);
        await runPolicies([p], [configMap("a", { data: { list: ["x", UNKNOWN], deep: [{ v: UNKNOWN, w: "kept" }] } })], {});
        expect(seen[0].data).toEqual({ list: ["x", undefined], deep: [{ v: undefined, w: "kept" }] });
        expect(Object.keys((seen[0].data as { deep: object[] }).deep[0])).toEqual(["v", "w"]);
    });

    it("hands plain data without unknowns on as it is, and other objects as plain copies", async () => {
        const { policy: p, seen } = recording(() => undefined);
        class Carrier {
            constructor(readonly v: string) {}
        }
        const clean = configMap("a", { data: { a: "b" } });
        const carrier = configMap("b", { data: new Carrier("c") });
        await runPolicies([p], [clean, carrier], {});
        expect(seen[0]).toBe(clean.props);
        expect(Object.getPrototypeOf(seen[1].data)).toBe(Object.prototype);
        expect(seen[1].data).toEqual({ v: "c" });
    });

    it("awaits an asynchronous policy and keeps the order of its reports", async () => {
        const { policy: p } = recording(async (props) => {
            await new Promise((resolve) => setImmediate(resolve));
            const name = (props.metadata as { name: string }).name;
            return name === "b" ? undefined : `async ${name}`;
        });
        const violations = await runPolicies([p], [configMap("a"), configMap("b"), configMap("c")], {});
        expect(violations.map((v) => v.message)).toEqual(["async a", "async c"]);
    });
});
