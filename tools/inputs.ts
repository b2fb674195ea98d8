/**
 * Reading files an operator hands the tools: one error type whose message names the file, and a YAML
 * reader that refuses what js-yaml accepts but the rest of the program cannot survive. js-yaml keeps an
 * alias as a reference to its anchor's value, so an alias bomb (aliases of aliases, each repeated) parses
 * in a millisecond and then explodes in whatever walks it, and an anchor used inside its own value makes
 * a cycle that JSON.stringify throws on. Both are refused here, before anything walks the documents.
 */
import * as fs from "fs";
import type * as JsYaml from "js-yaml";

/** An input file the tool cannot use; the message names the file. */
export class InputError extends Error {}

/** A file's text; an unreadable file is an InputError naming it and why (`hint` added to the reason). */
export function readInputFile(file: string, hint = ""): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}${hint}`);
    }
}

/** The most values (mappings, lists and scalars, counting every alias expansion) one file may hold. */
export const YAML_VALUE_LIMIT = 1_000_000;

/** The error for YAML whose aliases expand past YAML_VALUE_LIMIT values; `where` names the file (and document). */
export function aliasBombError(where: string): InputError {
    return new InputError(`${where}: its YAML aliases expand to more than ${YAML_VALUE_LIMIT.toLocaleString("en")} values ` +
        "(an alias bomb?): write the values out, or use fewer nested aliases");
}

/** The error for a YAML alias used inside its own anchor's value; `where` names the file (and document). */
export function aliasCycleError(where: string): InputError {
    return new InputError(`${where}: a YAML alias refers to the value that contains it, which has no end: remove the alias`);
}

/** Every document of a YAML (or JSON) text, each checked for alias cycles and expansion; `format` names it in errors. */
export function loadYamlDocuments(text: string, file: string, format = "YAML"): unknown[] {
    let docs: unknown[];
    try {
        // Loaded when first needed: `policy check` imports this module but reads its input with another parser.
        const yaml = require("js-yaml") as typeof JsYaml;
        docs = yaml.loadAll(text, undefined, { filename: file });
    } catch (e) {
        throw new InputError(`${file}: not valid ${format}: ${(e as Error).message.split("\n")[0]}`);
    }
    let values = 0;
    const open = new Set<object>();
    const walk = (v: unknown): void => {
        if (++values > YAML_VALUE_LIMIT) {
            throw aliasBombError(file);
        }
        if (typeof v !== "object" || v === null) {
            return;
        }
        if (open.has(v)) {
            throw aliasCycleError(file);
        }
        open.add(v);
        Object.values(v).forEach(walk);
        open.delete(v);
    };
    docs.forEach(walk);
    return docs;
}
