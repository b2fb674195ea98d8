/**
 * Ephemeral containers for the Pod Security differential. A Pod create may not set
 * spec.ephemeralContainers, so psaCases has none; but Pod Security admission also judges the
 * pods/ephemeralcontainers subresource, as the whole Pod with the new container in it. So each case
 * here is one ephemeral container and the base Pod it is added to (one the restricted profile
 * admits, created for real beforehand), and the pack judges that same Pod.
 *
 * The container is varied along the container dimensions of psaCases (dimensions.ts, the "app"
 * slot's) that an ephemeral container may set: ports, probes and lifecycle hooks are left out, the
 * API server forbids them on one. Its settings are built in a draft's app slot, so valid.ts and
 * combine.ts judge their validity and add their companion changes as for any container: the API
 * server validates an ephemeral container as it does the others, and the rest of the draft is the
 * base. The base varies along two settings the container depends on:
 *   host-users  false: the base has its own user namespace, which procMount Unmasked needs and
 *               which relaxes runAsNonRoot and runAsUser from 1.35
 *   pod-sc      own: runAsNonRoot and seccompProfile are set on each of the base's containers and
 *               not on the pod, so the ephemeral container inherits neither
 * windowsOptions.hostProcess: true never gives a case: every container of the pod would have to be
 * a HostProcess one, with hostNetwork, which no base the profile admits has.
 *
 * Families (the name's prefix): mut- one change from the compliant container in the compliant
 * base, two- every pair of changes to two dimensions, pw- a pairwise covering array over all of
 * them; a choice that an earlier case already made (after its companion changes) is left out.
 */
import { KubeObject } from "../../../policies/lib/kube";
import { containerSc, Dimension, Draft, podSc, SLOTS } from "./cases";
import { build, pairwise, prng, validChoice } from "./combine";
import { DIMENSIONS } from "./dimensions";

export const EPHEMERAL_NAME = "debug";
export const EPHEMERAL_IMAGE = "registry.lsst.org/psa/debug:1.0";

export interface EphemeralCase {
    readonly name: string;
    /** The base Pod, without the container; cases with the same base have the same metadata.name. */
    readonly base: { metadata: KubeObject; spec: KubeObject };
    readonly container: KubeObject;
}

/** The app slot's dimensions that an ephemeral container may set, by their slug after "app-". */
const EPHEMERAL_FIELDS = ["ranr", "uid", "priv", "ape", "caps", "seccomp", "selinux", "apparmor", "procmount", "hostprocess"] as const;

const dimension = (slug: string): Dimension => DIMENSIONS.find((d) => d.slug === slug)!;

const hostUsers: Dimension = { slug: "host-users", values: dimension("host-users").values.filter((v) => v.slug === "unset" || v.slug === "false") };

const podSettings: Dimension = {
    slug: "pod-sc",
    values: [
        { slug: "pod", apply: () => undefined },
        {
            slug: "own",
            apply: (d: Draft) => {
                const sc = podSc(d);
                for (const slot of SLOTS) {
                    Object.assign(containerSc(d, slot), structuredClone({ runAsNonRoot: sc.runAsNonRoot, seccompProfile: sc.seccompProfile }));
                }
                delete sc.runAsNonRoot;
                delete sc.seccompProfile;
            },
        },
    ],
};

/**
 * The base's dimensions first: the app slot's own come after them, so they set the container's
 * fields over what pod-sc "own" gave the slot.
 */
const BASE_DIMS = [hostUsers, podSettings];
const DIMS: readonly Dimension[] = [...BASE_DIMS, ...EPHEMERAL_FIELDS.map((f) => dimension(`app-${f}`))];

function baseName(choice: readonly number[]): string {
    return ["psa-base", choice[1] ? "own" : "", choice[0] ? "userns" : ""].filter(Boolean).join("-");
}

function ephemeralCase(name: string, choice: readonly number[]): EphemeralCase {
    const draft = build(DIMS, choice);
    const base = build(BASE_DIMS, choice.slice(0, BASE_DIMS.length));
    const metadata = { name: baseName(choice), labels: { "psa-base": baseName(choice) } };
    const container = { name: EPHEMERAL_NAME, image: EPHEMERAL_IMAGE, securityContext: structuredClone(containerSc(draft, "app")) };
    return { name, base: { metadata, spec: structuredClone(base.spec) }, container };
}

let allChoices: { prefix: string; slug: string; choice: number[] }[] | undefined;

/** Every case's choice over DIMS; made once (the covering array takes a moment). */
function choices(): { prefix: string; slug: string; choice: number[] }[] {
    if (allChoices) {
        return allChoices;
    }
    const out: { prefix: string; slug: string; choice: number[] }[] = [];
    const seen = new Set<string>();
    const add = (prefix: string, slug: string, choice: number[] | undefined) => {
        if (choice && !seen.has(choice.join())) {
            seen.add(choice.join());
            out.push({ prefix, slug, choice });
        }
    };
    const rand = prng(0xe4e);
    const mutations = DIMS.flatMap((dim, k) => dim.values.slice(1).map((v, i) => ({ k, value: i + 1, slug: `${dim.slug.replace(/^app-/, "")}-${v.slug}` })));
    const mutated = (ms: typeof mutations) => {
        const choice = DIMS.map(() => 0);
        ms.forEach((m) => (choice[m.k] = m.value));
        return validChoice(DIMS, choice, new Set(ms.map((m) => m.k)), rand);
    };
    add("mut", "compliant", DIMS.map(() => 0));
    for (const m of mutations) {
        add("mut", m.slug, mutated([m]));
    }
    mutations.forEach((a, i) => mutations.slice(i + 1).filter((b) => b.k !== a.k).forEach((b) => add("two", `${a.slug}-${b.slug}`, mutated([a, b]))));
    for (const row of pairwise(DIMS, 0xe4e5)) {
        add("pw", "", row);
    }
    allChoices = out;
    return out;
}

/**
 * The ephemeral cases for Kubernetes 1.<minor> (1.25 or later): the same on every call, as new
 * objects; as with psaCases, only their verdicts change with the minor.
 */
export function ephemeralCases(minor: number): EphemeralCase[] {
    if (!Number.isInteger(minor) || minor < 25) {
        throw new Error(`ephemeralCases: Kubernetes 1.${minor} is not covered (1.25 or later)`);
    }
    return choices().map((c, i) => ephemeralCase(`eph-${c.prefix}-${String(i).padStart(4, "0")}${c.slug ? `-${c.slug}` : ""}`, c.choice));
}
