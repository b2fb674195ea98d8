/**
 * The stack's policy data, as the pack reads it: policies/config/<stack>.json, each policy's own
 * properties over the defaults of its config schema, and the enforcement level the runner would give
 * it (policies/lib/runner.ts), so the cluster enforces what `pulumi up` enforces, from the same file.
 */
import * as fs from "fs";
import * as path from "path";
import { Policy } from "@pulumi/policy";
import { PackConfig } from "../../../policies/lib/runner";

const POLICY_CONFIG_DIR = path.resolve(__dirname, "..", "..", "..", "policies", "config");

/** The stack's policy config file, parsed; one clear message when it is missing or not JSON. */
export function stackPolicyData(stack: string): PackConfig {
    const file = path.join(POLICY_CONFIG_DIR, `${stack}.json`);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        throw new Error(`policies/config/${stack}.json: the stack has no policy config (every stack needs one)`);
    }
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch (e) {
        throw new Error(`policies/config/${stack}.json is not JSON: ${(e as Error).message}`);
    }
    if (!data || typeof data !== "object" || Array.isArray(data)) {
        throw new Error(`policies/config/${stack}.json must be an object of policy names`);
    }
    return data as PackConfig;
}

/** The level the runner gives POLICY under DATA: its own, else "all", else the policy's. */
export function levelOf(policy: Policy, data: PackConfig): string {
    const own = data[policy.name];
    if (typeof own === "string") {
        return own;
    }
    return own?.enforcementLevel ?? data.all ?? policy.enforcementLevel ?? "advisory";
}

/** POLICY's config under DATA: each property the stack leaves out takes its schema's default. */
export function configOf<C>(policy: Policy, data: PackConfig): C {
    const props = (policy.configSchema?.properties ?? {}) as Record<string, { default?: unknown }>;
    const defaults = Object.fromEntries(Object.entries(props).filter(([, s]) => s.default !== undefined).map(([k, s]) => [k, s.default]));
    const own = data[policy.name];
    const given = own && typeof own === "object" ? own : {};
    const set = Object.entries(given).filter(([k, v]) => k !== "enforcementLevel" && v !== undefined);
    return { ...defaults, ...Object.fromEntries(set) } as C;
}
