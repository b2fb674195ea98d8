/**
 * Runs the pack's policies the way the Pulumi engine does, without the engine: for the synth (over
 * what the program registers), `policy check` (over plain manifests) and the tests. Enforcement levels
 * come from the stack's policy config ("all", then each policy's own), a disabled policy is skipped,
 * and during a preview unknown values reach the policies as undefined, as they do from the engine.
 */
import { EnforcementLevel, Policy, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/** A resource as the engine shows it to a policy. */
export interface Subject {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly props: Record<string, any>;
}

export interface Violation {
    readonly policy: string;
    readonly enforcementLevel: EnforcementLevel;
    /** The subject's URN, or undefined for a stack policy's finding about the whole stack. */
    readonly urn?: string;
    readonly message: string;
}

/** The stack's policy config file (`--policy-pack-config`): { all?: level, <policy>: { enforcementLevel?, ...config } }. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PackConfig = Record<string, any>;

/** The marker Pulumi's runtime uses for a value not known until the update. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function levelOf(policy: Policy, config: PackConfig): EnforcementLevel {
    const own = config[policy.name];
    if (typeof own === "string") {
        return own as EnforcementLevel;
    }
    return own?.enforcementLevel ?? config.all ?? policy.enforcementLevel ?? "advisory";
}

function configOf(policy: Policy, config: PackConfig): Record<string, unknown> {
    const own = config[policy.name];
    if (own === undefined || typeof own === "string") {
        return {};
    }
    const { enforcementLevel: _level, ...rest } = own;
    return rest;
}

/** Whether withoutUnknowns has to change anything: an unknown inside, or an object that is not plain. */
function needsCleaning(value: unknown): boolean {
    if (value === UNKNOWN) {
        return true;
    }
    if (typeof value !== "object" || value === null) {
        return false;
    }
    if (Array.isArray(value)) {
        return Object.getPrototypeOf(value) !== Array.prototype || value.some(needsCleaning);
    }
    if (Object.getPrototypeOf(value) !== Object.prototype) {
        return true;
    }
    for (const key in value) {
        if (needsCleaning((value as Record<string, unknown>)[key])) {
            return true;
        }
    }
    return false;
}

/** Unknown values become undefined, as the engine hands them to policies during a preview. */
function copyWithoutUnknowns(value: unknown): unknown {
    if (value === UNKNOWN) {
        return undefined;
    }
    if (Array.isArray(value)) {
        return value.map(copyWithoutUnknowns);
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyWithoutUnknowns(v)]));
    }
    return value;
}

/** The value cleaned of unknowns; plain data without one is handed on as it is (policies only read it). */
function withoutUnknowns(value: unknown): unknown {
    return needsCleaning(value) ? copyWithoutUnknowns(value) : value;
}

class NotApplicable extends Error {}

/** What a resource policy is shown of a subject, but for its config: the same for every policy. */
function resourceArgs(s: Subject) {
    return {
        type: s.type,
        props: s.props,
        urn: s.urn,
        name: s.name,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: {}, additionalSecretOutputs: [] },
        stackTags: new Map(),
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        isType: (cls: any) => cls?.__pulumiType === s.type,
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        asType: (cls: any) => (cls?.__pulumiType === s.type ? s.props : undefined) as any,
        notApplicable: (reason?: string) => {
            throw new NotApplicable(reason);
        },
    };
}

/** Runs every policy over the subjects and returns what they report. */
export async function runPolicies(policies: readonly Policy[], subjects: readonly Subject[], config: PackConfig): Promise<Violation[]> {
    const violations: Violation[] = [];
    const cleaned = subjects.map((s) => ({ ...s, props: withoutUnknowns(s.props) as Subject["props"] }));
    let shown: ReturnType<typeof resourceArgs>[] | undefined;
    for (const policy of policies) {
        const enforcementLevel = levelOf(policy, config);
        if (enforcementLevel === "disabled") {
            continue;
        }
        const policyConfig = configOf(policy, config);
        const getConfig = <T extends object>() => policyConfig as T;
        const resourcePolicy = policy as ResourceValidationPolicy;
        if (typeof resourcePolicy.validateResource === "function") {
            shown ??= cleaned.map(resourceArgs);
            for (const args of shown) {
                const report = (message: string, urn?: string) =>
                    violations.push({ policy: policy.name, enforcementLevel, urn: urn ?? args.urn, message });
                try {
                    // eslint-disable-next-line @typescript-eslint/no-explicit-any
                    const done = resourcePolicy.validateResource({ ...args, getConfig } as any, report);
                    // Most policies are synchronous: awaiting only a promise saves a turn of the event loop per object.
                    if (typeof (done as PromiseLike<void> | undefined)?.then === "function") {
                        await done;
                    }
                } catch (e) {
                    if (!(e instanceof NotApplicable)) {
                        throw e;
                    }
                }
            }
        }
        const stackPolicy = policy as StackValidationPolicy;
        if (typeof stackPolicy.validateStack === "function") {
            const resources = cleaned.map((s) => ({
                type: s.type, props: s.props, urn: s.urn, name: s.name,
                opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: {}, additionalSecretOutputs: [] },
                dependencies: [], propertyDependencies: {},
                // eslint-disable-next-line @typescript-eslint/no-explicit-any
                isType: (cls: any) => cls?.__pulumiType === s.type,
                // eslint-disable-next-line @typescript-eslint/no-explicit-any
                asType: (cls: any) => (cls?.__pulumiType === s.type ? s.props : undefined) as any,
            })) as unknown as PolicyResource[];
            try {
                await stackPolicy.validateStack({ resources, getConfig, stackTags: new Map(), notApplicable: (reason?: string) => {
                    throw new NotApplicable(reason);
                // eslint-disable-next-line @typescript-eslint/no-explicit-any
                } } as any, (message: string, urn?: string) => violations.push({ policy: policy.name, enforcementLevel, urn, message }));
            } catch (e) {
                if (!(e instanceof NotApplicable)) {
                    throw e;
                }
            }
        }
    }
    return violations;
}
