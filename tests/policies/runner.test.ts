import { noDefaultNamespace } from "../../policies/no-default-namespace";
import { runPolicies, UNKNOWN } from "../../policies/lib/runner";
import { kubeType, typeOfManifest } from "../../policies/lib/kube";
import { messages, subject } from "./helpers";

const configMap = (namespace?: string) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings", ...(namespace === undefined ? {} : { namespace }) },
    data: { a: "b" },
});

describe("no-default-namespace", () => {
    it("passes an object in its own namespace", async () => {
        expect(await messages(noDefaultNamespace, configMap("jupyter-lsst"))).toEqual([]);
    });

    it("reports an object in default, and one that names no namespace", async () => {
        expect(await messages(noDefaultNamespace, configMap("default"))).toEqual(["is in the default namespace; put it in its application's namespace"]);
        expect(await messages(noDefaultNamespace, configMap())).toEqual(["names no namespace, so it would land in default; set metadata.namespace"]);
    });

    it("ignores cluster-scoped kinds and anything that is not Kubernetes", async () => {
        expect(await messages(noDefaultNamespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } })).toEqual([]);
        expect(await messages(noDefaultNamespace, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "x" } })).toEqual([]);
        expect(await messages(noDefaultNamespace, { metadata: {} }, {}, "command:remote:Command")).toEqual([]);
    });

    it("does not crash on undefined fields", async () => {
        expect(await messages(noDefaultNamespace, {} as never, {}, "kubernetes:core/v1:ConfigMap"))
            .toEqual(["names no namespace, so it would land in default; set metadata.namespace"]);
    });

    it("honours an exemption with a reason, and only one with a reason", async () => {
        const exempt = { "no-default-namespace": { exemptions: [{ kind: "ConfigMap", name: "settings", reason: "legacy tool reads it from default" }] } };
        expect(await messages(noDefaultNamespace, configMap("default"), exempt)).toEqual([]);
        const noReason = { "no-default-namespace": { exemptions: [{ kind: "ConfigMap", name: "settings", reason: "" }] } };
        expect(await messages(noDefaultNamespace, configMap("default"), noReason)).toHaveLength(1);
    });
});

describe("the runner", () => {
    it("takes enforcement levels from the policy, then all, then the policy's own config", async () => {
        const subjects = [subject(configMap())];
        expect((await runPolicies([noDefaultNamespace], subjects, {}))[0].enforcementLevel).toBe("mandatory");
        expect((await runPolicies([noDefaultNamespace], subjects, { all: "advisory" }))[0].enforcementLevel).toBe("advisory");
        expect((await runPolicies([noDefaultNamespace], subjects, { all: "advisory", "no-default-namespace": "mandatory" }))[0].enforcementLevel).toBe("mandatory");
        expect((await runPolicies([noDefaultNamespace], subjects, { "no-default-namespace": { enforcementLevel: "advisory" } }))[0].enforcementLevel).toBe("advisory");
        expect(await runPolicies([noDefaultNamespace], subjects, { "no-default-namespace": "disabled" })).toEqual([]);
    });

    it("hands unknown values (a preview) to policies as undefined", async () => {
        const unknownNamespace = { ...configMap(), metadata: { name: "settings", namespace: UNKNOWN } };
        expect((await runPolicies([noDefaultNamespace], [subject(unknownNamespace)], {}))[0].message)
            .toBe("names no namespace, so it would land in default; set metadata.namespace");
    });

    it("names each violation's resource by URN", async () => {
        const [v] = await runPolicies([noDefaultNamespace], [subject(configMap())], {});
        expect(v).toEqual({
            policy: "no-default-namespace",
            enforcementLevel: "mandatory",
            urn: "urn:pulumi:test::lsst-k8s::kubernetes:core/v1:ConfigMap::settings",
            message: "names no namespace, so it would land in default; set metadata.namespace",
        });
    });
});

describe("Kubernetes types", () => {
    it("maps manifests to provider type tokens and back, patches included", () => {
        expect(typeOfManifest("v1", "Pod")).toBe("kubernetes:core/v1:Pod");
        expect(typeOfManifest("apps/v1", "Deployment")).toBe("kubernetes:apps/v1:Deployment");
        expect(kubeType("kubernetes:core/v1:Pod")).toEqual({ group: "", version: "v1", kind: "Pod", patch: false });
        expect(kubeType("kubernetes:apps/v1:DeploymentPatch")).toEqual({ group: "apps", version: "v1", kind: "Deployment", patch: true });
        expect(kubeType("command:remote:Command")).toBeUndefined();
    });
});
