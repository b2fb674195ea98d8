/**
 * Reads a Pulumi.<stack>.yaml into the raw config map the engine would hand the program. Offline
 * there is no secrets provider: every `secure:` value, and the SSH key and the HTCondor token when the
 * file does not carry them (it normally does not: operators set them with `pulumi config set --secret`),
 * becomes a placeholder that is still passed as a secret, so the program treats it exactly as it would
 * treat the real one.
 */
import { CONDOR_TOKEN, PROJECT, SSH_KEY } from "../config";
import { InputError, loadYamlDocuments, readInputFile } from "./inputs";
import { PLACEHOLDER_CONDOR_TOKEN } from "./offline";

export { InputError } from "./inputs";

export const SSH_KEY_PLACEHOLDER =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nsynth-placeholder: the offline synth never connects to a host\n-----END OPENSSH PRIVATE KEY-----\n";

/** The secret keys the program always reads, each with a placeholder it accepts. */
const SECRET_PLACEHOLDERS: Readonly<Record<string, string>> = {
    [`${PROJECT}:${SSH_KEY}`]: SSH_KEY_PLACEHOLDER,
    [`${PROJECT}:${CONDOR_TOKEN}`]: PLACEHOLDER_CONDOR_TOKEN,
};

export interface RawStackConfig {
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
    /** Secret keys the synth filled with a placeholder. */
    readonly placeholders: string[];
}

export function readStackFile(file: string): RawStackConfig {
    const text = readInputFile(file);
    const docs = loadYamlDocuments(text, file);
    if (docs.length > 1) {
        throw new InputError(`${file}: holds ${docs.length} YAML documents; a stack file is one`);
    }
    const doc = docs[0];
    const root = (doc ?? {}) as Record<string, unknown>;
    const entries = root.config ?? {};
    if (typeof root !== "object" || Array.isArray(root) || typeof entries !== "object" || Array.isArray(entries)) {
        throw new InputError(`${file}: expected a mapping with a "config" mapping`);
    }
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const placeholders: string[] = [];
    for (const [rawKey, value] of Object.entries(entries as Record<string, unknown>)) {
        const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
        if (isSecure(value)) {
            config[key] = SECRET_PLACEHOLDERS[key] ?? `<synth placeholder for ${key}>`;
            secretKeys.push(key);
            placeholders.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    for (const [key, placeholder] of Object.entries(SECRET_PLACEHOLDERS)) {
        if (!(key in config)) {
            config[key] = placeholder;
            secretKeys.push(key);
            placeholders.push(key);
        }
    }
    return { config, secretKeys, placeholders };
}

function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && "secure" in value;
}
