/**
 * The shape of a whole `Pulumi.<stack>.yaml`, for schema/stack.schema.json: the project's keys under
 * `config:` with their section schemas, the secret keys only in their encrypted form, and every other
 * namespace (kubernetes:, pulumi:) left to its owner. validateConfig judges what the engine passes;
 * this is what an editor judges as the file is written.
 */
import { z } from "zod";
import { cluster } from "./cluster";
import { platform } from "./platform";
import { CONDOR_TOKEN } from "./platform/htcondor";
import { PROJECT, SSH_KEY, STACK_KEYS } from "./stack";

/** A secret key in the only form a stack file may hold it. */
const secret = (set: string) => z.strictObject({ secure: z.string().min(1) }).meta({
    description: `Encrypted by \`${set}\`; never written here in plain text.`,
});

const projectKeys = z.looseObject({
    [`${PROJECT}:cluster`]: cluster.meta({ description: "The cluster: name, version pin, endpoint, networks, SSH and the hosts." }),
    [`${PROJECT}:platform`]: platform.optional().meta({ description: "What the cluster carries beyond Kubernetes; absent, only the overlay." }),
    [`${PROJECT}:${SSH_KEY}`]: secret(`pulumi config set --secret ${SSH_KEY} < KEYFILE`).optional(),
    [`${PROJECT}:${CONDOR_TOKEN}`]: secret(`condor_token_create ... | pulumi config set --secret ${CONDOR_TOKEN}`).optional(),
});

export const stackFile = z.strictObject({
    config: projectKeys,
    secretsprovider: z.string().optional(),
    encryptedkey: z.string().optional(),
    encryptionsalt: z.string().optional(),
    environment: z.unknown().optional(),
}).meta({ title: `${PROJECT} stack file (Pulumi.<stack>.yaml)` });

/** The JSON Schema an editor uses for the stack files (npm run schema writes it to schema/stack.schema.json). */
export function stackJsonSchema(): Record<string, unknown> {
    const schema = z.toJSONSchema(stackFile, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    const config = (schema.properties as Record<string, Record<string, unknown>>).config;
    // A key of this project that is none of its keys is a typo: the engine would pass it and the
    // program refuse it, so the editor flags it too.
    const known = STACK_KEYS.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
    config.patternProperties = { [`^${PROJECT}:(?!(${known})$)`]: false };
    config.required = [`${PROJECT}:cluster`];
    return schema;
}
