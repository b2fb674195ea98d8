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
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Bundle } from "../components/hosts/bundle";

/** Where the stand-ins' bash sources live. */
export const STANDINS_DIR = path.join(__dirname, "sandbox", "standins");

/** Every stand-in there is (one file per command, _lib.bash is shared). */
export const ALL_STAND_INS: readonly string[] = fs.readdirSync(STANDINS_DIR).filter((f) => !f.startsWith("_")).sort();

/**
 * The real tools prepare.sh and lib.sh call, and nothing else. A suite for another script passes its
 * own list (`tools: [...SCRIPT_TOOLS, "base64"]`); the static test in prepare.sandbox.test.ts checks that
 * each of these is still used, so the list does not grow stale.
 */
export const SCRIPT_TOOLS: readonly string[] = [
    "bash", "awk", "cat", "chmod", "cmp", "dirname", "grep", "head", "mkdir", "mktemp", "mv", "rm", "sed",
    "sort", "stat", "wc",
];

/**
 * The real tools init.sh and lib.sh call, and nothing else (init.sandbox.test.ts checks each is still
 * used). openssl only hashes the CA's public key there (x509, pkey, dgst: reads, no network).
 */
export const INIT_TOOLS: readonly string[] = ["bash", "base64", "chmod", "dirname", "mkdir", "openssl", "sed", "tail"];

/**
 * The real tools of the join and removal scripts (with lib.sh), one list a script; join.sandbox.test.ts
 * and removal.sandbox.test.ts check each is still used. kubeadm, kubectl, ip and id are stand-ins.
 */
export const MINT_TOOLS: readonly string[] = ["bash", "dirname"];
export const JOIN_TOOLS: readonly string[] = ["bash", "chmod", "dirname", "mkdir", "rm", "sed", "tail"];
export const DRAIN_TOOLS: readonly string[] = ["bash", "dirname"];
export const RESET_TOOLS: readonly string[] = ["bash", "dirname", "rm"];

/**
 * The real tools of the upgrade scripts (with lib.sh), one list a script; upgrade.sandbox.test.ts checks
 * each is still used. awk picks the repository's revision out of apt-cache madison, grep reads the
 * kube-apiserver manifest; the package managers, systemctl, kubeadm and kubectl are stand-ins.
 */
export const UPGRADE_TOOLS: readonly string[] = ["bash", "awk", "dirname", "grep", "mkdir", "touch", "rm"];
export const CORDON_TOOLS: readonly string[] = ["bash", "dirname"];
/** What trust-registry.sh needs: update_file's tools. */
export const TRUST_TOOLS: readonly string[] = ["bash", "cat", "chmod", "cmp", "dirname", "mkdir", "mktemp", "mv", "stat"];

/** What the stand-ins themselves run (they get their own PATH, so these never reach the scripts). */
const STANDIN_TOOLS = ["cat", "cmp", "cp", "mkdir", "rm"];

/** Commands that change a host or reach the network: never linked in as the real thing. */
const NEVER_REAL = new Set([
    "apt", "apt-get", "apt-cache", "apt-mark", "aptitude", "dpkg", "dpkg-query", "dnf", "yum", "microdnf", "rpm",
    "systemctl", "service", "journalctl", "modprobe", "insmod", "rmmod", "sysctl", "swapoff", "swapon", "mount",
    "umount", "iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "nft", "firewall-cmd",
    "netfilter-persistent", "getenforce", "setenforce", "semanage", "curl", "wget", "gpg", "containerd", "ctr",
    "crictl", "kubeadm", "kubectl", "kubelet", "ssh", "scp", "sudo", "su", "reboot", "shutdown", "poweroff",
    "halt", "init", "chroot", "nsenter", "unshare", "ip", "hostnamectl", "useradd", "passwd",
]);

/** nobody: who the scripts run as when the tests run as root. */
const UNPRIVILEGED = 65534;

// ---- root tree and state -------------------------------------------------------------------------------

/** A file in the root tree: its content (mode 0644), content and mode, or a symlink. */
export type RootEntry = string | { readonly content: string; readonly mode?: string } | { readonly symlink: string };

export interface PackageState {
    readonly name: string;
    readonly version: string;
    /** "config-files": removed with its configuration left behind (dpkg's "rc"). */
    readonly status?: "installed" | "config-files";
}

/** A package version a repository offers. repo: "base" or a sources.list.d / yum.repos.d file name. */
export interface AvailablePackage {
    readonly name: string;
    readonly version: string;
    readonly repo: string;
}

export interface UnitState {
    readonly enabled: boolean;
    readonly active: boolean;
    readonly restarts?: number;
}

/** What installing a package does besides recording it. */
export interface InstallEffect {
    readonly units?: Readonly<Record<string, { readonly enabled: boolean; readonly active: boolean }>>;
    /** Files the package ships, relative to the root (kept when already there). */
    readonly files?: Readonly<Record<string, string>>;
}

/** The host state the stand-ins start from (everything optional). */
export interface SandboxState {
    /** What `id -u` answers (0). */
    readonly uid?: number;
    readonly packages?: readonly PackageState[];
    /** Newest first, as apt-cache madison lists them. */
    readonly available?: readonly AvailablePackage[];
    readonly units?: Readonly<Record<string, UnitState>>;
    readonly onInstall?: Readonly<Record<string, InstallEffect>>;
    readonly holds?: readonly string[];
    readonly selinux?: "Enforcing" | "Permissive" | "Disabled";
    /** Field 3 of `containerd --version` (2.1.4). */
    readonly containerdVersion?: string;
    /** firewalld lines: "ZONE rich RULE" or "ZONE interface IF". */
    readonly firewalld?: { readonly permanent?: readonly string[]; readonly runtime?: readonly string[] };
    /** iptables rules in iptables-save form ("-A INPUT ..."). */
    readonly iptables?: readonly string[];
    /** URLs the curl stand-in answers with a 404. */
    readonly curlFail?: readonly string[];
    /** The net.bridge.* sysctls loading br_netfilter brings ("1", the kernel's default). */
    readonly bridgeNfDefault?: "0" | "1";
}

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

export interface RunResult {
    readonly status: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
    /** The stand-in calls this run made, argv joined by spaces ("systemctl restart containerd"). */
    readonly calls: string[];
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
    /** Every stand-in call so far, argv joined by spaces. */
    calls(): string[];
    /** Every stand-in call so far, as argv arrays. */
    argv(): string[][];
    /**
     * The root tree: relative path to "dir MODE", "file MODE sha256:HEX" or "link -> TARGET". With
     * identity, files also carry inode and mtime and directories their mtime, so a file rewritten with
     * the same content, or a temporary file created and removed, shows.
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

/** What the curl stand-in serves for URL. */
export function fakeKey(url: string): string {
    return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nsandbox key for ${url}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

/** What the gpg stand-in makes of an armored key with --dearmor. */
export function fakeDearmor(armored: string): string {
    return `sandbox-dearmored\n${armored}`;
}

// ---- helpers ---------------------------------------------------------------------------------------------

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A path relative to a tree, without "..", absolute parts or empty segments. */
function checkRelative(rel: string): string {
    const parts = rel.split("/");
    if (rel === "" || rel.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
        throw new Error(`sandbox: ${JSON.stringify(rel)} is not a plain relative path`);
    }
    return rel;
}

function inside(base: string, rel: string): string {
    return path.join(base, checkRelative(rel));
}

/** Finds an executable on the host's PATH, as `command -v` does for a file (never a builtin). */
export function resolveTool(name: string): string {
    if (!NAME_RE.test(name)) {
        throw new Error(`sandbox: ${JSON.stringify(name)} is not a command name`);
    }
    const dirs = (process.env.PATH || "/usr/local/bin:/usr/bin:/bin").split(":").filter((d) => path.isAbsolute(d));
    for (const dir of dirs) {
        const candidate = path.join(dir, name);
        try {
            if (fs.statSync(candidate).isFile()) {
                fs.accessSync(candidate, fs.constants.X_OK);
                return candidate;
            }
        } catch {
            // not here
        }
    }
    throw new Error(`sandbox: the tool ${name} is not installed on this machine`);
}

function writeEntry(file: string, entry: RootEntry): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.rmSync(file, { recursive: true, force: true });
    if (typeof entry === "string") {
        fs.writeFileSync(file, entry);
        fs.chmodSync(file, 0o644);
    } else if ("symlink" in entry) {
        fs.symlinkSync(entry.symlink, file);
    } else {
        fs.writeFileSync(file, entry.content);
        fs.chmodSync(file, parseInt(entry.mode ?? "0644", 8));
    }
}

function walk(base: string, identity: boolean): Map<string, string> {
    const out = new Map<string, string>();
    const visit = (rel: string): void => {
        const abs = rel ? path.join(base, rel) : base;
        for (const name of fs.readdirSync(abs).sort()) {
            const r = rel ? `${rel}/${name}` : name;
            const p = path.join(abs, name);
            const st = fs.lstatSync(p);
            const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
            if (st.isSymbolicLink()) {
                out.set(r, `link -> ${fs.readlinkSync(p)}`);
            } else if (st.isDirectory()) {
                out.set(r, `dir ${mode}` + (identity ? ` mtime:${st.mtimeMs}` : ""));
                visit(r);
            } else if (st.isFile()) {
                const sha = createHash("sha256").update(fs.readFileSync(p)).digest("hex");
                out.set(r, `file ${mode} sha256:${sha}` + (identity ? ` ino:${st.ino} mtime:${st.mtimeMs}` : ""));
            } else {
                out.set(r, `other ${mode}`);
            }
        }
    };
    visit("");
    return out;
}

function chownTree(dir: string, uid: number, gid: number): void {
    fs.lchownSync(dir, uid, gid);
    for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        if (fs.lstatSync(p).isDirectory()) {
            chownTree(p, uid, gid);
        } else {
            fs.lchownSync(p, uid, gid);
        }
    }
}

function shq(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Writes a bundle's files into DIR with their modes, as bootstrap.sh unpacks it on a node. */
export function writeBundle(bundle: Bundle, dir: string): void {
    if (!bundle.files[bundle.entry]) {
        throw new Error(`sandbox: bundle entry ${bundle.entry} is not among its files`);
    }
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, file] of Object.entries(bundle.files)) {
        if (!NAME_RE.test(name) || !/^0[0-7]{3}$/.test(file.mode)) {
            throw new Error(`sandbox: bundle file ${JSON.stringify(name)} (mode ${file.mode}) is not valid`);
        }
        const p = path.join(dir, name);
        fs.writeFileSync(p, file.content);
        fs.chmodSync(p, parseInt(file.mode, 8));
    }
}

function tsv(rows: readonly (readonly string[])[]): string {
    return rows.map((r) => r.join("\t") + "\n").join("");
}

function lines(text: string | undefined): string[] {
    return text ? text.split("\n").filter((l) => l !== "") : [];
}

function writeState(stateDir: string, state: SandboxState): void {
    const put = (name: string, content: string): void => writeEntry(inside(stateDir, name), content);
    put("uid", `${state.uid ?? 0}\n`);
    if (state.packages) {
        put("packages", tsv(state.packages.map((p) => [p.name, p.version, p.status ?? "installed"])));
    }
    if (state.available) {
        put("available", tsv(state.available.map((p) => [p.name, p.version, p.repo])));
    }
    for (const [name, u] of Object.entries(state.units ?? {})) {
        put(`units/${name}`, `${u.enabled ? "yes" : "no"} ${u.active ? "yes" : "no"} ${u.restarts ?? 0}\n`);
    }
    for (const [pkg, effect] of Object.entries(state.onInstall ?? {})) {
        const units = Object.entries(effect.units ?? {});
        if (units.length > 0) {
            put(`on-install/${pkg}/units`,
                units.map(([u, s]) => `${u} ${s.enabled ? "yes" : "no"} ${s.active ? "yes" : "no"}\n`).join(""));
        }
        for (const [rel, content] of Object.entries(effect.files ?? {})) {
            put(`on-install/${pkg}/files/${checkRelative(rel)}`, content);
        }
    }
    const listFile = (name: string, items: readonly string[] | undefined): void => {
        if (items && items.length > 0) {
            put(name, items.map((i) => `${i}\n`).join(""));
        }
    };
    listFile("holds", state.holds);
    listFile("firewalld-permanent", state.firewalld?.permanent);
    listFile("firewalld-runtime", state.firewalld?.runtime);
    listFile("iptables", state.iptables);
    listFile("curl-fail", state.curlFail);
    if (state.selinux) {
        put("selinux", `${state.selinux}\n`);
    }
    if (state.containerdVersion) {
        put("containerd-version", `${state.containerdVersion}\n`);
    }
    if (state.bridgeNfDefault) {
        put("bridge-nf-default", `${state.bridgeNfDefault}\n`);
    }
}

// ---- the sandbox ---------------------------------------------------------------------------------------

export function createSandbox(options: SandboxOptions = {}): Sandbox {
    const standIns = options.standIns ?? ALL_STAND_INS;
    const tools = options.tools ?? SCRIPT_TOOLS;
    for (const s of standIns) {
        if (!ALL_STAND_INS.includes(s)) {
            throw new Error(`sandbox: there is no stand-in for ${s} (tests/sandbox/standins)`);
        }
    }
    for (const t of tools) {
        if (NEVER_REAL.has(t)) {
            throw new Error(`sandbox: ${t} must never run for real; it can only be a stand-in`);
        }
        if (standIns.includes(t)) {
            throw new Error(`sandbox: ${t} is both a real tool and a stand-in`);
        }
    }
    if (!tools.includes("bash")) {
        throw new Error("sandbox: bash must be among the tools");
    }
    const bash = resolveTool("bash");

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-sandbox-"));
    const root = path.join(dir, "root");
    const binDir = path.join(dir, "bin");
    const workDir = path.join(dir, "work");
    const stateDir = path.join(dir, "state");
    const home = path.join(dir, "home");
    const tmp = path.join(dir, "tmp");
    const standinSrc = path.join(dir, "standins");
    const standinTools = path.join(dir, "standin-tools");
    const callLog = path.join(dir, "calls.log");
    let removed = false;
    try {
        for (const d of [root, binDir, workDir, stateDir, home, tmp, standinSrc, standinTools]) {
            fs.mkdirSync(d, { recursive: true });
        }
        fs.writeFileSync(callLog, "");

        for (const t of tools) {
            fs.symlinkSync(resolveTool(t), path.join(binDir, t));
        }
        for (const t of STANDIN_TOOLS) {
            fs.symlinkSync(resolveTool(t), path.join(standinTools, t));
        }
        for (const f of ["_lib.bash", ...standIns]) {
            fs.copyFileSync(path.join(STANDINS_DIR, f), path.join(standinSrc, f));
        }
        for (const s of standIns) {
            const wrapper = [
                `#!${bash}`,
                `# Sandbox stand-in for ${s}: logs its argv and keeps its state under ${stateDir}.`,
                `SANDBOX_SELF=${shq(s)}`,
                `SANDBOX_DIR=${shq(dir)}`,
                `SANDBOX_ROOT=${shq(root)}`,
                `SANDBOX_STATE=${shq(stateDir)}`,
                `SANDBOX_LOG=${shq(callLog)}`,
                `PATH=${shq(standinTools)}`,
                `source ${shq(path.join(standinSrc, "_lib.bash"))}`,
                `record_call "$@"`,
                `source ${shq(path.join(standinSrc, s))}`,
                "",
            ].join("\n");
            fs.writeFileSync(path.join(binDir, s), wrapper, { mode: 0o755 });
        }

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

    const argv = (): string[][] =>
        lines(fs.readFileSync(callLog, "utf8")).map((l) => l.split("\x1f"));
    const joined = (calls: string[][]): string[] => calls.map((c) => c.join(" "));

    const sandbox: Sandbox = {
        dir, root, binDir, workDir, stateDir,
        run(entry, runOptions = {}) {
            if (removed) {
                throw new Error("sandbox: already cleaned up");
            }
            const script = path.join(workDir, checkRelative(entry));
            if (!fs.existsSync(script)) {
                throw new Error(`sandbox: ${entry} is not in the work directory (writeBundle first)`);
            }
            const extra = runOptions.env ?? {};
            for (const k of Object.keys(extra)) {
                if (["PATH", "LSST_K8S_ROOT", "HOME", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS"].includes(k)) {
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
            const before = argv().length;
            const r = spawnSync(bash, [script, ...(runOptions.args ?? [])], {
                cwd: home,
                env,
                input: "",
                encoding: "utf8",
                timeout: 30_000,
                ...(drop ? { uid: UNPRIVILEGED, gid: UNPRIVILEGED } : {}),
            });
            if (r.error) {
                throw r.error;
            }
            return {
                status: r.status,
                signal: r.signal,
                stdout: r.stdout,
                stderr: r.stderr,
                calls: joined(argv().slice(before)),
            };
        },
        calls: () => joined(argv()),
        argv,
        snapshot: (o = {}) => walk(root, o.identity === true),
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
        packages: () => new Map(lines(sandbox.readState("packages")).map((l) => {
            const [name, version, status] = l.split("\t");
            return [name, { version, status }];
        })),
        unit: (name) => {
            const text = sandbox.readState(`units/${name}`);
            if (text === undefined) {
                return undefined;
            }
            const [enabled, active, restarts] = text.trim().split(" ");
            return { enabled: enabled === "yes", active: active === "yes", restarts: Number(restarts) };
        },
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

/** What a stand-in or the sandbox prints when a script reaches for something it does not provide. */
export const LEAKS = /command not found|stand-in does not support/;

/** Fails the test, with the script's stderr, unless the run succeeded without leaving the sandbox. */
export function expectSuccess(r: RunResult): void {
    expect(r.stderr).not.toMatch(LEAKS);
    if (r.status !== 0) {
        throw new Error(`exited ${r.status}:\n${r.stderr}`);
    }
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
