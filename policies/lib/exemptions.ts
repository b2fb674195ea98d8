/**
 * Exemptions, shared by every policy: only by namespace or by exact object, each with a written reason,
 * and only in the stack's policy config (technote 001: nothing opts itself out; an annotation anyone can
 * add is not an approval).
 */
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { KubeObject, KubeType, namespaceOf } from "./kube";

export interface Exemption {
    /** Every object in this namespace. */
    readonly namespace?: string;
    /** With name (and namespace for namespaced kinds): exactly that object. */
    readonly kind?: string;
    readonly name?: string;
    /** Why: required, so every exemption says why it is safe. */
    readonly reason: string;
}

/** The JSON schema of an exemption list, for each policy's configSchema. */
export const exemptionsSchema: PolicyConfigJSONSchema = {
    type: "array",
    items: {
        type: "object",
        properties: {
            namespace: { type: "string" },
            kind: { type: "string" },
            name: { type: "string" },
            reason: { type: "string", minLength: 1 },
        },
        required: ["reason"],
        additionalProperties: false,
    },
};

/** The exemption that covers this object, if any. */
export function exemptionFor(exemptions: readonly Exemption[] | undefined, t: KubeType, obj: KubeObject): Exemption | undefined {
    const ns = namespaceOf(obj);
    const name = obj?.metadata?.name;
    return (exemptions ?? []).find((e) => {
        if (!e.reason) {
            return false;
        }
        if (e.kind !== undefined || e.name !== undefined) {
            return e.kind === t.kind && e.name === name && (e.namespace === undefined || e.namespace === ns);
        }
        return e.namespace === ns;
    });
}
