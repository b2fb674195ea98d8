/**
 * AdmissionPolicies under the mocks: what it declares for each stack is what admission/rules.ts
 * renders from the stack's policy data (the objects the differential proves on a real API server),
 * under the component, and it refuses a policy config that would lock the admins out.
 */
import { validateConfig } from "../config";
import { admissionManifests, admissionRules } from "../components/platform/admission/rules";
import { stackPolicyData } from "../components/platform/admission/data";
import { policies } from "../policies/policies";
import { runPolicies } from "../policies/lib/runner";
import { PackConfig } from "../policies/lib/runner";
import { RecordedResource } from "../tools/evaluate";
import { declareAlone, rawConfig, STACKS, StackName } from "./harness";

const NAME = "lsst-test-platform-admission";

function platformOf(stack: StackName) {
    return validateConfig(rawConfig(stack).config).config!.platform!;
}

function declare(stack: StackName, policy: PackConfig): Promise<RecordedResource[]> {
    return declareAlone((_k8s, provider) => {
        const { AdmissionPolicies } = require("../components/platform/AdmissionPolicies");
        new AdmissionPolicies(NAME, { policy, config: platformOf(stack), provider });
    });
}

describe.each(STACKS)("AdmissionPolicies for %s", (stack) => {
    const data = stackPolicyData(stack);

    it("declares each rendered policy and its binding, under the component, named after it", async () => {
        const resources = await declare(stack, data);
        const component = resources.find((r) => r.type === "lsst-k8s:platform:AdmissionPolicies")!;
        expect(component.name).toBe(NAME);
        const kube = resources.filter((r) => r.type.startsWith("kubernetes:admissionregistration.k8s.io/v1:"));
        const manifests = admissionManifests(data);
        expect(kube).toHaveLength(2 * manifests.length);
        for (const r of kube) {
            expect(r.parent).toBe(component.urn);
            expect(r.name.startsWith(`${NAME}-`)).toBe(true);
        }
        for (const m of manifests) {
            const vap = kube.find((r) => r.name === `${NAME}-${m.policy}`)!;
            const binding = kube.find((r) => r.name === `${NAME}-${m.policy}-binding`)!;
            expect(vap.inputs).toEqual(JSON.parse(JSON.stringify(m.vap)));
            expect(binding.inputs).toEqual(JSON.parse(JSON.stringify(m.binding)));
            expect(binding.dependencies).toContain(vap.urn);
        }
    });

    it("renders every object policy the stack enforces, refusing what is mandatory and warning on what is advisory", () => {
        const rules = admissionRules(data);
        expect(rules.map((r) => r.policy).sort()).toEqual(["cluster-admin-binding", "jupyterlab-bounds", "no-default-namespace", "public-exposure",
            "read-only-filesets", "restricted-roles", "trusted-images"]);
        expect(rules.every((r) => r.actions.join() === "Deny")).toBe(true);
        expect(rules.every((r) => r.spec.matchConditions.some((c) => c.name === "not-the-control-plane"))).toBe(true);
    });

    it("passes the pack itself", async () => {
        const subjects = admissionManifests(data).flatMap((m) => [m.vap, m.binding]).map((o) => {
            const type = `kubernetes:admissionregistration.k8s.io/v1:${o.kind}`;
            return { type, name: o.metadata.name, urn: `urn:pulumi:${stack}::lsst-k8s::${type}::${o.metadata.name}`, props: JSON.parse(JSON.stringify(o)) };
        });
        expect((await runPolicies(policies, subjects, data)).filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    });
});

describe("AdmissionPolicies' inputs", () => {
    const data = stackPolicyData("test");

    it("warns on an advisory policy and leaves a disabled one out", () => {
        const rules = admissionRules({ ...data, "trusted-images": { ...data["trusted-images"], enforcementLevel: "advisory" }, "public-exposure": "disabled" });
        expect(rules.find((r) => r.policy === "trusted-images")!.actions).toEqual(["Warn", "Audit"]);
        expect(rules.find((r) => r.policy === "public-exposure")).toBeUndefined();
    });

    it("honours exemptions with a reason only, by namespace or exact object", () => {
        const images = admissionRules(data).find((r) => r.policy === "trusted-images")!;
        const exempt = images.spec.matchConditions.find((c) => c.name === "not-exempt")!.expression;
        expect(exempt).toContain('["kube-system"]');
        expect(exempt).toContain('"Deployment/registry/registry"');
        const noReason = admissionRules({ ...data, "trusted-images": { ...data["trusted-images"], exemptions: [{ namespace: "x", reason: "" }] } });
        expect(noReason.find((r) => r.policy === "trusted-images")!.spec.matchConditions.map((c) => c.name)).toEqual(["not-the-control-plane"]);
    });

    it("refuses a policy admin group other than the platform's, which would refuse the platform's own cluster-admin binding", async () => {
        const other = { ...data, "restricted-roles": { adminGroup: "someone:else" } };
        await expect(declare("test", other)).rejects.toThrow(/restricted-roles\.adminGroup \("someone:else"\) must be platform\.groups\.admins \(lsst-test:k8s-cluster-admins\)/);
    });

    it("refuses JupyterLab bounds it cannot render, naming them", () => {
        expect(() => admissionRules({ ...data, "jupyterlab-bounds": { ...data["jupyterlab-bounds"], minCpu: "8" } }))
            .toThrow(/jupyterlab-bounds: minCpu "8" and maxCpu "4" must be Kubernetes quantities/);
    });

    it("names the stack's missing policy config", () => {
        expect(() => stackPolicyData("nope")).toThrow("policies/config/nope.json: the stack has no policy config (every stack needs one)");
    });
});
