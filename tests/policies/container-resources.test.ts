import { containerResources } from "../../policies/container-resources";
import { messages } from "./helpers";
import { runPolicies } from "../../policies/lib/runner";
import { subject } from "./helpers";

const deployment = (resources?: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "pool", namespace: "htcondor" },
    spec: {
        template: {
            spec: {
                containers: [{ name: "startd", image: "x", ...(resources ? { resources } : {}) }],
                ...extra,
            },
        },
    },
});
const full = { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } };

describe("container-resources", () => {
    it("passes containers that declare requests and limits", async () => {
        expect(await messages(containerResources, deployment(full))).toEqual([]);
    });

    it("names every missing field of every container, init containers included", async () => {
        expect(await messages(containerResources, deployment())).toEqual([
            "containers[0] (startd): resources.requests.cpu, resources.requests.memory, resources.limits.cpu, resources.limits.memory not set",
        ]);
        expect(await messages(containerResources, deployment({ requests: { cpu: "1", memory: "1Gi" } }, {
            initContainers: [{ name: "setup", image: "x", resources: full }],
            ephemeralContainers: [{ name: "debug", image: "x" }],
        }))).toEqual(["containers[0] (startd): resources.limits.cpu, resources.limits.memory not set"]);
    });

    it("is advisory unless the stack's policy config says otherwise, and can be switched off", async () => {
        const [v] = await runPolicies([containerResources], [subject(deployment())], {});
        expect(v.enforcementLevel).toBe("advisory");
        expect((await runPolicies([containerResources], [subject(deployment())], { "container-resources": "mandatory" }))[0].enforcementLevel).toBe("mandatory");
        expect(await runPolicies([containerResources], [subject(deployment())], { "container-resources": "disabled" })).toEqual([]);
    });

    it("ignores patches, other types and undefined fields", async () => {
        expect(await messages(containerResources, { metadata: {} }, {}, "kubernetes:apps/v1:DeploymentPatch")).toEqual([]);
        expect(await messages(containerResources, { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "x" } })).toEqual([]);
        expect(await messages(containerResources, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "x" } })).toEqual([]);
    });
});
