/**
 * The longest chain of remote commands a deploy runs one after another, read from the resource graph
 * (resources.json, or an evaluation's resources): the engine starts a resource once everything it depends
 * on is done, its provider included, so the wall time of a deploy on many hosts is the length of this
 * chain, not the number of hosts. A command counts when its create runs something; the upgrade steps and
 * the delete-only actions (a drain, a reset) create without a command and cost nothing on a first deploy.
 */

/** The fields of a resource the chain is read from (resources.json's entries carry them). */
export interface GraphResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent?: string | null;
    readonly dependencies: readonly string[];
    /** The provider reference, "URN::ID", as the engine sees it; absent for the default provider. */
    readonly provider?: string;
    readonly inputs: Record<string, unknown>;
}

export interface Chain {
    /** How many remote commands run one after another on the longest chain. */
    readonly length: number;
    /** The names of those commands, first to last. */
    readonly steps: readonly string[];
}

const COMMANDS = new Set(["command:remote:Command", "command:local:Command"]);

/** True when creating the resource runs a command on a host. */
export function runsOnCreate(r: GraphResource): boolean {
    return COMMANDS.has(r.type) && typeof r.inputs.create === "string" && r.inputs.create !== "";
}

/** The URN in a provider reference ("URN::ID"; a URN has "::" in it too, the ID does not). */
function providerUrn(ref: string): string {
    return ref.slice(0, ref.lastIndexOf("::"));
}

/**
 * The longest chain of the commands `runs` says this deploy runs (default: a first deploy's, those that
 * run on create); throws on a dependency cycle (the engine would refuse it too).
 */
export function longestChain(resources: readonly GraphResource[], runs: (r: GraphResource) => boolean = runsOnCreate): Chain {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const children = new Map<string, GraphResource[]>();
    for (const r of resources) {
        if (r.parent) {
            children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
        }
    }
    // Waiting on a component is waiting on everything under it.
    const waitsOn = (urn: string, into: Set<string>) => {
        into.add(urn);
        for (const c of children.get(urn) ?? []) {
            if (!into.has(c.urn)) {
                waitsOn(c.urn, into);
            }
        }
    };
    const best = new Map<string, Chain>();
    const visiting = new Set<string>();
    const chainTo = (r: GraphResource): Chain => {
        const known = best.get(r.urn);
        if (known) {
            return known;
        }
        if (visiting.has(r.urn)) {
            throw new Error(`dependency cycle through ${r.name}`);
        }
        visiting.add(r.urn);
        const before = new Set<string>();
        for (const d of [...r.dependencies, ...(r.provider ? [providerUrn(r.provider)] : [])]) {
            waitsOn(d, before);
        }
        before.delete(r.urn);
        let longest: Chain = { length: 0, steps: [] };
        for (const urn of before) {
            const dep = byUrn.get(urn);
            const c = dep ? chainTo(dep) : undefined;
            if (c && c.length > longest.length) {
                longest = c;
            }
        }
        visiting.delete(r.urn);
        const own = runs(r) ? { length: longest.length + 1, steps: [...longest.steps, r.name] } : longest;
        best.set(r.urn, own);
        return own;
    };
    return resources.reduce<Chain>((top, r) => {
        const c = chainTo(r);
        return c.length > top.length ? c : top;
    }, { length: 0, steps: [] });
}
