/**
 * Kubernetes resource quantities ("500m", "4", "1.5Gi", "1e3", "8G"), parsed exactly (as a fraction of
 * two big integers) so that "0.5" and "500m", or "1Gi" and "1073741824", compare equal.
 *
 * The grammar is the API's (k8s.io/apimachinery resource.Quantity):
 *   <quantity>        ::= <signedNumber><suffix>
 *   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 *   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   <decimalSI>       ::= m | "" | k | M | G | T | P | E
 *   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
 * ("1E" is one exa; "1E3" is a thousand.)
 */

export interface Quantity {
    /** value = num / den, den > 0. */
    readonly num: bigint;
    readonly den: bigint;
    /** As written, for messages. */
    readonly text: string;
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|(m|k|M|G|T|P|E)?)$/;

const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Readonly<Record<string, number>> = { m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** Exponents beyond this are refused rather than expanded into enormous integers. */
const MAX_EXPONENT = 1000;

/** The quantity a string (or, from a program, a number) denotes; undefined when it is none. */
export function parseQuantity(value: unknown): Quantity | undefined {
    let text: string;
    if (typeof value === "number") {
        if (!Number.isFinite(value)) {
            return undefined;
        }
        text = String(value);
    } else if (typeof value === "string") {
        text = value;
    } else {
        return undefined;
    }
    const m = QUANTITY.exec(text);
    if (!m) {
        return undefined;
    }
    const [, sign, number, binary, exponent, decimal] = m;
    const [whole, fraction = ""] = number.split(".");
    let num = BigInt((whole || "0") + fraction);
    let den = 10n ** BigInt(fraction.length);
    let exp10 = 0;
    if (binary !== undefined) {
        num *= 2n ** BigInt(BINARY[binary]);
    } else if (exponent !== undefined) {
        exp10 = Number(exponent);
        if (!Number.isSafeInteger(exp10) || Math.abs(exp10) > MAX_EXPONENT) {
            return undefined;
        }
    } else {
        exp10 = DECIMAL[decimal ?? ""];
    }
    if (exp10 > 0) {
        num *= 10n ** BigInt(exp10);
    } else if (exp10 < 0) {
        den *= 10n ** BigInt(-exp10);
    }
    return { num: sign === "-" ? -num : num, den, text };
}

/** Negative, zero or positive as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
    const l = a.num * b.den;
    const r = b.num * a.den;
    return l < r ? -1 : l > r ? 1 : 0;
}
