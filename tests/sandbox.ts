/**
 * Runs the node scripts (components/hosts/scripts) for real under bash, in a throw-away directory, with
 * stand-ins for what must not run on the machine running the tests.
 *
 * Safety, in layers, because the tests run as root on a real machine:
 *  - PATH holds one directory: symlinks to an explicit allow-list of harmless tools plus the stand-ins
 *    (tests/sandbox/standins). Anything else is "command not found", so a forgotten stand-in fails the
 *    test instead of touching the host. Tools that change a host (apt-get, systemctl, iptables, curl...)
 *    are refused on the allow-list: they can only ever be stand-ins.
 *  - The scripts write every host path as $ROOT/...; LSST_K8S_ROOT always points at the sandbox's root
 *    tree and cannot be overridden. The environment is built from scratch, never inherited.
 *  - When the tests run as root, the scripts and stand-ins run as nobody (uid/gid 65534) and the sandbox
 *    is handed to that user, so even a path that escaped $ROOT cannot write to the host.
 *  - Stand-ins keep their state in files under the sandbox and refuse (exit 2) any usage they do not
 *    know, so a script that starts using a new option shows up as a failing test.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ALL_STAND_INS, checkCommands, installCommands, SCRIPT_TOOLS } from "./sandbox/commands";
import { createLayout, layoutIn, LOCK_DIR } from "./sandbox/layout";
import { joinCalls, readCalls, runScript, startScript, type RunResult } from "./sandbox/run";
import { lines, parsePackages, parseUnit, writeState, type SandboxState } from "./sandbox/state";
import { inside, walk, writeEntry, type RootEntry } from "./sandbox/tree";

export {
    ALL_STAND_INS, CORDON_TOOLS, DRAIN_TOOLS, fakeDearmor, fakeKey, INIT_TOOLS, JOIN_TOOLS, MINT_TOOLS, resolveTool,
    RESET_TOOLS, SCRIPT_TOOLS, STANDINS_DIR, TRUST_TOOLS, UPGRADE_TOOLS,
} from "./sandbox/commands";
export { LOCK_DIR } from "./sandbox/layout";
export { apiServerFileChanges, apiServerFiles, expectSuccess, LEAKS } from "./sandbox/run";
export type { RunResult } from "./sandbox/run";
export type { AvailablePackage, InstallEffect, PackageState, SandboxState, UnitState } from "./sandbox/state";
export { writeBundle } from "./sandbox/tree";
export type { RootEntry } from "./sandbox/tree";

export interface SandboxOptions {
    /** The host's root tree: paths relative to it. */
    readonly files?: Readonly<Record<string, RootEntry>>;
    /** Empty directories to create in the root tree. */
    readonly dirs?: readonly string[];
    /** The stand-ins on PATH (all of them by default). A host without dnf gets no dnf. */
    readonly standIns?: readonly string[];
    /** The real tools on PATH (SCRIPT_TOOLS by default). */
    readonly tools?: readonly string[];
    readonly state?: SandboxState;
    /** Run as nobody when the tests run as root (default true). */
    readonly dropPrivileges?: boolean;
}

export interface Sandbox {
    /** The sandbox directory; everything below lives in it. */
    readonly dir: string;
    /** The host's root tree (LSST_K8S_ROOT). */
    readonly root: string;
    /** The only directory on the scripts' PATH. */
    readonly binDir: string;
    /** Where bundles are unpacked (what bootstrap.sh's private directory is on a node). */
    readonly workDir: string;
    /** The stand-ins' state files. */
    readonly stateDir: string;
    /** Runs ENTRY (a file in workDir) with bash, as bootstrap.sh does. */
    run(entry: string, options?: { env?: Readonly<Record<string, string>>; args?: readonly string[] }): RunResult;
    /** Starts ENTRY as run() does, without waiting for it (runs that overlap). */
    start(entry: string, options?: { env?: Readonly<Record<string, string>>; args?: readonly string[] }): Promise<RunResult>;
    /** Every stand-in call so far, argv joined by spaces. */
    calls(): string[];
    /** Every stand-in call so far, as argv arrays. */
    argv(): string[][];
    /**
     * The root tree: relative path to "dir MODE", "file MODE sha256:HEX" or "link -> TARGET". With
     * identity, files also carry inode and mtime and directories their mtime, so a file rewritten with
     * the same content, or a temporary file created and removed, shows. The action locks (LOCK_DIR)
     * are left out.
     */
    snapshot(options?: { identity?: boolean }): Map<string, string>;
    /** The stand-ins' state, as snapshot() (the calls log excluded). */
    stateSnapshot(): Map<string, string>;
    rootPath(rel: string): string;
    readRoot(rel: string): string;
    existsRoot(rel: string): boolean;
    /** The octal mode ("0644") of a root-tree file. */
    modeOf(rel: string): string;
    writeRoot(rel: string, entry: RootEntry): void;
    removeRoot(rel: string): void;
    readState(name: string): string | undefined;
    writeState(name: string, content: string): void;
    packages(): Map<string, { version: string; status: string }>;
    unit(name: string): { enabled: boolean; active: boolean; restarts: number } | undefined;
    holds(): string[];
    iptablesRules(): string[];
    firewalld(which: "permanent" | "runtime"): string[];
    /** Removes the sandbox. */
    cleanup(): void;
}

export function createSandbox(options: SandboxOptions = {}): Sandbox {
    const standIns = options.standIns ?? ALL_STAND_INS;
    const tools = options.tools ?? SCRIPT_TOOLS;
    const bash = checkCommands(standIns, tools);

    const layout = layoutIn(fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-sandbox-")));
    const { dir, root, binDir, workDir, stateDir, callLog } = layout;
    let removed = false;
    try {
        createLayout(layout);
        installCommands(layout, standIns, tools, bash);
        for (const d of options.dirs ?? []) {
            fs.mkdirSync(inside(root, d), { recursive: true });
        }
        for (const [rel, entry] of Object.entries(options.files ?? {})) {
            writeEntry(inside(root, rel), entry);
        }
        writeState(stateDir, options.state ?? {});
    } catch (e) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw e;
    }

    const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
    const drop = isRoot && options.dropPrivileges !== false;

    const argv = (): string[][] => readCalls(callLog);

    const sandbox: Sandbox = {
        dir, root, binDir, workDir, stateDir,
        run(entry, runOptions = {}) {
            if (removed) {
                throw new Error("sandbox: already cleaned up");
            }
            return runScript(layout, bash, drop, entry, runOptions);
        },
        start(entry, runOptions = {}) {
            if (removed) {
                throw new Error("sandbox: already cleaned up");
            }
            return startScript(layout, bash, drop, entry, runOptions);
        },
        calls: () => joinCalls(argv()),
        argv,
        snapshot: (o = {}) => walk(root, o.identity === true, LOCK_DIR),
        stateSnapshot: () => walk(stateDir, false),
        rootPath: (rel) => inside(root, rel),
        readRoot: (rel) => fs.readFileSync(inside(root, rel), "utf8"),
        existsRoot: (rel) => fs.existsSync(inside(root, rel)),
        modeOf: (rel) => (fs.statSync(inside(root, rel)).mode & 0o7777).toString(8).padStart(4, "0"),
        writeRoot: (rel, entry) => writeEntry(inside(root, rel), entry),
        removeRoot: (rel) => fs.rmSync(inside(root, rel), { recursive: true, force: true }),
        readState: (name) => {
            const p = inside(stateDir, name);
            return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined;
        },
        writeState: (name, content) => writeEntry(inside(stateDir, name), content),
        packages: () => parsePackages(sandbox.readState("packages")),
        unit: (name) => parseUnit(sandbox.readState(`units/${name}`)),
        holds: () => lines(sandbox.readState("holds")),
        iptablesRules: () => lines(sandbox.readState("iptables")),
        firewalld: (which) => lines(sandbox.readState(`firewalld-${which}`)),
        cleanup: () => {
            removed = true;
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
    return sandbox;
}

/** The sandboxes a suite creates: push each one, and they are removed after every test. */
export function cleanedUpAfterEach(): Sandbox[] {
    const live: Sandbox[] = [];
    afterEach(() => {
        for (const sb of live.splice(0)) {
            sb.cleanup();
        }
    });
    return live;
}
