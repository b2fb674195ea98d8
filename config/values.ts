/**
 * The small, strict value schemas every section is built from. Each one words its own problems the way
 * the operator reads them ("required", "7 is not a string", "\"Lab\" is not a DNS-1123 label") and
 * keeps a JSON Schema shape (type, pattern, bounds, default), so an editor flags what the program would.
 */
import { z } from "zod";
import { quote } from "./problems";

type Issue = z.core.$ZodRawIssue;

/** "required" for a missing value, else the message for what was written. */
function worded(describe: (input: unknown) => string): (iss: Issue) => string {
    return (iss) => (iss.input === undefined ? "required" : describe(iss.input));
}

/** A value that is not what it should be: its quoted form, then why. */
const not = (why: string) => worded((input) => `${quote(input)} ${why}`);

/**
 * A required, non-empty string. `rule` is a pattern (kept in the JSON Schema) or a test; `describe`
 * says what the value failed to be ("is not a DNS-1123 label"). An empty string is "required", however
 * many checks it fails (problemLines drops repeated lines).
 */
export function text(rule?: RegExp | ((s: string) => boolean), describe = "is not valid") {
    // zod runs a length check on anything with a length, a list included: such a value is "not a
    // string" here too, and the repeated line is dropped.
    const base = z.string({ error: not("is not a string") })
        .min(1, { error: (iss) => (typeof iss.input === "string" ? "required" : not("is not a string")(iss)) });
    const error = (iss: Issue) => (iss.input === "" ? "required" : not(describe)(iss));
    if (rule instanceof RegExp) {
        return base.regex(rule, { error });
    }
    return rule ? base.refine(rule, { error }) : base;
}

/** One of a few words; anything else "must be "a" or "b"". */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    const words = values.map((v) => JSON.stringify(v));
    const must = `must be ${words.slice(0, -1).join(", ")}${words.length > 1 ? " or " : ""}${words[words.length - 1]}`;
    return z.enum(values, {
        error: worded((input) => (typeof input !== "string" ? `${quote(input)} is not a string` : input === "" ? "required" : `${quote(input)} ${must}`)),
    });
}

/** A whole number inside [min, max]. */
export function whole(min: number, max: number) {
    const error = not(`is not a whole number from ${min} to ${max}`);
    return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** true or false. */
export function flag() {
    return z.boolean({ error: not("is not true or false") });
}

/** A TCP port. */
export function port() {
    return whole(1, 65535);
}

/** A mapping with exactly these keys; a key it does not know is reported with a did-you-mean. */
export function record<S extends z.core.$ZodLooseShape>(shape: S) {
    return z.strictObject(shape, { error: (iss) => (iss.input === undefined ? "required" : "is not an object") });
}

/** A list of items; `nonEmpty` refuses [] as well. */
export function list<T extends z.core.$ZodType>(item: T, opts: { nonEmpty?: boolean } = {}) {
    const what = opts.nonEmpty ? "is not a non-empty list" : "is not a list";
    const l = z.array(item, { error: (iss) => (iss.input === undefined ? "required" : what) });
    return opts.nonEmpty ? l.min(1, { error: what }) : l;
}

/** A quantity of something that must exist: a zero-sized volume or a zero-core pod is a typo. */
function aboveZero<T extends z.ZodType<string>>(s: T) {
    return s.refine((q) => !QUANTITY.test(q) || quantity(q) > 0, { error: (iss) => `${quote(iss.input)} is zero: give a size above zero` });
}

/** A storage or memory size ("100Gi"), above zero. */
export function size(describe: string) {
    return aboveZero(text(QUANTITY, describe));
}

/** A cpu or memory quantity written as a string or, for cpu, a bare number ("2", 2, "500m"). */
export function quantityText(describe: string, opts: { aboveZero?: boolean } = {}) {
    const q = text(QUANTITY, describe);
    return z.union([z.string(), z.number()], { error: not("is not a string") })
        .transform((v) => String(v))
        .pipe(opts.aboveZero ? aboveZero(q) : q)
        .meta({ pattern: QUANTITY.source });
}

/** Indexes of the items whose `key` holds a valid value that an earlier item already holds. */
export function repeats(items: readonly unknown[], key: string, valid: (v: string) => boolean): { at: number; first: number; value: string }[] {
    const seen = new Map<string, number>();
    const found: { at: number; first: number; value: string }[] = [];
    items.forEach((item, at) => {
        const v = isRecord(item) ? item[key] : undefined;
        if (typeof v !== "string" || !valid(v)) {
            return;
        }
        const first = seen.get(v);
        if (first === undefined) {
            seen.set(v, at);
        } else {
            found.push({ at, first, value: v });
        }
    });
    return found;
}

/**
 * For cross-field refinements: they run even when a field they join has a problem of its own, so every
 * problem shows in one pass. Their value may then be anything, so they take it as `unknown`.
 */
export const ALWAYS = { when: () => true };

// ---- predicates ------------------------------------------------------------------------------------

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
export const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
/** A Kubernetes quantity as written in config ("500m", "4", "8Gi", "100Gi"). */
export const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$/;
/** Group names as authenticators pass them: printable, no spaces, not a system: group. */
export const GROUP_NAME = /^(?!system:)[A-Za-z0-9][A-Za-z0-9._:@/-]{0,252}$/;
/** An image reference whose last part names a tag or a digest. */
export const PINNED_IMAGE = /^(.*\/)?[^/]*[:@][^/]*$/;

/** The value of a QUANTITY, for bounds checks. */
export function quantity(q: string): number {
    const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q)!;
    const unit: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
    return Number(m[1]) * unit[m[2]];
}

/** JSON Schema patterns for values the program checks in code: an editor flags the obvious mistakes. */
const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
export const IPV4_PATTERN = `^${OCTET}(\\.${OCTET}){3}$`;
export const CIDR_PATTERN = `^${OCTET}(\\.${OCTET}){3}/(3[0-2]|[12]?\\d)$`;

export function isIPv4(s: string): boolean {
    const parts = s.split(".");
    return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/**
 * An IPv4 address or a DNS name. A name whose last label is all digits is refused (RFC 1123 2.1: host
 * names never take the dotted-decimal form), so a mistyped address like "10.0.0.300" is not taken for one.
 */
export function isHost(s: string): boolean {
    return isIPv4(s) || (DNS_SUBDOMAIN.test(s) && !/(^|\.)\d+$/.test(s));
}

export function isPort(n: number): boolean {
    return Number.isInteger(n) && n >= 1 && n <= 65535;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
