/** Reads one stack's config as the engine passes it and validates it against the schemas. */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { CONDOR_TOKEN } from "./platform/htcondor";
import { problemLines, suggestion } from "./problems";
import { PROJECT, SSH_KEY, stack, STACK_KEYS } from "./stack";
import type { ClusterConfig } from "./types";

/** What the program runs with: the validated cluster plus its secrets, still wrapped as secrets. */
export interface StackConfig {
    readonly cluster: ClusterConfig;
    readonly sshPrivateKey: pulumi.Output<string>;
    /** The HTCondor startds' IDTOKEN; present whenever the platform has pools (validateConfig requires it then). */
    readonly condorToken?: pulumi.Output<string>;
}

/**
 * The keys that hold credentials: passed to the schemas as the engine gives them (never JSON-parsed),
 * and refused when the stack file holds them in plain text, each with the command that sets it and
 * what to replace, since a credential committed in clear is exposed whatever happens next.
 */
const SECRET_KEYS: Readonly<Record<string, { set: string; replace: string }>> = {
    [SSH_KEY]: { set: `pulumi config set --secret ${SSH_KEY} < ~/.ssh/id_ed25519`, replace: "replace the key" },
    [CONDOR_TOKEN]: {
        set: `condor_token_create ... | pulumi config set --secret ${CONDOR_TOKEN}`,
        replace: "have the central manager stop accepting the token (a new identity, or a new signing key)",
    },
};

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
    for (const [key, { set, replace }] of Object.entries(SECRET_KEYS)) {
        const fullKey = `${PROJECT}:${key}`;
        if (secretKeys && fullKey in raw && !secretKeys.includes(fullKey)) {
            // Never echoes the value: a credential committed in plain text is still a credential.
            problems.push(`${key}: is in the stack file in plain text: remove it (\`pulumi config rm ${key}\`), set it with ` +
                `\`${set}\`, and ${replace}, which has been exposed`);
        }
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
        input[key] = Object.hasOwn(SECRET_KEYS, key) ? value : parseSection(value);
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
    const secrets = new pulumi.Config(PROJECT);
    const condorToken = config.platform?.htcondor ? secrets.getSecret(CONDOR_TOKEN)?.apply((t) => t.trim()) : undefined;
    return {
        cluster: config,
        sshPrivateKey: secrets.requireSecret(SSH_KEY),
        ...(condorToken ? { condorToken } : {}),
    };
}
