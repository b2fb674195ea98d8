/**
 * The one place that reads and validates stack config. Everything is checked before any resource is
 * created and every problem is reported at once, each with its key path, so an operator fixes a stack
 * file in one pass instead of one `pulumi up` per typo.
 */
import * as pulumi from "@pulumi/pulumi";
import { KubernetesVersion, parseVersion, windowProblem } from "./components/hosts/versions";

export const PROJECT = "lsst-k8s";

/** The secret config key that holds the SSH private key (set with `pulumi config set --secret`). */
export const SSH_KEY = "sshPrivateKey";

export type NodeRole = "control-plane" | "worker";

export interface NodeConfig {
    /** Kubernetes node name (DNS-1123 subdomain), also the Pulumi name of the node's resources. */
    readonly name: string;
    readonly role: NodeRole;
    /** IPv4 address the program reaches the node at and the node advertises. */
    readonly address: string;
    /** The node's SSH host key ("ssh-ed25519 AAAA..."); when absent the key is not verified. */
    readonly hostKey?: string;
    /**
     * The host no longer answers (dead hardware): its own commands are never run again, and removing
     * it from the inventory only drains and deletes it from the API. Default false.
     */
    readonly unreachable: boolean;
}

export interface BastionConfig {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly hostKey?: string;
}

export interface SshConfig {
    readonly user: string;
    readonly port: number;
    readonly bastion?: BastionConfig;
    /** Dial attempts before giving up on a host (hosts may still be booting). */
    readonly dialErrorLimit: number;
    /** Seconds per dial attempt. */
    readonly perDialTimeout: number;
}

export interface Endpoint {
    readonly host: string;
    readonly port: number;
    /** "host:port" as written in config. */
    readonly text: string;
}

/** Who is who on the cluster (technote 000 "Actors", "Users"): the groups RBAC binds. */
export interface PlatformGroups {
    /** K8s cluster administrators: the only group bound to cluster-admin. */
    readonly admins: string;
    /** K8s service administrators: deploy into the service namespaces. */
    readonly serviceAdmins: string;
    /** Security: read-only across the cluster, secrets excepted. */
    readonly security: string;
    /** Science users: the notebook namespace only. */
    readonly scienceUsers: string;
}

export interface DeveloperGroup {
    /** The group's namespace (DNS-1123 label). */
    readonly namespace: string;
    /** The group as the API server's authenticator names it. */
    readonly group: string;
}

/** A spawner choice offered to notebook users, inside the JupyterLab bounds. */
export interface NotebookProfile {
    readonly name: string;
    /** Kubernetes quantities, e.g. "2" and "4Gi". */
    readonly cpu: string;
    readonly memory: string;
}

/** Technote 000 "JupyterLab Requirements". */
export interface JupyterConfig {
    /** Concurrent users the quota is sized for. */
    readonly concurrentUsers: number;
    /** Each user's home volume; default "100Gi" (technote 000 "User Storage"). */
    readonly homeSize: string;
    /** Spawner choices; default small (1 core, 2Gi), medium (2, 4Gi), large (4, 8Gi). */
    readonly profiles: readonly NotebookProfile[];
}

/** Where the GPFS filesets are served from (technote 001 "Access to File Sets"). */
export interface FilesetsConfig {
    /** The NFS server exporting them. */
    readonly server: string;
    /** The export path of each fileset. */
    readonly exports: Readonly<Record<FilesetName, string>>;
}

export const FILESETS = ["project", "projectShared", "datasets", "scratch", "jhome", "software"] as const;
export type FilesetName = (typeof FILESETS)[number];

/** One HTCondor worker pool (technote 000 "Batch Services", use cases BCS 1-5). */
export interface CondorPool {
    /** prompt, nightly, yearly, l3...: also its namespace suffix and ClassAd value. */
    readonly name: string;
    readonly replicas: number;
    /** The processing type its startds advertise in the LSSTProcessingType ClassAd; default the name. */
    readonly processingType: string;
    /** Per worker pod; defaults "4" and "16Gi". */
    readonly cpu: string;
    readonly memory: string;
}

export interface CondorConfig {
    /** The central manager outside the cluster (technote 000: it keeps a fixed address). */
    readonly centralManager: string;
    /** The execute-node image, pinned (tag or digest), from a trusted registry. */
    readonly image: string;
    readonly pools: readonly CondorPool[];
}

/** Technote 000/001 "Docker Registry": the cluster's own image registry. */
export interface RegistryConfig {
    /** The name images are pulled by ("registry.lsst-dev.example.org/..."): the trusted registry. */
    readonly host: string;
    /** The Service's fixed address in the service network, which every node's containerd dials. */
    readonly clusterIP: string;
    /** The storage volume's size; default "500Gi". */
    readonly storageSize: string;
    /** Its storage class; default the cluster's default class. */
    readonly storageClass?: string;
    /** The official registry image; default "docker.io/library/registry:2.8.3". */
    readonly image: string;
}

/** Technote 004 "Storage", 000 "Preparing for disaster recovery": etcd snapshots and the PKI, kept on each control plane. */
export interface EtcdBackupConfig {
    /** An image with bash, coreutils, tar, gzip and etcdctl, pinned, from a trusted registry. */
    readonly image: string;
    /** Cron schedule; default every six hours, on the hour. */
    readonly schedule: string;
    /** Directory on each control plane that keeps the backups; default "/var/backups/etcd". */
    readonly hostPath: string;
    /** How many snapshots (and PKI archives) each control plane keeps; default 14. */
    readonly keep: number;
}

/** What the cluster carries beyond Kubernetes itself; absent, the cluster gets only its overlay. */
export interface PlatformConfig {
    readonly groups: PlatformGroups;
    /** "edit" in their namespaces (dev), or "view" only (prod: limited developer access). */
    readonly developerAccess: "edit" | "view";
    /** One namespace per development group (technote 001 "Namespaces"). */
    readonly developerGroups: readonly DeveloperGroup[];
    /** A read-only dashboard, reached through kubectl proxy only; default true. */
    readonly dashboard: boolean;
    /** Technote 003's multicast test as a check the operator switches on; default false. */
    readonly multicastCheck: boolean;
    /** kube-bench as a Job for the CIS results (technote 000 "Security"); default false. */
    readonly kubeBench: boolean;
    /** Notebook namespace quotas and spawner profiles; absent, none are declared. */
    readonly jupyter?: JupyterConfig;
    /** The filesets as persistent volumes; absent, none are declared. */
    readonly filesets?: FilesetsConfig;
    /** HTCondor worker pools; absent, none are declared. */
    readonly htcondor?: CondorConfig;
    /** Scheduled etcd backups on every control plane; absent, none. */
    readonly etcdBackup?: EtcdBackupConfig;
    /** The local image registry; absent, none. */
    readonly registry?: RegistryConfig;
}

export interface ClusterConfig {
    readonly name: string;
    readonly kubernetesVersion: KubernetesVersion;
    readonly controlPlaneEndpoint: Endpoint;
    readonly networks: { readonly nodes: string; readonly pods: string; readonly services: string };
    readonly ssh: SshConfig;
    readonly nodes: readonly NodeConfig[];
    /** From the `platform` key; undefined when the stack has none. */
    readonly platform?: PlatformConfig;
}

/** What the program runs with: the validated cluster plus its secrets, still wrapped as secrets. */
export interface StackConfig {
    readonly cluster: ClusterConfig;
    readonly sshPrivateKey: pulumi.Output<string>;
}

/** Raised with every problem found; the engine prints it without a stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p}`).join("\n"));
    }
}

const KNOWN_KEYS = ["cluster", "platform", SSH_KEY];

/**
 * Validates the raw config of one stack: keys as the engine passes them ("lsst-k8s:cluster") with string
 * values (objects JSON-encoded). Returns the frozen config or every problem found.
 */
export function validateConfig(raw: Readonly<Record<string, string>>): { config?: ClusterConfig; problems: string[] } {
    const c = new Checker();
    const ours = new Map<string, string>();
    for (const [fullKey, value] of Object.entries(raw)) {
        const [ns, key] = splitKey(fullKey);
        if (ns !== PROJECT) {
            continue;
        }
        if (!KNOWN_KEYS.includes(key)) {
            c.problem(key, `unknown config key${suggestion(key, KNOWN_KEYS)}`);
            continue;
        }
        ours.set(key, value);
    }

    const key = ours.get(SSH_KEY);
    if (key === undefined) {
        c.problem(SSH_KEY, `required: set it with \`pulumi config set --secret ${SSH_KEY} < ~/.ssh/id_ed25519\``);
    } else if (!/^-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----\r?\n[\s\S]*\S[\s\S]*\n-----END \1-----$/.test(key.trim())) {
        // Never echo the value: it is a secret even when it is malformed.
        c.problem(SSH_KEY, "is not a PEM or OpenSSH private key (expected \"-----BEGIN ... PRIVATE KEY-----\" ... \"-----END ... PRIVATE KEY-----\")");
    }

    const clusterText = ours.get("cluster");
    let cluster: unknown;
    if (clusterText === undefined) {
        c.problem("cluster", "required");
    } else {
        try {
            cluster = JSON.parse(clusterText);
        } catch {
            c.problem("cluster", "is not an object");
        }
    }
    const clusterConfig = cluster === undefined ? undefined : readCluster(c, "cluster", cluster);
    const platformText = ours.get("platform");
    let platform: PlatformConfig | undefined;
    if (platformText !== undefined) {
        let parsed: unknown;
        try {
            parsed = JSON.parse(platformText);
        } catch {
            c.problem("platform", "is not an object");
        }
        platform = parsed === undefined ? undefined : readPlatform(c, "platform", parsed);
    }
    if (clusterConfig && platform?.registry) {
        const services = parseCidr(clusterConfig.networks.services)!;
        const ip = platform.registry.clusterIP;
        const offset = ipToInt(ip) - services.base;
        if (!contains(services, ip)) {
            c.problem("platform.registry.clusterIP", `${ip} is outside the service network ${services.text}`);
        } else if (offset === 0 || offset === 1 || offset === 10 || offset === blockSize(services) - 1) {
            // .1 is the API server's Service, .10 kubeadm's DNS.
            c.problem("platform.registry.clusterIP", `${ip} is reserved in ${services.text} (network, API server, DNS or broadcast)`);
        }
    }
    const config = clusterConfig && { ...clusterConfig, ...(platform ? { platform } : {}) };
    return c.problems.length === 0 && config ? { config: deepFreeze(config), problems: [] } : { problems: c.problems };
}

/** Reads the running stack's config; throws ConfigError listing every problem. */
export function readConfig(): StackConfig {
    const { config, problems } = validateConfig(pulumi.runtime.allConfig());
    if (!config) {
        throw new ConfigError(problems);
    }
    return {
        cluster: config,
        sshPrivateKey: new pulumi.Config(PROJECT).requireSecret(SSH_KEY),
    };
}

function readCluster(c: Checker, path: string, value: unknown): ClusterConfig | undefined {
    const o = c.object(path, value, ["name", "kubernetesVersion", "controlPlaneEndpoint", "networks", "ssh", "nodes"]);
    if (!o) {
        return undefined;
    }
    const name = c.string(`${path}.name`, o.name, { pattern: DNS_LABEL, describe: "is not a DNS-1123 label" });
    const kubernetesVersion = readVersion(c, `${path}.kubernetesVersion`, o.kubernetesVersion);
    const controlPlaneEndpoint = readEndpoint(c, `${path}.controlPlaneEndpoint`, o.controlPlaneEndpoint);
    const networks = readNetworks(c, `${path}.networks`, o.networks);
    const ssh = readSsh(c, `${path}.ssh`, o.ssh);
    const nodes = readNodes(c, `${path}.nodes`, o.nodes, networks.cidrs.nodes);
    if (name === undefined || !kubernetesVersion || !controlPlaneEndpoint || !networks.valid || !ssh || !nodes) {
        return undefined;
    }
    return { name, kubernetesVersion, controlPlaneEndpoint, networks: networks.valid, ssh, nodes };
}

function readPlatform(c: Checker, path: string, value: unknown): PlatformConfig | undefined {
    const o = c.object(path, value, ["groups", "developerAccess", "developerGroups", "dashboard", "multicastCheck", "kubeBench",
        "jupyter", "filesets", "htcondor", "etcdBackup", "registry"]);
    if (!o) {
        return undefined;
    }
    const before = c.problems.length;
    const g = c.object(`${path}.groups`, o.groups, ["admins", "serviceAdmins", "security", "scienceUsers"]);
    const group = (key: string, v: unknown) => c.string(`${path}.groups.${key}`, v, { pattern: GROUP_NAME, describe: "is not a group name" });
    const groups = g && {
        admins: group("admins", g.admins),
        serviceAdmins: group("serviceAdmins", g.serviceAdmins),
        security: group("security", g.security),
        scienceUsers: group("scienceUsers", g.scienceUsers),
    };
    const developerAccess = c.string(`${path}.developerAccess`, o.developerAccess, {
        check: (s) => s === "edit" || s === "view",
        describe: "must be \"edit\" or \"view\"",
    }) as "edit" | "view" | undefined;
    const developerGroups: DeveloperGroup[] = [];
    if (!Array.isArray(o.developerGroups)) {
        c.problem(`${path}.developerGroups`, o.developerGroups === undefined ? "required" : "is not a list");
    } else {
        const seen = new Map<string, number>();
        o.developerGroups.forEach((item, i) => {
            const p = `${path}.developerGroups[${i}]`;
            const d = c.object(p, item, ["namespace", "group"]);
            const namespace = d && c.string(`${p}.namespace`, d.namespace, { pattern: DNS_LABEL, describe: "is not a DNS-1123 label" });
            const grp = d && c.string(`${p}.group`, d.group, { pattern: GROUP_NAME, describe: "is not a group name" });
            if (namespace !== undefined) {
                if (PLATFORM_NAMESPACES.includes(namespace) || /^(kube|htcondor)-/.test(namespace) || namespace === "default") {
                    c.problem(`${p}.namespace`, `${JSON.stringify(namespace)} is a system or platform namespace`);
                } else if (seen.has(namespace)) {
                    c.problem(`${p}.namespace`, `${JSON.stringify(namespace)} is already used by ${path}.developerGroups[${seen.get(namespace)}]`);
                } else {
                    seen.set(namespace, i);
                }
            }
            if (namespace !== undefined && grp !== undefined) {
                developerGroups.push({ namespace, group: grp });
            }
        });
    }
    const jupyter = o.jupyter === undefined ? undefined : readJupyter(c, `${path}.jupyter`, o.jupyter);
    const filesets = o.filesets === undefined ? undefined : readFilesets(c, `${path}.filesets`, o.filesets);
    const htcondor = o.htcondor === undefined ? undefined : readCondor(c, `${path}.htcondor`, o.htcondor);
    const etcdBackup = o.etcdBackup === undefined ? undefined : readEtcdBackup(c, `${path}.etcdBackup`, o.etcdBackup);
    const registry = o.registry === undefined ? undefined : readRegistry(c, `${path}.registry`, o.registry);
    const dashboard = c.boolean(`${path}.dashboard`, o.dashboard, true);
    const multicastCheck = c.boolean(`${path}.multicastCheck`, o.multicastCheck, false);
    const kubeBench = c.boolean(`${path}.kubeBench`, o.kubeBench, false);
    // Their images are kept in the local registry (technote 001 "Images and Libraries").
    for (const [key, on] of [["dashboard", dashboard], ["multicastCheck", multicastCheck], ["kubeBench", kubeBench]] as const) {
        if (on && o.registry === undefined) {
            c.problem(`${path}.${key}`, "needs platform.registry: its images are pulled from the local registry");
        }
    }
    if (c.problems.length > before || !groups || !developerAccess || dashboard === undefined || multicastCheck === undefined || kubeBench === undefined) {
        return undefined;
    }
    const { admins, serviceAdmins, security, scienceUsers } = groups;
    if (!admins || !serviceAdmins || !security || !scienceUsers) {
        return undefined;
    }
    return {
        groups: { admins, serviceAdmins, security, scienceUsers }, developerAccess, developerGroups, dashboard, multicastCheck, kubeBench,
        ...(jupyter ? { jupyter } : {}), ...(filesets ? { filesets } : {}), ...(htcondor ? { htcondor } : {}),
        ...(etcdBackup ? { etcdBackup } : {}), ...(registry ? { registry } : {}),
    };
}

function readRegistry(c: Checker, path: string, value: unknown): RegistryConfig | undefined {
    const o = c.object(path, value, ["host", "clusterIP", "storageSize", "storageClass", "image"]);
    if (!o) {
        return undefined;
    }
    const before = c.problems.length;
    const host = c.string(`${path}.host`, o.host, { check: (s) => isHost(s) && !isIPv4(s), describe: "is not a DNS name" });
    const clusterIP = c.string(`${path}.clusterIP`, o.clusterIP, { check: isIPv4, describe: "is not an IPv4 address" });
    const storageSize = o.storageSize === undefined ? "500Gi"
        : c.string(`${path}.storageSize`, o.storageSize, { pattern: QUANTITY, describe: "is not a storage size like 500Gi" });
    const storageClass = o.storageClass === undefined ? undefined
        : c.string(`${path}.storageClass`, o.storageClass, { check: isDnsSubdomain, describe: "is not a storage class name" });
    const image = o.image === undefined ? "docker.io/library/registry:2.8.3"
        : c.string(`${path}.image`, o.image, { check: (s) => /[:@]/.test(s.split("/").pop() ?? ""), describe: "is not pinned (name a tag or a digest)" });
    if (c.problems.length > before || !host || !clusterIP || !storageSize || !image) {
        return undefined;
    }
    return { host, clusterIP, storageSize, ...(storageClass ? { storageClass } : {}), image };
}

function readEtcdBackup(c: Checker, path: string, value: unknown): EtcdBackupConfig | undefined {
    const o = c.object(path, value, ["image", "schedule", "hostPath", "keep"]);
    if (!o) {
        return undefined;
    }
    const before = c.problems.length;
    const image = c.string(`${path}.image`, o.image, { check: (s) => /[:@]/.test(s.split("/").pop() ?? ""), describe: "is not pinned (name a tag or a digest)" });
    const schedule = o.schedule === undefined ? "0 */6 * * *"
        : c.string(`${path}.schedule`, o.schedule, { check: (s) => s.trim().split(/\s+/).length === 5, describe: "is not a five-field cron schedule" });
    const hostPath = o.hostPath === undefined ? "/var/backups/etcd"
        : c.string(`${path}.hostPath`, o.hostPath, { check: (s) => /^\/[^\0]+$/.test(s) && !/(^|\/)\.\.?(\/|$)/.test(s) && s !== "/", describe: "is not an absolute directory" });
    const keep = c.integer(`${path}.keep`, o.keep, { min: 1, max: 1000, default: 14 });
    return c.problems.length === before && image && schedule && hostPath && keep ? { image, schedule, hostPath, keep } : undefined;
}

const DEFAULT_PROFILES: NotebookProfile[] = [
    { name: "small", cpu: "1", memory: "2Gi" },
    { name: "medium", cpu: "2", memory: "4Gi" },
    { name: "large", cpu: "4", memory: "8Gi" },
];

function readJupyter(c: Checker, path: string, value: unknown): JupyterConfig | undefined {
    const o = c.object(path, value, ["concurrentUsers", "homeSize", "profiles"]);
    if (!o) {
        return undefined;
    }
    const before = c.problems.length;
    const concurrentUsers = c.required(`${path}.concurrentUsers`, o.concurrentUsers) &&
        c.integer(`${path}.concurrentUsers`, o.concurrentUsers, { min: 1, max: 10000, default: 0 });
    const homeSize = o.homeSize === undefined ? "100Gi" : c.string(`${path}.homeSize`, o.homeSize, { pattern: QUANTITY, describe: "is not a storage size like 100Gi" });
    let profiles = DEFAULT_PROFILES;
    if (o.profiles !== undefined) {
        profiles = [];
        if (!Array.isArray(o.profiles) || o.profiles.length === 0) {
            c.problem(`${path}.profiles`, "is not a non-empty list");
        } else {
            o.profiles.forEach((item, i) => {
                const p = `${path}.profiles[${i}]`;
                const pr = c.object(p, item, ["name", "cpu", "memory"]);
                const name = pr && c.string(`${p}.name`, pr.name, { pattern: DNS_LABEL, describe: "is not a DNS-1123 label" });
                const cpu = pr && c.string(`${p}.cpu`, String(pr.cpu ?? ""), { pattern: QUANTITY, describe: "is not a cpu quantity" });
                const memory = pr && c.string(`${p}.memory`, pr.memory, { pattern: QUANTITY, describe: "is not a memory quantity" });
                if (name && cpu && memory) {
                    // Technote 000: 0.5 to 4 cores and 512MB to 8GB per user.
                    if (!(quantity(cpu) >= 0.5 && quantity(cpu) <= 4)) {
                        c.problem(`${p}.cpu`, `${cpu} is outside 0.5 to 4 cores`);
                    } else if (!(quantity(memory) >= quantity("512Mi") && quantity(memory) <= quantity("8Gi"))) {
                        c.problem(`${p}.memory`, `${memory} is outside 512Mi to 8Gi`);
                    } else {
                        profiles.push({ name, cpu, memory });
                    }
                }
            });
        }
    }
    return c.problems.length === before && concurrentUsers && homeSize ? { concurrentUsers, homeSize, profiles } : undefined;
}

function readFilesets(c: Checker, path: string, value: unknown): FilesetsConfig | undefined {
    const o = c.object(path, value, ["server", "exports"]);
    if (!o) {
        return undefined;
    }
    const before = c.problems.length;
    const server = c.string(`${path}.server`, o.server, { check: isHost, describe: "is not a DNS name or IPv4 address" });
    const e = c.object(`${path}.exports`, o.exports, [...FILESETS]);
    const paths: Partial<Record<FilesetName, string>> = {};
    for (const f of FILESETS) {
        const v = e && c.string(`${path}.exports.${f}`, e[f], { pattern: /^\/[^\0]*$/, describe: "is not an absolute path" });
        if (v) {
            paths[f] = v;
        }
    }
    return c.problems.length === before && server ? { server, exports: paths as Record<FilesetName, string> } : undefined;
}

function readCondor(c: Checker, path: string, value: unknown): CondorConfig | undefined {
    const o = c.object(path, value, ["centralManager", "image", "pools"]);
    if (!o) {
        return undefined;
    }
    const before = c.problems.length;
    const centralManager = c.string(`${path}.centralManager`, o.centralManager, {
        check: (s) => { const [h, port] = s.split(":"); return isHost(h) && (port === undefined || isPort(Number(port))); },
        describe: "is not host or host:port",
    });
    const image = c.string(`${path}.image`, o.image, { check: (s) => /[:@]/.test(s.split("/").pop() ?? ""), describe: "is not pinned (name a tag or a digest)" });
    const pools: CondorPool[] = [];
    if (!Array.isArray(o.pools) || o.pools.length === 0) {
        c.problem(`${path}.pools`, o.pools === undefined ? "required" : "is not a non-empty list");
    } else {
        const seen = new Set<string>();
        o.pools.forEach((item, i) => {
            const p = `${path}.pools[${i}]`;
            const pl = c.object(p, item, ["name", "replicas", "processingType", "cpu", "memory"]);
            const name = pl && c.string(`${p}.name`, pl.name, { pattern: /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/, describe: "is not a short DNS-1123 label" });
            if (name && seen.has(name)) {
                c.problem(`${p}.name`, `${JSON.stringify(name)} is already a pool`);
            }
            if (name) {
                seen.add(name);
            }
            const replicas = pl && c.required(`${p}.replicas`, pl.replicas) ? c.integer(`${p}.replicas`, pl.replicas, { min: 0, max: 10000, default: 0 }) : undefined;
            const processingType = pl && (pl.processingType === undefined ? name
                : c.string(`${p}.processingType`, pl.processingType, { pattern: /^[A-Za-z0-9_-]+$/, describe: "is not a ClassAd value" }));
            const cpu = pl && (pl.cpu === undefined ? "4" : c.string(`${p}.cpu`, String(pl.cpu), { pattern: QUANTITY, describe: "is not a cpu quantity" }));
            const memory = pl && (pl.memory === undefined ? "16Gi" : c.string(`${p}.memory`, pl.memory, { pattern: QUANTITY, describe: "is not a memory quantity" }));
            if (name && replicas !== undefined && processingType && cpu && memory) {
                pools.push({ name, replicas, processingType, cpu, memory });
            }
        });
    }
    return c.problems.length === before && centralManager && image ? { centralManager, image, pools } : undefined;
}

function readVersion(c: Checker, path: string, value: unknown): KubernetesVersion | undefined {
    const text = c.string(path, value);
    if (text === undefined) {
        return undefined;
    }
    const v = parseVersion(text);
    if (!v) {
        c.problem(path, `${JSON.stringify(text)} is not an exact version X.Y.Z (kubeadm must not pick a newer patch)`);
        return undefined;
    }
    const outside = windowProblem(v);
    if (outside) {
        c.problem(path, outside);
        return undefined;
    }
    return v;
}

function readEndpoint(c: Checker, path: string, value: unknown): Endpoint | undefined {
    const text = c.string(path, value);
    if (text === undefined) {
        return undefined;
    }
    const m = /^([^:]+):(\d+)$/.exec(text);
    if (!m || !isHost(m[1]) || !/^[1-9]\d*$/.test(m[2]) || !isPort(Number(m[2]))) {
        c.problem(path, `${JSON.stringify(text)} is not host:port (a DNS name or IPv4 address, a port 1-65535)`);
        return undefined;
    }
    return { host: m[1], port: Number(m[2]), text };
}

/**
 * The three networks. Each CIDR that parses is returned even when another is wrong, so the node
 * addresses are still checked against the node network and every problem shows in one pass.
 */
function readNetworks(c: Checker, path: string, value: unknown): {
    cidrs: Partial<Record<"nodes" | "pods" | "services", Cidr>>;
    valid?: ClusterConfig["networks"];
} {
    const o = c.object(path, value, ["nodes", "pods", "services"]);
    if (!o) {
        return { cidrs: {} };
    }
    const before = c.problems.length;
    const cidrs: Partial<Record<"nodes" | "pods" | "services", Cidr>> = {};
    const keys = ["nodes", "pods", "services"] as const;
    for (const key of keys) {
        cidrs[key] = readCidr(c, `${path}.${key}`, o[key]);
    }
    for (let i = 0; i < keys.length; i++) {
        for (let j = i + 1; j < keys.length; j++) {
            const [a, b] = [cidrs[keys[i]], cidrs[keys[j]]];
            if (a && b && overlaps(a, b)) {
                c.problem(`${path}.${keys[j]}`, `${b.text} overlaps ${path}.${keys[i]} (${a.text})`);
            }
        }
    }
    const { nodes, pods, services } = cidrs;
    const valid = nodes && pods && services && c.problems.length === before
        ? { nodes: nodes.text, pods: pods.text, services: services.text }
        : undefined;
    return { cidrs, valid };
}

function readSsh(c: Checker, path: string, value: unknown): SshConfig | undefined {
    const o = c.object(path, value, ["user", "port", "bastion", "dialErrorLimit", "perDialTimeout"]);
    if (!o) {
        return undefined;
    }
    const user = c.string(`${path}.user`, o.user, { pattern: USER_NAME, describe: "is not a user name" });
    const port = c.port(`${path}.port`, o.port, 22);
    const dialErrorLimit = c.integer(`${path}.dialErrorLimit`, o.dialErrorLimit, { min: 1, max: 1000, default: 30 });
    const perDialTimeout = c.integer(`${path}.perDialTimeout`, o.perDialTimeout, { min: 1, max: 600, default: 15 });
    let bastion: BastionConfig | undefined;
    if (o.bastion !== undefined) {
        const b = c.object(`${path}.bastion`, o.bastion, ["host", "port", "user", "hostKey"]);
        if (b) {
            const host = c.string(`${path}.bastion.host`, b.host, {
                check: isHost,
                describe: "is not a DNS name or IPv4 address",
            });
            const bport = c.port(`${path}.bastion.port`, b.port, 22);
            const buser = b.user === undefined ? user
                : c.string(`${path}.bastion.user`, b.user, { pattern: USER_NAME, describe: "is not a user name" });
            const hostKey = readHostKey(c, `${path}.bastion.hostKey`, b.hostKey);
            if (host !== undefined && bport !== undefined && buser !== undefined) {
                bastion = { host, port: bport, user: buser, ...(hostKey ? { hostKey } : {}) };
            }
        }
    }
    if (user === undefined || port === undefined || dialErrorLimit === undefined || perDialTimeout === undefined) {
        return undefined;
    }
    if (o.bastion !== undefined && !bastion) {
        return undefined;
    }
    return { user, port, dialErrorLimit, perDialTimeout, ...(bastion ? { bastion } : {}) };
}

function readNodes(c: Checker, path: string, value: unknown, network: Cidr | undefined): NodeConfig[] | undefined {
    if (!Array.isArray(value)) {
        c.problem(path, value === undefined ? "required" : "is not a list");
        return undefined;
    }
    const before = c.problems.length;
    const nodes: NodeConfig[] = [];
    const names = new Map<string, number>();
    const addresses = new Map<string, number>();
    value.forEach((item, i) => {
        const p = `${path}[${i}]`;
        const o = c.object(p, item, ["name", "role", "address", "hostKey", "unreachable"]);
        if (!o) {
            return;
        }
        const name = c.string(`${p}.name`, o.name, { check: isDnsSubdomain, describe: "is not a DNS-1123 subdomain" });
        const role = c.string(`${p}.role`, o.role, {
            check: (r) => r === "control-plane" || r === "worker",
            describe: "must be \"control-plane\" or \"worker\"",
        }) as NodeRole | undefined;
        const address = c.string(`${p}.address`, o.address, { check: isIPv4, describe: "is not an IPv4 address" });
        const hostKey = readHostKey(c, `${p}.hostKey`, o.hostKey);
        const unreachable = c.boolean(`${p}.unreachable`, o.unreachable, false);
        if (unreachable && role === "control-plane" && !value.slice(0, i).some((n) => isRecord(n) && n.role === "control-plane")) {
            c.problem(`${p}.unreachable`, "the first control plane runs every drain and token: it cannot be unreachable");
        }
        if (name !== undefined) {
            const first = names.get(name);
            if (first !== undefined) {
                c.problem(`${p}.name`, `${JSON.stringify(name)} is already used by ${path}[${first}]`);
            } else {
                names.set(name, i);
            }
        }
        if (address !== undefined) {
            const first = addresses.get(address);
            if (first !== undefined) {
                c.problem(`${p}.address`, `${address} is already used by ${path}[${first}]`);
            } else {
                addresses.set(address, i);
            }
            if (network && !contains(network, address)) {
                c.problem(`${p}.address`, `${address} is outside the node network ${network.text}`);
            } else if (network && network.bits <= 30 && isNetworkOrBroadcast(network, address)) {
                c.problem(`${p}.address`, `${address} is the network or broadcast address of ${network.text}`);
            }
        }
        if (name !== undefined && role && address !== undefined && unreachable !== undefined) {
            nodes.push({ name, role, address, ...(hostKey ? { hostKey } : {}), unreachable });
        }
    });
    const controlPlanes = value.filter((n) => isRecord(n) && n.role === "control-plane").length;
    if (controlPlanes === 0) {
        c.problem(path, "needs at least one node with role \"control-plane\"");
    } else if (controlPlanes > 1 && controlPlanes % 2 === 0) {
        c.problem(path, `has ${controlPlanes} control-plane nodes; etcd needs an odd number to keep quorum`);
    }
    return c.problems.length === before ? nodes : undefined;
}

/** Each host key type and how many length-prefixed fields its blob holds, the type name included. */
const HOST_KEY_FIELDS: Readonly<Record<string, number>> = {
    "ssh-ed25519": 2,
    "ecdsa-sha2-nistp256": 3,
    "ecdsa-sha2-nistp384": 3,
    "ecdsa-sha2-nistp521": 3,
    "ssh-rsa": 3,
};

/**
 * A host key as in known_hosts ("type base64 [comment]"). The blob must name the same type and hold
 * exactly that type's fields, so a truncated paste is refused rather than pinned.
 */
function readHostKey(c: Checker, path: string, value: unknown): string | undefined {
    if (value === undefined) {
        return undefined;
    }
    const text = c.string(path, value, {
        describe: 'is not an SSH public host key ("ssh-ed25519 AAAA...")',
        check: (s) => {
            const [type, blob] = s.trim().split(/\s+/);
            const fields = HOST_KEY_FIELDS[type] ? blobFields(blob ?? "") : undefined;
            return !!fields && fields.length === HOST_KEY_FIELDS[type] && fields[0].toString("latin1") === type &&
                (type !== "ssh-ed25519" || fields[1].length === 32);
        },
    });
    return text?.trim();
}

/** Splits an SSH wire-format blob into its length-prefixed fields; undefined unless it parses exactly. */
function blobFields(base64: string): Buffer[] | undefined {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
        return undefined;
    }
    const bytes = Buffer.from(base64, "base64");
    const fields: Buffer[] = [];
    let at = 0;
    while (at < bytes.length) {
        if (at + 4 > bytes.length) {
            return undefined;
        }
        const len = bytes.readUInt32BE(at);
        if (len === 0 || at + 4 + len > bytes.length) {
            return undefined;
        }
        fields.push(bytes.subarray(at + 4, at + 4 + len));
        at += 4 + len;
    }
    return fields;
}

// ---- small, strict value checks -------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
/** A Kubernetes quantity as written in config ("500m", "4", "8Gi", "100Gi"). */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/;

/** The value of a QUANTITY, for bounds checks. */
function quantity(q: string): number {
    const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q)!;
    const unit: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
    return Number(m[1]) * unit[m[2]];
}
/** Group names as authenticators pass them: printable, no spaces, not a system: group. */
const GROUP_NAME = /^(?!system:)[A-Za-z0-9][A-Za-z0-9._:@/-]{0,252}$/;

/** Namespaces the platform itself owns; no development group may take one. */
export const PLATFORM_NAMESPACES = ["jupyter-lsst", "registry", "htcondor", "kube-bench", "multicast-check", "kubernetes-dashboard"];

function isDnsSubdomain(s: string): boolean {
    return DNS_SUBDOMAIN.test(s);
}

/**
 * An IPv4 address or a DNS name. A name whose last label is all digits is refused (RFC 1123 2.1: host
 * names never take the dotted-decimal form), so a mistyped address like "10.0.0.300" is not taken for one.
 */
function isHost(s: string): boolean {
    return isIPv4(s) || (DNS_SUBDOMAIN.test(s) && !/(^|\.)\d+$/.test(s));
}

function isIPv4(s: string): boolean {
    const parts = s.split(".");
    return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isPort(n: number): boolean {
    return Number.isInteger(n) && n >= 1 && n <= 65535;
}

interface Cidr {
    readonly text: string;
    readonly base: number;
    readonly bits: number;
}

function ipToInt(ip: string): number {
    return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function parseCidr(text: string): Cidr | undefined {
    const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
    if (!m || !isIPv4(m[1]) || Number(m[2]) > 32) {
        return undefined;
    }
    return { text, base: ipToInt(m[1]), bits: Number(m[2]) };
}

function blockSize(c: Cidr): number {
    return 2 ** (32 - c.bits);
}

function readCidr(c: Checker, path: string, value: unknown): Cidr | undefined {
    const text = c.string(path, value);
    if (text === undefined) {
        return undefined;
    }
    const cidr = parseCidr(text);
    if (!cidr) {
        c.problem(path, `${JSON.stringify(text)} is not an IPv4 CIDR (a.b.c.d/n)`);
        return undefined;
    }
    if (cidr.base % blockSize(cidr) !== 0) {
        c.problem(path, `${text} has host bits set`);
        return undefined;
    }
    return cidr;
}

function overlaps(a: Cidr, b: Cidr): boolean {
    return a.base < b.base + blockSize(b) && b.base < a.base + blockSize(a);
}

function isNetworkOrBroadcast(net: Cidr, ip: string): boolean {
    const n = ipToInt(ip);
    return n === net.base || n === net.base + blockSize(net) - 1;
}

function contains(net: Cidr, ip: string): boolean {
    const n = ipToInt(ip);
    return n >= net.base && n < net.base + blockSize(net);
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function splitKey(fullKey: string): [string, string] {
    const i = fullKey.indexOf(":");
    return i < 0 ? [PROJECT, fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
}

/** Edit distance, to turn "adress" into "did you mean address". */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const cur = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = cur;
        }
    }
    return row[b.length];
}

function suggestion(key: string, known: readonly string[]): string {
    const best = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
    return best && best.d <= 3 ? ` (did you mean "${best.k}"?)` : ` (known keys: ${known.join(", ")})`;
}

function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null) {
        Object.values(value).forEach(deepFreeze);
        Object.freeze(value);
    }
    return value;
}

interface StringRule {
    pattern?: RegExp;
    check?: (s: string) => boolean;
    describe?: string;
}

/** Collects problems as "path: message" lines while reading values of the expected shape. */
class Checker {
    readonly problems: string[] = [];

    problem(path: string, message: string): void {
        this.problems.push(`${path}: ${message}`);
    }

    object(path: string, value: unknown, known: readonly string[]): Record<string, unknown> | undefined {
        if (value === undefined) {
            this.problem(path, "required");
            return undefined;
        }
        if (!isRecord(value)) {
            this.problem(path, "is not an object");
            return undefined;
        }
        for (const key of Object.keys(value)) {
            if (!known.includes(key)) {
                this.problem(`${path}.${key}`, `unknown key${suggestion(key, known)}`);
            }
        }
        return value;
    }

    string(path: string, value: unknown, rule: StringRule = {}): string | undefined {
        if (value === undefined || value === "") {
            this.problem(path, "required");
            return undefined;
        }
        if (typeof value !== "string") {
            this.problem(path, `${JSON.stringify(value)} is not a string`);
            return undefined;
        }
        if ((rule.pattern && !rule.pattern.test(value)) || (rule.check && !rule.check(value))) {
            this.problem(path, `${JSON.stringify(value)} ${rule.describe ?? "is not valid"}`);
            return undefined;
        }
        return value;
    }

    integer(path: string, value: unknown, r: { min: number; max: number; default: number }): number | undefined {
        if (value === undefined) {
            return r.default;
        }
        if (typeof value !== "number" || !Number.isInteger(value) || value < r.min || value > r.max) {
            this.problem(path, `${JSON.stringify(value)} is not a whole number from ${r.min} to ${r.max}`);
            return undefined;
        }
        return value;
    }

    /** True when the value is present; otherwise reports it as required. */
    required(path: string, value: unknown): boolean {
        if (value === undefined) {
            this.problem(path, "required");
            return false;
        }
        return true;
    }

    boolean(path: string, value: unknown, fallback: boolean): boolean | undefined {
        if (value === undefined) {
            return fallback;
        }
        if (typeof value !== "boolean") {
            this.problem(path, `${JSON.stringify(value)} is not true or false`);
            return undefined;
        }
        return value;
    }

    port(path: string, value: unknown, fallback: number): number | undefined {
        return this.integer(path, value, { min: 1, max: 65535, default: fallback });
    }
}
