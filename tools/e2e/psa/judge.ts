/** The pack's side of the differential: pod-security-restricted's verdict on one object. */
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, typeOfManifest } from "../../../policies/lib/kube";
import { podSecurityRestricted } from "../../../policies/pod-security-restricted";

/**
 * The pack's verdict on one object: the pod-security-restricted policy as the runner calls it, with
 * the stack's Kubernetes minor as its config and no exemptions.
 */
export function judgeWithPack(object: KubeObject, minor: number): { allowed: boolean; reasons: string[] } {
    const policy = podSecurityRestricted as ResourceValidationPolicy;
    const reasons: string[] = [];
    const type = typeOfManifest(String(object.apiVersion), String(object.kind));
    const name = String(object?.metadata?.name ?? "unnamed");
    const args = {
        type,
        props: object,
        urn: `urn:pulumi:psa::lsst-k8s::${type}::${name}`,
        name,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: {}, additionalSecretOutputs: [] },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: () => ({ kubernetesMinor: minor }),
        notApplicable: () => {
            throw new Error("not applicable");
        },
    } as unknown as ResourceValidationArgs;
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validate of validations.filter((v) => v !== undefined)) {
        const result = validate(args, (message: string) => reasons.push(message));
        if (result instanceof Promise) {
            throw new Error("judgeWithPack: the policy validates asynchronously");
        }
    }
    return { allowed: reasons.length === 0, reasons };
}
