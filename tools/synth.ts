/**
 * npm run synth -- <stack> [--config FILE] [--out DIR] [--previous FILE | --from VERSION] [--policy-config FILE]
 *
 * Evaluates one stack offline and writes what a deploy would do (ARCHITECTURE.md "Contracts"):
 *   DIR/<stack>/nodes/<node>/*.sh   every script each node runs, with the files and parameters it gets
 *   DIR/<stack>/manifests/NS/*.yaml every Kubernetes object the program declares (_cluster/ for
 *                                   cluster-scoped ones), secrets replaced by "<secret>"
 *   DIR/<stack>/resources.json      every resource: type, name, parent, dependencies, secret inputs
 *   DIR/<stack>/policy-report.json  the policy pack run over every resource with the stack's policy config
 *   DIR/<stack>/outputs.json        the stack outputs it would export, as `pulumi stack output --json`
 * --policy-config FILE judges the stack with that policy config instead of policies/config/<stack>.json.
 * --previous FILE rehearses an edit against a deployed stack: FILE is what `pulumi stack output --json`
 * printed, and whatever the program would refuse against it (a renamed node, a skipped minor) exits 2.
 * --from VERSION is its short form for the pin alone: the cluster is taken to run VERSION now.
 * Exit 0: written. Exit 1: written, and a mandatory policy is violated. Exit 2: bad arguments, an
 * unreadable stack file, invalid config or a refused edit: every problem listed and nothing written.
 * Exit 3: the program itself failed.
 * Secrets never reach the output: the SSH key is a placeholder, and every input the program marks
 * secret is replaced by "<secret>".
 */
import * as path from "path";
import * as yaml from "js-yaml";
import { ClusterConfig, validateConfig } from "../config";
import { Bundle, decodeBundle, isBundle } from "../components/hosts/bundle";
import { deployProblems, PreviousDeploy } from "../components/hosts/identity";
import { evaluate, Evaluation, RecordedResource } from "./evaluate";
import { check, isBlocking, readPackConfig, subjectLabel } from "./policyCheck";
import { isNamespaced, kubeType } from "../policies/lib/kube";
import { PackConfig, Subject } from "../policies/lib/runner";
import { outputsJson, readPreviousOutputs, StackOutputs } from "./previous";
import { InputError, readStackFile } from "./stackFile";
import { repositoryOf, sourcePath } from "./build/tree";
import { OutFile, writeAtomically } from "./synthWriter";

export type { OutFile } from "./synthWriter";

/** The tree this runs from (the repository, or bin/ compiled), which holds the program it loads. */
const TREE = path.resolve(__dirname, "..");
/** The repository: stack files, the default output and the paths the report names are its own. */
const ROOT = repositoryOf(TREE);
const USAGE = "usage: npm run synth -- <stack> [--config FILE] [--out DIR] [--previous FILE | --from VERSION] [--policy-config FILE]";

interface Args {
    stack: string;
    configFile: string;
    outDir: string;
    from?: string;
    previousFile?: string;
    policyConfig?: string;
}

function parseArgs(argv: string[]): Args {
    let stack: string | undefined;
    let configFile: string | undefined;
    let outDir = path.join(ROOT, "out");
    let from: string | undefined;
    let previousFile: string | undefined;
    let policyConfig: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--config" || arg === "--out" || arg === "--from" || arg === "--previous" || arg === "--policy-config") {
            const value = argv[++i];
            if (!value) {
                throw new InputError(`${arg} needs a value\n${USAGE}`);
            }
            if (arg === "--config") {
                configFile = path.resolve(value);
            } else if (arg === "--out") {
                outDir = path.resolve(value);
            } else if (arg === "--policy-config") {
                policyConfig = path.resolve(value);
            } else if (arg === "--previous") {
                previousFile = path.resolve(value);
            } else {
                from = value;
            }
        } else if (arg.startsWith("-") || stack !== undefined) {
            throw new InputError(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
        } else {
            stack = arg;
        }
    }
    if (from && previousFile) {
        throw new InputError(`--from is the short form of --previous: give one of them\n${USAGE}`);
    }
    if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new InputError(stack ? `${JSON.stringify(stack)} is not a stack name\n${USAGE}` : USAGE);
    }
    return {
        stack,
        configFile: configFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`),
        outDir,
        ...(from ? { from } : {}),
        ...(previousFile ? { previousFile } : {}),
        ...(policyConfig ? { policyConfig } : {}),
    };
}

/** Each Command's bundle, decoded once for its node files and read again for resources.json. */
const bundles = new WeakMap<RecordedResource, Bundle>();

function bundleOf(r: RecordedResource, text: string): Bundle {
    let bundle = bundles.get(r);
    if (!bundle || r.inputs.stdin !== text) {
        bundle = decodeBundle(text);
        if (r.inputs.stdin === text) {
            bundles.set(r, bundle);
        }
    }
    return bundle;
}

/** The files of every action each node runs, one action at a time (each bundle decoded as it is written). */
function* nodeFiles(evaluation: Evaluation, nodeByAddress: Map<string, string>): Generator<OutFile> {
    const actions = evaluation.resources.flatMap((r) => {
        const stdin = r.inputs.stdin;
        if (r.type !== "command:remote:Command" || !isBundle(stdin)) {
            return [];
        }
        const host = String((r.inputs.connection as Record<string, unknown>)?.host);
        return [{ r, stdin, node: nodeByAddress.get(host) ?? host, entry: stdin.slice(stdin.indexOf(" ") + 1, stdin.indexOf("\n")) }];
    });
    const runs = new Map<string, number>();
    const key = (node: string, entry: string) => `${node}\0${entry}`;
    for (const a of actions) {
        runs.set(key(a.node, a.entry), (runs.get(key(a.node, a.entry)) ?? 0) + 1);
    }
    for (const { r, stdin, node, entry } of actions) {
        // An action that runs more than once on a host (a token minted per joining node) is told apart
        // by its resource name.
        const base = entry.replace(/\.sh$/, "");
        const repeated = runs.get(key(node, entry))! > 1;
        const action = repeated ? `${base}.${r.name}` : base;
        const commands = (["create", "update", "delete"] as const).filter((op) => typeof r.inputs[op] === "string")
            .map((op) => `# ${op}\n${r.inputs[op]}\n`);
        yield { path: `nodes/${node}/${action}.command.txt`, content: commands.join("\n") };
        for (const [name, file] of Object.entries(bundleOf(r, stdin).files)) {
            // Scripts keep their names (lib.sh is shared by every action); inputs carry the action's name.
            const out = name.endsWith(".sh") ? name : `${action}.${name}`;
            yield { path: `nodes/${node}/${out}`, content: file.content, mode: parseInt(file.mode, 8) };
        }
    }
}

/** Every Kubernetes object, as the manifest the provider would apply. */
function* manifestFiles(evaluation: Evaluation): Generator<OutFile> {
    for (const r of evaluation.resources) {
        const t = r.type.startsWith("kubernetes:") ? kubeType(r.type) : undefined;
        if (!t) {
            continue;
        }
        const obj = redactedInputs(r);
        const metadata = (obj.metadata ?? {}) as Record<string, unknown>;
        const dir = isNamespaced(t) ? String(metadata.namespace ?? "default") : "_cluster";
        const name = String(metadata.name ?? r.name).replace(/[^A-Za-z0-9._-]/g, "_");
        yield { path: `manifests/${dir}/${t.kind}${t.patch ? "Patch" : ""}-${name}.yaml`, content: yaml.dump(obj, { noRefs: true, lineWidth: -1 }) };
    }
}

const SECRET = "<secret>";

/**
 * What stands for one secret value of a Secret's key, as the API server would still accept it: a
 * `.dockerconfigjson` must parse as a Docker config, and `data` holds base64.
 */
function placeholderOf(field: string, key: string): string {
    const text = key === ".dockerconfigjson" ? JSON.stringify({ auths: { [SECRET]: { auth: SECRET } } }) : SECRET;
    return field === "data" ? Buffer.from(text).toString("base64") : text;
}

/**
 * A secret input as a manifest may show it: a Secret's data or stringData keeps its keys, each value a
 * placeholder, so the file is still an object the API server accepts; anything else is "<secret>".
 */
function redactedSecret(r: RecordedResource, value: unknown, at: string): unknown {
    const keyed = r.type === "kubernetes:core/v1:Secret" && (at === "data" || at === "stringData");
    if (keyed && typeof value === "object" && value !== null && !Array.isArray(value)) {
        return Object.fromEntries(Object.keys(value).map((k) => [k, placeholderOf(at, k)]));
    }
    return SECRET;
}

/** Inputs as reviewers should read them: secrets replaced, bundles summarised (their files are written). */
function redactedInputs(r: RecordedResource): Record<string, unknown> {
    const secret = new Set(r.secretInputs);
    const walk = (value: unknown, at: string): unknown => {
        if (secret.has(at)) {
            return redactedSecret(r, value, at);
        }
        if (isBundle(value)) {
            const b = bundleOf(r, value);
            return { bundle: b.entry, files: Object.keys(b.files).sort() };
        }
        if (Array.isArray(value)) {
            return value.map((v, i) => walk(v, `${at}[${i}]`));
        }
        if (typeof value === "object" && value !== null) {
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, at ? `${at}.${k}` : k)]));
        }
        return value;
    };
    return walk(r.inputs, "") as Record<string, unknown>;
}

function resourcesJson(evaluation: Evaluation): string {
    const resources = evaluation.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent ?? null,
        dependencies: r.dependencies,
        // The engine waits for a resource's provider as for a dependency: the critical path follows both.
        ...(r.provider ? { provider: r.provider } : {}),
        secretInputs: r.secretInputs,
        additionalSecretOutputs: r.additionalSecretOutputs,
        ...(r.customTimeouts ? { customTimeouts: r.customTimeouts } : {}),
        ...(r.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
        inputs: redactedInputs(r),
    }));
    const outputs = Object.fromEntries(Object.entries(evaluation.outputs)
        .map(([k, o]) => [k, o.secret ? { secret: true, value: SECRET } : { secret: false, value: o.value }]));
    return JSON.stringify({ stack: evaluation.stack, outputs, resources }, null, 2) + "\n";
}

/** Every secret value the evaluation saw, so no output file can carry one by accident. */
export function secretValues(evaluation: Evaluation, config: Record<string, string>, secretKeys: string[]): string[] {
    const values = new Set(secretKeys.map((k) => config[k]));
    for (const r of evaluation.resources) {
        for (const p of r.secretInputs) {
            const v = valueAt(r.inputs, p);
            if (typeof v === "string" && !isBundle(v)) {
                values.add(v);
            }
        }
    }
    return [...values].filter((v) => v.length >= 8);
}

function valueAt(root: unknown, dotted: string): unknown {
    return dotted.split(/\.|\[(\d+)\]/).filter(Boolean).reduce<unknown>(
        (v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), root);
}

function summary(evaluation: Evaluation, stackDir: string, cluster: { name: string; version: string; roles: Record<string, number> }): string {
    const byType = new Map<string, number>();
    for (const r of evaluation.resources) {
        byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    }
    const secretCount = evaluation.resources.filter((r) => r.secretInputs.length > 0).length;
    return [
        `stack ${evaluation.stack}: cluster ${cluster.name}, Kubernetes ${cluster.version}`,
        `  nodes: ${Object.entries(cluster.roles).map(([role, n]) => `${n} ${role}`).join(", ")}`,
        `  resources: ${evaluation.resources.length}`,
        ...[...byType.entries()].sort().map(([t, n]) => `    ${String(n).padStart(4)}  ${t}`),
        `  resources with secret inputs: ${secretCount}`,
        `  written to ${path.relative(process.cwd(), stackDir) || "."}`,
    ].join("\n");
}

/** What the synth writes for one evaluation, and the policy report among it. */
export async function synthesize(evaluation: Evaluation, config: ClusterConfig, pack: { file: string; config: PackConfig }) {
    const nodeByAddress = new Map(config.nodes.map((n) => [n.address, n.name]));
    const subjects: Subject[] = evaluation.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
    const violations = await check(subjects, pack.config);
    const byUrn = new Map<string, Subject>();
    for (const x of subjects) {
        if (!byUrn.has(x.urn)) {
            byUrn.set(x.urn, x);
        }
    }
    const report = {
        stack: evaluation.stack,
        policyConfig: path.relative(ROOT, sourcePath(ROOT, pack.file)),
        mandatoryViolations: violations.filter(isBlocking).length,
        violations: violations.map((v) => {
            const s = v.urn === undefined ? undefined : byUrn.get(v.urn);
            return { policy: v.policy, enforcementLevel: v.enforcementLevel, resource: s ? subjectLabel(s) : "stack", urn: v.urn ?? null, message: v.message };
        }),
    };
    /** Made as they are taken (writeAtomically), so no more than one resource's files are held at once. */
    const files: Iterable<OutFile> = {
        *[Symbol.iterator]() {
            yield* nodeFiles(evaluation, nodeByAddress);
            yield* manifestFiles(evaluation);
            yield { path: "resources.json", content: resourcesJson(evaluation) };
            yield { path: "policy-report.json", content: JSON.stringify(report, null, 2) + "\n" };
            yield { path: "outputs.json", content: outputsJson(evaluation) };
        },
    };
    return { files, report, violations };
}

async function main(argv: string[]): Promise<number> {
    let args: Args;
    let raw;
    let pack;
    let previous: StackOutputs | undefined;
    try {
        args = parseArgs(argv);
        raw = readStackFile(args.configFile);
        pack = readPackConfig(args.stack, args.policyConfig);
        previous = args.previousFile ? readPreviousOutputs(args.previousFile) : args.from ? { kubernetesVersion: args.from } : undefined;
    } catch (e) {
        if (e instanceof InputError) {
            process.stderr.write(`synth: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    const { config, problems } = validateConfig(raw.config, raw.secretKeys);
    // The same gate the program applies against the stack's own outputs, said here before evaluating.
    const refused = config ? deployProblems(previous as PreviousDeploy | undefined, config) : [];
    problems.push(...refused);
    if (!config || refused.length > 0) {
        const what = config ? `refused against ${args.previousFile ?? `a cluster at ${args.from}`}` : "invalid stack config";
        process.stderr.write(`synth: ${args.configFile}: ${what} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n`);
        process.stderr.write(problems.map((p) => `  - ${p}\n`).join(""));
        return 2;
    }
    const evaluation = await evaluate({
        stack: args.stack,
        config: raw.config,
        secretKeys: raw.secretKeys,
        ...(previous ? { previousOutputs: previous } : {}),
        load: () => require(path.join(TREE, "index")),
    });
    const { files, report, violations } = await synthesize(evaluation, config, pack);
    const stackDir = path.join(args.outDir, args.stack);
    await writeAtomically(stackDir, files, secretValues(evaluation, raw.config, raw.secretKeys));
    const roles: Record<string, number> = {};
    config.nodes.forEach((n) => (roles[n.role] = (roles[n.role] ?? 0) + 1));
    process.stdout.write(summary(evaluation, stackDir, { name: config.name, version: config.kubernetesVersion.text, roles }) + "\n");
    if (raw.placeholders.length) {
        process.stdout.write(`  placeholders for secrets not available offline: ${raw.placeholders.join(", ")}\n`);
    }
    process.stdout.write(`  policies: ${report.mandatoryViolations} mandatory, ${violations.length - report.mandatoryViolations} other violation(s) (${report.policyConfig})\n`);
    for (const v of report.violations) {
        process.stdout.write(`    ${v.resource}: ${v.policy}: ${v.message}${v.enforcementLevel === "mandatory" ? "" : ` (${v.enforcementLevel})`}\n`);
    }
    return report.mandatoryViolations > 0 ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`synth: the program failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
            process.exit(3);
        },
    );
}
