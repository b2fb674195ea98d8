/**
 * Headlamp, the read-only web UI that replaces the retired Kubernetes Dashboard: every object the
 * component declares under Pulumi's mocks, validated against the Kubernetes schemas, held to what makes
 * it read-only (no grant of its own, sign-in with the user's own token, reachable only inside the
 * cluster), and judged by the pack's policies with each stack's policy config.
 */
import { validateConfig } from "../config";
import {
    HEADLAMP_NAMESPACE, HEADLAMP_PORT, HEADLAMP_TOKEN_AUDIENCE, HEADLAMP_VERSION,
} from "../components/platform/Headlamp";
import type { PackConfig } from "../policies/lib/runner";
import { RecordedResource } from "../tools/evaluate";
import { declareAlone, rawConfig, STACKS, StackName, strictPackViolations } from "./harness";
import { schemaErrors } from "./schemas";

const NAME = "lsst-test-platform-headlamp";
const hostOf = (stack: StackName) => validateConfig(rawConfig(stack).config).config!.platform!.registry!.host;
const HOST = hostOf("test");
/** The audience kubeadm's API server accepts (its default issuer), which a token for no API must not carry. */
const API_AUDIENCE = "https://kubernetes.default.svc.cluster.local";

/** Declares the component alone under the mocks, as Platform would, and returns what it registered. */
function declare(registryHost: string): Promise<RecordedResource[]> {
    return declareAlone((k8s, provider) => {
        const { Headlamp } = require("../components/platform/Headlamp");
        const namespace = new k8s.core.v1.Namespace("lsst-test-platform-headlamp-ns", { metadata: { name: "headlamp" } }, { provider });
        new Headlamp(NAME, { registryHost, provider, dependsOn: [namespace] });
    });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;
const meta = (r: RecordedResource) => r.inputs.metadata as Obj;
const kindOf = (r: RecordedResource) => r.type.split(":").pop()!;

// ---- what "grants nothing" and "token sign-in only" mean, as checks that can fail ---------------------

/** Who a binding's subject is, when it reaches Headlamp's pod: its accounts, all accounts, everyone. */
function reachesHeadlamp(s: Obj): boolean {
    switch (s.kind) {
        case "ServiceAccount":
            return s.namespace === HEADLAMP_NAMESPACE;
        case "User":
            return String(s.name).startsWith(`system:serviceaccount:${HEADLAMP_NAMESPACE}:`);
        case "Group":
            return ["system:serviceaccounts", `system:serviceaccounts:${HEADLAMP_NAMESPACE}`, "system:authenticated", "system:unauthenticated"].includes(s.name);
        default:
            return true;
    }
}

/** Every binding that gives Headlamp's namespace or its pod anything, as "Kind namespace/name". */
function bindingsToHeadlamp(objects: readonly { kind: string; body: Obj }[]): string[] {
    return objects
        .filter(({ kind }) => kind === "RoleBinding" || kind === "ClusterRoleBinding")
        .filter(({ body }) => body.metadata?.namespace === HEADLAMP_NAMESPACE || (body.subjects ?? []).some(reachesHeadlamp))
        .map(({ kind, body }) => `${kind} ${body.metadata?.namespace ?? ""}/${body.metadata?.name}`);
}

/**
 * Headlamp flags that sign someone in without their own token, reach beyond the user's RBAC, or widen who
 * may call it (upstream's config.go): by argument (-flag, --flag, -flag=value) or HEADLAMP_CONFIG_ variable.
 */
const FORBIDDEN_FLAGS = [
    /^unsafe-use-service-account-token$/, /^service-account-token-path$/, /^proxy-auth/, /^oidc-/, /^kubeconfig$/,
    /^enable-dynamic-clusters$/, /^enable-cluster-inventory/, /^enable-helm$/, /^cache-enabled$/,
    /^insecure-ssl$/, /^dev$/, /^proxy-urls$/,
];

function flagsOf(c: Obj): string[] {
    const fromArgs = [...(c.command ?? []), ...(c.args ?? [])].map(String).filter((a) => a.startsWith("-"))
        .map((a) => a.replace(/^--?/, "").split("=")[0]);
    const fromEnv = (c.env ?? []).map((e: Obj) => String(e.name)).filter((n: string) => n.startsWith("HEADLAMP_CONFIG_"))
        .map((n: string) => n.slice("HEADLAMP_CONFIG_".length).toLowerCase().replace(/_/g, "-"));
    return [...fromArgs, ...fromEnv];
}

const forbiddenFlags = (c: Obj) => flagsOf(c).filter((f) => FORBIDDEN_FLAGS.some((re) => re.test(f)));

describe("the checks themselves", () => {
    it("find a binding in Headlamp's namespace, or one anywhere that reaches its accounts, and nothing else", () => {
        const binding = (kind: string, namespace: string | undefined, subjects: Obj[]) =>
            ({ kind, body: { metadata: { name: "b", ...(namespace ? { namespace } : {}) }, roleRef: { kind: "ClusterRole", name: "view" }, subjects } });
        expect(bindingsToHeadlamp([
            binding("RoleBinding", "headlamp", [{ kind: "Group", name: "lsst-test:k8s-service-admins" }]),
            binding("ClusterRoleBinding", undefined, [{ kind: "ServiceAccount", name: "headlamp", namespace: "headlamp" }]),
            binding("ClusterRoleBinding", undefined, [{ kind: "Group", name: "system:serviceaccounts" }]),
            binding("RoleBinding", "qserv", [{ kind: "Group", name: "system:serviceaccounts:headlamp" }]),
            binding("ClusterRoleBinding", undefined, [{ kind: "User", name: "system:serviceaccount:headlamp:headlamp" }]),
            binding("ClusterRoleBinding", undefined, [{ kind: "Group", name: "system:authenticated" }]),
            binding("ClusterRoleBinding", undefined, [{ kind: "Group", name: "lsst-test:k8s-cluster-admins" }]),
            binding("RoleBinding", "qserv", [{ kind: "ServiceAccount", name: "default", namespace: "qserv" }]),
        ])).toEqual([
            "RoleBinding headlamp/b", "ClusterRoleBinding /b", "ClusterRoleBinding /b", "RoleBinding qserv/b",
            "ClusterRoleBinding /b", "ClusterRoleBinding /b",
        ]);
    });

    it("find a sign-in-skipping or granting flag however it is spelled, in args, command or environment", () => {
        expect(forbiddenFlags({
            args: ["-in-cluster", "--unsafe-use-service-account-token", "-oidc-client-id=x", "-enable-helm=true", "-port=4466"],
            command: ["/headlamp/headlamp-server", "-dev"],
            env: [{ name: "HEADLAMP_CONFIG_ENABLE_DYNAMIC_CLUSTERS", value: "true" }, { name: "HEADLAMP_CONFIG_LOG_LEVEL", value: "info" }],
        })).toEqual(["dev", "unsafe-use-service-account-token", "oidc-client-id", "enable-helm", "enable-dynamic-clusters"]);
        expect(forbiddenFlags({ args: ["-in-cluster", "-plugins-dir=/headlamp/plugins"] })).toEqual([]);
    });
});

// ---- the component ---------------------------------------------------------------------------------

describe("Headlamp", () => {
    let rs: RecordedResource[];
    beforeAll(async () => {
        rs = await declare(HOST);
    });
    const component = () => rs.find((r) => r.type === "lsst-k8s:platform:Headlamp")!;
    const own = () => rs.filter((r) => r.type.startsWith("kubernetes:") && r.parent === component().urn);
    const one = (kind: string): Obj => {
        const found = own().filter((r) => kindOf(r) === kind);
        expect(found).toHaveLength(1);
        return found[0].inputs as Obj;
    };
    const pod = () => one("Deployment").spec.template.spec;
    const container = () => {
        expect(pod().containers).toHaveLength(1);
        return pod().containers[0];
    };

    it("declares exactly an account, a Service and a Deployment, each a child of the component, named from it, through the provider", () => {
        const provider = rs.find((r) => r.type === "pulumi:providers:kubernetes")!;
        const kube = rs.filter((r) => r.type.startsWith("kubernetes:") && r.name !== "lsst-test-platform-headlamp-ns");
        expect(kube.map((r) => r.type).sort()).toEqual(["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:core/v1:ServiceAccount"]);
        for (const r of kube) {
            expect([r.name, r.parent]).toEqual([r.name, component().urn]);
            expect(r.name.startsWith(`${NAME}-`)).toBe(true);
            expect(r.provider?.startsWith(`${provider.urn}::`)).toBe(true);
        }
    });

    it("puts everything in the headlamp namespace, after it, and writes objects valid against the Kubernetes schemas", () => {
        expect(HEADLAMP_NAMESPACE).toBe("headlamp");
        const namespace = rs.find((r) => r.name === "lsst-test-platform-headlamp-ns")!;
        for (const r of own()) {
            expect([r.name, meta(r).namespace, meta(r).name]).toEqual([r.name, "headlamp", "headlamp"]);
            expect([r.name, r.dependencies]).toEqual([r.name, expect.arrayContaining([namespace.urn])]);
            expect([r.name, schemaErrors(r.inputs)]).toEqual([r.name, []]);
        }
    });

    it("grants nothing: no role, no binding, no account token the API server accepts", () => {
        expect(own().filter((r) => /^(Cluster)?Role(Binding)?$/.test(kindOf(r)))).toEqual([]);
        expect(bindingsToHeadlamp(own().map((r) => ({ kind: kindOf(r), body: r.inputs as Obj })))).toEqual([]);
        expect(own().filter((r) => kindOf(r) === "Secret")).toEqual([]);
        expect(one("ServiceAccount").automountServiceAccountToken).toBe(false);
        expect(pod().serviceAccountName).toBe("headlamp");
        expect(pod().automountServiceAccountToken).toBe(false);
        // A projected token without an audience is one for the API server: every one here names another.
        const tokens = (pod().volumes as Obj[]).flatMap((v) => v.projected?.sources ?? []).filter((s: Obj) => s.serviceAccountToken)
            .map((s: Obj) => s.serviceAccountToken);
        expect(tokens).toEqual([{ audience: HEADLAMP_TOKEN_AUDIENCE, expirationSeconds: 600, path: "token" }]);
        expect(HEADLAMP_TOKEN_AUDIENCE).not.toBe(API_AUDIENCE);
        expect(HEADLAMP_TOKEN_AUDIENCE).not.toMatch(/kubernetes\.default/);
    });

    it("gives in-cluster mode the host's CA and a token file where client-go reads them, read-only", () => {
        const mount = container().volumeMounts.find((m: Obj) => m.mountPath === "/var/run/secrets/kubernetes.io/serviceaccount");
        expect(mount).toEqual({ name: "in-cluster", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true });
        const volume = pod().volumes.find((v: Obj) => v.name === mount.name);
        const paths = volume.projected.sources.flatMap((s: Obj) => s.serviceAccountToken ? [s.serviceAccountToken.path]
            : (s.configMap ?? s.downwardAPI).items.map((i: Obj) => i.path));
        expect(paths).toEqual(["token", "ca.crt", "namespace"]);
        expect(volume.projected.sources[1].configMap).toEqual({ name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] });
    });

    it("signs users in with their own token only: in-cluster mode and no flag that skips login, grants or widens", () => {
        expect(container().command).toBeUndefined();
        expect(container().args).toEqual(["-in-cluster"]);
        expect(container().env).toBeUndefined();
        expect(forbiddenFlags(container())).toEqual([]);
    });

    it("serves only inside the cluster: a ClusterIP Service on its HTTP port, no Ingress, no host port", () => {
        const service = one("Service");
        expect(service.spec.type).toBe("ClusterIP");
        expect(service.spec).not.toHaveProperty("externalIPs");
        expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
        expect(service.spec.ports.some((p: Obj) => "nodePort" in p)).toBe(false);
        expect(service.spec.selector).toEqual(one("Deployment").spec.template.metadata.labels);
        expect(rs.filter((r) => /:(Ingress|IngressClass|Gateway|HTTPRoute)$/.test(r.type))).toEqual([]);
        expect(container().ports).toEqual([{ name: "http", containerPort: HEADLAMP_PORT, protocol: "TCP" }]);
        expect(HEADLAMP_PORT).toBe(4466);
        expect(pod().hostNetwork).toBeUndefined();
    });

    it("pulls the pinned release through the local registry, with the account's pull secret, after the account exists", () => {
        expect(HEADLAMP_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
        expect(HEADLAMP_VERSION).toBe("v0.45.0");
        expect(container().image).toBe(`${HOST}/headlamp-k8s/headlamp:${HEADLAMP_VERSION}`);
        expect(container().image.split("/")[0]).toBe(HOST);
        expect(one("ServiceAccount").imagePullSecrets).toEqual([{ name: "registry-pull" }]);
        const account = own().find((r) => kindOf(r) === "ServiceAccount")!;
        expect(own().find((r) => kindOf(r) === "Deployment")!.dependencies).toContain(account.urn);
    });

    it("runs under the restricted profile, read-only but for emptyDirs, bounded, probed on the page it serves", () => {
        expect(pod().securityContext).toEqual({ runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, seccompProfile: { type: "RuntimeDefault" } });
        expect(container().securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true });
        const volumes = Object.fromEntries(pod().volumes.map((v: Obj) => [v.name, v]));
        const writable = container().volumeMounts.filter((m: Obj) => !m.readOnly);
        expect(writable.map((m: Obj) => m.mountPath)).toEqual(["/tmp", "/home/headlamp/.config"]);
        for (const m of writable) {
            expect([m.name, volumes[m.name].emptyDir]).toEqual([m.name, {}]);
        }
        expect(container().resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } });
        for (const probe of [container().readinessProbe, container().livenessProbe]) {
            expect(probe.httpGet).toEqual({ path: "/", port: "http", scheme: "HTTP" });
        }
        expect(container().livenessProbe.initialDelaySeconds).toBeGreaterThan(0);
    });

    // ---- the pack --------------------------------------------------------------------------------------

    it.each(STACKS)("meets every policy of stack %s's pack without an exemption, but the digest pre-production requires", async (stack) => {
        const host = hostOf(stack);
        const kube = (await declare(host)).filter((r) => r.type.startsWith("kubernetes:") && r.name.startsWith(`${NAME}-`));
        const violations = await strictPackViolations(stack, kube);
        const config = require(`../policies/config/${stack}.json`) as PackConfig;
        expect(violations).toEqual(config["trusted-images"].requireDigest
            ? [["trusted-images", `containers[0] (headlamp): image "${host}/headlamp-k8s/headlamp:${HEADLAMP_VERSION}" has no digest; pin it with @sha256:<digest>`]]
            : []);
    });
});
