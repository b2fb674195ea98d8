/**
 * What the scripts in a sandbox can run, which is all their PATH holds: an allow-list of real tools,
 * linked in, and the stand-ins (tests/sandbox/standins), each behind a generated wrapper.
 */
import * as fs from "fs";
import * as path from "path";
import type { SandboxLayout } from "./layout";

/** Where the stand-ins' bash sources live. */
export const STANDINS_DIR = path.join(__dirname, "standins");

/** Every stand-in there is (one file per command, _lib.bash is shared). */
export const ALL_STAND_INS: readonly string[] = fs.readdirSync(STANDINS_DIR).filter((f) => !f.startsWith("_")).sort();

/** What the stand-ins source (_lib.bash, kubeadm's subcommands): copied beside them, never a command. */
const STANDIN_LIBRARIES: readonly string[] = fs.readdirSync(STANDINS_DIR).filter((f) => f.startsWith("_")).sort();

/**
 * What lib.sh runs whenever an entry script sources it: the action's lock (lib.sh's lock_action), in
 * every list below. flock is util-linux's, on every EL and Debian host, and only ever locks a file
 * under the sandbox's root.
 */
const LOCK_TOOLS = ["flock", "mkdir"];

/**
 * What lib.sh's host_identity runs, for the scripts that check which host they are on (reset.sh): it
 * reads certificates (x509, pkey, dgst, base64 -d: no network, no key made).
 */
const IDENTITY_TOOLS = ["openssl"];

/**
 * What lib.sh's install_control_plane_files runs (update_file's tools), for init.sh and a control
 * plane's join.sh, which put the API server's own files in place before kubeadm starts it.
 */
const CONTROL_PLANE_FILE_TOOLS = ["cat", "chmod", "cmp", "mkdir", "mktemp", "mv", "stat"];

/**
 * The real tools prepare.sh and lib.sh call, and nothing else. A suite for another script passes its
 * own list (`tools: [...SCRIPT_TOOLS, "base64"]`); the static test in tests/prepare/static-checks checks that
 * each of these is still used, so the list does not grow stale.
 */
export const SCRIPT_TOOLS: readonly string[] = [
    "bash", "awk", "cat", "chmod", "cmp", "dirname", "flock", "grep", "head", "mkdir", "mktemp", "mv", "rm", "sed",
    "sort", "stat", "wc",
];

/**
 * The real tools init.sh and lib.sh call, and nothing else (init.sandbox.test.ts checks each is still
 * used), the control plane's files among them. openssl only hashes the CA's public key there (x509,
 * pkey, dgst: reads, no network).
 */
export const INIT_TOOLS: readonly string[] = [...new Set(["bash", "base64", "chmod", "dirname", "flock", "mkdir", "openssl", "sed", "tail", ...CONTROL_PLANE_FILE_TOOLS])];

/**
 * The real tools of the join and removal scripts (with lib.sh), one list a script; tests/join/stand-ins
 * and tests/removal/stand-ins check each is still used. kubeadm, kubectl, ip and id are stand-ins. The
 * join bundle carries reset.sh, which the join suites run in the same sandbox, so the join list has
 * what reset.sh's check of the host needs.
 */
export const MINT_TOOLS: readonly string[] = ["bash", "dirname", ...LOCK_TOOLS];
export const JOIN_TOOLS: readonly string[] = [...new Set(["bash", "chmod", "dirname", "flock", "mkdir", "rm", "sed", "tail", ...IDENTITY_TOOLS, ...CONTROL_PLANE_FILE_TOOLS])];
export const DRAIN_TOOLS: readonly string[] = ["bash", "dirname", ...LOCK_TOOLS];
export const RESET_TOOLS: readonly string[] = ["bash", "dirname", "rm", ...LOCK_TOOLS, ...IDENTITY_TOOLS];

/**
 * The real tools of the upgrade scripts (with lib.sh), one list a script; tests/upgrade/stand-ins
 * checks each is still used. awk picks the repository's revision out of apt-cache madison, grep reads the
 * kube-apiserver manifest; the package managers, systemctl, kubeadm and kubectl are stand-ins.
 */
export const UPGRADE_TOOLS: readonly string[] = ["bash", "awk", "dirname", "flock", "grep", "mkdir", "touch", "rm"];
export const CORDON_TOOLS: readonly string[] = ["bash", "dirname", ...LOCK_TOOLS];
/** What trust-registry.sh needs: update_file's tools. */
export const TRUST_TOOLS: readonly string[] = ["bash", "cat", "chmod", "cmp", "dirname", "flock", "grep", "mkdir", "mktemp", "mv", "stat"];
/**
 * What control-plane-config.sh needs (tests/control-plane-config/stand-ins checks each is still used):
 * host_identity's openssl, update_file's tools for the API server's files, grep to read the manifest's
 * flags, cp and rm for its backup and a stale file, sleep between two questions to the API server, head
 * to pick the API server's container out of crictl's list. kubeadm, curl, crictl and id are stand-ins.
 */
export const CONTROL_PLANE_CONFIG_TOOLS: readonly string[] = [
    ...new Set(["bash", "cp", "dirname", "grep", "head", "rm", "sleep", ...LOCK_TOOLS, ...IDENTITY_TOOLS, ...CONTROL_PLANE_FILE_TOOLS]),
];

/**
 * What the stand-ins themselves run (they get their own PATH, so these never reach the scripts):
 * openssl makes the certificates the kubelet gets when a node joins, sleep lets a stand-in wait for the
 * test (a run held halfway).
 */
const STANDIN_TOOLS = ["cat", "cmp", "cp", "ln", "mkdir", "openssl", "rm", "sleep"];

/** Commands that change a host or reach the network: never linked in as the real thing. */
const NEVER_REAL = new Set([
    "apt", "apt-get", "apt-cache", "apt-mark", "aptitude", "dpkg", "dpkg-query", "dnf", "yum", "microdnf", "rpm",
    "systemctl", "service", "journalctl", "modprobe", "insmod", "rmmod", "sysctl", "swapoff", "swapon", "mount",
    "umount", "iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "nft", "firewall-cmd",
    "netfilter-persistent", "getenforce", "setenforce", "semanage", "curl", "wget", "gpg", "containerd", "ctr",
    "crictl", "kubeadm", "kubectl", "kubelet", "ssh", "scp", "sudo", "su", "reboot", "shutdown", "poweroff",
    "halt", "init", "chroot", "nsenter", "unshare", "ip", "hostnamectl", "useradd", "passwd",
]);

/** A command name, or a file name in a bundle: one path segment that cannot be mistaken for an option. */
export const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** What the curl stand-in serves for URL. */
export function fakeKey(url: string): string {
    return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nsandbox key for ${url}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

/** What the gpg stand-in makes of an armored key with --dearmor. */
export function fakeDearmor(armored: string): string {
    return `sandbox-dearmored\n${armored}`;
}

/** Finds an executable on the host's PATH, as `command -v` does for a file (never a builtin). */
export function resolveTool(name: string): string {
    if (!PLAIN_NAME.test(name)) {
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

/** Refuses a choice of commands that could let a script touch the host; returns the bash to run with. */
export function checkCommands(standIns: readonly string[], tools: readonly string[]): string {
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
    return resolveTool("bash");
}

function shq(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Fills the layout's binDir with the tools and stand-ins checkCommands accepted. */
export function installCommands(layout: SandboxLayout, standIns: readonly string[], tools: readonly string[], bash: string): void {
    const { dir, root, binDir, stateDir, standinSrc, standinTools, callLog } = layout;
    for (const t of tools) {
        fs.symlinkSync(resolveTool(t), path.join(binDir, t));
    }
    for (const t of STANDIN_TOOLS) {
        fs.symlinkSync(resolveTool(t), path.join(standinTools, t));
    }
    for (const f of [...STANDIN_LIBRARIES, ...standIns]) {
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
}
