/**
 * ts-node tools/e2e/declared.ts <stack> <out.json>
 *
 * Every Kubernetes object one stack declares, as the provider would apply it, grouped in the order the
 * program's dependencies allow: each group depends only on earlier ones, and a namespaced object comes
 * after its Namespace. The program is evaluated offline (tools/evaluate.ts) in a process of its own,
 * since it reads its stack once, at load; secrets are the offline placeholders (tools/offline.ts),
 * well-formed values of the right shape. Exit 2 with one line when the stack file cannot be read.
 */
import * as fs from "fs";
import * as path from "path";
import { evaluate, RecordedResource } from "../evaluate";
import { isNamespaced, kubeType } from "../../policies/lib/kube";
import { InputError, readStackFile } from "../stackFile";

const ROOT = path.resolve(__dirname, "..", "..");

export interface DeclaredObject {
    /** The Pulumi resource name, for messages. */
    readonly resource: string;
    /** True for a `…Patch` resource: it changes an object that someone else creates. */
    readonly patch: boolean;
    readonly object: Record<string, unknown>;
}

export interface Declared {
    readonly stack: string;
    /** Objects in apply order: group N depends only on groups before it. */
    readonly groups: DeclaredObject[][];
}

/** Orders the Kubernetes resources of an evaluation into dependency groups. */
export function groupsOf(resources: readonly RecordedResource[]): DeclaredObject[][] {
    const kube = resources.filter((r) => kubeType(r.type));
    const byUrn = new Map(kube.map((r) => [r.urn, r]));
    const namespaceUrn = new Map(kube.filter((r) => kubeType(r.type)!.kind === "Namespace" && !kubeType(r.type)!.patch)
        .map((r) => [String((r.inputs.metadata as Record<string, unknown> | undefined)?.name ?? r.name), r.urn]));
    const all = new Map(resources.map((r) => [r.urn, r]));
    // A dependency on a component stands for every resource under it.
    const kubeDeps = (urn: string, seen = new Set<string>()): string[] => {
        if (seen.has(urn)) {
            return [];
        }
        seen.add(urn);
        if (byUrn.has(urn)) {
            return [urn];
        }
        const r = all.get(urn);
        if (!r || r.custom) {
            return [];
        }
        return resources.filter((c) => c.parent === urn).flatMap((c) => kubeDeps(c.urn, seen));
    };
    const level = new Map<string, number>();
    const levelOf = (r: RecordedResource, path: Set<string>): number => {
        const known = level.get(r.urn);
        if (known !== undefined) {
            return known;
        }
        if (path.has(r.urn)) {
            throw new Error(`a dependency cycle through ${r.name}`);
        }
        path.add(r.urn);
        const t = kubeType(r.type)!;
        const ns = (r.inputs.metadata as Record<string, unknown> | undefined)?.namespace;
        const deps = [...r.dependencies.flatMap((d) => kubeDeps(d)),
            ...(isNamespaced(t) && typeof ns === "string" && namespaceUrn.has(ns) ? [namespaceUrn.get(ns)!] : [])]
            .filter((d) => d !== r.urn);
        const l = deps.reduce((m, d) => Math.max(m, levelOf(byUrn.get(d)!, path) + 1), 0);
        path.delete(r.urn);
        level.set(r.urn, l);
        return l;
    };
    const groups: DeclaredObject[][] = [];
    for (const r of kube) {
        const l = levelOf(r, new Set());
        (groups[l] ??= []).push({ resource: r.name, patch: kubeType(r.type)!.patch, object: manifestOf(r) });
    }
    return groups.filter((g) => g !== undefined);
}

/** The object as applied: the resource's inputs, named after the resource where the program left the name to the provider. */
function manifestOf(r: RecordedResource): Record<string, unknown> {
    const metadata = { ...((r.inputs.metadata ?? {}) as Record<string, unknown>) };
    metadata.name ??= r.name;
    return { ...r.inputs, metadata };
}

async function main(argv: string[]): Promise<number> {
    const [stack, out] = argv;
    if (!stack || !out) {
        process.stderr.write("usage: ts-node tools/e2e/declared.ts <stack> <out.json>\n");
        return 2;
    }
    let raw;
    try {
        raw = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
    } catch (e) {
        if (e instanceof InputError) {
            process.stderr.write(`declared: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    const evaluation = await evaluate({
        stack, config: raw.config, secretKeys: raw.secretKeys, load: () => require(path.join(ROOT, "index")),
    });
    const declared: Declared = { stack, groups: groupsOf(evaluation.resources) };
    fs.writeFileSync(out, JSON.stringify(declared));
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
        process.stderr.write(`declared: ${(e as Error).stack ?? String(e)}\n`);
        process.exit(3);
    });
}
