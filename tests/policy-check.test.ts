import { spawnSync } from "child_process";
import * as path from "path";
import { REPO } from "./harness";

const FIXTURES = "tests/fixtures/manifests";

/** Runs `npm run policy -- ...` minus npm, from the repository root. */
function policy(...args: string[]) {
    return spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO, "tools/policy.ts"), ...args], {
        cwd: REPO,
        encoding: "utf8",
    });
}

describe("policy check", () => {
    it("exits 0 and prints nothing for compliant manifests", () => {
        expect(policy("check", `${FIXTURES}/compliant.yaml`)).toMatchObject({ status: 0, stdout: "", stderr: "" });
    });

    it("prints one line per violation in the contract's format and exits 1 on a mandatory one", () => {
        const r = policy("check", `${FIXTURES}/default-namespace.yaml`, `${FIXTURES}/list.json`);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(1);
        expect(r.stdout).toBe([
            `${FIXTURES}/default-namespace.yaml: ConfigMap/default/settings: no-default-namespace: names no namespace, so it would land in default; set metadata.namespace`,
            `${FIXTURES}/default-namespace.yaml: Secret/default/token: no-default-namespace: is in the default namespace; put it in its application's namespace`,
            `${FIXTURES}/list.json: ConfigMap/default/b: no-default-namespace: names no namespace, so it would land in default; set metadata.namespace`,
            "",
        ].join("\n"));
    });

    it("uses the named stack's policy config, and refuses an unknown stack", () => {
        expect(policy("check", "--stack", "prod", `${FIXTURES}/compliant.yaml`)).toMatchObject({ status: 0 });
        const r = policy("check", "--stack", "nope", `${FIXTURES}/compliant.yaml`);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/^policy: .*policies\/config\/nope\.json: cannot read: ENOENT \(is "nope" a stack\?\)\n$/);
    });

    it("exits 2 naming the file on unreadable or malformed input, and checks nothing", () => {
        const malformed = policy("check", `${FIXTURES}/default-namespace.yaml`, `${FIXTURES}/malformed.yaml`);
        expect(malformed.status).toBe(2);
        expect(malformed.stdout).toBe("");
        expect(malformed.stderr).toMatch(new RegExp(`^policy: ${FIXTURES}/malformed\\.yaml: not valid YAML or JSON: `));
        expect(policy("check", `${FIXTURES}/not-kubernetes.yaml`)).toMatchObject({
            status: 2,
            stderr: `policy: ${FIXTURES}/not-kubernetes.yaml: not a Kubernetes object (apiVersion and kind are required)\n`,
        });
        expect(policy("check", `${FIXTURES}/missing.yaml`)).toMatchObject({ status: 2, stderr: `policy: ${FIXTURES}/missing.yaml: cannot read: ENOENT\n` });
    });

    it("exits 2 with the usage on bad arguments", () => {
        expect(policy()).toMatchObject({ status: 2, stderr: expect.stringMatching(/usage: npm run policy -- check/) });
        expect(policy("check")).toMatchObject({ status: 2, stderr: expect.stringMatching(/no file to check/) });
        expect(policy("check", "--bogus", "x.yaml")).toMatchObject({ status: 2, stderr: expect.stringMatching(/unexpected argument "--bogus"/) });
        expect(policy("check", "--stack")).toMatchObject({ status: 2, stderr: expect.stringMatching(/--stack needs a stack name/) });
    });
});
