import { kubePolicy, KubePolicyConfig } from "./lib/kubePolicy";
import { ContainerAt, containersOf, KubeObject, podSpecOf, WORKLOAD_KINDS } from "./lib/kube";
import { maintainedKubernetesVersionDefaults } from "./maintained-kubernetes-version";

/**
 * Technote 001 "No developer process should run as root", as the Kubernetes Pod Security Standards'
 * restricted profile (which contains the baseline profile) defines it, over every pod spec the program
 * declares: Pods, pod templates and every workload's template, patches included.
 *
 * The pod spec is judged as Pod Security admission (k8s.io/pod-security-admission's policy package)
 * judges it, at the stack's Kubernetes minor (`kubernetesMinor` in the policy config), not the way the
 * kubelet combines settings: a pod-level runAsNonRoot, runAsUser, seccompProfile, seLinuxOptions or
 * appArmorProfile is judged on its own, even when every container sets its own; a container that sets
 * none inherits the pod's. A patch only changes what it sets: its fields are checked, nothing it
 * leaves out is required.
 *
 * What changes with the minor (each as the admission library's versioned checks have it): the safe
 * sysctls (1.27, 1.29, 1.32 and 1.37 added some), container_engine_t for SELinux (1.31), host probes
 * and lifecycle hooks (1.34), and pods with their own user namespace (hostUsers: false), which need
 * not run as non-root from 1.35. Windows pods (os.name windows) are exempt from the privilege
 * escalation, seccomp and capabilities controls (1.25). Minors older than 1.25 are not modelled.
 *
 * Exemptions (kube-system for the Weave overlay, say) are by namespace or object, with a reason, in the
 * stack's policy config.
 */

export interface PodSecurityRestrictedConfig extends KubePolicyConfig {
    /** The stack's Kubernetes minor release (1.<kubernetesMinor>): which version of the profile applies. */
    readonly kubernetesMinor: number;
}

/** The oldest minor the pack models. */
export const OLDEST_MODELLED_MINOR = 25;

/**
 * Without the stack's minor, the oldest maintained one: the strictest in the maintained window (the
 * profile only relaxes over it).
 */
export const DEFAULT_KUBERNETES_MINOR = maintainedKubernetesVersionDefaults.newestMinor - maintainedKubernetesVersionDefaults.maintainedMinors + 1;

/** Restricted "Capabilities": the only capability a container may add. */
const RESTRICTED_CAPABILITIES = new Set(["NET_BIND_SERVICE"]);

/** Baseline "Sysctls": the safe set, by the minor that added each. */
const SAFE_SYSCTLS_SINCE: readonly (readonly [number, readonly string[]])[] = [
    [0, ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"]],
    [27, ["net.ipv4.ip_local_reserved_ports"]],
    [29, ["net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]],
    [32, ["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]],
    [37, ["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"]],
];

/** The safe sysctls of Kubernetes 1.<minor>. */
export function safeSysctls(minor: number): ReadonlySet<string> {
    return new Set(SAFE_SYSCTLS_SINCE.filter(([since]) => since <= minor).flatMap(([, names]) => names));
}

/** Baseline "SELinux": the types a pod or container may ask for (container_engine_t from 1.31). */
const selinuxTypes = (minor: number) => ["container_t", "container_init_t", "container_kvm_t", ...(minor >= 31 ? ["container_engine_t"] : [])];

/** Restricted "Volume Types": a volume with one of these sources is allowed, whatever else it has. */
const RESTRICTED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"];

/** Baseline "AppArmor": the legacy per-container annotation. */
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];
const APPARMOR_TYPES = ["RuntimeDefault", "Localhost"];

const HOST_NAMESPACES = [
    ["hostNetwork", "network"],
    ["hostPID", "process ID"],
    ["hostIPC", "IPC"],
] as const;

const PROBES = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
const LIFECYCLE_HANDLERS = ["postStart", "preStop"] as const;

function record(value: unknown): KubeObject | undefined {
    return value && typeof value === "object" && !Array.isArray(value) ? (value as KubeObject) : undefined;
}

function list(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

function isSet(value: unknown): boolean {
    return value !== undefined && value !== null;
}

/** A value as messages show it. */
function shown(value: unknown): string {
    return typeof value === "string" ? (value === "" ? '""' : value) : JSON.stringify(value);
}

function labels(containers: readonly ContainerAt[]): string {
    return containers.map((c) => c.label).join(", ");
}

/**
 * One security setting that a container may set and otherwise inherits from the pod. `problem` says
 * what is wrong with a value, after the field's name ("is false; it must be true"); `missing`, when the
 * setting is required, says what is wrong when some containers set none and the pod sets none either.
 */
interface CombinedSetting {
    readonly field: string;
    readonly problem: (value: unknown) => string | undefined;
    readonly missing?: (unset: string) => string;
}

export const podSecurityRestricted = kubePolicy<PodSecurityRestrictedConfig>({
    name: "pod-security-restricted",
    description: "Every pod spec (Pods, pod templates and workload templates, patches included) must meet the Kubernetes Pod Security Standards restricted profile, so no developer process runs as root or with access to the host.",
    schema: {
        kubernetesMinor: { type: "integer", minimum: OLDEST_MODELLED_MINOR, default: DEFAULT_KUBERNETES_MINOR },
    },
    defaults: { kubernetesMinor: DEFAULT_KUBERNETES_MINOR },
    applies: (t) => WORKLOAD_KINDS.includes(t.kind),
    validate: (t, obj, config, report) => {
        const pod = podSpecOf(t, obj);
        if (!pod) {
            return;
        }
        const { spec, metadata, path } = pod;
        const patch = t.patch;
        const podSc = record(spec.securityContext);
        const podScPath = `${path}.securityContext`;
        const metadataPath = path === "spec" ? "metadata" : `${path.slice(0, -".spec".length)}.metadata`;
        const minor = Number.isInteger(config.kubernetesMinor) ? Math.max(config.kubernetesMinor, OLDEST_MODELLED_MINOR) : DEFAULT_KUBERNETES_MINOR;
        // Restricted's privilege escalation, seccomp and capabilities controls do not apply to Windows pods.
        const windows = record(spec.os)?.name === "windows";
        // A pod in its own user namespace need not run as non-root (1.35+).
        const userNamespace = minor >= 35 && spec.hostUsers === false;
        const containers = containersOf(spec);
        const scOf = (c: ContainerAt) => record(c.container.securityContext);

        // HostProcess
        if (record(podSc?.windowsOptions)?.hostProcess === true) {
            report(`${podScPath}.windowsOptions.hostProcess is true; Windows HostProcess pods are not allowed`);
        }
        for (const c of containers) {
            if (record(scOf(c)?.windowsOptions)?.hostProcess === true) {
                report(`${c.label}: securityContext.windowsOptions.hostProcess is true; Windows HostProcess containers are not allowed`);
            }
        }

        // Host namespaces
        for (const [field, namespace] of HOST_NAMESPACES) {
            if (spec[field] === true) {
                report(`${path}.${field} is true; sharing the host's ${namespace} namespace is not allowed`);
            }
        }

        // Privileged containers
        for (const c of containers) {
            if (scOf(c)?.privileged === true) {
                report(`${c.label}: securityContext.privileged is true; privileged containers are not allowed`);
            }
        }

        // Capabilities: drop ALL, add only NET_BIND_SERVICE. The restricted control replaces baseline's,
        // so a Windows pod, exempt from it, has no capabilities control at all.
        for (const c of windows ? [] : containers) {
            const capabilities = record(scOf(c)?.capabilities);
            const added = list(capabilities?.add).filter((cap) => !RESTRICTED_CAPABILITIES.has(cap as string));
            if (added.length) {
                report(`${c.label}: securityContext.capabilities.add includes ${added.map(shown).join(", ")}; only ${[...RESTRICTED_CAPABILITIES].join(", ")} may be added`);
            }
            if (Array.isArray(capabilities?.drop)) {
                if (!capabilities.drop.includes("ALL")) {
                    report(`${c.label}: securityContext.capabilities.drop does not include ALL; every container must drop ALL capabilities`);
                }
            } else if (!patch) {
                report(`${c.label}: securityContext.capabilities.drop is not set; every container must drop ALL capabilities`);
            }
        }

        // HostPath volumes. A volume with an allowed source passes the restricted volume control, which
        // replaces baseline's hostPath control; one with no source is an emptyDir (the API server's default).
        const volumes = list(spec.volumes).map((v, i) => ({ volume: record(v), i }))
            .filter((v): v is { volume: KubeObject; i: number } => !!v.volume && !RESTRICTED_VOLUMES.some((k) => isSet(v.volume?.[k])));
        const volumeLabel = (v: { volume: KubeObject; i: number }) => `${path}.volumes[${v.i}]${v.volume.name ? ` (${v.volume.name})` : ""}`;
        for (const v of volumes) {
            if (isSet(v.volume.hostPath)) {
                const hostPath = record(v.volume.hostPath)?.path;
                report(`${volumeLabel(v)} uses hostPath${isSet(hostPath) ? ` (${shown(hostPath)})` : ""}; hostPath volumes are not allowed`);
            }
        }

        // Host ports
        for (const c of containers) {
            list(c.container.ports).forEach((port, j) => {
                const hostPort = record(port)?.hostPort;
                if (isSet(hostPort) && hostPort !== 0) {
                    report(`${c.label}: ports[${j}].hostPort is ${shown(hostPort)}; host ports are not allowed`);
                }
            });
        }

        // Host probes and lifecycle hooks (baseline, Kubernetes 1.34+)
        for (const c of minor >= 34 ? containers : []) {
            const handlers: [string, KubeObject | undefined][] = [
                ...PROBES.map((p): [string, KubeObject | undefined] => [p, record(c.container[p])]),
                ...LIFECYCLE_HANDLERS.map((h): [string, KubeObject | undefined] => [`lifecycle.${h}`, record(record(c.container.lifecycle)?.[h])]),
            ];
            for (const [where, handler] of handlers) {
                for (const action of ["httpGet", "tcpSocket"]) {
                    const host = record(handler?.[action])?.host;
                    if (isSet(host) && host !== "") {
                        report(`${c.label}: ${where}.${action}.host is ${shown(host)}; probes and lifecycle hooks may not name a host`);
                    }
                }
            }
        }

        /**
         * Reports one setting a container may set and otherwise inherits: the pod's value on its own,
         * each container's own, and (if required) containers that set none where the pod sets none.
         */
        const combined = (setting: CombinedSetting) => {
            const own = (c: ContainerAt) => scOf(c)?.[setting.field];
            const podValue = podSc?.[setting.field];
            if (isSet(podValue)) {
                const problem = setting.problem(podValue);
                if (problem) {
                    report(`${podScPath}.${setting.field}${problem}`);
                }
            }
            for (const c of containers) {
                const value = own(c);
                const problem = isSet(value) ? setting.problem(value) : undefined;
                if (problem) {
                    report(`${c.label}: securityContext.${setting.field}${problem}`);
                }
            }
            const inheriting = containers.filter((c) => !isSet(own(c)));
            if (setting.missing && !patch && !isSet(podValue) && inheriting.length) {
                report(setting.missing(labels(inheriting)));
            }
        };

        // AppArmor: the profile field, then the legacy annotations
        combined({
            field: "appArmorProfile",
            problem: (value) => {
                const type = record(value)?.type;
                return APPARMOR_TYPES.includes(type) ? undefined : `.type is ${isSet(type) ? shown(type) : "not set"}; only ${APPARMOR_TYPES.join(" or ")} is allowed`;
            },
        });
        for (const [key, value] of Object.entries(record(metadata.annotations) ?? {})) {
            if (key.startsWith(APPARMOR_ANNOTATION) && !(value === undefined || value === null || value === "" || value === "runtime/default" || (typeof value === "string" && value.startsWith("localhost/")))) {
                report(`${metadataPath}.annotations["${key}"] is ${shown(value)}; only runtime/default or localhost/* AppArmor profiles are allowed`);
            }
        }

        // SELinux
        const allowedSelinuxTypes = selinuxTypes(minor);
        combined({
            field: "seLinuxOptions",
            problem: (value) => {
                const options = record(value) ?? {};
                const wrong: string[] = [];
                if (isSet(options.type) && options.type !== "" && !allowedSelinuxTypes.includes(options.type)) {
                    wrong.push(`type ${shown(options.type)}`);
                }
                for (const field of ["user", "role"]) {
                    if (isSet(options[field]) && options[field] !== "") {
                        wrong.push(`${field} ${shown(options[field])}`);
                    }
                }
                return wrong.length
                    ? ` sets ${wrong.join(", ")}; only the types ${allowedSelinuxTypes.join(", ")} are allowed, and user and role may not be set`
                    : undefined;
            },
        });

        // /proc mount type
        for (const c of containers) {
            const procMount = scOf(c)?.procMount;
            if (isSet(procMount) && procMount !== "Default") {
                report(`${c.label}: securityContext.procMount is ${shown(procMount)}; only Default is allowed`);
            }
        }

        // Seccomp: RuntimeDefault or Localhost for every container. The restricted control replaces
        // baseline's, so a Windows pod, exempt from it, has no seccomp control at all.
        if (!windows) {
            combined({
                field: "seccompProfile",
                problem: (value) => {
                    const type = record(value)?.type;
                    return SECCOMP_TYPES.includes(type) ? undefined : `.type is ${isSet(type) ? shown(type) : "not set"}; it must be ${SECCOMP_TYPES.join(" or ")}`;
                },
                missing: (unset) =>
                    `seccompProfile is set neither in ${podScPath} nor on ${unset}; set seccompProfile.type to RuntimeDefault or Localhost for the pod or on each of them`,
            });
        }

        // Sysctls
        const safe = safeSysctls(minor);
        list(podSc?.sysctls).forEach((sysctl, i) => {
            const name = record(sysctl)?.name;
            if (isSet(name) && !safe.has(name as string)) {
                report(`${podScPath}.sysctls[${i}] sets ${shown(name)}, which is not a safe sysctl`);
            }
        });

        // Volume types (restricted): the volumes above, with no allowed source; hostPath is reported above
        for (const v of volumes) {
            const types = Object.keys(v.volume).filter((k) => k !== "name" && k !== "hostPath" && isSet(v.volume[k]));
            for (const type of types) {
                report(`${volumeLabel(v)} uses ${type}; only ${RESTRICTED_VOLUMES.join(", ")} volumes are allowed`);
            }
        }

        // Privilege escalation
        if (!windows) {
            for (const c of containers) {
                const value = scOf(c)?.allowPrivilegeEscalation;
                if (isSet(value) ? value !== false : !patch) {
                    report(`${c.label}: securityContext.allowPrivilegeEscalation is ${isSet(value) ? shown(value) : "not set (so true)"}; it must be false`);
                }
            }
        }

        // Running as non-root, and as a non-root user: not required of a pod in its own user namespace
        if (!userNamespace) {
            combined({
                field: "runAsNonRoot",
                problem: (value) => (value === true ? undefined : ` is ${shown(value)}; it must be true`),
                missing: (unset) => `runAsNonRoot is set neither in ${podScPath} nor on ${unset}; set runAsNonRoot: true for the pod or on each of them`,
            });
            combined({
                field: "runAsUser",
                problem: (value) => (value === 0 || value === "0" ? " is 0 (root); it must be a non-zero user ID" : undefined),
            });
        }
    },
});
