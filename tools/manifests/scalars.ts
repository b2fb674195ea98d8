/**
 * Scalars: go.yaml.in/yaml/v2 resolve.go, so that a plain scalar means what go-yaml v2 (not YAML 1.2, nor the
 * yaml package's 1.1 schema) says it means.
 *
 * Scalars (go.yaml.in/yaml/v2 resolve.go `resolve`, decode.go `scalar`; YAML 1.1 as go-yaml v2 has it,
 *    not as the spec has it). A plain scalar with no tag is resolved; quoted and block scalars, and any
 *    scalar tagged `!`, are strings:
 *    - booleans, exactly: y Y yes Yes YES true True TRUE on On ON → true; n N no No NO false False FALSE
 *      off Off OFF → false. Other spellings (yEs, tRUE, oN) are strings.
 *    - null: the empty scalar, ~, null, Null, NULL.
 *    - .nan/.NaN/.NAN, [+-].inf/.Inf/.INF: floats that JSON cannot hold, so sigs.k8s.io/yaml's json.Marshal
 *      fails ("json: unsupported value: +Inf") and kubectl refuses the file.
 *    - starting with a digit or a sign: first a timestamp (kept as the original string when decoded into
 *      interface{}, so `2001-12-14` stays the string "2001-12-14"); then, with every `_` removed,
 *      strconv.ParseInt(s, 0, 64): 0x1F → 31, 0o755 → 493, 0b1010 → 10, a leading 0 is octal
 *      (0755 → 493); then ParseUint (up to 2^64-1); then a decimal float matching
 *      ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (08 → 8, 1e3 → 1000, 1. → 1, 1e400 overflows
 *      and stays a string); then a 0b/-0b binary retry. Anything else is a string: no sexagesimal
 *      (1:20 → "1:20"), no hex floats.
 *    - starting with `.`: a float by ParseFloat (.5 → 0.5), else a string.
 *    - explicit tags: !!str and !!binary (base64, decoded) are always accepted; !!bool/!!int/!!float/
 *      !!null/!!timestamp must resolve to that type (!!float also takes an int) or the file is refused
 *      ("cannot decode !!str `abc` as a !!int"); any other tag leaves the text a string; tags on mappings
 *      and sequences are ignored.
 */
import { BINARY, BOOL, DecodeError, FLOAT, GoScalar, INT, NULL, STR, TAG, TIMESTAMP } from "./goValues";

/** The tags go-yaml v2 resolves a scalar against (resolve.go `resolvableTag`). */
const RESOLVABLE = new Set(["", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP]);

const RESOLVE_MAP = new Map<string, GoScalar>();
for (const s of ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]) {
    RESOLVE_MAP.set(s, { t: "bool", v: true });
}
for (const s of ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]) {
    RESOLVE_MAP.set(s, { t: "bool", v: false });
}
for (const s of ["", "~", "null", "Null", "NULL"]) {
    RESOLVE_MAP.set(s, { t: "null" });
}
for (const [list, v] of [
    [[".nan", ".NaN", ".NAN"], NaN],
    [[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], Infinity],
    [["-.inf", "-.Inf", "-.INF"], -Infinity],
] as const) {
    for (const s of list) {
        RESOLVE_MAP.set(s, { t: "float", v });
    }
}

/** resolve.go's resolveTable: the first character's hint ('S' sign, 'D' digit, 'M' in the map, '.' float). */
function hintOf(s: string): string {
    if (s === "") {
        return "N";
    }
    const c = s[0];
    if (c === "+" || c === "-") {
        return "S";
    }
    if (c >= "0" && c <= "9") {
        return "D";
    }
    if ("yYnNtTfFoO~".includes(c)) {
        return "M";
    }
    return c === "." ? "." : "";
}

const TAG_OF: Record<GoScalar["t"], string> = { null: NULL, bool: BOOL, int: INT, uint: INT, float: FLOAT, str: STR };
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";

/** strconv.ParseUint(s, base, 64) for base 0 (prefixes 0b 0o 0x, a leading 0 octal), 2, 8 or 16; undefined on error. */
function parseUint(s: string, base: number): bigint | undefined {
    if (s === "") {
        return undefined;
    }
    if (base === 0) {
        base = 10;
        if (s[0] === "0") {
            const p = s.length >= 3 ? s[1].toLowerCase() : "";
            if (p === "b" || p === "o" || p === "x") {
                base = p === "b" ? 2 : p === "o" ? 8 : 16;
                s = s.slice(2);
            } else {
                base = 8;
                s = s.slice(1);
            }
        }
    }
    let n = 0n;
    for (const c of s.toLowerCase()) {
        const d = DIGITS.indexOf(c);
        if (d < 0 || d >= base) {
            return undefined;
        }
        n = n * BigInt(base) + BigInt(d);
        if (n > UINT64_MAX) {
            return undefined;
        }
    }
    return n;
}

/** strconv.ParseInt(s, base, 64): an optional sign, then ParseUint, within int64; undefined on error. */
function parseInt64(s: string, base: number): bigint | undefined {
    const neg = s[0] === "-";
    const u = parseUint(s[0] === "+" || s[0] === "-" ? s.slice(1) : s, base);
    if (u === undefined || u > (neg ? INT64_MAX + 1n : INT64_MAX)) {
        return undefined;
    }
    return neg ? -u : u;
}

/** strconv.ParseFloat on text already known to be decimal float syntax: an overflow is an error (undefined). */
function parseFloat64(s: string): number | undefined {
    const f = Number(s);
    return Number.isFinite(f) ? f : undefined;
}

/** strconv's underscoreOK for a decimal number: every "_" between two digits. */
function underscoreOK(s: string): boolean {
    return !/(^|[^0-9])_|_($|[^0-9])/.test(s);
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const FLOAT_AFTER_DOT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;

/**
 * resolve.go's parseTimestamp: Go's time.Parse with the layouts "2006-1-2T15:4:5.999999999Z07:00", the
 * same with a lower-case t, "2006-1-2 15:4:5.999999999" and "2006-1-2", ranges checked as time.Parse does.
 */
function isGoTimestamp(s: string): boolean {
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(Z|[+-]\d\d:\d\d)|( )(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?)?$/.exec(s);
    if (!m) {
        return false;
    }
    const [year, month, day] = [m[1], m[2], m[3]].map(Number);
    const daysIn = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (month < 1 || month > 12 || day < 1 || day > daysIn) {
        return false;
    }
    const [h, min, sec] = (m[4] ? [m[5], m[6], m[7]] : m[9] ? [m[10], m[11], m[12]] : ["0", "0", "0"]).map(Number);
    if (h >= 24 || min >= 60 || sec >= 60) {
        return false;
    }
    const zone = m[8];
    return !zone || zone === "Z" || (Number(zone.slice(1, 3)) <= 24 && Number(zone.slice(4, 6)) <= 60);
}

/** resolve.go's `resolve` without the tag check: what the text `s` is, given tag (or "" for an implicit scalar). */
function resolvePlain(tag: string, s: string): { tag: string; value: GoScalar } {
    const hint = hintOf(s);
    if (hint !== "" && tag !== STR && tag !== BINARY) {
        const known = RESOLVE_MAP.get(s);
        if (known) {
            return { tag: TAG_OF[known.t], value: known };
        }
        if (hint === ".") {
            // strconv.ParseFloat takes "_" between digits, as Go literals do.
            const digits = s.replace(/_/g, "");
            const f = FLOAT_AFTER_DOT.test(digits) && underscoreOK(s) ? parseFloat64(digits) : undefined;
            if (f !== undefined) {
                return { tag: FLOAT, value: { t: "float", v: f } };
            }
        } else if (hint === "D" || hint === "S") {
            if ((tag === "" || tag === TIMESTAMP) && isGoTimestamp(s)) {
                // decode.go: a timestamp decoded into interface{} is kept as its text.
                return { tag: TIMESTAMP, value: { t: "str", v: s } };
            }
            const plain = s.replace(/_/g, "");
            const i = parseInt64(plain, 0);
            if (i !== undefined) {
                return { tag: INT, value: { t: "int", v: i } };
            }
            const u = parseUint(plain, 0);
            if (u !== undefined) {
                return { tag: INT, value: { t: "uint", v: u } };
            }
            if (YAML_STYLE_FLOAT.test(plain)) {
                const f = parseFloat64(plain);
                if (f !== undefined) {
                    return { tag: FLOAT, value: { t: "float", v: f } };
                }
            }
            if (plain.startsWith("0b")) {
                const b = parseInt64(plain.slice(2), 2);
                if (b !== undefined) {
                    return { tag: INT, value: { t: "int", v: b } };
                }
                const bu = parseUint(plain.slice(2), 2);
                if (bu !== undefined) {
                    return { tag: INT, value: { t: "uint", v: bu } };
                }
            } else if (plain.startsWith("-0b")) {
                const b = parseInt64(`-${plain.slice(3)}`, 2);
                if (b !== undefined) {
                    return { tag: INT, value: { t: "int", v: b } };
                }
            }
        }
    }
    return { tag: STR, value: { t: "str", v: s } };
}

const shortTag = (tag: string) => (tag.startsWith(TAG) ? `!!${tag.slice(TAG.length)}` : tag);

export function decodeScalar(tag: string, text: string): GoScalar {
    if (tag === BINARY) {
        // decode.go: base64.StdEncoding (padding required; \r and \n ignored), the bytes taken as a string.
        const b64 = text.replace(/[\r\n]/g, "");
        if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) {
            throw new DecodeError("!!binary value contains invalid base64 data");
        }
        return { t: "str", v: Buffer.from(b64, "base64").toString("utf8") };
    }
    if (!RESOLVABLE.has(tag)) {
        return { t: "str", v: text };
    }
    const r = resolvePlain(tag, text);
    if (tag === "" || tag === r.tag || tag === STR) {
        return r.value;
    }
    if (tag === FLOAT && r.value.t === "int") {
        return { t: "float", v: Number(r.value.v) };
    }
    throw new DecodeError(`cannot decode ${shortTag(r.tag)} \`${text}\` as a ${shortTag(tag)}`);
}
