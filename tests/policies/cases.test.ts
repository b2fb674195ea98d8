/** The shared corpus (cases.ts) holds the pack's verdicts: each case judged by its policy under its own config. */
import { policies } from "../../policies/policies";
import { runPolicies } from "../../policies/lib/runner";
import { corpus, PolicyCase } from "./cases";
import { subject } from "./helpers";

const CASES = corpus({ trusted: "registry.example.org:5000", adminGroup: "lsst-k8s:cluster-admins" });

async function allowedByPack(c: PolicyCase): Promise<boolean> {
    const policy = policies.filter((p) => p.name === c.policy);
    const violations = await runPolicies(policy, [subject(c.object)], c.config);
    return violations.every((v) => v.enforcementLevel !== "mandatory");
}

describe("the shared policy corpus", () => {
    it("names each case once", () => {
        expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    });

    it("covers every policy it names with cases both ways", () => {
        for (const name of new Set(CASES.map((c) => c.policy))) {
            expect(policies.map((p) => p.name)).toContain(name);
        }
        for (const name of ["trusted-images", "public-exposure", "no-default-namespace", "restricted-roles", "jupyterlab-bounds", "read-only-filesets"]) {
            expect([...new Set(CASES.filter((c) => c.policy === name).map((c) => c.allowed))].sort()).toEqual([false, true]);
        }
    });

    it.each(CASES.map((c) => [c.name, c] as const))("%s: the pack's verdict is the corpus's", async (_name, c) => {
        expect(await allowedByPack(c)).toBe(c.allowed);
    });
});
