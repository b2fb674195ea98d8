/**
 * Combining dimension values into valid drafts: a seeded PRNG, the companion changes a value needs
 * (fixChoice), repair towards a valid choice (validChoice), and a pairwise covering array.
 */
import { compliantDraft, Dimension, Draft, SLOTS } from "./cases";
import { IPC_SYSCTL, NETWORK_SYSCTL, validDraft } from "./valid";

/** mulberry32: a small seeded PRNG, so the samples are the same on every run. */
export function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
}

/** A draft with the given value index for each dimension (missing = 0, the compliant value). */
export function build(dims: readonly Dimension[], choice: readonly number[]): Draft {
    const d = compliantDraft();
    dims.forEach((dim, i) => dim.values[choice[i] ?? 0].apply(d));
    return d;
}

const indexCache = new WeakMap<readonly Dimension[], Map<string, number>>();

/** Where a dimension (or, with a value's slug, that value) is in dims: -1 if absent. */
function indexOf(dims: readonly Dimension[], slug: string, value?: string): number {
    let map = indexCache.get(dims);
    if (!map) {
        map = new Map();
        dims.forEach((d, k) => {
            map!.set(d.slug, k);
            d.values.forEach((v, n) => map!.set(`${d.slug}=${v.slug}`, n));
        });
        indexCache.set(dims, map);
    }
    return map.get(value === undefined ? slug : `${slug}=${value}`) ?? -1;
}

/**
 * Companion changes that make a choice valid where one value needs another (Unmasked needs
 * hostUsers: false, hostProcess needs hostNetwork and every container HostProcess, ...). Dimensions
 * in `keep` are not changed; the result may still be invalid.
 */
function fixChoice(dims: readonly Dimension[], choice: number[], keep: ReadonlySet<number>): void {
    const at = (slug: string) => indexOf(dims, slug);
    const is = (k: number, value: string) => k >= 0 && choice[k] === indexOf(dims, dims[k].slug, value);
    const set = (k: number, value: string) => {
        if (k >= 0 && !keep.has(k)) {
            choice[k] = indexOf(dims, dims[k].slug, value);
        }
    };
    const hostProcess = [at("pod-hostprocess"), ...SLOTS.map((s) => at(`${s}-hostprocess`))];
    if (hostProcess.some((k) => is(k, "true"))) {
        SLOTS.forEach((s) => set(at(`${s}-hostprocess`), "true"));
        set(at("host-network"), "true");
        set(at("host-users"), "unset");
        set(at("os"), "unset");
        if (!is(at("pod-hostprocess"), "true")) {
            set(at("pod-hostprocess"), "unset");
        }
        // Unmasked needs hostUsers: false, which hostNetwork excludes
        SLOTS.forEach((s) => is(at(`${s}-procmount`), "unmasked") && set(at(`${s}-procmount`), "unset"));
    }
    if (SLOTS.some((s) => is(at(`${s}-procmount`), "unmasked"))) {
        set(at("host-users"), "false");
    }
    if (is(at("host-users"), "false")) {
        for (const f of ["host-network", "host-pid", "host-ipc"]) {
            if (is(at(f), "true")) {
                set(at(f), "unset");
            }
        }
    }
    for (const s of SLOTS) {
        if (is(at(`${s}-priv`), "true") && is(at(`${s}-ape`), "false")) {
            set(at(`${s}-ape`), "true");
        }
    }
    if (is(at("os"), "linux") && hostProcess.some((k) => k >= 0 && !is(k, "unset"))) {
        set(at("os"), "unset");
    }
    const sysctls = at("sysctls");
    const names = sysctls >= 0 ? dims[sysctls].values[choice[sysctls]].sysctls ?? [] : [];
    if ((is(at("host-network"), "true") && names.some((n) => NETWORK_SYSCTL.test(n))) || (is(at("host-ipc"), "true") && names.some((n) => IPC_SYSCTL.test(n)))) {
        set(sysctls, "none");
    }
    const annotation = at("aa-annotation");
    if (annotation >= 0 && !is(annotation, "none")) {
        const value = dims[annotation].values[choice[annotation]];
        const slotApparmor = at(`${value.annotates}-apparmor`);
        const same = { rd: "runtime/default", lh: "localhost/k8s-psa", unconfined: "unconfined" } as Record<string, string>;
        const own = slotApparmor >= 0 ? dims[slotApparmor].values[choice[slotApparmor]].slug : "unset";
        if ((own !== "unset" && same[own] !== value.annotation) || (own === "unset" && value.annotation === "" && !is(at("pod-apparmor"), "unset"))) {
            set(annotation, "none");
        }
    }
}

/** The choice made valid: companion changes, then dimensions outside `keep` back to compliant until valid. */
export function validChoice(dims: readonly Dimension[], choice: readonly number[], keep: ReadonlySet<number>, rand: () => number): number[] | undefined {
    const c = [...choice];
    fixChoice(dims, c, keep);
    if (validDraft(build(dims, c))) {
        return c;
    }
    // If the kept values are invalid even with everything else compliant, no choice has them
    const minimal = choice.map((v, k) => (keep.has(k) ? v : 0));
    fixChoice(dims, minimal, keep);
    if (!validDraft(build(dims, minimal))) {
        return undefined;
    }
    for (let step = 0; step < 60; step++) {
        if (validDraft(build(dims, c))) {
            return c;
        }
        const changeable = c.map((v, k) => (v !== 0 && !keep.has(k) ? k : -1)).filter((k) => k >= 0);
        if (!changeable.length) {
            return undefined;
        }
        c[changeable[Math.floor(rand() * changeable.length)]] = 0;
        fixChoice(dims, c, keep);
    }
    return undefined;
}

/**
 * A pairwise covering array (AETG-style greedy): every pair of values of two dimensions appears in
 * some valid draft, unless no valid draft with that pair was found (those are left out).
 */
export function pairwise(dims: readonly Dimension[], seed: number): number[][] {
    const rand = prng(seed);
    const offsets: number[] = [];
    let total = 0;
    for (const dim of dims) {
        offsets.push(total);
        total += dim.values.length;
    }
    const covered = new Uint8Array(total * total);
    const flat = (k: number, v: number) => offsets[k] + v;
    const pairKey = (x: number, y: number) => (x < y ? x * total + y : y * total + x);
    let uncovered: [number, number, number, number][] = [];
    for (let i = 0; i < dims.length; i++) {
        for (let j = i + 1; j < dims.length; j++) {
            for (let a = 0; a < dims[i].values.length; a++) {
                for (let b = 0; b < dims[j].values.length; b++) {
                    uncovered.push([i, a, j, b]);
                }
            }
        }
    }
    const gain = (choice: readonly number[], k: number, v: number) => {
        let n = 0;
        const x = flat(k, v);
        for (let j = 0; j < dims.length; j++) {
            if (j !== k && !covered[pairKey(x, flat(j, choice[j]))]) {
                n++;
            }
        }
        return n;
    };
    const newPairs = (choice: readonly number[]) => {
        let n = 0;
        for (let i = 0; i < dims.length; i++) {
            for (let j = i + 1; j < dims.length; j++) {
                n += covered[pairKey(flat(i, choice[i]), flat(j, choice[j]))] ? 0 : 1;
            }
        }
        return n;
    };
    const rows: number[][] = [];
    const givenUp = new Uint8Array(total * total);
    while (uncovered.length) {
        let best: number[] | undefined;
        let bestScore = 0;
        for (let attempt = 0; attempt < 8; attempt++) {
            const [i, a, j, b] = uncovered[Math.floor(rand() * uncovered.length)];
            const choice: number[] = dims.map(() => 0);
            choice[i] = a;
            choice[j] = b;
            for (const k of shuffled(dims.map((_, n) => n).filter((n) => n !== i && n !== j), rand)) {
                let bestValue = 0;
                let bestGain = -1;
                for (let v = 0; v < dims[k].values.length; v++) {
                    const g = gain(choice, k, v) + rand() * 0.5;
                    if (g > bestGain) {
                        bestGain = g;
                        bestValue = v;
                    }
                }
                choice[k] = bestValue;
            }
            const valid = validChoice(dims, choice, new Set([i, j]), rand);
            if (!valid) {
                givenUp[pairKey(flat(i, a), flat(j, b))] = 1;
                continue;
            }
            const score = newPairs(valid);
            if (score > bestScore) {
                best = valid;
                bestScore = score;
            }
        }
        if (best) {
            for (let i = 0; i < dims.length; i++) {
                for (let j = i + 1; j < dims.length; j++) {
                    covered[pairKey(flat(i, best[i]), flat(j, best[j]))] = 1;
                }
            }
            rows.push(best);
        }
        // A pair that gave no valid draft once is given up; the rest stay to cover
        uncovered = uncovered.filter(([i, a, j, b]) => {
            const p = pairKey(flat(i, a), flat(j, b));
            return !covered[p] && !givenUp[p];
        });
    }
    return rows;
}
