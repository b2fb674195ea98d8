/**
 * The API server's own files (controlPlaneFiles.ts) and how the program carries them: the flags in
 * kubeadm's ClusterConfiguration with the directories mounted, the files in every control plane's init
 * and join bundle, and ControlPlaneConfig on each running control plane, one at a time, after its
 * upgrade, its key a secret. The control-plane tier (tools/e2e/apiServerFiles.ts) runs the same files on
 * the real API server.
 */
import * as yaml from "js-yaml";
import { decodeBundle } from "../../components/hosts/bundle";
import {
    apiServerArgs, apiServerVolumes, auditPolicy, authenticationConfiguration, controlPlaneFiles, encryptionConfiguration, encryptionKeyName,
} from "../../components/hosts/controlPlaneFiles";
import { kubeconfigCertificateAuthority } from "../../components/hosts/credentials";
import { clusterConfiguration } from "../../components/hosts/kubeadm";
import { parseVersion } from "../../components/hosts/versions";
import { ClusterConfig, validateConfig } from "../../config";
import { PLACEHOLDER_CA, placeholderKubeconfig } from "../../tools/offline";
import { byName, dependsOn, rawConfig, runStack, STACKS, StackName } from "../harness";
import { COMMAND, paramsOf, stdinOf } from "./commands";

const KEY = Buffer.alloc(32, 3).toString("base64");
const cluster = (stack: StackName): ClusterConfig => validateConfig(rawConfig(stack).config).config!;

interface Rule {
    level: string;
    verbs?: string[];
    resources?: { group: string; resources: string[] }[];
    nonResourceURLs?: string[];
}

/** The level the audit policy gives a request: its first matching rule, as the API server reads it. */
function levelOf(req: { verb?: string; group?: string; resource?: string; path?: string }): string {
    const rules = (auditPolicy().rules as Rule[]);
    const rule = rules.find((r) => {
        if (req.path !== undefined) {
            return r.resources === undefined && r.verbs === undefined &&
                (r.nonResourceURLs === undefined || r.nonResourceURLs.some((u) => (u.endsWith("*") ? req.path!.startsWith(u.slice(0, -1)) : u === req.path)));
        }
        return r.nonResourceURLs === undefined &&
            (r.verbs === undefined || r.verbs.includes(req.verb!)) &&
            (r.resources === undefined || r.resources.some((g) => g.group === req.group && g.resources.includes(req.resource!)));
    });
    return rule?.level ?? "None";
}

describe("the audit policy", () => {
    it("never logs a Secret's, ConfigMap's or token's body, whatever the verb", () => {
        for (const verb of ["create", "update", "patch", "get", "list", "delete"]) {
            expect(levelOf({ verb, group: "", resource: "secrets" })).toBe("Metadata");
            expect(levelOf({ verb, group: "", resource: "configmaps" })).toBe("Metadata");
            expect(levelOf({ verb, group: "authentication.k8s.io", resource: "tokenreviews" })).toBe("Metadata");
        }
        expect((auditPolicy().rules as Rule[]).map((r) => r.level)).not.toContain("RequestResponse");
    });

    it("logs what an RBAC change grants, and only metadata when RBAC is read", () => {
        for (const resource of ["roles", "rolebindings", "clusterroles", "clusterrolebindings"]) {
            expect(levelOf({ verb: "create", group: "rbac.authorization.k8s.io", resource })).toBe("Request");
            expect(levelOf({ verb: "get", group: "rbac.authorization.k8s.io", resource })).toBe("Metadata");
        }
    });

    it("logs everything else as metadata, but not health probes or lease renewals", () => {
        expect(levelOf({ verb: "create", group: "", resource: "pods" })).toBe("Metadata");
        expect(levelOf({ verb: "delete", group: "apps", resource: "deployments" })).toBe("Metadata");
        expect(levelOf({ verb: "update", group: "coordination.k8s.io", resource: "leases" })).toBe("None");
        expect(levelOf({ path: "/readyz" })).toBe("None");
        expect(levelOf({ path: "/apis" })).toBe("Metadata");
        expect(auditPolicy().omitStages).toEqual(["RequestReceived"]);
    });
});

describe("encryption at rest", () => {
    it("writes Secrets with secretbox under the cluster's key, and still reads what was written before", () => {
        const conf = encryptionConfiguration(KEY) as { resources: { resources: string[]; providers: Record<string, unknown>[] }[] };
        expect(conf.resources).toHaveLength(1);
        expect(conf.resources[0].resources).toEqual(["secrets"]);
        expect(conf.resources[0].providers).toEqual([{ secretbox: { keys: [{ name: encryptionKeyName(KEY), secret: KEY }] } }, { identity: {} }]);
    });

    it("names the key by a hash, so a backup says which key it needs without showing it", () => {
        expect(encryptionKeyName(KEY)).toMatch(/^lsst-k8s-[0-9a-f]{12}$/);
        expect(encryptionKeyName(KEY)).not.toContain(KEY.slice(0, 8));
        expect(encryptionKeyName(Buffer.alloc(32, 4).toString("base64"))).not.toBe(encryptionKeyName(KEY));
    });

    it.each([Buffer.alloc(16).toString("base64"), "not base64!", `${KEY}\n`])("refuses the key %j: secretbox takes exactly 32 bytes", (key) => {
        expect(() => encryptionConfiguration(key)).toThrow("the encryption key must be 32 bytes in base64");
    });
});

describe.each(STACKS)("the API server's flags and files on stack %s", (stack) => {
    const c = cluster(stack);

    it("trusts the stack's provider with its claims and prefixes", () => {
        expect(authenticationConfiguration(c.oidc!)).toEqual({
            apiVersion: "apiserver.config.k8s.io/v1", kind: "AuthenticationConfiguration",
            jwt: [{
                issuer: { url: "https://cilogon.org", audiences: [c.oidc!.clientId] },
                claimMappings: { username: { claim: "sub", prefix: "cilogon:" }, groups: { claim: "isMemberOf", prefix: `lsst-${stack}:` } },
            }],
        });
    });

    it("puts the flags in kubeadm's ClusterConfiguration as v1beta4 name/value pairs, every file inside a mounted directory", () => {
        const server = clusterConfiguration(c).apiServer as { extraArgs: { name: string; value: string }[]; extraVolumes: { hostPath: string; readOnly: boolean }[] };
        expect(server.extraArgs).toEqual(Object.entries(apiServerArgs(c)).map(([name, value]) => ({ name, value })));
        expect(server.extraVolumes).toEqual(apiServerVolumes());
        const paths = server.extraArgs.filter((a) => a.value.startsWith("/")).map((a) => a.value);
        expect(paths).toHaveLength(4);
        for (const p of paths) {
            const volume = server.extraVolumes.find((v) => p.startsWith(`${v.hostPath}/`));
            expect(volume).toBeDefined();
            // Only the audit log is written to.
            expect(volume!.readOnly).toBe(!p.endsWith("audit.log"));
        }
    });

    it("renders root-only files that parse back to the objects", () => {
        const files = controlPlaneFiles(c, KEY);
        expect(Object.keys(files).sort()).toEqual(["audit-policy.yaml", "authentication.yaml", "encryption.yaml"]);
        expect(Object.values(files).every((f) => f.mode === "0600")).toBe(true);
        expect(yaml.load(files["authentication.yaml"].content)).toEqual(authenticationConfiguration(c.oidc!));
        expect(yaml.load(files["encryption.yaml"].content)).toEqual(encryptionConfiguration(KEY));
    });

    it("keeps each control plane's files current with ControlPlaneConfig, one at a time, each after its own upgrade", async () => {
        const e = await runStack(stack);
        const controlPlanes = c.nodes.filter((n) => n.role === "control-plane" && !n.unreachable);
        const runs = controlPlanes.map((n) => byName(e, `${c.name}-${n.name}-api-config-run`));
        expect(e.resources.filter((r) => r.type === COMMAND && r.name.endsWith("-api-config-run"))).toHaveLength(controlPlanes.length);
        runs.forEach((run, i) => {
            const node = controlPlanes[i];
            expect(dependsOn(e, run, byName(e, `${c.name}-${node.name}-upgrade-uncordon`))).toBe(true);
            if (i > 0) {
                expect(run.dependencies).toContain(runs[i - 1].urn);
            }
            // Its bundle carries the encryption key: a secret in, and nothing of it out.
            expect(run.secretInputs).toContain("stdin");
            expect(run.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
            expect(run.inputs.logging).toBe("none");
            expect(run.ignoreChanges).toEqual([]);
            const bundle = decodeBundle(stdinOf(run));
            expect(bundle.entry).toBe("control-plane-config.sh");
            expect(paramsOf(run)).toEqual({
                NODE_NAME: node.name, CONFIG_ROLE: i === 0 ? "first-control-plane" : "control-plane",
                API_SERVER_FLAGS: Object.entries(apiServerArgs(c)).map(([k, v]) => `--${k}=${v}`).join(" "),
                API_SERVER_ADDRESS: `${node.address}:6443`,
            });
            const docs = yaml.loadAll(bundle.files["kubeadm.yaml"].content) as Record<string, unknown>[];
            expect(docs.map((d) => d.kind)).toEqual(["InitConfiguration", "ClusterConfiguration"]);
            expect(docs[0]).not.toHaveProperty("bootstrapTokens");
            expect(docs[0]).not.toHaveProperty("certificateKey");
            expect(docs[1]).toEqual(clusterConfiguration(c));
        });
        // One key for the cluster: init, every control plane's join and every ControlPlaneConfig carry the same.
        const keys = new Set([byName(e, `${c.name}-control-plane-init`), ...runs,
            ...c.nodes.filter((n) => n.role === "control-plane" && n !== controlPlanes[0]).map((n) => byName(e, `${c.name}-${n.name}-join-run`))]
            .map((r) => decodeBundle(stdinOf(r)).files["encryption.yaml"].content));
        expect(keys.size).toBe(1);
        expect(byName(e, `${c.name}-encryption-key`).inputs.length).toBe(32);
    });

    it("exports the cluster CA in the clear, for people's kubeconfigs", async () => {
        const e = await runStack(stack);
        expect(e.outputs.certificateAuthority).toEqual({ value: PLACEHOLDER_CA, secret: false });
    });
});

describe("the cluster CA from the admin kubeconfig", () => {
    it("is its one cluster's certificate-authority-data, decoded", () => {
        expect(kubeconfigCertificateAuthority(placeholderKubeconfig("k8s.example.org:6443"))).toBe(PLACEHOLDER_CA);
    });

    it.each([["not YAML", "a: [b"], ["no clusters", "kind: Config\n"], ["not a certificate", placeholderKubeconfig("x:1").replace(/certificate-authority-data: \S+/, "certificate-authority-data: UExBQ0U=")]])(
        "refuses a kubeconfig with %s, never echoing it", (_, text) => {
            expect(() => kubeconfigCertificateAuthority(text)).toThrow(/^the admin kubeconfig read back does not embed the cluster CA/);
        });
});

describe("kubeadm's spelling of the flags", () => {
    it("is a map for v1beta3, before kubeadm 1.31", () => {
        const old = { ...cluster("test"), kubernetesVersion: parseVersion("1.30.4")! } as ClusterConfig;
        expect((clusterConfiguration(old).apiServer as { extraArgs: unknown }).extraArgs).toEqual(apiServerArgs(old));
    });
});
