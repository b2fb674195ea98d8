/** Shared by the policy suites: run one policy over objects the way the engine would. */
import { Policy } from "@pulumi/policy";
import { PackConfig, runPolicies, Subject, Violation } from "../../policies/lib/runner";
import { KubeObject, typeOfManifest } from "../../policies/lib/kube";

/** A manifest as a subject, typed as the Kubernetes provider types it. */
export function subject(obj: KubeObject, type = typeOfManifest(obj.apiVersion, obj.kind)): Subject {
    const name = obj?.metadata?.name ?? "unnamed";
    return { type, name, urn: `urn:pulumi:test::lsst-k8s::${type}::${name}`, props: obj };
}

/** The messages one policy reports for one object. */
export async function messages(policy: Policy, obj: KubeObject, config: PackConfig = {}, type?: string): Promise<string[]> {
    return (await runPolicies([policy], [subject(obj, type)], config)).map((v: Violation) => v.message);
}
