/**
 * npm run e2e -- engine
 *
 * The program under the real Pulumi engine: the CLI built from the Go module proxy
 * (tools/upstream/build.sh pulumi), a file backend and a passphrase in a temporary directory, the
 * program served by the SDK's own language server (engine/serve.ts) and the pack started through
 * the CLI's analyzer-plugin path (engine/analyzer-policy.sh). For each committed stack:
 * `pulumi preview --policy-pack policies --policy-pack-config policies/config/<stack>.json` with a
 * generated SSH key and HTCondor token set as the secrets they are, judged from the engine's own events
 * (--event-log). Then everything the engine wrote and printed is searched for both.
 *
 * The provider plugins the program needs (command, random, tls, kubernetes at the lock file's
 * versions) must be installed in the workspace's PULUMI_HOME for a preview to pass. None of them can
 * be built here (README "The engine tier"), so today the tier proves what runs without them: the real
 * CLI loads the pack with each stack's policy config and runs each stack's program until it asks for
 * its first provider, and fails, naming the plugins that are missing. The policy-block copy and the
 * lifecycle over SSH need the plugins too.
 */
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, Workspace } from "./engine/workspace";
import { Processes } from "./processes";

const ROOT = path.resolve(__dirname, "..", "..");
/** The npm packages whose resource plugins the program needs, by plugin name. */
const PLUGIN_PACKAGES: Readonly<Record<string, string>> = {
    command: "@pulumi/command", random: "@pulumi/random", tls: "@pulumi/tls", kubernetes: "@pulumi/kubernetes",
};

export interface EngineReport {
    readonly ok: boolean;
    readonly lines: readonly string[];
}

/** NAME@VERSION of every plugin the program needs, at the versions package-lock.json resolves. */
export function requiredPlugins(): string[] {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };
    return Object.entries(PLUGIN_PACKAGES).map(([name, pkg]) => `${name}@${lock.packages[`node_modules/${pkg}`]?.version}`);
}

interface PreviewVerdict {
    readonly passed: boolean;
    /** The program ran until the engine needed a provider that is missing, and nothing else failed. */
    readonly stoppedAtProvider: boolean;
    readonly registered: number;
    readonly problems: readonly string[];
}

/** Judges one preview from its exit code and events. MISSING: plugin names known to be absent. */
export function judgePreview(status: number, events: readonly EngineEvent[], missing: readonly string[]): PreviewVerdict {
    const errors = events.flatMap((e) => (e.diagnosticEvent?.severity === "error" ? [e.diagnosticEvent.message.trim()] : []));
    const mandatory = events.flatMap((e) => (e.policyEvent?.enforcementLevel === "mandatory"
        ? [`${e.policyEvent.policyName}: ${e.policyEvent.message.trim()} (${e.policyEvent.resourceUrn ?? "stack"})`] : []));
    const registered = events.filter((e) => e.resourcePreEvent).length;
    const missingPlugin = (m: string) => missing.some((name) => m.includes(`no resource plugin 'pulumi-resource-${name}' found`));
    const stoppedAtProvider = status !== 0 && errors.length > 0 && errors.every(missingPlugin) && mandatory.length === 0;
    const passed = status === 0 && errors.length === 0 && mandatory.length === 0;
    const problems = passed || stoppedAtProvider ? [] : [...errors.filter((m) => !missingPlugin(m)), ...mandatory,
        ...(errors.length === 0 && mandatory.length === 0 ? [`exit ${status} with no error event`] : [])];
    return { passed, stoppedAtProvider, registered, problems };
}

function sshKey(dir: string): string {
    const file = path.join(dir, "id_ed25519");
    const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "engine-tier", "-f", file], { encoding: "utf8" });
    if (r.status !== 0) {
        throw new Error(`ssh-keygen failed: ${r.stderr || r.error?.message}`);
    }
    return fs.readFileSync(file, "utf8");
}

/** A well-formed IDTOKEN for the pools, signed by nothing: random, so a leak of it is found and means this run. */
function condorToken(): string {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    return [part({ alg: "HS256", kid: "POOL" }), part({ iss: "engine-tier.invalid", sub: "engine-tier@engine-tier.invalid" }),
        randomBytes(32).toString("base64url")].join(".");
}

/** Every file under DIR whose text contains one of SECRETS, as "file: which". */
function leaks(dir: string, secrets: Readonly<Record<string, string>>, skip: ReadonlySet<string>): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) {
                walk(p);
            } else if (e.isFile() && !skip.has(p)) {
                const text = fs.readFileSync(p, "utf8");
                found.push(...Object.entries(secrets).filter(([, v]) => text.includes(v)).map(([k]) => `${path.relative(dir, p)}: ${k}`));
            }
        }
    };
    walk(dir);
    return found;
}

export async function engineTier(pulumi: string, stacks: readonly string[]): Promise<EngineReport> {
    const procs = new Processes("engine");
    const lines: string[] = [];
    const problems: string[] = [];
    try {
        const ws = new Workspace(procs, pulumi);
        const installed = ws.plugins();
        const missing = requiredPlugins().filter((p) => !installed.includes(p));
        const missingNames = missing.map((p) => p.split("@")[0]);
        const key = sshKey(procs.dir);
        const keyBody = key.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
        const token = condorToken();
        const outputs: string[] = [];
        let passed = 0;
        let stopped = 0;
        for (const stack of stacks) {
            ws.addStack(stack);
            const steps: [string[], string | undefined][] = [
                [["stack", "init", stack], undefined],
                [["config", "set", "--secret", "--stack", stack, "sshPrivateKey"], key],
                [["config", "set", "--secret", "--stack", stack, "condorToken"], token],
            ];
            for (const [args, stdin] of steps) {
                const r = ws.cli(args, stdin);
                outputs.push(r.stdout, r.stderr);
                if (r.status !== 0) {
                    throw new Error(`pulumi ${args.slice(0, 2).join(" ")} (${stack}) failed: ${r.stderr.trim()}`);
                }
            }
            const r = await ws.withProgram(["preview", "--stack", stack, "--policy-pack", path.join(ROOT, "policies"),
                "--policy-pack-config", path.join(ROOT, "policies", "config", `${stack}.json`)]);
            outputs.push(r.stdout, r.stderr);
            const v = judgePreview(r.status, r.events, missingNames);
            passed += v.passed ? 1 : 0;
            stopped += v.stoppedAtProvider ? 1 : 0;
            problems.push(...v.problems.map((p) => `${stack}: preview: ${p}`));
            lines.push(`${stack}: preview ${v.passed ? "passed" : v.stoppedAtProvider ? "ran the program up to its first missing provider" : "FAILED"}, ` +
                `${v.registered} resources registered`);
        }
        const printed = path.join(procs.dir, "cli-output.txt");
        fs.writeFileSync(printed, outputs.join("\n"));
        const leaked = leaks(procs.dir, { "the SSH private key": keyBody, "the HTCondor token": token }, new Set([path.join(procs.dir, "id_ed25519")]));
        problems.push(...leaked.map((l) => `secrets: ${l}`));
        lines.push(...problems.map((p) => `FAIL ${p}`));
        if (missing.length) {
            lines.push(`engine: blocked: no plugin ${missing.join(", ")} in PULUMI_HOME, and none can be built here (their Go modules are ` +
                `not served); without them the real CLI ran the program of ${stopped}/${stacks.length} stacks up to its first ` +
                `provider with the pack loaded, secrets ${leaked.length ? "LEAKED" : "clean"}`);
            return { ok: false, lines };
        }
        lines.push(`engine: preview ${passed}/${stacks.length}, policy-block 0/1 (not built), lifecycle 0/0 steps (not built), ` +
            `secrets ${leaked.length ? "LEAKED" : "clean"}`);
        return { ok: false, lines };
    } finally {
        procs.stopAll();
    }
}
