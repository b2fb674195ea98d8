/**
 * The one place that reads and validates stack config. Everything is checked before any resource is
 * created and every problem is reported at once, each with its key path, so an operator fixes a stack
 * file in one pass instead of one `pulumi up` per typo. The rules are zod schemas, one module per
 * section; schema/stack.schema.json is generated from the same schemas for editors.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { ClusterSection } from "./cluster";
import type { BastionConfig as Bastion, SshConfig as Ssh } from "./ssh";
import type { NodeConfig as Node } from "./nodes";
import type * as P from "./platform";
import { problemLines, suggestion } from "./problems";
import { PROJECT, SSH_KEY, stack, STACK_KEYS } from "./stack";

export { PROJECT, SSH_KEY } from "./stack";
export { FILESETS, PLATFORM_NAMESPACES } from "./platform";
export type { FilesetName } from "./platform";
export type { NodeRole } from "./nodes";
export type { KubernetesVersion } from "../components/hosts/versions";

/** What the schemas produce, frozen: nothing downstream can change the config it was given. */
type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[]
    : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type NodeConfig = DeepReadonly<Node>;
export type SshConfig = DeepReadonly<Ssh>;
export type BastionConfig = DeepReadonly<Bastion>;
export type PlatformConfig = DeepReadonly<P.PlatformConfig>;
export type PlatformGroups = DeepReadonly<P.PlatformGroups>;
export type DeveloperGroup = DeepReadonly<P.DeveloperGroup>;
export type JupyterConfig = DeepReadonly<P.JupyterConfig>;
export type NotebookProfile = DeepReadonly<P.NotebookProfile>;
export type FilesetsConfig = DeepReadonly<P.FilesetsConfig>;
export type CondorConfig = DeepReadonly<P.CondorConfig>;
export type CondorPool = DeepReadonly<P.CondorPool>;
export type EtcdBackupConfig = DeepReadonly<P.EtcdBackupConfig>;
export type RegistryConfig = DeepReadonly<P.RegistryConfig>;
export type Endpoint = DeepReadonly<ClusterSection["controlPlaneEndpoint"]>;
/** The cluster section with the platform beside it; `platform` is absent when the stack has none. */
export type ClusterConfig = DeepReadonly<ClusterSection & { platform?: P.PlatformConfig }>;

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
 * values (objects JSON-encoded). Returns the frozen config or every problem found.
 */
export function validateConfig(raw: Readonly<Record<string, string>>): { config?: ClusterConfig; problems: string[] } {
    const problems: string[] = [];
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

/** Reads the running stack's config; throws ConfigError listing every problem. */
export function readConfig(): StackConfig {
    const { config, problems } = validateConfig(pulumi.runtime.allConfig());
    if (!config) {
        throw new ConfigError(problems);
    }
    return {
        cluster: config,
        sshPrivateKey: new pulumi.Config(PROJECT).requireSecret(SSH_KEY),
    };
}
