import { validateConfig } from "../config";
import { RecordedResource } from "../tools/evaluate";
import { byName, clusterOf, dependsOn, ofType, rawConfig, runStack, STACKS, StackName } from "./harness";
import { schemaErrors } from "./schemas";
import { WEAVE_READS, WEAVE_VERSION } from "../components/platform/Overlay";
import { policies } from "../policies/policies";
import { runPolicies } from "../policies/lib/runner";
import { containersOf, kubeType, podSpecOf } from "../policies/lib/kube";

const kube = (e: { resources: readonly RecordedResource[] }) => e.resources.filter((r) => r.type.startsWith("kubernetes:"));
const meta = (r: RecordedResource) => r.inputs.metadata as Record<string, any>;

describe.each(STACKS)("the platform on stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;
    const platform = cluster.platform!;

    it("declares every object through the cluster's provider, created after every node joined", async () => {
        const e = await runStack(stack);
        const [provider] = ofType(e, "pulumi:providers:kubernetes");
        expect(provider.name).toBe(`${cluster.name}-kubernetes`);
        expect(provider.secretInputs).toContain("kubeconfig");
        for (const join of ofType(e, "command:remote:Command").filter((c) => /-(init|join-run)$/.test(c.name))) {
            expect(provider.dependencies).toContain(join.urn);
        }
        expect(kube(e).length).toBeGreaterThan(0);
        for (const r of kube(e)) {
            expect(r.provider?.startsWith(`${provider.urn}::`)).toBe(true);
            // Its parent is the overlay, the platform or one of the platform's own components.
            expect(r.parent).toMatch(/::(lsst-k8s:cluster:Cluster\$lsst-k8s:cluster:Overlay|lsst-k8s:cluster:Cluster\$lsst-k8s:platform:Platform|lsst-k8s:platform:Platform\$lsst-k8s:platform:\w+)::/);
        }
    });

    it("labels every namespace for Pod Security Admission: restricted, unless a written reason says otherwise", async () => {
        const e = await runStack(stack);
        const namespaces = ofType(e, "kubernetes:core/v1:Namespace").map((r) => meta(r));
        const expected = ["jupyter-lsst", "registry", ...platform.htcondor!.pools.map((p) => `htcondor-${p.name}`),
            ...platform.developerGroups.map((d) => d.namespace),
            ...(platform.kubeBench ? ["kube-bench"] : []), ...(platform.multicastCheck ? ["multicast-check"] : []),
            ...(platform.dashboard ? ["headlamp"] : []), ...(platform.storage?.nfs ? ["nfs-provisioner"] : [])];
        expect(namespaces.map((m) => m.name).sort()).toEqual(expected.sort());
        // The namespaces with id ranges carry them too (tests/id-ranges.test.ts).
        const ranged = new Set([...platform.developerGroups.filter((d) => d.ids).map((d) => d.namespace), ...(platform.jupyter?.ids ? ["jupyter-lsst"] : [])]);
        for (const m of namespaces) {
            const privileged = m.name === "kube-bench";
            expect(m.labels).toEqual({
                "pod-security.kubernetes.io/enforce": privileged ? "privileged" : "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                ...(ranged.has(m.name) ? { "lsst-k8s.io/id-range": "true" } : {}),
            });
            if (privileged) {
                expect(m.annotations["lsst-k8s.io/pod-security-reason"]).toMatch(/host paths and the host PID namespace/);
            } else if (ranged.has(m.name)) {
                expect(Object.keys(m.annotations).sort()).toEqual(["lsst-k8s.io/gid-range", "lsst-k8s.io/uid-range"]);
            } else {
                expect(m.annotations).toBeUndefined();
            }
        }
    });

    it("binds cluster-admin to the admin group only, and by actor everything else", async () => {
        const e = await runStack(stack);
        const bindings = [...ofType(e, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
            ...ofType(e, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")].map((r) => r.inputs as Record<string, any>);
        const toClusterAdmin = bindings.filter((b) => b.roleRef.name === "cluster-admin");
        expect(toClusterAdmin).toHaveLength(1);
        expect(toClusterAdmin[0].subjects).toEqual([{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: platform.groups.admins }]);
        const find = (ns: string | undefined, name: string) => bindings.find((b) => b.metadata.namespace === ns && b.metadata.name === name)!;
        for (const ns of ["jupyter-lsst", "registry", ...platform.htcondor!.pools.map((p) => `htcondor-${p.name}`)]) {
            expect(find(ns, "lsst-k8s:service-admins")).toMatchObject({ roleRef: { kind: "ClusterRole", name: "admin" }, subjects: [{ name: platform.groups.serviceAdmins }] });
        }
        for (const d of platform.developerGroups) {
            expect(find(d.namespace, "lsst-k8s:developers")).toMatchObject({ roleRef: { kind: "ClusterRole", name: platform.developerAccess }, subjects: [{ name: d.group }] });
        }
        expect(find("jupyter-lsst", "lsst-k8s:science-users")).toMatchObject({ roleRef: { kind: "Role", name: "lsst-k8s:notebook-user" }, subjects: [{ name: platform.groups.scienceUsers }] });
        expect(find(undefined, "lsst-k8s:security-auditors")).toMatchObject({ roleRef: { kind: "ClusterRole", name: "lsst-k8s:security-auditor" }, subjects: [{ name: platform.groups.security }] });
        // Developers get nothing cluster-wide.
        const developerGroups = new Set(platform.developerGroups.map((d) => d.group));
        for (const b of ofType(e, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").map((r) => r.inputs as Record<string, any>)) {
            expect(b.subjects.some((s: { name: string }) => developerGroups.has(s.name))).toBe(false);
        }
    });

    it("gives security read-only access everywhere, never to secrets, and without wildcards", async () => {
        const e = await runStack(stack);
        const auditor = ofType(e, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").find((r) => meta(r).name === "lsst-k8s:security-auditor")!;
        const rules = auditor.inputs.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
        for (const rule of rules) {
            expect(rule.verbs).toEqual(["get", "list", "watch"]);
            expect([...rule.apiGroups, ...rule.resources]).not.toContain("*");
            expect(rule.resources).not.toContain("secrets");
        }
        expect(rules.flatMap((r) => r.resources)).toEqual(expect.arrayContaining(["pods", "nodes", "clusterrolebindings"]));
    });

    it("writes objects valid against the Kubernetes schemas", async () => {
        const e = await runStack(stack);
        for (const r of kube(e)) {
            expect([r.name, schemaErrors(r.inputs)]).toEqual([r.name, []]);
        }
    });

    it("orders namespaced objects after their namespace (kube-system is kubeadm's)", async () => {
        const e = await runStack(stack);
        for (const r of kube(e).filter((x) => meta(x).namespace && meta(x).namespace !== "kube-system")) {
            const ns = ofType(e, "kubernetes:core/v1:Namespace").find((n) => meta(n).name === meta(r).namespace)!;
            expect(dependsOn(e, r, ns)).toBe(true);
        }
    });
});

describe("a stack without a platform", () => {
    it("declares only the overlay", async () => {
        const e = await runStack("test", { cluster: clusterOf("test"), omitPlatform: true });
        const overlay = byName(e, "lsst-test-overlay").urn;
        expect(kube(e).every((r) => r.parent === overlay)).toBe(true);
        expect(ofType(e, "pulumi:providers:kubernetes")).toHaveLength(1);
    });
});

describe.each(STACKS)("the overlay on stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;
    const daemonSet = async () => ofType(await runStack(stack), "kubernetes:apps/v1:DaemonSet").find((d) => meta(d).name === "weave-net")!;

    it("runs Weave Net from the maintained fork, pinned, on the stack's pod network, on every node", async () => {
        const ds = await daemonSet();
        expect(meta(ds).namespace).toBe("kube-system");
        const spec = (ds.inputs as Record<string, any>).spec.template.spec;
        const images = [...spec.initContainers, ...spec.containers].map((c: { image: string }) => c.image);
        expect(images).toEqual([`docker.io/rajchaudhuri/weave-kube:${WEAVE_VERSION}`, `docker.io/rajchaudhuri/weave-kube:${WEAVE_VERSION}`, `docker.io/rajchaudhuri/weave-npc:${WEAVE_VERSION}`]);
        const weave = spec.containers.find((c: { name: string }) => c.name === "weave");
        expect(weave.env).toContainEqual({ name: "IPALLOC_RANGE", value: cluster.networks.pods });
        // Multicast is Weave's default; nothing here may turn it off or change the data path.
        expect(weave.env.map((e: { name: string }) => e.name).sort()).toEqual(["CHECKPOINT_DISABLE", "HOSTNAME", "INIT_CONTAINER", "IPALLOC_RANGE"]);
        expect(spec.tolerations).toEqual([{ effect: "NoSchedule", operator: "Exists" }, { effect: "NoExecute", operator: "Exists" }]);
        expect(spec.hostNetwork).toBe(true);
    });

    it("gives each Weave container only environment names the pinned image reads", async () => {
        const spec = ((await daemonSet()).inputs as Record<string, any>).spec.template.spec;
        for (const c of spec.containers as { name: string; env?: { name: string }[] }[]) {
            expect(Object.keys(WEAVE_READS)).toContain(c.name);
            const unread = (c.env ?? []).map((e) => e.name).filter((n) => !WEAVE_READS[c.name].includes(n));
            expect({ container: c.name, unread }).toEqual({ container: c.name, unread: [] });
        }
        // The names the first fix was about: the old one is not read, the new one is.
        expect(WEAVE_READS.weave).toContain("IPALLOC_RANGE");
        expect(WEAVE_READS.weave).not.toContain("IPALLOC");
    });

    it("passes the stack's policies only through its written exemptions and its approval", async () => {
        const ds = await daemonSet();
        const subject = { type: ds.type, name: ds.name, urn: ds.urn, props: ds.inputs };
        const stackConfig = require(`../policies/config/${stack}.json`);
        expect(await runPolicies(policies, [subject], stackConfig)).toEqual([]);
        const bare = Object.fromEntries(Object.entries(stackConfig).map(([k, v]) => {
            const { exemptions: _e, approved: _a, ...rest } = v as Record<string, unknown>;
            return [k, rest];
        }));
        const flagged = new Set((await runPolicies(policies, [subject], bare)).map((v) => v.policy));
        expect([...flagged].sort()).toEqual(["container-resources", "pod-security-restricted", "public-exposure", "trusted-images"].filter((p) => p !== "container-resources" || stackConfig["container-resources"].enforcementLevel !== "disabled").sort());
    });
});

describe("the schema check", () => {
    it("catches an object Kubernetes would refuse", () => {
        expect(schemaErrors({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "x" }, roleRef: {} })[0])
            .toMatch(/roleRef must have required property/);
    });
});

describe.each(STACKS)("images on stack %s", (stack: StackName) => {
    it("are all pinned, by tag or digest, never latest", async () => {
        const e = await runStack(stack);
        const images = kube(e).flatMap((r) => {
            const t = kubeType(r.type)!;
            const pod = podSpecOf(t, r.inputs);
            return pod ? containersOf(pod.spec).map((c) => String(c.container.image)) : [];
        });
        expect(images.length).toBeGreaterThan(5);
        for (const image of images) {
            const last = image.split("/").pop()!;
            expect([image, /@sha256:[0-9a-f]{64}$/.test(image) || (/:[\w.-]+$/.test(last) && !/:latest$/.test(last))]).toEqual([image, true]);
        }
    });
});
