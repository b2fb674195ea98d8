/** Just enough Kubernetes quantity arithmetic to size quotas from config (whole multiples only). */
const UNITS: Readonly<Record<string, number>> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50,
};

/** "8Gi" times 40 → "320Gi": the unit is kept, so the result reads like the config. */
export function multiply(quantity: string, times: number): string {
    const m = /^([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)$/.exec(quantity);
    if (!m || !(m[2] in UNITS) || !Number.isInteger(times)) {
        throw new Error(`cannot multiply ${JSON.stringify(quantity)} by ${times}`);
    }
    const value = Number(m[1]) * times;
    return `${Number.isInteger(value) ? value : Number(value.toFixed(3))}${m[2]}`;
}
