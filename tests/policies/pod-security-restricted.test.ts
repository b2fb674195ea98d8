import { DEFAULT_KUBERNETES_MINOR, podSecurityRestricted } from "../../policies/pod-security-restricted";
import { KubeObject } from "../../policies/lib/kube";
import { messages } from "./helpers";
import { P, podSpec, deployment, check, checkAt, app } from "./pod-security-fixtures";

describe("pod-security-restricted", () => {
    it("is mandatory and describes itself in a sentence", () => {
        expect(podSecurityRestricted.enforcementLevel).toBe("mandatory");
        expect(podSecurityRestricted.description).toMatch(/^[A-Z].*\.$/);
    });

    it("takes the stack's Kubernetes minor from its config", () => {
        expect(podSecurityRestricted.configSchema?.properties?.kubernetesMinor).toEqual({ type: "integer", minimum: 25, default: DEFAULT_KUBERNETES_MINOR });
    });

    it("passes a restricted pod spec", async () => {
        expect(await check(() => undefined)).toEqual([]);
    });

    describe("baseline controls", () => {
        it("reports HostProcess on the pod and on a container", async () => {
            expect(await check((s) => (s.securityContext.windowsOptions = { hostProcess: true })))
                .toEqual([`${P}.securityContext.windowsOptions.hostProcess is true; Windows HostProcess pods are not allowed`]);
            expect(await check((s) => (app(s).securityContext.windowsOptions = { hostProcess: true })))
                .toEqual(["containers[0] (app): securityContext.windowsOptions.hostProcess is true; Windows HostProcess containers are not allowed"]);
            expect(await check((s) => (app(s).securityContext.windowsOptions = { hostProcess: false }))).toEqual([]);
        });

        it.each([
            ["hostNetwork", "network"],
            ["hostPID", "process ID"],
            ["hostIPC", "IPC"],
        ])("reports %s", async (field, namespace) => {
            expect(await check((s) => (s[field] = true))).toEqual([`${P}.${field} is true; sharing the host's ${namespace} namespace is not allowed`]);
            expect(await check((s) => (s[field] = false))).toEqual([]);
        });

        it("reports a privileged container", async () => {
            expect(await check((s) => (s.initContainers[0].securityContext.privileged = true)))
                .toEqual(["initContainers[0] (init): securityContext.privileged is true; privileged containers are not allowed"]);
            expect(await check((s) => (app(s).securityContext.privileged = false))).toEqual([]);
        });

        it("reports a hostPath volume once (not again as a volume type)", async () => {
            expect(await check((s) => s.volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } })))
                .toEqual([`${P}.volumes[8] (docker) uses hostPath (/var/run/docker.sock); hostPath volumes are not allowed`]);
        });

        it("reports a non-zero hostPort, and allows 0", async () => {
            expect(await check((s) => (app(s).ports = [{ containerPort: 80 }, { containerPort: 8080, hostPort: 8080 }])))
                .toEqual(["containers[0] (app): ports[1].hostPort is 8080; host ports are not allowed"]);
            expect(await check((s) => (app(s).ports = [{ containerPort: 80, hostPort: 0 }]))).toEqual([]);
        });

        it("reports a probe or lifecycle hook that names a host", async () => {
            expect(await check((s) => (app(s).livenessProbe = { httpGet: { host: "10.0.0.1", port: 80 } })))
                .toEqual(["containers[0] (app): livenessProbe.httpGet.host is 10.0.0.1; probes and lifecycle hooks may not name a host"]);
            expect(await check((s) => (app(s).lifecycle = { preStop: { tcpSocket: { host: "node", port: 22 } } })))
                .toEqual(["containers[0] (app): lifecycle.preStop.tcpSocket.host is node; probes and lifecycle hooks may not name a host"]);
            expect(await check((s) => (app(s).readinessProbe = { httpGet: { host: "", port: 80 }, tcpSocket: { port: 80 } }))).toEqual([]);
        });

        it("reports AppArmor profiles other than RuntimeDefault or Localhost", async () => {
            expect(await check((s) => (app(s).securityContext.appArmorProfile = { type: "Unconfined" })))
                .toEqual(["containers[0] (app): securityContext.appArmorProfile.type is Unconfined; only RuntimeDefault or Localhost is allowed"]);
            expect(await check((s) => (s.securityContext.appArmorProfile = { type: "Unconfined" })))
                .toEqual([`${P}.securityContext.appArmorProfile.type is Unconfined; only RuntimeDefault or Localhost is allowed`]);
            expect(await check((s) => (s.securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "k8s" }))).toEqual([]);
        });

        it("reports a pod-level AppArmor profile even when every container replaces it, as admission does", async () => {
            expect(await check((s) => {
                s.securityContext.appArmorProfile = { type: "Unconfined" };
                app(s).securityContext.appArmorProfile = { type: "RuntimeDefault" };
                s.initContainers[0].securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "k8s" };
            })).toEqual([`${P}.securityContext.appArmorProfile.type is Unconfined; only RuntimeDefault or Localhost is allowed`]);
        });

        it("reports the legacy AppArmor annotation unless runtime/default or localhost/*", async () => {
            const withAnnotations = (annotations: Record<string, string>) => {
                const d = deployment();
                d.spec.template.metadata.annotations = annotations;
                return messages(podSecurityRestricted, d);
            };
            expect(await withAnnotations({ "container.apparmor.security.beta.kubernetes.io/app": "unconfined" }))
                .toEqual(['spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] is unconfined; only runtime/default or localhost/* AppArmor profiles are allowed']);
            expect(await withAnnotations({
                "container.apparmor.security.beta.kubernetes.io/app": "runtime/default",
                "container.apparmor.security.beta.kubernetes.io/init": "localhost/k8s-default",
                "other.example.org/x": "unconfined",
            })).toEqual([]);
        });

        it("reports SELinux types outside the container types, and any user or role", async () => {
            expect(await check((s) => (app(s).securityContext.seLinuxOptions = { type: "spc_t" })))
                .toEqual(["containers[0] (app): securityContext.seLinuxOptions sets type spc_t; only the types container_t, container_init_t, container_kvm_t, container_engine_t are allowed, and user and role may not be set"]);
            expect(await check((s) => (s.securityContext.seLinuxOptions = { user: "system_u", role: "system_r", level: "s0:c1" })))
                .toEqual([`${P}.securityContext.seLinuxOptions sets user system_u, role system_r; only the types container_t, container_init_t, container_kvm_t, container_engine_t are allowed, and user and role may not be set`]);
            expect(await check((s) => (s.securityContext.seLinuxOptions = { type: "container_engine_t", level: "s0:c1,c2" }))).toEqual([]);
        });

        it("reports a /proc mount other than Default", async () => {
            expect(await check((s) => (app(s).securityContext.procMount = "Unmasked")))
                .toEqual(["containers[0] (app): securityContext.procMount is Unmasked; only Default is allowed"]);
            expect(await check((s) => (app(s).securityContext.procMount = "Default"))).toEqual([]);
        });

        it("reports sysctls outside the safe set", async () => {
            expect(await check((s) => (s.securityContext.sysctls = [{ name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" }, { name: "kernel.msgmax", value: "65536" }])))
                .toEqual([`${P}.securityContext.sysctls[1] sets kernel.msgmax, which is not a safe sysctl`]);
        });

        it("takes the safe sysctls of the stack's minor (1.37 added two; the oldest maintained minor by default)", async () => {
            const lowat = (s: KubeObject) => (s.securityContext.sysctls = [{ name: "net.ipv4.tcp_notsent_lowat", value: "16384" }]);
            const message = `${P}.securityContext.sysctls[0] sets net.ipv4.tcp_notsent_lowat, which is not a safe sysctl`;
            expect(await checkAt(36, lowat)).toEqual([message]);
            expect(await checkAt(37, lowat)).toEqual([]);
            expect(await check(lowat)).toEqual([message]);
            expect(DEFAULT_KUBERNETES_MINOR).toBe(35);
            const rmem = (s: KubeObject) => (s.securityContext.sysctls = [{ name: "net.ipv4.tcp_rmem", value: "4096 87380 6291456" }]);
            expect(await checkAt(31, rmem)).toEqual([`${P}.securityContext.sysctls[0] sets net.ipv4.tcp_rmem, which is not a safe sysctl`]);
            expect(await checkAt(32, rmem)).toEqual([]);
        });

        it("checks probe and lifecycle hosts from 1.34, and allows container_engine_t from 1.31", async () => {
            const probe = (s: KubeObject) => (app(s).livenessProbe = { httpGet: { host: "10.0.0.1", port: 80 } });
            expect(await checkAt(33, probe)).toEqual([]);
            expect(await checkAt(34, probe)).toEqual(["containers[0] (app): livenessProbe.httpGet.host is 10.0.0.1; probes and lifecycle hooks may not name a host"]);
            const engine = (s: KubeObject) => (app(s).securityContext.seLinuxOptions = { type: "container_engine_t" });
            expect(await checkAt(30, engine)).toEqual(["containers[0] (app): securityContext.seLinuxOptions sets type container_engine_t; only the types container_t, container_init_t, container_kvm_t are allowed, and user and role may not be set"]);
            expect(await checkAt(31, engine)).toEqual([]);
        });
    });

    describe("every place a pod spec lives", () => {
        const violating = (): KubeObject => {
            const spec = podSpec();
            spec.hostNetwork = true;
            spec.containers[0].securityContext.privileged = true;
            return spec;
        };
        const meta = { name: "w", namespace: "apps" };
        const kinds: [string, string, string, (spec: KubeObject) => KubeObject][] = [
            ["Pod", "v1", "spec", (spec) => spec],
            ["PodTemplate", "v1", "template.spec", (spec) => ({ template: { metadata: {}, spec } })],
            ["ReplicationController", "v1", "spec.template.spec", (spec) => ({ spec: { template: { spec } } })],
            ["ReplicaSet", "apps/v1", "spec.template.spec", (spec) => ({ spec: { template: { spec } } })],
            ["Deployment", "apps/v1", "spec.template.spec", (spec) => ({ spec: { template: { spec } } })],
            ["StatefulSet", "apps/v1", "spec.template.spec", (spec) => ({ spec: { template: { spec } } })],
            ["DaemonSet", "apps/v1", "spec.template.spec", (spec) => ({ spec: { template: { spec } } })],
            ["Job", "batch/v1", "spec.template.spec", (spec) => ({ spec: { template: { spec } } })],
            ["CronJob", "batch/v1", "spec.jobTemplate.spec.template.spec", (spec) => ({ spec: { schedule: "@daily", jobTemplate: { spec: { template: { spec } } } } })],
        ];
        const build = (kind: string, apiVersion: string, wrap: (spec: KubeObject) => KubeObject, spec: KubeObject): KubeObject =>
            kind === "Pod" ? { apiVersion, kind, metadata: meta, spec } : { apiVersion, kind, metadata: meta, ...wrap(spec) };

        it.each(kinds)("checks a %s's pod spec", async (kind, apiVersion, path, wrap) => {
            expect(await messages(podSecurityRestricted, build(kind, apiVersion, wrap, podSpec()))).toEqual([]);
            expect(await messages(podSecurityRestricted, build(kind, apiVersion, wrap, violating()))).toEqual([
                `${path}.hostNetwork is true; sharing the host's network namespace is not allowed`,
                "containers[0] (app): securityContext.privileged is true; privileged containers are not allowed",
            ]);
        });

        it("reads a Pod's AppArmor annotations from its own metadata, and a CronJob's from its template", async () => {
            const annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
            const pod = { apiVersion: "v1", kind: "Pod", metadata: { ...meta, annotations }, spec: podSpec() };
            expect(await messages(podSecurityRestricted, pod))
                .toEqual(['metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] is unconfined; only runtime/default or localhost/* AppArmor profiles are allowed']);
            const cronJob = { apiVersion: "batch/v1", kind: "CronJob", metadata: meta, spec: { jobTemplate: { spec: { template: { metadata: { annotations }, spec: podSpec() } } } } };
            expect(await messages(podSecurityRestricted, cronJob))
                .toEqual(['spec.jobTemplate.spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] is unconfined; only runtime/default or localhost/* AppArmor profiles are allowed']);
        });

        describe("a DeploymentPatch", () => {
            const patch = (spec: KubeObject) => messages(podSecurityRestricted,
                { metadata: { name: "coredns", namespace: "apps" }, spec: { template: { spec } } }, {}, "kubernetes:apps/v1:DeploymentPatch");

            it("is checked on the fields it sets, and nothing it leaves out is required", async () => {
                expect(await patch({ containers: [{ name: "app", image: "registry.lsst.org/app:1.1" }] })).toEqual([]);
                expect(await patch({ containers: [{ name: "app", securityContext: { privileged: true, allowPrivilegeEscalation: true, capabilities: { drop: ["NET_RAW"] } } }] })).toEqual([
                    "containers[0] (app): securityContext.privileged is true; privileged containers are not allowed",
                    "containers[0] (app): securityContext.capabilities.drop does not include ALL; every container must drop ALL capabilities",
                    "containers[0] (app): securityContext.allowPrivilegeEscalation is true; it must be false",
                ]);
            });

            it("reports a bad pod-level value even when the containers it names replace it", async () => {
                expect(await patch({ securityContext: { runAsNonRoot: false }, containers: [{ name: "app", securityContext: { runAsNonRoot: true } }] }))
                    .toEqual([`${P}.securityContext.runAsNonRoot is false; it must be true`]);
            });

            it("passes a patch without a pod template", async () => {
                expect(await messages(podSecurityRestricted, { metadata: { name: "x" }, spec: { replicas: 3 } }, {}, "kubernetes:apps/v1:DeploymentPatch")).toEqual([]);
            });
        });
    });

    it("does not crash on missing or null fields", async () => {
        for (const type of ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Pod", "kubernetes:batch/v1:CronJob", "kubernetes:core/v1:PodPatch"]) {
            expect(await messages(podSecurityRestricted, {} as never, {}, type)).toEqual([]);
        }
        expect(await messages(podSecurityRestricted, deployment((s) => {
            s.containers = null;
            s.initContainers = [null];
            s.volumes = [null, { name: "x", configMap: null }];
            s.securityContext = { ...s.securityContext, sysctls: [null, {}], seLinuxOptions: null };
        }))).toEqual([]);
        expect(await messages(podSecurityRestricted, { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "a", securityContext: null, ports: [null], lifecycle: null }] } })).toEqual([
            "containers[0] (a): securityContext.capabilities.drop is not set; every container must drop ALL capabilities",
            "seccompProfile is set neither in spec.securityContext nor on containers[0] (a); set seccompProfile.type to RuntimeDefault or Localhost for the pod or on each of them",
            "containers[0] (a): securityContext.allowPrivilegeEscalation is not set (so true); it must be false",
            "runAsNonRoot is set neither in spec.securityContext nor on containers[0] (a); set runAsNonRoot: true for the pod or on each of them",
        ]);
    });

    it("does not apply to other resource types", async () => {
        expect(await messages(podSecurityRestricted, { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { hostNetwork: true } })).toEqual([]);
        expect(await messages(podSecurityRestricted, { spec: { hostNetwork: true } }, {}, "command:remote:Command")).toEqual([]);
    });

    describe("exemptions", () => {
        const weave = (): KubeObject => ({
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: "weave-net", namespace: "kube-system" },
            spec: { template: { spec: { hostNetwork: true, containers: [{ name: "weave", securityContext: { privileged: true } }] } } },
        });

        it("honours a namespace exemption with a reason", async () => {
            expect(await messages(podSecurityRestricted, weave(), { "pod-security-restricted": { exemptions: [{ namespace: "kube-system", reason: "Weave Net overlay needs the host network" }] } })).toEqual([]);
            expect(await messages(podSecurityRestricted, weave(), { "pod-security-restricted": { exemptions: [{ namespace: "kube-system", reason: "" }] } })).not.toEqual([]);
        });

        it("honours an object exemption, and only for that object", async () => {
            const config = { "pod-security-restricted": { exemptions: [{ kind: "DaemonSet", namespace: "kube-system", name: "weave-net", reason: "Weave Net overlay" }] } };
            expect(await messages(podSecurityRestricted, weave(), config)).toEqual([]);
            const other = weave();
            other.metadata.name = "other";
            expect(await messages(podSecurityRestricted, other, config)).not.toEqual([]);
            expect(await messages(podSecurityRestricted, deployment((s) => (s.hostPID = true), "kube-system"), config))
                .toEqual([`${P}.hostPID is true; sharing the host's process ID namespace is not allowed`]);
        });
    });
});
