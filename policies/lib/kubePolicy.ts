/**
 * One shape for every resource policy over Kubernetes objects, so that each policy module only says
 * what it checks. The engine does not apply config defaults in unit tests, so defaults are applied
 * here; exemptions from the stack's policy config are honoured here, once, for every policy.
 */
import { EnforcementLevel, ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { Exemption, exemptionFor, exemptionsSchema } from "./exemptions";
import { KubeObject, KubeType, kubeType } from "./kube";

export interface KubePolicyConfig {
    /** Objects this policy does not apply to, each with its reason. */
    readonly exemptions?: readonly Exemption[];
}

export interface KubePolicyDefinition<C extends KubePolicyConfig> {
    /** lower-kebab name, as in the stack's policy config. */
    readonly name: string;
    /** A full sentence. */
    readonly description: string;
    /** Default "mandatory": technote 001's rules hold on every stack. */
    readonly enforcementLevel?: EnforcementLevel;
    /** JSON schema of the policy's own config properties (exemptions are added). */
    readonly schema?: Record<string, PolicyConfigJSONSchema>;
    /** Values used when the stack's policy config leaves a property out. */
    readonly defaults: Omit<C, "exemptions">;
    /** Which objects the policy looks at. */
    readonly applies: (t: KubeType) => boolean;
    /** Reports each problem with a message that does not repeat the object's name. */
    readonly validate: (t: KubeType, obj: KubeObject, config: C, report: (message: string) => void) => void;
}

export function kubePolicy<C extends KubePolicyConfig>(def: KubePolicyDefinition<C>): ResourceValidationPolicy {
    // The offline runner hands every object the same config object: merge the defaults in once for it.
    let given: Partial<C> | undefined;
    let merged: C | undefined;
    return {
        name: def.name,
        description: def.description,
        enforcementLevel: def.enforcementLevel ?? "mandatory",
        configSchema: { properties: { ...def.schema, exemptions: exemptionsSchema } },
        validateResource: (args, reportViolation: ReportViolation) => {
            const t = kubeType(args.type);
            if (!t || !def.applies(t)) {
                return;
            }
            const own = args.getConfig<Partial<C>>();
            if (merged === undefined || own !== given) {
                given = own;
                merged = { ...def.defaults, ...own } as C;
            }
            const config = merged;
            if (exemptionFor(config.exemptions, t, args.props)) {
                return;
            }
            def.validate(t, args.props ?? {}, config, (message) => reportViolation(message));
        },
    };
}
