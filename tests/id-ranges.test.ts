/**
 * The id-range policy under Pulumi's mocks: what IdRanges declares alone (the policy and its binding,
 * valid against the Kubernetes schemas, passing the pack), and what each stack's Platform declares
 * with it: the ranges of config on exactly the namespaces that have them, and no workload of the
 * program's own in those namespaces that the policy would refuse. What the API server does with the
 * policy is tests/id-ranges.real.test.ts's.
 */
import { validateConfig } from "../config";
import { GID_RANGE_ANNOTATION, ID_RANGE_LABEL, ID_RANGE_POLICY, idRangeBindingSpec, idRangePolicySpec, UID_RANGE_ANNOTATION } from "../components/platform/IdRanges";
import { parseIdRange } from "../config/platform";
import { RecordedResource } from "../tools/evaluate";
import { declareAlone, declaredPods, ofType, rawConfig, runStack, STACKS, StackName, strictPackViolations } from "./harness";
import { schemaErrors } from "./schemas";

const NAME = "lsst-test-platform-id-ranges";
const POLICY = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

function declare(): Promise<RecordedResource[]> {
    return declareAlone((_k8s, provider) => {
        const { IdRanges } = require("../components/platform/IdRanges");
        new IdRanges(NAME, { provider });
    });
}

/** Each namespace of a stack that has ranges, with them, from its config. */
function rangesOf(stack: StackName): Map<string, { uids: string; gids: string }> {
    const platform = validateConfig(rawConfig(stack).config).config!.platform!;
    const ranges = new Map(platform.developerGroups.flatMap((d) => (d.ids ? [[d.namespace, d.ids] as const] : [])));
    if (platform.jupyter?.ids) {
        ranges.set("jupyter-lsst", platform.jupyter.ids);
    }
    return ranges;
}

/** What the policy asks of POD's ids, in RANGES, as "field value": empty when it would admit the pod. */
function outsideRanges(spec: Obj, ranges: { uids: string; gids: string }): string[] {
    const u = parseIdRange(ranges.uids)!;
    const g = parseIdRange(ranges.gids)!;
    const inside = (r: { min: number; max: number }, v: number) => v >= r.min && v <= r.max;
    const pod = spec.securityContext ?? {};
    const wrong: string[] = [];
    for (const [field, r] of [["runAsUser", u], ["runAsGroup", g], ["fsGroup", g]] as const) {
        if (pod[field] !== undefined && !inside(r, pod[field])) {
            wrong.push(`spec.securityContext.${field} ${pod[field]}`);
        }
    }
    for (const s of pod.supplementalGroups ?? []) {
        if (!inside(g, s)) {
            wrong.push(`spec.securityContext.supplementalGroups ${s}`);
        }
    }
    for (const kind of ["containers", "initContainers", "ephemeralContainers"]) {
        for (const c of spec[kind] ?? []) {
            for (const [field, r] of [["runAsUser", u], ["runAsGroup", g]] as const) {
                const v = c.securityContext?.[field] ?? pod[field];
                if (v === undefined || !inside(r, v)) {
                    wrong.push(`spec.${kind}["${c.name}"].securityContext.${field} ${v ?? "unset"}`);
                }
            }
        }
    }
    return wrong;
}

/** The id-range policy's objects of TYPE: those named after it, apart from the pack's in-cluster policies. */
function idRangeObjects(e: Parameters<typeof ofType>[0], type: string) {
    return ofType(e, type).filter((r) => (r.inputs.metadata as { name?: string } | undefined)?.name === ID_RANGE_POLICY);
}

describe("IdRanges, declared alone", () => {
    it("declares the policy and its binding only, both under the component, named from it, through its provider", async () => {
        const all = await declare();
        const [component] = all.filter((r) => r.type === "lsst-k8s:platform:IdRanges");
        const kube = all.filter((r) => r.type.startsWith("kubernetes:"));
        expect(kube.map((r) => [r.type, r.name])).toEqual([[POLICY, `${NAME}-policy`], [BINDING, `${NAME}-binding`]]);
        const [policy, binding] = kube;
        for (const r of kube) {
            expect(r.parent).toBe(component.urn);
            expect(r.provider).toMatch(/::lsst-test-kubernetes::/);
            expect([r.name, schemaErrors(r.inputs as never)]).toEqual([r.name, []]);
            expect((r.inputs.metadata as Obj).name).toBe(ID_RANGE_POLICY);
        }
        expect(binding.dependencies).toContain(policy.urn);
    });

    it("denies, failing closed, on pod creates and ephemeral containers, in the labeled namespaces only", async () => {
        const [policy, binding] = (await declare()).filter((r) => r.type.startsWith("kubernetes:"));
        const spec = policy.inputs.spec as Obj;
        expect(spec).toEqual(JSON.parse(JSON.stringify(idRangePolicySpec())));
        expect(spec.failurePolicy).toBe("Fail");
        expect(spec.matchConstraints.resourceRules.map((r: Obj) => [r.operations, r.resources])).toEqual([
            [["CREATE"], ["pods"]], [["UPDATE"], ["pods/ephemeralcontainers"]],
        ]);
        expect(binding.inputs.spec).toEqual({
            policyName: ID_RANGE_POLICY, validationActions: ["Deny"],
            matchResources: { namespaceSelector: { matchLabels: { [ID_RANGE_LABEL]: "true" } } },
        });
        expect(binding.inputs.spec).toEqual(idRangeBindingSpec());
        // Every refusal names what it refuses: no validation without its message.
        expect(spec.validations.every((v: Obj) => typeof v.messageExpression === "string" && v.reason === "Forbidden")).toBe(true);
        // The CEL reads the annotations the Platform writes.
        expect(JSON.stringify(spec.variables)).toContain(`'${UID_RANGE_ANNOTATION}'`);
        expect(JSON.stringify(spec.variables)).toContain(`'${GID_RANGE_ANNOTATION}'`);
    });

    it.each(STACKS)("meets every policy of stack %s's pack without an exemption", async (stack) => {
        const kube = (await declare()).filter((r) => r.type.startsWith("kubernetes:"));
        expect(await strictPackViolations(stack, kube)).toEqual([]);
    });
});

describe.each(STACKS)("the id ranges on stack %s", (stack: StackName) => {
    const ranges = rangesOf(stack);

    it("has ranges for every developer group and the notebooks", () => {
        const platform = validateConfig(rawConfig(stack).config).config!.platform!;
        expect([...ranges.keys()].sort()).toEqual([...platform.developerGroups.map((d) => d.namespace), "jupyter-lsst"].sort());
    });

    it("writes each namespace's ranges as its label and annotations, and none on the others", async () => {
        const e = await runStack(stack);
        const namespaces = ofType(e, "kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata as Obj);
        for (const m of namespaces) {
            const ids = ranges.get(m.name);
            expect([m.name, m.labels[ID_RANGE_LABEL], m.annotations?.[UID_RANGE_ANNOTATION], m.annotations?.[GID_RANGE_ANNOTATION]])
                .toEqual([m.name, ids ? "true" : undefined, ids?.uids, ids?.gids]);
        }
        expect(namespaces.filter((m) => ranges.has(m.name))).toHaveLength(ranges.size);
    });

    it("declares the policy once, under the platform", async () => {
        const e = await runStack(stack);
        const components = ofType(e, "lsst-k8s:platform:IdRanges");
        expect(components).toHaveLength(1);
        expect(components[0].parent).toMatch(/::lsst-k8s:cluster:Cluster\$lsst-k8s:platform:Platform::/);
        // AdmissionPolicies declares the pack's own beside it.
        expect(idRangeObjects(e, POLICY)).toHaveLength(1);
        expect(idRangeObjects(e, BINDING)).toHaveLength(1);
    });

    it("runs no workload of its own in a namespace with ranges that the policy would refuse", async () => {
        const e = await runStack(stack);
        const refused = declaredPods(e).flatMap(({ resource, spec }) => {
            const ns = (resource.inputs.metadata as Obj)?.namespace;
            const ids = ranges.get(ns);
            return ids ? outsideRanges(spec, ids).map((w) => `${resource.name}: ${w}`) : [];
        });
        expect(refused).toEqual([]);
        // The mirror of the policy that judged them refuses what the policy refuses.
        const [ns, ids] = [...ranges][0];
        const u = parseIdRange(ids.uids)!;
        expect(outsideRanges({ securityContext: { runAsUser: u.min - 1 }, containers: [{ name: "a" }] }, ids))
            .toEqual([`spec.securityContext.runAsUser ${u.min - 1}`, `spec.containers["a"].securityContext.runAsUser ${u.min - 1}`,
                `spec.containers["a"].securityContext.runAsGroup unset`]);
        expect(ns).toBeDefined();
    });
});

describe("a platform without ranges", () => {
    it("declares no policy, and labels no namespace for it", async () => {
        const platform = JSON.parse(rawConfig("test").config["lsst-k8s:platform"]);
        delete platform.filesets;
        delete platform.jupyter.ids;
        for (const d of platform.developerGroups) {
            delete d.ids;
        }
        const e = await runStack("test", { platformOverride: JSON.stringify(platform) });
        expect(ofType(e, "lsst-k8s:platform:IdRanges")).toEqual([]);
        expect(idRangeObjects(e, POLICY)).toEqual([]);
        for (const r of ofType(e, "kubernetes:core/v1:Namespace")) {
            expect((r.inputs.metadata as Obj).labels[ID_RANGE_LABEL]).toBeUndefined();
        }
    });
});
