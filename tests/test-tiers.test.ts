/**
 * jest.config.js's tiers: every test file is in exactly one, and tools/test.sh's summary counts each
 * file's tests and time under its own tier.
 */
import * as fs from "fs";
import * as path from "path";
import { summary, tierOf } from "../tools/testTiers";
import { REPO } from "./harness";

const { projects } = require(path.join(REPO, "jest.config.js"));

const testFiles = fs.readdirSync(path.join(REPO, "tests"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts")).map((f) => path.join(REPO, "tests", f));

describe("the test tiers", () => {
    it.each(testFiles.map((f) => [path.relative(REPO, f)]))("put %s in exactly one tier", (file) => {
        const matching = projects.filter((p: { testRegex: string | string[]; testPathIgnorePatterns: string[] }) =>
            [p.testRegex].flat().some((r) => new RegExp(r).test(path.join(REPO, file)))
            && !p.testPathIgnorePatterns.some((r) => new RegExp(r).test(path.join(REPO, file))));
        expect(matching).toHaveLength(1);
        expect(tierOf(projects, path.join(REPO, file))).toBe(matching[0].displayName);
    });

    it("sends the suites that start Go-built binaries or the Pulumi CLI to their own tiers", () => {
        const tier = (f: string) => tierOf(projects, path.join(REPO, "tests", f));
        expect(["admission.test.ts", "id-ranges.real.test.ts", "network-policies.real.test.ts"].map(tier)).toEqual(["control-plane", "control-plane", "control-plane"]);
        expect(tier("workflow.test.ts")).toBe("engine");
        expect(tier("program/identity.test.ts")).toBe("unit");
    });

    it("sums each tier's tests, failures and file time", () => {
        const at = (f: string, seconds: number, statuses: string[]) => ({
            name: path.join(REPO, "tests", f), startTime: 1000, endTime: 1000 + seconds * 1000, assertionResults: statuses.map((status) => ({ status })),
        });
        expect(summary(projects, [at("schema.test.ts", 2, ["passed"]), at("layout.test.ts", 3.4, ["passed", "failed"]), at("bundle.test.ts", 1, ["passed"])], ["unit", "scripts", "synth"]))
            .toEqual([
                "unit:          3 tests (1 failed) in 2 files, 5 s of file time",
                "scripts:       1 tests (0 failed) in 1 files, 1 s of file time",
                "synth:         0 tests (0 failed) in 0 files, 0 s of file time",
            ]);
    });
});
