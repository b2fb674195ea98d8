/**
 * The pull-request workflow never hands a branch's code a deploy credential (issue 13): every workflow
 * that runs on pull requests is parsed (the `yaml` package) and checked for `pull_request_target`, for
 * any secret or job token it reads, and for write permissions; the preview runs on the `<stack>-preview`
 * stacks in a local backend, never logged in to the cluster's. Then the workflow's own "Preview stack"
 * step runs for real (the pinned Pulumi CLI, which needs no provider plugin for config) for every stack:
 * the preview stack holds the cluster's config unchanged, its secrets are the placeholders whatever the
 * real stack file holds, and the program's config validation accepts it.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { validateConfig } from "../config";
import { builtPaths } from "../tools/e2e/controlPlane";

const REPO = path.join(__dirname, "..");
const WORKFLOWS = path.join(REPO, ".github", "workflows");
// Built by tools/upstream/build.sh (test.sh builds `all` before jest); a tool that cannot be built fails the suite, never skips it.
const PULUMI = builtPaths(["pulumi"])[0];
const STACKS = ["dev", "prod", "test"];

interface Step { name?: string; uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, unknown> }
interface Job { permissions?: unknown; env?: Record<string, string>; steps?: Step[]; strategy?: { matrix?: { stack?: string[] } } }
interface Workflow { on?: unknown; permissions?: unknown; env?: unknown; jobs?: Record<string, Job> }

function workflows(): [string, Workflow][] {
    return fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f))
        .map((f) => [f, YAML.parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8")) as Workflow]);
}

/** The events a workflow runs on, whatever form `on:` takes. */
function events(w: Workflow): string[] {
    const on = w.on;
    return typeof on === "string" ? [on] : Array.isArray(on) ? on.map(String) : Object.keys((on ?? {}) as object);
}

const onPullRequests = () => workflows().filter(([, w]) => events(w).some((e) => e.startsWith("pull_request")));
const previewJob = (): Job => {
    const w = YAML.parse(fs.readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8")) as Workflow;
    return w.jobs!.preview;
};

describe("workflows that run on pull requests", () => {
    it("include pull-request.yml", () => {
        expect(onPullRequests().map(([f]) => f)).toContain("pull-request.yml");
    });

    it("never run on pull_request_target", () => {
        for (const [f, w] of workflows()) {
            expect([f, events(w)]).toEqual([f, expect.not.arrayContaining(["pull_request_target"])]);
        }
    });

    it("read no secret and no job token, anywhere", () => {
        for (const [f, w] of onPullRequests()) {
            const text = JSON.stringify(w);
            expect([f, text.match(/\bsecrets\s*(\.|\[)|\bgithub\.token\b|GITHUB_TOKEN|PULUMI_ACCESS_TOKEN/g)]).toEqual([f, null]);
        }
    });

    it("grant contents: read and nothing more", () => {
        for (const [f, w] of onPullRequests()) {
            expect([f, w.permissions]).toEqual([f, { contents: "read" }]);
            for (const [name, job] of Object.entries(w.jobs ?? {})) {
                expect([f, name, job.permissions ?? { contents: "read" }]).toEqual([f, name, { contents: "read" }]);
            }
        }
    });

    it("leave no token in the checkout for the branch's code in the preview", () => {
        const checkout = previewJob().steps!.find((s) => s.uses?.startsWith("actions/checkout@"));
        expect(checkout?.with?.["persist-credentials"]).toBe(false);
    });
});

describe("the preview job", () => {
    const job = previewJob();
    const runs = job.steps!.flatMap((s) => (s.run ? [s.run] : [])).join("\n");

    it("previews every stack, each as its -preview stack, with the pack and the stack's policy config", () => {
        expect(job.strategy?.matrix?.stack).toEqual(STACKS);
        const preview = job.steps!.find((s) => /\bpulumi preview\b/.test(s.run ?? ""))!.run!;
        expect(preview).toMatch(/--stack "\$STACK-preview"/);
        expect(preview).toMatch(/--policy-pack policies/);
        expect(preview).toMatch(/--policy-pack-config "policies\/config\/\$STACK\.json"/);
    });

    it("names a stack only as <stack>-preview and logs in only to a local backend on the runner", () => {
        for (const m of runs.matchAll(/--stack\s+(\S+)/g)) {
            expect(m[1]).toBe('"$STACK-preview"');
        }
        expect(runs.match(/pulumi login\s+(\S+)/g)).toEqual(['pulumi login "file://$RUNNER_TEMP/pulumi-state"']);
        expect(job.env?.PULUMI_BACKEND_URL).toBeUndefined();
    });

    it("uses the passphrase provider with a passphrase written in the workflow (it guards placeholders only)", () => {
        expect(runs).toMatch(/pulumi stack init "\$STACK-preview" --secrets-provider passphrase/);
        expect(job.env?.PULUMI_CONFIG_PASSPHRASE).toMatch(/^[a-z-]+$/);
    });
});

describe("the workflow's Preview stack step, run with the real Pulumi CLI", () => {
    const dirs: string[] = [];
    afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    function pulumiEnv(dir: string, passphrase: string, stack?: string): NodeJS.ProcessEnv {
        return {
            PATH: `${path.dirname(PULUMI)}:/usr/bin:/bin`, HOME: dir, PULUMI_HOME: path.join(dir, ".pulumi-home"),
            RUNNER_TEMP: path.join(dir, "runner-temp"), PULUMI_CONFIG_PASSPHRASE: passphrase, PULUMI_SKIP_UPDATE_CHECK: "true",
            ...(stack ? { STACK: stack } : {}),
        };
    }

    function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, input?: string): string {
        const r = spawnSync(cmd, args, { cwd, env, input, encoding: "utf8", timeout: 120_000 });
        if (r.error || r.status !== 0) {
            throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.error?.message ?? r.stderr}`);
        }
        return r.stdout;
    }

    /** A copy of the project's stack files, as the runner's checkout has them. */
    function checkout(stack: string): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-preview-"));
        dirs.push(dir);
        for (const f of ["Pulumi.yaml", `Pulumi.${stack}.yaml`]) {
            fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
        }
        return dir;
    }

    function previewStep(dir: string, stack: string): void {
        const step = previewJob().steps!.find((s) => s.name === "Preview stack")!;
        run("bash", ["-c", step.run!], dir, pulumiEnv(dir, previewJob().env!.PULUMI_CONFIG_PASSPHRASE, stack));
    }

    /** The preview stack's config as the engine would pass it to the program, and its secret keys. */
    function previewConfig(dir: string, stack: string): { raw: Record<string, string>; secret: string[] } {
        const env = pulumiEnv(dir, previewJob().env!.PULUMI_CONFIG_PASSPHRASE);
        const json = JSON.parse(run(PULUMI, ["config", "--json", "--show-secrets", "--stack", `${stack}-preview`], dir, env)) as
            Record<string, { value: string; secret: boolean }>;
        return {
            raw: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, v.value])),
            secret: Object.entries(json).filter(([, v]) => v.secret).map(([k]) => k),
        };
    }

    it.each(STACKS)("%s: the preview stack holds the cluster's config with placeholder secrets, and the program accepts it", (stack) => {
        const dir = checkout(stack);
        previewStep(dir, stack);
        const { raw, secret } = previewConfig(dir, stack);
        expect(secret.sort()).toEqual(["lsst-k8s:condorToken", "lsst-k8s:sshPrivateKey"]);
        expect(raw["lsst-k8s:sshPrivateKey"]).toContain("cHJldmlldyBwbGFjZWhvbGRlciwgbm90IGEga2V5");
        const real = YAML.parse(fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8")).config as Record<string, unknown>;
        for (const [key, value] of Object.entries(real)) {
            expect([key, JSON.parse(raw[key])]).toEqual([key, value]);
        }
        const { config, problems } = validateConfig(raw, secret);
        expect(problems).toEqual([]);
        expect(config?.name).toBe((real["lsst-k8s:cluster"] as { name: string }).name);
    });

    it("replaces the real stack's encrypted key with the placeholder (a stack file that holds one)", () => {
        const dir = checkout("test");
        // The real stack, its key set under a passphrase the workflow does not have.
        const real = pulumiEnv(dir, "the-real-stacks-passphrase");
        fs.mkdirSync(path.join(dir, "real-state"));
        run(PULUMI, ["login", `file://${path.join(dir, "real-state")}`], dir, real);
        run(PULUMI, ["stack", "init", "test", "--secrets-provider", "passphrase"], dir, real);
        const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nUkVBTCBLRVk=\n-----END OPENSSH PRIVATE KEY-----\n";
        run(PULUMI, ["config", "set", "--secret", "sshPrivateKey", "--stack", "test"], dir, real, key);
        const file = path.join(dir, "Pulumi.test.yaml");
        // As a Pulumi Cloud stack file reads: the ciphertext, and no salt (the key is the service's).
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^encryptionsalt: .*\n?/m, ""));
        expect(fs.readFileSync(file, "utf8")).toMatch(/sshPrivateKey:\n\s+secure: v1:/);
        fs.rmSync(path.join(dir, ".pulumi-home"), { recursive: true, force: true });

        previewStep(dir, "test");
        const { raw } = previewConfig(dir, "test");
        expect(raw["lsst-k8s:sshPrivateKey"]).not.toContain("UkVBTCBLRVk=");
        expect(raw["lsst-k8s:sshPrivateKey"]).toContain("cHJldmlldyBwbGFjZWhvbGRlciwgbm90IGEga2V5");
    });
});

