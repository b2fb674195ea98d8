/**
 * The Pod Security differential cases (tools/e2e/psa/): the generator's shape and coverage,
 * and a fixed table of tricky pods with the verdicts of the real admission library
 * (k8s.io/pod-security-admission v0.36.3 for 1.35/1.36 and older, v0.37.2 for 1.37 and newer:
 * policy.NewEvaluator(policy.DefaultChecks()).EvaluatePod at restricted:v1.<minor>), so the pack's
 * behaviour is pinned even without an API server.
 */
import { KubeObject, kubeType, podSpecOf } from "../policies/lib/kube";
import { safeSysctls } from "../policies/pod-security-restricted";
import { apiValid, EPHEMERAL_IMAGE, EPHEMERAL_NAME, EphemeralCase, ephemeralCases, judgeWithPack, PsaCase, psaCases } from "../tools/e2e/psa/index";

const MINORS = [35, 36, 37];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const cases = new Map<number, PsaCase[]>(typeof jest === "undefined" ? [] : MINORS.map((m) => [m, psaCases(m)]));
const all = cases.get(36) ?? [];

type Pod = PsaCase["pod"];
type Probe = readonly [label: string, values: (pod: Pod) => unknown[], good: (value: unknown) => boolean];

const sc = (o: KubeObject | undefined): KubeObject => o?.securityContext ?? {};
const containersIn = (field: string) => (pod: Pod): KubeObject[] => ((pod.spec[field] as KubeObject[] | undefined) ?? []);

/** Fields the restricted and baseline profiles look at: every one must appear compliant and not. */
function probes(): Probe[] {
    const pod: Probe[] = [
        ["pod runAsNonRoot", (p) => [sc(p.spec).runAsNonRoot], (v) => v === true],
        ["pod runAsUser", (p) => [sc(p.spec).runAsUser], (v) => v !== 0],
        ["pod seccompProfile", (p) => [sc(p.spec).seccompProfile?.type], (v) => v === "RuntimeDefault" || v === "Localhost"],
        ["pod seLinuxOptions", (p) => [sc(p.spec).seLinuxOptions], (v) => !v || (["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", undefined].includes((v as KubeObject).type) && !(v as KubeObject).user && !(v as KubeObject).role)],
        ["pod appArmorProfile", (p) => [sc(p.spec).appArmorProfile?.type], (v) => v !== "Unconfined"],
        ["pod windowsOptions.hostProcess", (p) => [sc(p.spec).windowsOptions?.hostProcess], (v) => v !== true],
        ["hostNetwork", (p) => [p.spec.hostNetwork], (v) => v !== true],
        ["hostPID", (p) => [p.spec.hostPID], (v) => v !== true],
        ["hostIPC", (p) => [p.spec.hostIPC], (v) => v !== true],
        ["sysctls", (p) => (sc(p.spec).sysctls ?? []).map((s: KubeObject) => s.name), (v) => safeSysctls(37).has(v as string)],
        ["volumes", (p) => ((p.spec.volumes as KubeObject[] | undefined) ?? []).map((v) => Object.keys(v).find((k) => k !== "name") ?? "none"), (v) => ["configMap", "emptyDir", "secret", "persistentVolumeClaim", "projected", "downwardAPI", "csi", "ephemeral", "image", "none"].includes(v as string)],
        ["AppArmor annotation", (p) => Object.entries((p.metadata.annotations as Record<string, string> | undefined) ?? {}).filter(([k]) => k.startsWith("container.apparmor")).map(([, v]) => v), (v) => v === "" || v === "runtime/default" || String(v).startsWith("localhost/")],
    ];
    const perContainer = (field: string): Probe[] => {
        const each = (f: (c: KubeObject) => unknown) => (p: Pod) => containersIn(field)(p).map(f);
        return [
            [`${field} runAsNonRoot`, each((c) => sc(c).runAsNonRoot), (v) => v !== false],
            [`${field} runAsUser`, each((c) => sc(c).runAsUser), (v) => v !== 0],
            [`${field} privileged`, each((c) => sc(c).privileged), (v) => v !== true],
            [`${field} allowPrivilegeEscalation`, each((c) => sc(c).allowPrivilegeEscalation), (v) => v === false],
            [`${field} capabilities.add`, (p) => containersIn(field)(p).flatMap((c) => sc(c).capabilities?.add ?? []), (v) => v === "NET_BIND_SERVICE"],
            [`${field} capabilities.drop`, each((c) => (sc(c).capabilities?.drop ?? []).includes("ALL")), (v) => v === true],
            [`${field} seccompProfile`, each((c) => sc(c).seccompProfile?.type), (v) => v !== "Unconfined"],
            [`${field} seLinuxOptions`, each((c) => sc(c).seLinuxOptions?.type ?? sc(c).seLinuxOptions?.user), (v) => v === undefined || String(v).startsWith("container_")],
            [`${field} appArmorProfile`, each((c) => sc(c).appArmorProfile?.type), (v) => v !== "Unconfined"],
            [`${field} procMount`, each((c) => sc(c).procMount), (v) => v === undefined || v === "Default"],
            [`${field} windowsOptions.hostProcess`, each((c) => sc(c).windowsOptions?.hostProcess), (v) => v !== true],
            [`${field} hostPort`, (p) => containersIn(field)(p).flatMap((c) => (c.ports ?? []).map((x: KubeObject) => x.hostPort ?? 0)), (v) => v === 0],
            [`${field} probe host`, each((c) => [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop].some((h) => h?.httpGet?.host || h?.tcpSocket?.host)), (v) => v === false],
        ];
    };
    return [...pod, ...perContainer("containers"), ...perContainer("initContainers")];
}

describe("psaCases", () => {
    it.each(MINORS)("gives at least 2 000 cases for 1.%i, each named uniquely with a DNS-1123 label", (minor) => {
        const list = cases.get(minor)!;
        expect(list.length).toBeGreaterThanOrEqual(2000);
        const names = list.map((c) => c.name);
        expect(new Set(names).size).toBe(names.length);
        for (const name of names) {
            expect(name).toMatch(DNS_LABEL);
            expect(name.length).toBeLessThanOrEqual(52);
        }
    });

    it("is deterministic", () => {
        expect(JSON.stringify(psaCases(36))).toBe(JSON.stringify(all));
    });

    it("refuses minors it does not cover", () => {
        expect(() => psaCases(24)).toThrow(/not covered/);
    });

    it("gives full manifests without a namespace, and the Pod each describes", () => {
        for (const c of all) {
            expect(c.object.metadata.name).toBe(c.name);
            expect(c.object.metadata.namespace).toBeUndefined();
            expect(typeof c.object.apiVersion).toBe("string");
            const at = podSpecOf(kubeType(`kubernetes:${c.object.apiVersion.includes("/") ? c.object.apiVersion : `core/${c.object.apiVersion}`}:${c.object.kind}`)!, c.object)!;
            expect(c.pod.metadata.name).toBe(c.name);
            expect(c.pod.metadata.namespace).toBeUndefined();
            expect(c.pod.spec).toEqual(at.spec);
            expect(c.pod.metadata.annotations).toEqual(at.metadata.annotations);
            expect(c.pod.spec).not.toBe(at.spec); // a copy: changing one does not change the other
        }
    });

    it("wraps a share of the pod specs in Deployments, Jobs and CronJobs, and has every family", () => {
        const kinds = new Map<string, number>();
        for (const c of all) {
            kinds.set(c.object.kind, (kinds.get(c.object.kind) ?? 0) + 1);
        }
        expect([...kinds.keys()].sort()).toEqual(["CronJob", "Deployment", "Job", "Pod"]);
        for (const kind of ["Deployment", "Job", "CronJob"]) {
            expect(kinds.get(kind)).toBeGreaterThan(100);
        }
        const families = new Set(all.map((c) => c.name.split("-")[0]));
        expect([...families].sort()).toEqual(["cj", "dep", "job", "mut", "mx", "pw", "pwp", "two", "win"]);
    });

    it("submits no ephemeral containers (a Pod create may not set them) and only pods the API server accepts", () => {
        for (const c of all) {
            expect(c.pod.spec.ephemeralContainers).toBeUndefined();
            expect(apiValid(c.pod.spec, c.pod.metadata)).toBe(true);
        }
    });

    it.each(probes())("varies %s, compliant and not", (_label, values, good) => {
        const seen = all.flatMap((c) => values(c.pod));
        expect(seen.some((v) => good(v))).toBe(true);
        expect(seen.some((v) => !good(v))).toBe(true);
    });

    it.each(MINORS)("has allowed and forbidden cases at 1.%i, and a workload is judged as its pod", (minor) => {
        const verdicts = cases.get(minor)!.map((c) => ({ c, v: judgeWithPack(c.object, minor) }));
        const allowed = verdicts.filter((x) => x.v.allowed).length;
        expect(allowed).toBeGreaterThan(300);
        expect(verdicts.length - allowed).toBeGreaterThan(300);
        for (const { c, v } of verdicts) {
            expect(v.allowed).toBe(v.reasons.length === 0);
            if (c.object.kind !== "Pod") {
                expect(judgeWithPack({ apiVersion: "v1", kind: "Pod", ...c.pod }, minor).allowed).toBe(v.allowed);
            }
        }
    });

    it("has cases whose verdict changes between 1.36 and 1.37 (the sysctls 1.37 made safe)", () => {
        const changed = all.filter((c) => judgeWithPack(c.object, 36).allowed !== judgeWithPack(c.object, 37).allowed);
        expect(changed.length).toBeGreaterThan(0);
        for (const c of changed) {
            expect(JSON.stringify(c.pod.spec)).toMatch(/tcp_slow_start_after_idle|tcp_notsent_lowat/);
        }
    });
});

// ---------------------------------------------------------------------------------------------
// The fixed table: pods (and a few workloads) with the admission library's verdict.

const IMAGE = "registry.lsst.org/psa/app:1.0";
const restrictedContainer = (name: string): KubeObject => ({ name, image: IMAGE, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } });

/** A restricted Pod (pod-level non-root and RuntimeDefault, a container and an init container), changed by `change`. */
function pod(change: (spec: KubeObject, metadata: KubeObject) => void = () => undefined): KubeObject {
    const metadata: KubeObject = { name: "table" };
    const spec: KubeObject = {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containers: [restrictedContainer("app")],
        initContainers: [restrictedContainer("init")],
    };
    change(spec, metadata);
    return { apiVersion: "v1", kind: "Pod", metadata, spec };
}

const app = (s: KubeObject) => s.containers[0].securityContext;
const init = (s: KubeObject) => s.initContainers[0].securityContext;
const debug = (securityContext: KubeObject = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } }): KubeObject => ({ name: "debug", image: IMAGE, securityContext });
const windowsPod = (change: (spec: KubeObject, metadata: KubeObject) => void = () => undefined) => pod((s, m) => {
    s.os = { name: "windows" };
    s.securityContext = { runAsNonRoot: true };
    s.containers = [{ name: "app", image: IMAGE }];
    s.initContainers = [];
    change(s, m);
});
const sysctl = (name: string) => pod((s) => (s.securityContext.sysctls = [{ name, value: "1" }]));
const annotated = (value: string) => pod((_s, m) => (m.annotations = { "container.apparmor.security.beta.kubernetes.io/app": value }));
const volume = (v: KubeObject) => pod((s) => (s.volumes = [{ name: "v", ...v }]));

/**
 * [name, minor, object, the library's verdict: "allowed" or its forbidden reasons]. Built by hand,
 * judged by tools outside the repo (see the report of the differential issue): the Go program reads
 * these objects' pod specs and prints EvaluatePod's results.
 */
export const TABLE: [string, number, KubeObject, "allowed" | string[]][] = [
    ["restricted pod", 36, pod(), "allowed"],
    ["pod runAsNonRoot false, every container true", 36, pod((s) => { s.securityContext.runAsNonRoot = false; app(s).runAsNonRoot = true; init(s).runAsNonRoot = true; }), ["runAsNonRoot != true"]],
    ["pod runAsNonRoot unset, every container true", 36, pod((s) => { delete s.securityContext.runAsNonRoot; app(s).runAsNonRoot = true; init(s).runAsNonRoot = true; }), "allowed"],
    ["pod runAsNonRoot unset, init container unset", 36, pod((s) => { delete s.securityContext.runAsNonRoot; app(s).runAsNonRoot = true; }), ["runAsNonRoot != true"]],
    ["pod runAsNonRoot true, init container false", 36, pod((s) => (init(s).runAsNonRoot = false)), ["runAsNonRoot != true"]],
    ["pod runAsUser 0, every container non-zero", 36, pod((s) => { s.securityContext.runAsUser = 0; app(s).runAsUser = 1000; init(s).runAsUser = 1001; }), ["runAsUser=0"]],
    ["init container runAsUser 0", 36, pod((s) => (init(s).runAsUser = 0)), ["runAsUser=0"]],
    ["pod runAsUser 0 in a user namespace (1.35)", 35, pod((s) => { s.hostUsers = false; s.securityContext.runAsUser = 0; s.securityContext.runAsNonRoot = false; }), "allowed"],
    ["pod runAsUser 0 in a user namespace (1.34)", 34, pod((s) => { s.hostUsers = false; s.securityContext.runAsUser = 0; s.securityContext.runAsNonRoot = false; }), ["runAsNonRoot != true", "runAsUser=0"]],
    ["hostUsers true does not relax runAsNonRoot", 36, pod((s) => { s.hostUsers = true; app(s).runAsNonRoot = false; }), ["runAsNonRoot != true"]],
    ["user namespace, container runAsUser 0, runAsNonRoot unset", 37, pod((s) => { s.hostUsers = false; delete s.securityContext.runAsNonRoot; app(s).runAsUser = 0; }), "allowed"],
    ["user namespace does not relax procMount Unmasked", 36, pod((s) => { s.hostUsers = false; app(s).procMount = "Unmasked"; }), ["procMount"]],
    ["procMount Default", 36, pod((s) => (init(s).procMount = "Default")), "allowed"],
    ["ephemeral container, restricted", 36, pod((s) => (s.ephemeralContainers = [debug()])), "allowed"],
    ["ephemeral container without allowPrivilegeEscalation", 36, pod((s) => (s.ephemeralContainers = [debug({ capabilities: { drop: ["ALL"] } })])), ["allowPrivilegeEscalation != false"]],
    ["ephemeral container privileged", 36, pod((s) => (s.ephemeralContainers = [debug({ privileged: true, capabilities: { drop: ["ALL"] } })])), ["privileged", "allowPrivilegeEscalation != false"]],
    ["ephemeral container runAsNonRoot false", 36, pod((s) => (s.ephemeralContainers = [debug({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: false })])), ["runAsNonRoot != true"]],
    ["ephemeral container inherits no seccomp", 36, pod((s) => { delete s.securityContext.seccompProfile; app(s).seccompProfile = { type: "RuntimeDefault" }; init(s).seccompProfile = { type: "RuntimeDefault" }; s.ephemeralContainers = [debug()]; }), ["seccompProfile"]],
    ["ephemeral container seccomp Unconfined", 36, pod((s) => (s.ephemeralContainers = [debug({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "Unconfined" } })])), ["seccompProfile"]],
    ["pod seccomp Unconfined, every container RuntimeDefault", 36, pod((s) => { s.securityContext.seccompProfile = { type: "Unconfined" }; app(s).seccompProfile = { type: "RuntimeDefault" }; init(s).seccompProfile = { type: "RuntimeDefault" }; }), ["seccompProfile"]],
    ["pod seccomp unset, every container RuntimeDefault or Localhost", 36, pod((s) => { delete s.securityContext.seccompProfile; app(s).seccompProfile = { type: "RuntimeDefault" }; init(s).seccompProfile = { type: "Localhost", localhostProfile: "p.json" }; }), "allowed"],
    ["pod seccomp unset, init container unset", 36, pod((s) => { delete s.securityContext.seccompProfile; app(s).seccompProfile = { type: "RuntimeDefault" }; }), ["seccompProfile"]],
    ["seccomp Localhost without a profile (the API server refuses it; admission allows)", 36, pod((s) => (s.securityContext.seccompProfile = { type: "Localhost" })), "allowed"],
    ["AppArmor Localhost without a profile", 36, pod((s) => (app(s).appArmorProfile = { type: "Localhost" })), "allowed"],
    ["pod AppArmor Unconfined, every container RuntimeDefault", 36, pod((s) => { s.securityContext.appArmorProfile = { type: "Unconfined" }; app(s).appArmorProfile = { type: "RuntimeDefault" }; init(s).appArmorProfile = { type: "RuntimeDefault" }; }), ["forbidden AppArmor profile"]],
    ["AppArmor annotation unconfined", 36, annotated("unconfined"), ["forbidden AppArmor profile"]],
    ["AppArmor annotation empty", 36, annotated(""), "allowed"],
    ["AppArmor annotation localhost/", 36, annotated("localhost/k8s"), "allowed"],
    ["AppArmor annotation RuntimeDefault (the field's spelling)", 36, annotated("RuntimeDefault"), ["forbidden AppArmor profile"]],
    ["capabilities add net_bind_service (lower case)", 36, pod((s) => (app(s).capabilities.add = ["net_bind_service"])), ["unrestricted capabilities"]],
    ["capabilities add CAP_NET_BIND_SERVICE", 36, pod((s) => (app(s).capabilities.add = ["CAP_NET_BIND_SERVICE"])), ["unrestricted capabilities"]],
    ["capabilities add NET_BIND_SERVICE", 36, pod((s) => (init(s).capabilities.add = ["NET_BIND_SERVICE"])), "allowed"],
    ["capabilities add CHOWN (baseline only)", 36, pod((s) => (app(s).capabilities.add = ["CHOWN"])), ["unrestricted capabilities"]],
    ["capabilities drop all (lower case)", 36, pod((s) => (app(s).capabilities.drop = ["all"])), ["unrestricted capabilities"]],
    ["capabilities drop NET_RAW and ALL", 36, pod((s) => (init(s).capabilities.drop = ["NET_RAW", "ALL"])), "allowed"],
    ["capabilities empty", 36, pod((s) => (app(s).capabilities = {})), ["unrestricted capabilities"]],
    ["Windows pod adding SYS_ADMIN, seccomp Unconfined, no allowPrivilegeEscalation", 36, windowsPod((s) => { s.securityContext.seccompProfile = { type: "Unconfined" }; s.containers[0].securityContext = { capabilities: { add: ["SYS_ADMIN"] } }; }), "allowed"],
    ["Windows pod without runAsNonRoot", 36, windowsPod((s) => delete s.securityContext.runAsNonRoot), ["runAsNonRoot != true"]],
    ["Windows HostProcess pod", 36, windowsPod((s) => { s.hostNetwork = true; s.securityContext.windowsOptions = { hostProcess: true }; }), ["host namespaces", "hostProcess"]],
    ["hostProcess false", 36, pod((s) => (app(s).windowsOptions = { hostProcess: false })), "allowed"],
    ["SELinux container_engine_t (1.30)", 30, pod((s) => (app(s).seLinuxOptions = { type: "container_engine_t" })), ["seLinuxOptions"]],
    ["SELinux container_engine_t (1.31)", 31, pod((s) => (app(s).seLinuxOptions = { type: "container_engine_t" })), "allowed"],
    ["SELinux empty type with a level", 36, pod((s) => (s.securityContext.seLinuxOptions = { type: "", level: "s0:c1,c2" })), "allowed"],
    ["SELinux role on an init container", 36, pod((s) => (init(s).seLinuxOptions = { role: "system_r" })), ["seLinuxOptions"]],
    ["pod SELinux spc_t, every container container_t", 36, pod((s) => { s.securityContext.seLinuxOptions = { type: "spc_t" }; app(s).seLinuxOptions = { type: "container_t" }; init(s).seLinuxOptions = { type: "container_t" }; }), ["seLinuxOptions"]],
    ["sysctl tcp_notsent_lowat (1.36)", 36, sysctl("net.ipv4.tcp_notsent_lowat"), ["forbidden sysctls"]],
    ["sysctl tcp_notsent_lowat (1.37)", 37, sysctl("net.ipv4.tcp_notsent_lowat"), "allowed"],
    ["sysctl tcp_slow_start_after_idle (1.37)", 37, sysctl("net.ipv4.tcp_slow_start_after_idle"), "allowed"],
    ["sysctl tcp_slow_start_after_idle (1.38, newer than the pack knows)", 38, sysctl("net.ipv4.tcp_slow_start_after_idle"), "allowed"],
    ["sysctl tcp_rmem (1.31)", 31, sysctl("net.ipv4.tcp_rmem"), ["forbidden sysctls"]],
    ["sysctl tcp_rmem (1.32)", 32, sysctl("net.ipv4.tcp_rmem"), "allowed"],
    ["sysctl ip_local_reserved_ports (1.26)", 26, sysctl("net.ipv4.ip_local_reserved_ports"), ["forbidden sysctls"]],
    ["sysctl kernel.msgmax", 37, sysctl("kernel.msgmax"), ["forbidden sysctls"]],
    ["image volume", 36, volume({ image: { reference: IMAGE } }), "allowed"],
    ["volume with no source (the API server makes it an emptyDir)", 36, volume({}), "allowed"],
    ["volume with configMap and hostPath (the API server refuses it; admission allows)", 36, volume({ configMap: { name: "c" }, hostPath: { path: "/" } }), "allowed"],
    ["nfs volume", 36, volume({ nfs: { server: "nfs", path: "/home" } }), ["restricted volume types"]],
    ["probe host (1.33)", 33, pod((s) => (s.containers[0].livenessProbe = { httpGet: { host: "10.0.0.1", port: 80 } })), "allowed"],
    ["probe host (1.34)", 34, pod((s) => (s.containers[0].livenessProbe = { httpGet: { host: "10.0.0.1", port: 80 } })), ["probe or lifecycle host"]],
    ["lifecycle tcpSocket host on a sidecar", 36, pod((s) => { s.initContainers[0].restartPolicy = "Always"; s.initContainers[0].lifecycle = { preStop: { tcpSocket: { host: "node", port: 22 } } }; }), ["probe or lifecycle host"]],
    ["probe host empty", 36, pod((s) => (s.containers[0].startupProbe = { httpGet: { host: "", port: 80 } })), "allowed"],
    ["hostPort 0", 36, pod((s) => (s.containers[0].ports = [{ containerPort: 80, hostPort: 0 }])), "allowed"],
    ["hostPort on an init container", 36, pod((s) => (s.initContainers[0].ports = [{ containerPort: 80, hostPort: 8080 }])), ["hostPort"]],
    ["hostNetwork false, hostPID true", 36, pod((s) => { s.hostNetwork = false; s.hostPID = true; }), ["host namespaces"]],
    ["privileged false", 36, pod((s) => (init(s).privileged = false)), "allowed"],
    ["a Deployment of a pod whose init container runs as root", 37, {
        apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" },
        spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: pod((s) => (init(s).runAsUser = 0)).spec } },
    }, ["runAsUser=0"]],
    ["a CronJob of a restricted pod with a 1.37 sysctl", 37, {
        apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c" },
        spec: { schedule: "@daily", jobTemplate: { spec: { template: { spec: { ...sysctl("net.ipv4.tcp_notsent_lowat").spec, restartPolicy: "Never" } } } } },
    }, "allowed"],
];

/** Which of the pack's messages stand for each of the library's forbidden reasons. */
const REASON: Record<string, RegExp> = {
    "runAsNonRoot != true": /runAsNonRoot/,
    "runAsUser=0": /runAsUser is 0/,
    procMount: /procMount/,
    "allowPrivilegeEscalation != false": /allowPrivilegeEscalation/,
    privileged: /privileged is true/,
    seccompProfile: /seccompProfile/,
    "forbidden AppArmor profile": /AppArmor|appArmorProfile/,
    "forbidden AppArmor profiles": /AppArmor|appArmorProfile/,
    "unrestricted capabilities": /capabilities/,
    "host namespaces": /sharing the host's/,
    hostProcess: /HostProcess/,
    seLinuxOptions: /seLinuxOptions/,
    "forbidden sysctls": /not a safe sysctl/,
    "restricted volume types": /volumes\[\d+\]/,
    "probe or lifecycle host": /may not name a host/,
    hostPort: /hostPort/,
};

describe("the pack agrees with k8s.io/pod-security-admission on a fixed table", () => {
    it("has unique names", () => {
        expect(new Set(TABLE.map(([name]) => name)).size).toBe(TABLE.length);
    });

    it.each(TABLE)("%s [1.%i]", (_name, minor, object, library) => {
        const verdict = judgeWithPack(object, minor);
        expect(verdict.allowed).toBe(library === "allowed");
        if (library !== "allowed") {
            // Every reason of the library's has a message of the pack's, and every message a reason
            const patterns = library.map((reason) => REASON[reason]);
            expect(patterns.every((re) => verdict.reasons.some((m) => re.test(m)))).toBe(true);
            expect(verdict.reasons.filter((m) => !patterns.some((re) => re.test(m)))).toEqual([]);
        }
    });
});

// ---------------------------------------------------------------------------------------------
// The ephemeral containers, added to a base Pod through pods/ephemeralcontainers.

describe("ephemeralCases", () => {
    const eph = typeof jest === "undefined" ? [] : ephemeralCases(36);
    const withContainer = (c: EphemeralCase): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: c.base.metadata, spec: { ...c.base.spec, ephemeralContainers: [c.container] } });
    // The container probes of psaCases, read from the ephemeral container; hostProcess has its own test
    const fields = probes().filter(([label]) => label.startsWith("containers ") && !/hostPort|probe host|hostProcess/.test(label))
        .map(([label, values, good]): Probe => [label.slice("containers ".length), (p) => values({ ...p, spec: { containers: p.spec.ephemeralContainers } }), good]);

    it("gives at least 300 cases, named uniquely, the same on every call", () => {
        expect(eph.length).toBeGreaterThanOrEqual(300);
        expect(new Set(eph.map((c) => c.name)).size).toBe(eph.length);
        expect(JSON.stringify(ephemeralCases(36))).toBe(JSON.stringify(eph));
        expect(JSON.stringify(ephemeralCases(37))).toBe(JSON.stringify(eph));
        expect(() => ephemeralCases(24)).toThrow(/not covered/);
    });

    it("adds one container that sets nothing the API server forbids on an ephemeral container, to a valid pod", () => {
        for (const c of eph) {
            expect(Object.keys(c.container).sort()).toEqual(["image", "name", "securityContext"]);
            expect(c.container).toMatchObject({ name: EPHEMERAL_NAME, image: EPHEMERAL_IMAGE });
            expect(c.base.spec.ephemeralContainers).toBeUndefined();
            // The API server validates an ephemeral container as any other
            expect(apiValid({ ...c.base.spec, containers: [...c.base.spec.containers, c.container] })).toBe(true);
        }
    });

    it.each(MINORS)("adds them to a few base pods, each of which restricted admits at 1.%i", (minor) => {
        const bases = new Map(eph.map((c) => [c.base.metadata.name, c.base]));
        expect([...bases.keys()].sort()).toEqual(["psa-base", "psa-base-own", "psa-base-own-userns", "psa-base-userns"]);
        for (const base of bases.values()) {
            expect(judgeWithPack({ apiVersion: "v1", kind: "Pod", ...base }, minor)).toEqual({ allowed: true, reasons: [] });
        }
        for (const c of eph) {
            expect(c.base).toEqual(bases.get(c.base.metadata.name));
        }
    });

    it.each(fields)("varies %s, compliant and not", (_label, values, good) => {
        const seen = eph.flatMap((c) => values(withContainer(c) as Pod));
        expect(seen.some((v) => good(v))).toBe(true);
        expect(seen.some((v) => !good(v))).toBe(true);
    });

    it("varies windowsOptions.hostProcess only as far as the API server accepts (true needs a HostProcess pod)", () => {
        expect(new Set(eph.map((c) => c.container.securityContext.windowsOptions?.hostProcess))).toEqual(new Set([undefined, false]));
        const base = eph[0].base.spec;
        expect(apiValid({ ...base, containers: [...base.containers, { ...eph[0].container, securityContext: { windowsOptions: { hostProcess: true } } }] })).toBe(false);
    });

    it.each(MINORS)("has containers the pack allows and ones it forbids at 1.%i", (minor) => {
        const allowed = eph.filter((c) => judgeWithPack(withContainer(c), minor).allowed).length;
        expect(allowed).toBeGreaterThan(100);
        expect(eph.length - allowed).toBeGreaterThan(300);
    });
});
