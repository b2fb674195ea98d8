/**
 * The host state the stand-ins keep in files under the sandbox's state directory: written here from a
 * SandboxState before a run, read back by the Sandbox's accessors after one. The formats are the ones
 * tests/sandbox/standins/_lib.bash reads and writes.
 */
import { checkRelative, inside, writeEntry } from "./tree";

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

function tsv(rows: readonly (readonly string[])[]): string {
    return rows.map((r) => r.join("\t") + "\n").join("");
}

/** The non-empty lines of a state file (none when it is not there). */
export function lines(text: string | undefined): string[] {
    return text ? text.split("\n").filter((l) => l !== "") : [];
}

export function writeState(stateDir: string, state: SandboxState): void {
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

/** The packages file ("NAME<TAB>VERSION<TAB>STATUS" lines) by name. */
export function parsePackages(text: string | undefined): Map<string, { version: string; status: string }> {
    return new Map(lines(text).map((l) => {
        const [name, version, status] = l.split("\t");
        return [name, { version, status }];
    }));
}

/** A units/UNIT file ("ENABLED ACTIVE RESTARTS"), undefined when the unit is not there. */
export function parseUnit(text: string | undefined): { enabled: boolean; active: boolean; restarts: number } | undefined {
    if (text === undefined) {
        return undefined;
    }
    const [enabled, active, restarts] = text.trim().split(" ");
    return { enabled: enabled === "yes", active: active === "yes", restarts: Number(restarts) };
}
