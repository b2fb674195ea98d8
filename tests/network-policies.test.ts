/**
 * components/platform/NetworkPolicies.ts under the Pulumi mocks, for every stack's namespaces: one
 * default-deny-ingress per namespace, the few allows the workloads need and nothing more, each allow's
 * selectors matched against the labels and ports the other components really declare, and what the
 * policies admit decided by a NetworkPolicy evaluator (tests/network-policies/evaluator.ts), itself
 * tested first. Weave's dataplane cannot run here: what weave-npc does beyond the spec (a node's own
 * traffic to its pods and multicast bypass the policies) is in NetworkPolicies.ts's comments.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { validateConfig } from "../config";
import { RecordedResource } from "../tools/evaluate";
import { dependsOn, rawConfig, STACKS, StackName } from "./harness";
import { schemaErrors } from "./schemas";
import { declare, meta, Obj, POLICY, registryPodPorts } from "./network-policies/declared";
import { admits, Cluster, Connection, Host, inCidr, isolating, NetworkPolicy, Pod, selects } from "./network-policies/evaluator";

const tcp = (port: number): Connection => ({ protocol: "TCP", port });
const udp = (port: number): Connection => ({ protocol: "UDP", port });

// ---- the evaluator, on cases whose answer the spec states -------------------------------------------

describe("the NetworkPolicy evaluator", () => {
    const pod = (namespace: string, labels: Obj, ip: string, ports?: Pod["ports"]): Pod => ({ kind: "pod", namespace, labels, ip, ports });
    const np = (namespace: string, name: string, spec: Obj): NetworkPolicy => ({ metadata: { name, namespace }, spec: spec as NetworkPolicy["spec"] });
    const cluster = (policies: NetworkPolicy[], ipBlockMatchesPods = true): Cluster => ({
        namespaces: { a: { "kubernetes.io/metadata.name": "a", team: "x" }, b: { "kubernetes.io/metadata.name": "b" } },
        policies,
        ipBlockMatchesPods,
    });
    const a1 = pod("a", { app: "web" }, "10.32.0.2", { http: { port: 8080, protocol: "TCP" } });
    const a2 = pod("a", { app: "client" }, "10.32.0.3");
    const b1 = pod("b", { app: "client" }, "10.32.0.4");
    const node: Host = { kind: "host", ip: "10.32.0.1" };
    const deny = (ns: string) => np(ns, "deny", { podSelector: {}, policyTypes: ["Ingress"] });

    it("admits everything to a pod no policy selects, and nothing once a deny-all selects it", () => {
        expect(admits(cluster([]), b1, a1, tcp(8080)).allowed).toBe(true);
        expect(admits(cluster([deny("b")]), b1, a1, tcp(8080)).allowed).toBe(true);
        expect(admits(cluster([deny("a")]), b1, a1, tcp(8080)).allowed).toBe(false);
        expect(admits(cluster([deny("a")]), a2, a1, tcp(8080)).allowed).toBe(false);
    });

    it("reads absent policyTypes as Ingress, and an egress-only policy as not isolating for ingress", () => {
        expect(isolating(cluster([np("a", "p", { podSelector: {} })]), a1)).toHaveLength(1);
        expect(isolating(cluster([np("a", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [] })]), a1)).toHaveLength(0);
    });

    it("keeps a podSelector peer to the policy's namespace, and ANDs it with a namespaceSelector in one peer", () => {
        const onlyPods = np("a", "p", { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }] });
        expect(admits(cluster([onlyPods]), a2, a1, tcp(1)).allowed).toBe(true);
        expect(admits(cluster([onlyPods]), b1, a1, tcp(1)).allowed).toBe(false);
        const both = np("a", "p", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "b" } }, podSelector: { matchLabels: { app: "client" } } }] }] });
        expect(admits(cluster([both]), b1, a1, tcp(1)).allowed).toBe(true);
        expect(admits(cluster([both]), a2, a1, tcp(1)).allowed).toBe(false);
        expect(admits(cluster([both]), pod("b", { app: "other" }, "10.32.0.9"), a1, tcp(1)).allowed).toBe(false);
        // Two peers are ORed: either namespace b's pods or a's clients.
        const either = np("a", "p", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "b" } } }, { podSelector: { matchLabels: { app: "client" } } }] }] });
        expect(admits(cluster([either]), pod("b", { app: "other" }, "10.32.0.9"), a1, tcp(1)).allowed).toBe(true);
        expect(admits(cluster([either]), a2, a1, tcp(1)).allowed).toBe(true);
    });

    it("matches ipBlock with its excepts, on pods' addresses only where the implementation does", () => {
        const block = np("a", "p", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.32.0.0/12", except: ["10.32.0.4/32"] } }] }] });
        expect(admits(cluster([block]), node, a1, tcp(1)).allowed).toBe(true);
        expect(admits(cluster([block]), { kind: "host", ip: "192.0.2.1" }, a1, tcp(1)).allowed).toBe(false);
        expect(admits(cluster([block]), a2, a1, tcp(1)).allowed).toBe(true);
        expect(admits(cluster([block]), b1, a1, tcp(1)).allowed).toBe(false);
        expect(admits(cluster([block], false), a2, a1, tcp(1)).allowed).toBe(false);
        expect(inCidr("10.47.255.255", "10.32.0.0/12")).toBe(true);
        expect(inCidr("10.48.0.0", "10.32.0.0/12")).toBe(false);
    });

    it("matches ports by protocol (TCP by default), number, range and the receiving pod's named port", () => {
        const ports = (p: Obj) => np("a", "p", { podSelector: {}, ingress: [{ ports: [p] }] });
        expect(admits(cluster([ports({ port: 8080 })]), a2, a1, tcp(8080)).allowed).toBe(true);
        expect(admits(cluster([ports({ port: 8080 })]), a2, a1, udp(8080)).allowed).toBe(false);
        expect(admits(cluster([ports({ protocol: "UDP" })]), a2, a1, udp(9)).allowed).toBe(true);
        expect(admits(cluster([ports({ port: 8000, endPort: 8100 })]), a2, a1, tcp(8080)).allowed).toBe(true);
        expect(admits(cluster([ports({ port: 8000, endPort: 8079 })]), a2, a1, tcp(8080)).allowed).toBe(false);
        expect(admits(cluster([ports({ port: "http" })]), a2, a1, tcp(8080)).allowed).toBe(true);
        expect(admits(cluster([ports({ port: "http" })]), a1, a2, tcp(8080)).allowed).toBe(false);
    });

    it("takes the union of the allows, and reads matchExpressions", () => {
        const web = np("a", "web", { podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] }, ingress: [{ ports: [{ port: 80 }] }] });
        expect(admits(cluster([deny("a"), web]), b1, a1, tcp(80))).toEqual({ allowed: true, by: ["web"] });
        expect(admits(cluster([deny("a"), web]), b1, a2, tcp(80)).allowed).toBe(false);
        expect(selects({ matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }, { y: "1" })).toBe(true);
        expect(selects({ matchExpressions: [{ key: "y", operator: "NotIn", values: ["1"] }] }, { y: "1" })).toBe(false);
        expect(selects({ matchExpressions: [{ key: "y", operator: "Exists" }] }, { y: "1" })).toBe(true);
    });
});

// ---- the component, for every stack -----------------------------------------------------------------

/** Zero to JupyterHub's pod labels (the chart's component label), which the program does not declare. */
const Z2JH_LABELS = { hub: { component: "hub" }, proxy: { component: "proxy" }, notebook: { component: "singleuser-server" } };
/** multicast-check.py's own default port, read from the script by python3, as the pods run it (no PORT set). */
function scriptPort(): number {
    const script = path.join(__dirname, "..", "components", "platform", "scripts", "multicast-check.py");
    const code = "import importlib.util,sys;s=importlib.util.spec_from_file_location('m',sys.argv[1]);m=importlib.util.module_from_spec(s);sys.modules['m']=m;s.loader.exec_module(m);print(m.load_config().port)";
    const r = spawnSync("python3", ["-c", code, script], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PYTHONDONTWRITEBYTECODE: "1" } });
    if (r.status !== 0) {
        throw new Error(`python3 could not read the script's port: ${r.stderr}`);
    }
    return Number(r.stdout.trim());
}

describe.each(STACKS)("network policies on stack %s", (stack: StackName) => {
    const config = validateConfig(rawConfig(stack).config).config!;
    const platform = config.platform!;
    const podNetwork = config.networks.pods;
    const name = `${config.name}-platform-network-policies`;

    let namespaces: string[] = [];
    let policies: RecordedResource[] = [];
    let stackResources: RecordedResource[] = [];
    beforeAll(async () => {
        ({ namespaces, policies, resources: stackResources } = await declare(stack));
    });

    const declared = (): NetworkPolicy[] => policies.map((r) => ({ metadata: meta(r), spec: r.inputs.spec } as NetworkPolicy));
    const inNamespace = (ns: string) => declared().filter((p) => p.metadata.namespace === ns);
    const workload = (ns: string, labels: Obj) => stackResources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && meta(r).namespace === ns &&
        Object.entries(labels).every(([k, v]) => meta(r).labels?.[k] === v));
    const cluster = (ipBlockMatchesPods = true): Cluster => ({
        namespaces: Object.fromEntries(namespaces.map((ns) => [ns, { "kubernetes.io/metadata.name": ns }])),
        policies: declared(),
        ipBlockMatchesPods,
    });

    // One pod of every kind in the stack, on addresses of the pod network; the node arrives from its weave bridge.
    let nextIp = 2;
    const pod = (namespace: string, labels: Obj): Pod => ({ kind: "pod", namespace, labels, ip: `10.32.0.${nextIp++}` });
    const node: Host = { kind: "host", ip: "10.40.0.1" };
    const outside: Host = { kind: "host", ip: "192.0.2.10" };

    it("gives every namespace of the stack exactly one default-deny-ingress: every pod, Ingress, no rule", () => {
        expect(namespaces.length).toBeGreaterThan(0);
        for (const ns of namespaces) {
            const denies = inNamespace(ns).filter((p) => p.metadata.name === "default-deny-ingress");
            expect([ns, denies.map((p) => p.spec)]).toEqual([ns, [{ podSelector: {}, policyTypes: ["Ingress"] }]]);
        }
        expect(new Set(declared().map((p) => p.metadata.namespace))).toEqual(new Set(namespaces));
    });

    it("declares only the allows the workloads need, each one rule, one peer, the fewest ports, named after the component", () => {
        const allows = declared().filter((p) => p.metadata.name !== "default-deny-ingress").map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
        expect(allows.sort()).toEqual([
            "jupyter-lsst/allow-hub-to-notebooks",
            "registry/allow-node-pulls",
            ...(platform.multicastCheck ? ["multicast-check/allow-multicast-check"] : []),
        ].sort());
        for (const p of declared().filter((x) => x.metadata.name !== "default-deny-ingress")) {
            expect(p.spec.policyTypes).toEqual(["Ingress"]);
            expect(p.spec.podSelector).not.toEqual({});
            expect(p.spec.ingress).toHaveLength(1);
            expect(p.spec.ingress![0].from).toHaveLength(1);
            // One port, or for the registry exactly its pod's ports (checked below).
            expect(p.spec.ingress![0].ports!.length).toBe(p.metadata.namespace === "registry" ? registryPodPorts(stackResources).length : 1);
        }
        // Egress stays open everywhere: DNS, the central manager, NFS and the API server are never cut off.
        expect(declared().every((p) => !p.spec.policyTypes!.includes("Egress") && p.spec.egress === undefined)).toBe(true);
        for (const r of policies) {
            expect(r.name).toBe(`${name}-${meta(r).namespace}-${meta(r).name}`);
            expect(r.parent).toMatch(/lsst-k8s:platform:NetworkPolicies::/);
            expect([r.name, schemaErrors(r.inputs as never)]).toEqual([r.name, []]);
        }
    });

    it("selects the registry's pod by the labels and container port Registry declares", () => {
        const deployment = workload("registry", { app: "registry" });
        expect(deployment).toBeDefined();
        const template = (deployment!.inputs.spec as Obj).template;
        const allow = inNamespace("registry").find((p) => p.metadata.name === "allow-node-pulls")!;
        expect(selects(allow.spec.podSelector, template.metadata.labels)).toBe(true);
        const ports = registryPodPorts(stackResources);
        expect(ports).toContain(5000);
        expect(allow.spec.ingress![0].ports).toEqual(ports.map((port) => ({ protocol: "TCP", port })));
        expect(allow.spec.ingress![0].from![0]).toEqual({ ipBlock: { cidr: podNetwork } });
    });

    it("selects both multicast-check pods by MulticastCheck's labels, on the script's own port, when the check is on", () => {
        const allow = inNamespace("multicast-check").find((p) => p.metadata.name === "allow-multicast-check");
        expect(allow !== undefined).toBe(platform.multicastCheck === true);
        if (!allow) {
            return;
        }
        for (const role of ["sender", "receiver"]) {
            const labels = ((workload("multicast-check", { role })!.inputs.spec as Obj).template.metadata.labels) as Obj;
            expect(selects(allow.spec.podSelector, labels)).toBe(true);
            expect(selects(allow.spec.ingress![0].from![0].podSelector!, labels)).toBe(true);
        }
        expect(allow.spec.ingress![0].ports![0]).toEqual({ protocol: "UDP", port: scriptPort() });
    });

    it("lets in what must connect: hub and proxy to notebooks on 8888, a node's pulls and pushes to the registry's ports, the check's datagrams both ways", () => {
        const c = cluster();
        const notebook = pod("jupyter-lsst", Z2JH_LABELS.notebook);
        for (const from of [pod("jupyter-lsst", Z2JH_LABELS.hub), pod("jupyter-lsst", Z2JH_LABELS.proxy)]) {
            expect(admits(c, from, notebook, tcp(8888))).toEqual({ allowed: true, by: ["allow-hub-to-notebooks"] });
            expect(admits(c, from, notebook, tcp(22)).allowed).toBe(false);
        }
        const registry = pod("registry", { app: "registry" });
        for (const port of registryPodPorts(stackResources)) {
            expect(admits(c, node, registry, tcp(port))).toEqual({ allowed: true, by: ["allow-node-pulls"] });
        }
        expect(admits(c, node, registry, tcp(22)).allowed).toBe(false);
        expect(admits(c, outside, registry, tcp(5000)).allowed).toBe(false);
        if (platform.multicastCheck) {
            const port = scriptPort();
            const sender = pod("multicast-check", { app: "multicast-check", role: "sender" });
            const receiver = pod("multicast-check", { app: "multicast-check", role: "receiver" });
            expect(admits(c, sender, receiver, udp(port))).toEqual({ allowed: true, by: ["allow-multicast-check"] });
            expect(admits(c, receiver, sender, udp(port)).allowed).toBe(true);
            expect(admits(c, sender, receiver, tcp(port)).allowed).toBe(false);
            expect(admits(c, pod(platform.developerGroups[0].namespace, {}), receiver, udp(port)).allowed).toBe(false);
        }
    });

    it("keeps developer namespaces from each other, from the notebooks and from everything else but the registry's ports", () => {
        const targets = namespaces.flatMap((ns) => [pod(ns, {}), pod(ns, { app: "registry" }), pod(ns, Z2JH_LABELS.notebook),
            pod(ns, { app: "multicast-check", role: "receiver" }), pod(ns, { app: "headlamp" })]);
        const registryPorts = registryPodPorts(stackResources);
        const ports = [tcp(22), tcp(80), tcp(443), tcp(4466), ...registryPorts.map(tcp), tcp(8888), tcp(9618), udp(53), udp(4446)];
        for (const d of platform.developerGroups) {
            // Even a pod that claims to be the hub: the notebooks take the hub only from its own namespace.
            for (const from of [pod(d.namespace, {}), pod(d.namespace, Z2JH_LABELS.hub), pod(d.namespace, { app: "multicast-check" })]) {
                for (const to of targets) {
                    for (const conn of ports) {
                        const { allowed, by } = admits(cluster(), from, to, conn);
                        // The one way in: the registry's port, by the pod-network block that node pulls come from.
                        const expected = to.namespace === "registry" && to.labels.app === "registry" && conn.protocol === "TCP" && registryPorts.includes(conn.port);
                        expect([from.namespace, from.labels, to.namespace, to.labels, conn, allowed]).toEqual([from.namespace, from.labels, to.namespace, to.labels, conn, expected]);
                        if (allowed) {
                            expect(by).toEqual(["allow-node-pulls"]);
                            // Where ipBlock does not match pods' own addresses, not even that.
                            expect(admits(cluster(false), from, to, conn).allowed).toBe(false);
                        }
                    }
                }
            }
        }
    });

    it("is declared by Platform after the namespaces, exactly as here", () => {
        const inStack = stackResources.filter((r) => r.type === POLICY);
        expect(inStack.map((r) => r.name).sort()).toEqual(policies.map((r) => r.name).sort());
        for (const r of inStack) {
            const same = policies.find((p) => p.name === r.name)!;
            expect(r.inputs).toEqual(same.inputs);
            const ns = stackResources.find((n) => n.type === "kubernetes:core/v1:Namespace" && meta(n).name === meta(r).namespace)!;
            expect(dependsOn({ resources: stackResources } as never, r, ns)).toBe(true);
        }
    });
});
