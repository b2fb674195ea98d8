/**
 * What the NetworkPolicies component declares for each stack's namespaces, as Platform declares it,
 * evaluated once per suite: shared by the suite under the mocks and the one on the real API server.
 */
import { validateConfig } from "../../config";
import { RecordedResource } from "../../tools/evaluate";
import { declareAlone, ofType, rawConfig, runStack, StackName } from "../harness";

export const POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;
export const meta = (r: RecordedResource) => r.inputs.metadata as Obj;

export interface Declared {
    /** Every namespace the stack's program creates. */
    readonly namespaces: string[];
    /** The NetworkPolicies the component declares for them, alone, as Platform declares it. */
    readonly policies: RecordedResource[];
    /** Everything the stack's program declares. */
    readonly resources: RecordedResource[];
}

/** The container ports of the registry's pod, as Registry declares them. */
export function registryPodPorts(resources: readonly RecordedResource[]): number[] {
    const deployment = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && meta(r).namespace === "registry" && meta(r).name === "registry");
    if (!deployment) {
        throw new Error("the stack declares no registry Deployment");
    }
    const containers = (deployment.inputs.spec as Obj).template.spec.containers as Obj[];
    return containers.flatMap((c) => (c.ports ?? []).map((p: Obj) => p.containerPort as number)).sort((a, b) => a - b);
}

const declaredFor = new Map<StackName, Promise<Declared>>();
export function declare(stack: StackName): Promise<Declared> {
    if (!declaredFor.has(stack)) {
        const config = validateConfig(rawConfig(stack).config).config!;
        declaredFor.set(stack, (async () => {
            const e = await runStack(stack);
            const namespaces = ofType(e, "kubernetes:core/v1:Namespace").map((r) => meta(r).name as string);
            // Every port of the registry's pod is dialled from nodes (pulls, and the mirror's pushes).
            const registryPorts = registryPodPorts([...e.resources]);
            const policies = (await declareAlone((k8s, provider) => {
                const { NetworkPolicies } = require("../../components/platform/NetworkPolicies");
                const dependsOn = namespaces.map((ns) => new k8s.core.v1.Namespace(`ns-${ns}`, { metadata: { name: ns } }, { provider }));
                new NetworkPolicies(`${config.name}-platform-network-policies`, { namespaces, podNetwork: config.networks.pods, registryPorts, provider, dependsOn });
            })).filter((r) => r.type === POLICY);
            return { namespaces, policies, resources: [...e.resources] };
        })());
    }
    return declaredFor.get(stack)!;
}
