/**
 * Writes schema/stack.schema.json, the JSON Schema of the stack files, from the zod schemas in config/
 * (`npm run schema`). A test regenerates it and compares, so the committed file never drifts.
 */
import * as fs from "fs";
import * as path from "path";
import { stackJsonSchema } from "../config/stackFile";

export const SCHEMA_FILE = path.join(__dirname, "..", "schema", "stack.schema.json");

/** The file's exact text: two-space JSON and a final newline, as an editor would save it. */
export function schemaText(): string {
    return `${JSON.stringify(stackJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
    fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
    const tmp = `${SCHEMA_FILE}.tmp`;
    fs.writeFileSync(tmp, schemaText());
    fs.renameSync(tmp, SCHEMA_FILE);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
