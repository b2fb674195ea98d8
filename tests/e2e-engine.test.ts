/**
 * The engine tier's own logic (the tier itself runs the real CLI: npm run e2e -- engine): how a
 * preview is judged from the engine's events, and the CLI built at the SDK's version.
 */
import * as fs from "fs";
import * as path from "path";
import { judgePreview, requiredPlugins } from "../tools/e2e/engine";
import { EngineEvent } from "../tools/e2e/engine/workspace";

const ROOT = path.resolve(__dirname, "..");
const pre = (urn: string): EngineEvent => ({ resourcePreEvent: { metadata: { urn, op: "create", type: "t" } } });
const error = (message: string): EngineEvent => ({ diagnosticEvent: { severity: "error", message } });
const missingRandom = error("no resource plugin 'pulumi-resource-random' found in the workspace at version v4.21.2 or on your $PATH");

describe("judging a preview", () => {
    it("passes a clean run and nothing else", () => {
        expect(judgePreview(0, [pre("a"), pre("b")], [])).toEqual({ passed: true, stoppedAtProvider: false, registered: 2, problems: [] });
        expect(judgePreview(1, [pre("a")], []).passed).toBe(false);
    });

    it("counts a run that stopped only at a missing plugin as such, not as a pass", () => {
        const v = judgePreview(1, [pre("a"), missingRandom], ["random", "tls"]);
        expect(v).toMatchObject({ passed: false, stoppedAtProvider: true, problems: [] });
    });

    it("reports a program error, a plugin it was not told is missing, and a mandatory violation", () => {
        expect(judgePreview(1, [missingRandom, error("TypeError: boom")], ["random"]).problems).toEqual(["TypeError: boom"]);
        expect(judgePreview(1, [missingRandom], ["tls"]).problems).toEqual([missingRandom.diagnosticEvent!.message]);
        const violation: EngineEvent = { policyEvent: { policyName: "trusted-images", enforcementLevel: "mandatory", message: "untrusted", resourceUrn: "u" } };
        const v = judgePreview(0, [violation], []);
        expect(v.passed).toBe(false);
        expect(v.problems).toEqual(["trusted-images: untrusted (u)"]);
        const advisory: EngineEvent = { policyEvent: { policyName: "p", enforcementLevel: "advisory", message: "m" } };
        expect(judgePreview(0, [advisory], []).passed).toBe(true);
        expect(judgePreview(1, [], []).problems).toEqual(["exit 1 with no error event"]);
    });
});

describe("the engine's versions", () => {
    it("builds the CLI at the version @pulumi/pulumi resolves to", () => {
        const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
        const env = fs.readFileSync(path.join(ROOT, "tools/upstream/versions.env"), "utf8");
        expect(/^PULUMI_VERSION=v(\S+)$/m.exec(env)?.[1]).toBe(lock.packages["node_modules/@pulumi/pulumi"].version);
        const mod = fs.readFileSync(path.join(ROOT, "tools/upstream/pulumi/go.mod"), "utf8");
        expect(mod).toContain(`github.com/pulumi/pulumi/pkg/v3 v${lock.packages["node_modules/@pulumi/pulumi"].version}`);
    });

    it("asks for every provider plugin the program's SDKs need, at the lock file's versions", () => {
        expect(requiredPlugins().map((p) => p.split("@")[0])).toEqual(["command", "random", "tls", "kubernetes"]);
        expect(requiredPlugins().every((p) => /@\d+\.\d+\.\d+$/.test(p))).toBe(true);
    });
});
