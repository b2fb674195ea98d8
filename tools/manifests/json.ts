/**
 * What sigs.k8s.io/yaml's YAMLToJSON makes of go-yaml v2's values (yaml.go `convertToJSONableObject`, then
 * json.Marshal): the JSON kubectl sends the server. Here because a Go map key becomes a JSON string only at
 * this step, so keys that differ in Go can collide in JSON. Map keys (Mappings, with decoder.ts):
 *    - keys are resolved like values, then made strings: bool → "true"/"false" (so `on:` and `yes:` are
 *      the key "true"), int → decimal, float → strconv.FormatFloat(f, 'g', -1, 32) (1e6 → "1e+06").
 *      A null key (`~:`), a key above 2^63-1, or a mapping/sequence key is refused by kubectl, and so here.
 *      Two keys that only become equal as strings (`true:` and `"true":`, `1:` and `1.0:`) reach the server
 *      in an order Go's map iteration picks at random, so they are refused here.
 * A .nan or .inf value fails json.Marshal ("json: unsupported value: +Inf"), so kubectl refuses the file.
 */
import { DecodeError, GoMapEntry, GoScalar, GoValue } from "./goValues";

/** strconv.FormatFloat(f, 'g', -1, 32), as sigs.k8s.io/yaml formats a float key. */
function formatFloat32(f: number): string {
    const f32 = Math.fround(f);
    if (Number.isNaN(f32)) {
        return "NaN";
    }
    if (!Number.isFinite(f32)) {
        return f32 > 0 ? "+Inf" : "-Inf";
    }
    const sign = f32 < 0 || Object.is(f32, -0) ? "-" : "";
    const a = Math.abs(f32);
    if (a === 0) {
        return `${sign}0`;
    }
    // The shortest digits that read back as the same float32.
    let digits = "";
    let exp = 0;
    for (let p = 1; p <= 9; p++) {
        const s = a.toExponential(p - 1);
        if (Math.fround(Number(s)) === a) {
            const [mant, e] = s.split("e");
            digits = mant.replace(".", "");
            exp = Number(e);
            break;
        }
    }
    const nd = digits.length;
    const dp = exp + 1; // the value is 0.DIGITS × 10^dp
    if (exp < -4 || exp >= 6) {
        const e = Math.abs(exp);
        return `${sign}${digits[0]}${nd > 1 ? `.${digits.slice(1)}` : ""}e${exp < 0 ? "-" : "+"}${e < 10 ? `0${e}` : e}`;
    }
    if (dp <= 0) {
        return `${sign}0.${"0".repeat(-dp)}${digits}`;
    }
    if (dp >= nd) {
        return `${sign}${digits}${"0".repeat(dp - nd)}`;
    }
    return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** sigs.k8s.io/yaml's key conversion (convertToJSONableObject). */
function jsonKey(k: GoScalar): string {
    switch (k.t) {
        case "str":
            return k.v;
        case "int":
            return k.v.toString();
        case "bool":
            return String(k.v);
        case "float": {
            const s = formatFloat32(k.v);
            return s === "+Inf" ? ".inf" : s === "-Inf" ? "-.inf" : s === "NaN" ? ".nan" : s;
        }
        case "uint":
            throw new DecodeError(`unsupported map key of type: uint64 (${k.v}), which kubectl refuses`);
        case "null":
            throw new DecodeError("unsupported map key of type: <nil> (a null key such as ~ or an empty key), which kubectl refuses");
    }
}

/** What json.Marshal makes of the decoded value (sigs.k8s.io/yaml's YAMLToJSON), as a JavaScript value. */
export function toJson(v: GoValue, path: string): unknown {
    switch (v.t) {
        case "null":
            return null;
        case "bool":
        case "str":
            return v.v;
        case "int":
        case "uint":
            return Number(v.v);
        case "float":
            if (!Number.isFinite(v.v)) {
                const shown = Number.isNaN(v.v) ? "NaN" : v.v > 0 ? "+Inf" : "-Inf";
                throw new DecodeError(`${path || "the document"} is ${shown} (from .nan or .inf), which JSON cannot hold: kubectl refuses it ` +
                    `("json: unsupported value: ${shown}"); quote it if it is meant as text`);
            }
            return v.v;
        case "seq":
            return v.items.map((item, i) => toJson(item, `${path}[${i}]`));
        case "map": {
            const obj: Record<string, unknown> = {};
            if (stringKeysOnly(v.entries)) {
                // Distinct string keys stay distinct: nothing to compare, and each key is written as it is.
                for (const entry of v.entries.values()) {
                    const key = (entry.key as { v: string }).v;
                    const value = toJson(entry.value, path ? `${path}.${key}` : key);
                    if (key === "__proto__") {
                        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
                    } else {
                        obj[key] = value;
                    }
                }
                return obj;
            }
            const from = new Map<string, GoMapEntry>();
            for (const entry of v.entries.values()) {
                let key: string;
                try {
                    key = jsonKey(entry.key);
                } catch (e) {
                    throw e instanceof DecodeError ? new DecodeError(`${path ? `${path}: ` : ""}${e.message}`, entry.line) : e;
                }
                const other = from.get(key);
                if (other) {
                    throw new DecodeError(`${path ? `${path}: ` : ""}the keys ${showKey(other.key)} (line ${other.line}) and ${showKey(entry.key)} ` +
                        `(line ${entry.line}) both become "${key}", and kubectl keeps either one at random: keep one of them`, entry.line);
                }
                from.set(key, entry);
                // defineProperty: a "__proto__" key is data, not the object's prototype.
                Object.defineProperty(obj, key, { value: toJson(entry.value, path ? `${path}.${key}` : key), enumerable: true, writable: true, configurable: true });
            }
            return obj;
        }
    }
}

function stringKeysOnly(entries: Map<string, GoMapEntry>): boolean {
    for (const entry of entries.values()) {
        if (entry.key.t !== "str") {
            return false;
        }
    }
    return true;
}

function showKey(k: GoScalar): string {
    switch (k.t) {
        case "str":
            return JSON.stringify(k.v);
        case "null":
            return "null";
        case "float":
            return `${k.v} (a float)`;
        default:
            return `${String(k.v)} (a${k.t === "int" ? "n" : ""} ${k.t === "bool" ? "boolean" : k.t === "int" ? "integer" : "unsigned integer"})`;
    }
}
