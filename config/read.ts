/** Reads one stack's config as the engine passes it and validates it against the schemas. */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { problemLines, suggestion } from "./problems";
import { PROJECT, SSH_KEY, stack, STACK_KEYS } from "./stack";
import type { ClusterConfig } from "./types";

/** What the program runs with: the validated cluster plus its secrets, still wrapped as secrets. */
export interface StackConfig {
    readonly cluster: ClusterConfig;
    readonly sshPrivateKey: pulumi.Output<string>;
}

/** Raised with every problem found; the engine prints it without a stack trace. */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p}`).join("\n"));
    }
}

/** A section as the engine passes it (JSON text); text that is not JSON is left as it is, which no section accepts. */
function parseSection(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null) {
        Object.values(value).forEach(deepFreeze);
        Object.freeze(value);
    }
    return value;
}

/**
 * Validates the raw config of one stack: keys as the engine passes them ("lsst-k8s:cluster") with string
 * values (objects JSON-encoded), and `secretKeys`, the keys the stack file holds encrypted (when known).
 * Returns the frozen config or every problem found.
 */
export function validateConfig(
    raw: Readonly<Record<string, string>>,
    secretKeys?: readonly string[],
): { config?: ClusterConfig; problems: string[] } {
    const problems: string[] = [];
    const sshKey = `${PROJECT}:${SSH_KEY}`;
    if (secretKeys && sshKey in raw && !secretKeys.includes(sshKey)) {
        // Never echoes the value: a key committed in plain text is still a key.
        problems.push(`${SSH_KEY}: is in the stack file in plain text: remove it (\`pulumi config rm ${SSH_KEY}\`), set it with ` +
            `\`pulumi config set --secret ${SSH_KEY} < ~/.ssh/id_ed25519\`, and replace the key, which has been exposed`);
    }
    const input: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(raw)) {
        const i = fullKey.indexOf(":");
        const [ns, key] = i < 0 ? [PROJECT, fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
        if (ns !== PROJECT) {
            continue;
        }
        if (!(STACK_KEYS as readonly string[]).includes(key)) {
            problems.push(`${key}: unknown config key${suggestion(key, STACK_KEYS)}`);
            continue;
        }
        input[key] = key === SSH_KEY ? value : parseSection(value);
    }
    const parsed = stack.safeParse(input);
    if (!parsed.success) {
        return { problems: [...problems, ...problemLines(stack, parsed.error.issues)] };
    }
    if (problems.length > 0) {
        return { problems };
    }
    const { cluster, platform } = parsed.data as z.output<typeof stack>;
    return { config: deepFreeze({ ...cluster, ...(platform ? { platform } : {}) }) as ClusterConfig, problems: [] };
}

/**
 * The engine tells the program which config keys are secret (PULUMI_CONFIG_SECRET_KEYS), but
 * @pulumi/pulumi exports the test for it as internal API only; a test keeps it present in the pinned version.
 */
export function secretConfigKeys(keys: readonly string[]): string[] {
    const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (key: string) => boolean };
    if (typeof isConfigSecret !== "function") {
        throw new Error("@pulumi/pulumi no longer exports runtime/config isConfigSecret: the plain-text key check needs another source");
    }
    return keys.filter((k) => isConfigSecret(k));
}

/** Reads the running stack's config; throws ConfigError listing every problem. */
export function readConfig(): StackConfig {
    const raw = pulumi.runtime.allConfig();
    const { config, problems } = validateConfig(raw, secretConfigKeys(Object.keys(raw)));
    if (!config) {
        throw new ConfigError(problems);
    }
    return {
        cluster: config,
        sshPrivateKey: new pulumi.Config(PROJECT).requireSecret(SSH_KEY),
    };
}
