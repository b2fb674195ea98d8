/**
 * What the Pod Security cases vary: the values each field takes, as the dimensions of every
 * container slot and of the pod, and the subsets the pairwise arrays use.
 */
import { KubeObject } from "../../../policies/lib/kube";
import { APPARMOR_KEY, containerOf, containerSc, Dimension, Draft, IMAGE, podSc, Slot, SLOTS, Value } from "./cases";

/** Sets a field of an object, or removes it for undefined. */
function put(o: KubeObject, key: string, value: unknown): void {
    if (value === undefined) {
        delete o[key];
    } else {
        o[key] = value;
    }
}

/**
 * Values that set one field to each of `options` (undefined removes it). Drafts share the option
 * objects, which nothing changes; the cases get copies.
 */
function fieldValues(target: (d: Draft) => KubeObject, key: string, options: readonly [string, unknown][]): Value[] {
    return options.map(([slug, value]) => ({ slug, apply: (d) => put(target(d), key, value) }));
}

const SECCOMP: readonly [string, unknown][] = [
    ["rd", { type: "RuntimeDefault" }],
    ["lh", { type: "Localhost", localhostProfile: "profiles/psa.json" }],
    ["unconfined", { type: "Unconfined" }],
    ["unset", undefined],
];
const APPARMOR: readonly [string, unknown][] = [
    ["unset", undefined],
    ["rd", { type: "RuntimeDefault" }],
    ["lh", { type: "Localhost", localhostProfile: "k8s-psa" }],
    ["unconfined", { type: "Unconfined" }],
];
const SELINUX: readonly [string, unknown][] = [
    ["unset", undefined],
    ["container-t", { type: "container_t" }],
    ["init-t", { type: "container_init_t" }],
    ["kvm-t", { type: "container_kvm_t" }],
    ["engine-t", { type: "container_engine_t" }],
    ["spc-t", { type: "spc_t" }],
    ["user", { user: "system_u" }],
    ["role", { role: "system_r" }],
    ["level", { level: "s0:c1,c2" }],
    ["type-empty", { type: "", level: "s0" }],
    ["all", { type: "container_t", user: "system_u", role: "system_r", level: "s0" }],
];
const CAPABILITIES: readonly [string, unknown][] = [
    ["drop-all", { drop: ["ALL"] }],
    ["add-nbs", { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }],
    ["add-chown", { drop: ["ALL"], add: ["CHOWN"] }],
    ["add-kill-setuid", { drop: ["ALL"], add: ["KILL", "SETUID"] }],
    ["add-sys-admin", { drop: ["ALL"], add: ["SYS_ADMIN"] }],
    ["add-net-raw", { drop: ["ALL"], add: ["NET_RAW"] }],
    ["add-nbs-lower", { drop: ["ALL"], add: ["net_bind_service"] }],
    ["add-cap-nbs", { drop: ["ALL"], add: ["CAP_NET_BIND_SERVICE"] }],
    ["drop-all-lower", { drop: ["all"] }],
    ["drop-net-raw", { drop: ["NET_RAW"] }],
    ["drop-all-net-raw", { drop: ["NET_RAW", "ALL"] }],
    ["add-only", { add: ["NET_BIND_SERVICE"] }],
    ["empty", {}],
    ["unset", undefined],
];

/** Every sysctl the restricted profile has known as safe (with the minor that added it), and unsafe ones. */
const SYSCTLS: readonly [string, string][] = [
    ["kernel.shm_rmid_forced", "0"],
    ["net.ipv4.ip_local_port_range", "1024 65000"],
    ["net.ipv4.tcp_syncookies", "1"],
    ["net.ipv4.ping_group_range", "0 2147483647"],
    ["net.ipv4.ip_unprivileged_port_start", "1024"],
    ["net.ipv4.ip_local_reserved_ports", "30000-32767"], // 1.27
    ["net.ipv4.tcp_keepalive_time", "600"], // 1.29
    ["net.ipv4.tcp_fin_timeout", "30"], // 1.29
    ["net.ipv4.tcp_keepalive_intvl", "60"], // 1.29
    ["net.ipv4.tcp_keepalive_probes", "5"], // 1.29
    ["net.ipv4.tcp_rmem", "4096 87380 6291456"], // 1.32
    ["net.ipv4.tcp_wmem", "4096 16384 4194304"], // 1.32
    ["net.ipv4.tcp_slow_start_after_idle", "0"], // 1.37
    ["net.ipv4.tcp_notsent_lowat", "16384"], // 1.37
    ["kernel.msgmax", "65536"],
    ["kernel.sem", "250 32000 100 128"],
    ["net.core.somaxconn", "1024"],
    ["net.ipv4.ip_forward", "1"],
    ["vm.swappiness", "10"],
    ["kernel.shm_rmid_forced.x", "1"],
];

function sysctlsValue(slug: string, names: readonly string[]): Value {
    const sysctls = names.map((name) => ({ name, value: SYSCTLS.find(([n]) => n === name)?.[1] ?? "1" }));
    return { slug, sysctls: names, apply: (d) => (podSc(d).sysctls = sysctls) };
}


const VOLUMES: readonly [string, KubeObject][] = [
    ["host-path", { hostPath: { path: "/var/run/docker.sock" } }],
    ["host-path-dir", { hostPath: { path: "/data", type: "Directory" } }],
    ["nfs", { nfs: { server: "nfs.example.org", path: "/home" } }],
    ["git-repo", { gitRepo: { repository: "https://example.org/repo.git" } }],
    ["iscsi", { iscsi: { targetPortal: "192.0.2.10:3260", iqn: "iqn.2001-04.org.example:psa", lun: 0 } }],
    ["cephfs", { cephfs: { monitors: ["192.0.2.11:6789"] } }],
    ["flex", { flexVolume: { driver: "example.org/psa" } }],
    ["fc", { fc: { wwids: ["3600508b400105e210000900000490000"] } }],
    ["image", { image: { reference: IMAGE, pullPolicy: "IfNotPresent" } }],
    ["pvc", { persistentVolumeClaim: { claimName: "data" } }],
    ["csi", { csi: { driver: "csi.example.org" } }],
    ["ephemeral", { ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } } }],
    ["projected", { projected: { sources: [{ configMap: { name: "settings" } }, { serviceAccountToken: { path: "token" } }] } }],
    ["downward-api", { downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } }],
    ["secret", { secret: { secretName: "creds" } }],
    ["no-source", {}],
];

/** Ports: distinct per slot so no two containers claim the same host port. */
const PORT: Record<Slot, number> = { app: 8080, side: 8081, init: 8082 };

function probeValues(slot: Slot): Value[] {
    const set = (f: (c: KubeObject) => void) => (d: Draft) => {
        const c = containerOf(d, slot);
        if (slot === "init") {
            c.restartPolicy = "Always"; // only a sidecar init container may have probes and hooks
        }
        f(c);
    };
    return [
        { slug: "none", apply: () => undefined },
        { slug: "liveness-host", apply: set((c) => (c.livenessProbe = { httpGet: { host: "192.0.2.1", port: 80 } })) },
        { slug: "readiness-tcp-host", apply: set((c) => (c.readinessProbe = { tcpSocket: { host: "node.example.org", port: 80 } })) },
        { slug: "startup-host-empty", apply: set((c) => (c.startupProbe = { httpGet: { host: "", path: "/healthz", port: 80 } })) },
        { slug: "liveness-no-host", apply: set((c) => (c.livenessProbe = { tcpSocket: { port: 80 } })) },
        { slug: "poststart-host", apply: set((c) => (c.lifecycle = { postStart: { httpGet: { host: "192.0.2.2", port: 80 } } })) },
        { slug: "prestop-tcp-host", apply: set((c) => (c.lifecycle = { preStop: { tcpSocket: { host: "localhost", port: 22 } } })) },
        { slug: "prestop-no-host", apply: set((c) => (c.lifecycle = { preStop: { httpGet: { path: "/stop", port: 80 } } })) },
    ];
}

function containerDimensions(slot: Slot): Dimension[] {
    const sc = (d: Draft) => containerSc(d, slot);
    const port = PORT[slot];
    return [
        { slug: `${slot}-ranr`, values: fieldValues(sc, "runAsNonRoot", [["unset", undefined], ["true", true], ["false", false]]) },
        { slug: `${slot}-uid`, values: fieldValues(sc, "runAsUser", [["unset", undefined], ["1000", 1000], ["0", 0]]) },
        { slug: `${slot}-priv`, values: fieldValues(sc, "privileged", [["unset", undefined], ["false", false], ["true", true]]) },
        { slug: `${slot}-ape`, values: fieldValues(sc, "allowPrivilegeEscalation", [["false", false], ["true", true], ["unset", undefined]]) },
        { slug: `${slot}-caps`, values: fieldValues(sc, "capabilities", CAPABILITIES) },
        { slug: `${slot}-seccomp`, values: fieldValues(sc, "seccompProfile", [SECCOMP[3], SECCOMP[0], SECCOMP[1], SECCOMP[2]]) },
        { slug: `${slot}-selinux`, values: fieldValues(sc, "seLinuxOptions", SELINUX) },
        { slug: `${slot}-apparmor`, values: fieldValues(sc, "appArmorProfile", APPARMOR) },
        { slug: `${slot}-procmount`, values: fieldValues(sc, "procMount", [["unset", undefined], ["default", "Default"], ["unmasked", "Unmasked"]]) },
        { slug: `${slot}-hostprocess`, values: fieldValues(sc, "windowsOptions", [["unset", undefined], ["false", { hostProcess: false }], ["true", { hostProcess: true }]]) },
        {
            slug: `${slot}-port`,
            values: [
                { slug: "none", apply: () => undefined },
                { slug: "container-only", apply: (d) => (containerOf(d, slot).ports = [{ containerPort: port }]) },
                { slug: "host-0", apply: (d) => (containerOf(d, slot).ports = [{ containerPort: port, hostPort: 0 }]) },
                { slug: "host", apply: (d) => (containerOf(d, slot).ports = [{ containerPort: port, hostPort: port }]) },
                { slug: "host-udp", apply: (d) => (containerOf(d, slot).ports = [{ containerPort: port + 100, protocol: "TCP" }, { containerPort: port, hostPort: port, protocol: "UDP" }]) },
            ],
        },
        { slug: `${slot}-probe`, values: probeValues(slot) },
    ];
}

function podDimensions(): Dimension[] {
    const spec = (d: Draft) => d.spec;
    return [
        { slug: "pod-ranr", values: fieldValues(podSc, "runAsNonRoot", [["true", true], ["false", false], ["unset", undefined]]) },
        { slug: "pod-uid", values: fieldValues(podSc, "runAsUser", [["1000", 1000], ["0", 0], ["unset", undefined], ["65534", 65534]]) },
        { slug: "pod-seccomp", values: fieldValues(podSc, "seccompProfile", SECCOMP) },
        { slug: "pod-selinux", values: fieldValues(podSc, "seLinuxOptions", SELINUX) },
        { slug: "pod-apparmor", values: fieldValues(podSc, "appArmorProfile", APPARMOR) },
        { slug: "pod-hostprocess", values: fieldValues(podSc, "windowsOptions", [["unset", undefined], ["false", { hostProcess: false }], ["true", { hostProcess: true }]]) },
        { slug: "host-network", values: fieldValues(spec, "hostNetwork", [["unset", undefined], ["false", false], ["true", true]]) },
        { slug: "host-pid", values: fieldValues(spec, "hostPID", [["unset", undefined], ["false", false], ["true", true]]) },
        { slug: "host-ipc", values: fieldValues(spec, "hostIPC", [["unset", undefined], ["false", false], ["true", true]]) },
        { slug: "host-users", values: fieldValues(spec, "hostUsers", [["unset", undefined], ["true", true], ["false", false]]) },
        {
            slug: "sysctls",
            values: [
                { slug: "none", apply: () => undefined },
                { slug: "empty", apply: (d) => (podSc(d).sysctls = []) },
                ...SYSCTLS.map(([name]) => sysctlsValue(name.replace(/[._]/g, "-"), [name])),
                sysctlsValue("safe-and-unsafe", ["net.ipv4.tcp_syncookies", "kernel.msgmax"]),
                sysctlsValue("old-and-new", ["kernel.shm_rmid_forced", "net.ipv4.tcp_rmem", "net.ipv4.tcp_notsent_lowat"]),
            ],
        },
        {
            slug: "volume",
            values: [
                { slug: "none", apply: () => undefined },
                ...VOLUMES.map(([slug, source]): Value => ({ slug, apply: (d) => d.spec.volumes.push({ name: "extra", ...source }) })),
            ],
        },
        {
            slug: "aa-annotation",
            values: [
                { slug: "none", apply: () => undefined },
                ...([["app", "runtime/default"], ["app", "localhost/k8s-psa"], ["app", "unconfined"], ["app", ""], ["init", "unconfined"], ["side", "localhost/other"]] as const)
                    .map(([c, v]): Value => ({
                        slug: `${c}-${v.replace(/[^a-z0-9]+/g, "-") || "empty"}`.replace(/-$/, ""),
                        annotates: c,
                        annotation: v,
                        apply: (d) => (d.metadata.annotations[APPARMOR_KEY + c] = v),
                    })),
            ],
        },
        { slug: "os", values: fieldValues(spec, "os", [["unset", undefined], ["linux", { name: "linux" }]]) },
        { slug: "init-sidecar", values: [{ slug: "no", apply: () => undefined }, { slug: "yes", apply: (d) => (d.spec.initContainers[0].restartPolicy = "Always") }] },
    ];
}

export const DIMENSIONS: readonly Dimension[] = [...podDimensions(), ...SLOTS.flatMap(containerDimensions)];

/** The values of the largest dimensions the full pairwise array takes (the mutations take them all). */
export const COMPACT: Record<string, readonly string[]> = {
    sysctls: ["empty", "kernel-shm-rmid-forced", "net-ipv4-ip-local-reserved-ports", "net-ipv4-tcp-keepalive-time", "net-ipv4-tcp-rmem", "net-ipv4-tcp-notsent-lowat", "kernel-msgmax", "safe-and-unsafe"],
    volume: ["host-path", "nfs", "image", "pvc", "projected", "ephemeral", "no-source"],
};

/** The settings a container may set and otherwise inherits from the pod. */
const INHERITED = ["ranr", "uid", "seccomp", "selinux", "apparmor"];
export const isInherited = (dim: Dimension) => INHERITED.some((s) => dim.slug.endsWith(`-${s}`)) || dim.slug === "host-users";
