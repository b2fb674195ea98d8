/**
 * Turns zod's issues into the lines an operator reads: "<key path>: <message>", one per problem, in the
 * order the schema declares its keys (so the order of keys in a stack file never changes the report),
 * an unknown key with a did-you-mean, and a quoted value never longer than QUOTE_LIMIT.
 */
import { z } from "zod";

/** The most characters a message quotes of a value the operator wrote. */
export const QUOTE_LIMIT = 80;

/** A value as a message quotes it: JSON, cut to QUOTE_LIMIT characters with the full length said. */
export function quote(value: unknown): string {
    const json = JSON.stringify(value) ?? String(value);
    if (json.length <= QUOTE_LIMIT) {
        return json;
    }
    const length = typeof value === "string" ? value.length : json.length;
    const tail = `… (${length} characters)`;
    let keep = QUOTE_LIMIT - tail.length - 2;
    let head = typeof value === "string" ? JSON.stringify(value.slice(0, keep)) : json.slice(0, keep);
    // Escapes make the JSON of a slice longer than the slice: shrink until it fits.
    while (head.length > QUOTE_LIMIT - tail.length && keep > 1) {
        keep--;
        head = typeof value === "string" ? JSON.stringify(value.slice(0, keep)) : json.slice(0, keep);
    }
    return head + tail;
}

/** Edit distance, to turn "adress" into "did you mean address". */
function distance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const cur = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = cur;
        }
    }
    return row[b.length];
}

/** " (did you mean "x"?)" when a known key is close, else the list of known keys. */
export function suggestion(key: string, known: readonly string[]): string {
    const best = known.map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
    return best && best.d <= 3 ? ` (did you mean "${best.k}"?)` : ` (known keys: ${known.join(", ")})`;
}

export type Path = readonly PropertyKey[];

/** "cluster.nodes[3].address" */
export function formatPath(path: Path): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

/**
 * A refinement that names another key in its message writes "{ref}" there and passes
 * `params: { ref: { up, then } }`: the other key's path is the issue's own path less its last `up`
 * segments, then `then`. So a schema never has to know where in the stack file it sits.
 */
export interface RefParams {
    readonly up: number;
    readonly then: readonly (string | number)[];
}

export function ref(up: number, ...then: (string | number)[]): { ref: RefParams } {
    return { ref: { up, then } };
}

type Schema = z.core.$ZodType;

/** The object schema a path leads to (through optional, default, pipe and array), if any. */
function objectAt(root: Schema, path: Path): z.core.$ZodObject | undefined {
    let s: Schema | undefined = root;
    for (let i = 0; s && i <= path.length; i++) {
        s = unwrap(s);
        if (i === path.length) {
            break;
        }
        const def = s._zod.def as unknown as Record<string, unknown>;
        const seg = path[i];
        if (def.type === "array" && typeof seg === "number") {
            s = def.element as Schema;
        } else if (def.type === "object" && typeof seg === "string") {
            s = (def.shape as Record<string, Schema>)[seg];
        } else {
            return undefined;
        }
    }
    return s && (s._zod.def as { type: string }).type === "object" ? (s as z.core.$ZodObject) : undefined;
}

function unwrap(s: Schema): Schema {
    for (;;) {
        const def = s._zod.def as unknown as Record<string, unknown>;
        if (def.type === "optional" || def.type === "default" || def.type === "prefault" || def.type === "nullable" || def.type === "readonly") {
            s = def.innerType as Schema;
        } else if (def.type === "pipe") {
            const input = def.in as Schema;
            s = (input._zod.def as { type: string }).type === "transform" ? (def.out as Schema) : input;
        } else {
            return s;
        }
    }
}

/** The keys an object schema declares, in order. */
function keysOf(o: z.core.$ZodObject): string[] {
    return Object.keys(o._zod.def.shape);
}

interface Problem {
    readonly path: Path;
    readonly message: string;
}

/**
 * Orders problems as the schema declares its keys: list items by index, a key unknown to the schema
 * first among its siblings, and a problem of a whole object or list after those of what it holds.
 */
function compare(root: Schema, a: Path, b: Path): number {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const [x, y] = [a[i], b[i]];
        if (x === y) {
            continue;
        }
        if (typeof x === "number" && typeof y === "number") {
            return x - y;
        }
        const o = objectAt(root, a.slice(0, i));
        const keys = o ? keysOf(o) : [];
        return keys.indexOf(String(x)) - keys.indexOf(String(y));
    }
    return b.length - a.length;
}

/** Every issue as "<key path>: <message>", in schema order. */
export function problemLines(root: Schema, issues: readonly z.core.$ZodIssue[]): string[] {
    const problems: Problem[] = [];
    for (const issue of issues) {
        if (issue.code === "unrecognized_keys") {
            const o = objectAt(root, issue.path);
            const known = o ? keysOf(o) : [];
            for (const key of issue.keys) {
                problems.push({ path: [...issue.path, key], message: `unknown key${suggestion(key, known)}` });
            }
            continue;
        }
        let message = issue.message;
        const r = (issue as { params?: { ref?: RefParams } }).params?.ref;
        if (r) {
            message = message.replace("{ref}", formatPath([...issue.path.slice(0, issue.path.length - r.up), ...r.then]));
        }
        problems.push({ path: issue.path, message });
    }
    // Array.prototype.sort is stable: problems at one path keep the order they were found in. A value
    // that fails several checks for one reason (0.5 is neither whole nor at least 1) is said once.
    const lines = problems
        .sort((p, q) => compare(root, p.path, q.path))
        .map((p) => `${formatPath(p.path)}: ${p.message}`);
    return [...new Set(lines)];
}
