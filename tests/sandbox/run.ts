/** Running a bundle's entry script in a sandbox, and judging how it went. */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Bundle } from "../../components/hosts/bundle";
import type { SandboxLayout } from "./layout";
import { lines } from "./state";
import { checkRelative, chownTree } from "./tree";

/** nobody: who the scripts run as when the tests run as root. */
const UNPRIVILEGED = 65534;

/** What a test's env cannot override: each would let the script leave the sandbox or change how bash starts. */
const FIXED_ENV = ["PATH", "LSST_K8S_ROOT", "HOME", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS"];

export interface RunOptions {
    env?: Readonly<Record<string, string>>;
    args?: readonly string[];
}

export interface RunResult {
    readonly status: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
    /** The stand-in calls this run made, argv joined by spaces ("systemctl restart containerd"). */
    readonly calls: string[];
}

/** Every stand-in call logged so far, as argv arrays (record_call in _lib.bash writes them). */
export function readCalls(callLog: string): string[][] {
    return lines(fs.readFileSync(callLog, "utf8")).map((l) => l.split("\x1f"));
}

export function joinCalls(calls: string[][]): string[] {
    return calls.map((c) => c.join(" "));
}

/** The command line, environment and options of a run of ENTRY, checked; the sandbox handed to nobody when DROP. */
function prepareRun(layout: SandboxLayout, drop: boolean, entry: string, options: RunOptions) {
    const { dir, root, binDir, workDir, home, tmp } = layout;
    const script = path.join(workDir, checkRelative(entry));
    if (!fs.existsSync(script)) {
        throw new Error(`sandbox: ${entry} is not in the work directory (writeBundle first)`);
    }
    const extra = options.env ?? {};
    for (const k of Object.keys(extra)) {
        if (FIXED_ENV.includes(k)) {
            throw new Error(`sandbox: ${k} cannot be overridden`);
        }
    }
    const env: Record<string, string> = {
        ...extra,
        PATH: binDir,
        HOME: home,
        TMPDIR: tmp,
        LANG: "C",
        LC_ALL: "C",
        LSST_K8S_ROOT: root,
    };
    if (drop) {
        chownTree(dir, UNPRIVILEGED, UNPRIVILEGED);
    }
    return {
        args: [script, ...(options.args ?? [])],
        spawnOptions: { cwd: home, env, ...(drop ? { uid: UNPRIVILEGED, gid: UNPRIVILEGED } : {}) },
    };
}

/** Runs ENTRY (a file in workDir) with bash, as bootstrap.sh does; as nobody when DROP. */
export function runScript(layout: SandboxLayout, bash: string, drop: boolean, entry: string, options: RunOptions): RunResult {
    const { args, spawnOptions } = prepareRun(layout, drop, entry, options);
    const before = readCalls(layout.callLog).length;
    const r = spawnSync(bash, args, { ...spawnOptions, input: "", encoding: "utf8", timeout: 30_000 });
    if (r.error) {
        throw r.error;
    }
    return {
        status: r.status,
        signal: r.signal,
        stdout: r.stdout,
        stderr: r.stderr,
        calls: joinCalls(readCalls(layout.callLog).slice(before)),
    };
}

/**
 * Starts ENTRY as runScript does, without waiting: for runs that overlap. Its calls are those logged
 * while it ran, other runs' included.
 */
export function startScript(layout: SandboxLayout, bash: string, drop: boolean, entry: string, options: RunOptions): Promise<RunResult> {
    const { args, spawnOptions } = prepareRun(layout, drop, entry, options);
    const before = readCalls(layout.callLog).length;
    return new Promise((resolve, reject) => {
        const child = spawn(bash, args, { ...spawnOptions, stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status, signal) => {
            try {
                resolve({ status, signal, stdout, stderr, calls: joinCalls(readCalls(layout.callLog).slice(before)) });
            } catch (e) {
                reject(e); // the sandbox was removed under it
            }
        });
    });
}

/** What a stand-in or the sandbox prints when a script reaches for something it does not provide. */
export const LEAKS = /command not found|stand-in does not support/;

/** Fails the test, with the script's stderr, unless the run succeeded without leaving the sandbox. */
export function expectSuccess(r: RunResult): void {
    expect(r.stderr).not.toMatch(LEAKS);
    if (r.status !== 0) {
        throw new Error(`exited ${r.status}:\n${r.stderr}`);
    }
}

/** The API server's files a bundle carries, in the order lib.sh's install_control_plane_files writes them. */
export function apiServerFiles(bundle: Bundle): string[] {
    return ["authentication.yaml", "audit-policy.yaml", "encryption.yaml"].filter((f) => f in bundle.files);
}

/** What SCRIPT logs when install_control_plane_files writes BUNDLE's files on a fresh host. */
export function apiServerFileChanges(script: string, bundle: Bundle): string[] {
    const files = apiServerFiles(bundle);
    if (files.length === 0) {
        return [];
    }
    return [
        `${script}:   changed: /etc/kubernetes/lsst-k8s`,
        `${script}:   changed: /var/log/kubernetes/audit`,
        ...files.map((f) => `${script}:   changed: /etc/kubernetes/lsst-k8s/${f}`),
    ];
}
