/**
 * The shared mock harness: evaluates the real program (index.ts) for a stack under Pulumi's mocks and
 * returns every registered resource with its inputs, parent, dependencies and secret inputs
 * (tools/evaluate.ts). Every suite that looks at the program goes through here.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT } from "../config";
import { nodeFlagGiven } from "../tools/build/nodeFlags";
import { evaluate, Evaluation, MockOutputs, RecordedResource } from "../tools/evaluate";
import * as pulumi from "@pulumi/pulumi";
import { kubeType, podSpecOf } from "../policies/lib/kube";
import { PackConfig, runPolicies } from "../policies/lib/runner";
import { policies } from "../policies/policies";
import { rawStack } from "./rawStack";

import { REPO } from "./rawStack";

export { FAKE_SSH_KEY, REPO } from "./rawStack";
export const STACKS = ["dev", "prod", "test"] as const;
export type StackName = (typeof STACKS)[number];

/** The cluster object of a stack file, to mutate in a test. */
export function clusterOf(stack: StackName): Record<string, unknown> {
    return JSON.parse(rawStack(stack).config[`${PROJECT}:cluster`]);
}

/** The raw config of a stack, with the fake SSH key, optionally with its cluster object replaced. */
export function rawConfig(stack: StackName, cluster?: Record<string, unknown>): { config: Record<string, string>; secretKeys: string[] } {
    return rawStack(stack, cluster);
}

export interface RunOptions {
    cluster?: Record<string, unknown>;
    /** Evaluate without the stack's platform key. */
    omitPlatform?: boolean;
    /** The platform key's JSON text instead of the stack's. */
    platformOverride?: string;
    mockOutputs?: MockOutputs;
    previousOutputs?: Record<string, unknown>;
}

/** Plain evaluations of the committed stack files, shared by the tests of one suite (they only read them). */
const plain = new Map<StackName, Promise<Evaluation>>();

/** What a plain evaluation is made from: the program, its tools and policies, the stack files, the lock file. */
const SOURCES = ["index.ts", "package-lock.json", "components", "config", "policies", "tools", "tests/harness.ts", "tests/rawStack.ts"];

/** A digest of every source file's path and bytes; any edit is a new key, so a cached evaluation is never stale. */
function sourcesKey(): string {
    const hash = createHash("sha256");
    const add = (rel: string) => {
        const full = path.join(REPO, rel);
        if (fs.statSync(full).isDirectory()) {
            fs.readdirSync(full).sort().forEach((name) => add(path.join(rel, name)));
        } else {
            hash.update(`${rel}\0`).update(fs.readFileSync(full)).update("\0");
        }
    };
    [...SOURCES, ...STACKS.map((s) => `Pulumi.${s}.yaml`)].forEach(add);
    return hash.digest("hex").slice(0, 32);
}

/**
 * The plain evaluation of a stack, shared by every suite of a run through a file keyed by the sources'
 * digest: a dozen suites read the same three evaluations, and computing each once per run instead of
 * once per suite is a third of the unit tier's time. The first suite to need one writes it (whole, by
 * rename, so a suite in the other worker never reads half a file).
 */
async function sharedPlain(stack: StackName): Promise<Evaluation> {
    const dir = path.join(os.tmpdir(), "lsst-k8s-evaluations", sourcesKey());
    const file = path.join(dir, `${stack}.json`);
    if (fs.existsSync(file)) {
        return JSON.parse(fs.readFileSync(file, "utf8")) as Evaluation;
    }
    const text = JSON.stringify(await evaluateStack(stack, {}));
    try {
        if (!fs.existsSync(dir)) {
            // Older sources' evaluations are never read again; another checkout's are only recomputed.
            fs.rmSync(path.dirname(dir), { recursive: true, force: true });
            fs.mkdirSync(dir, { recursive: true });
        }
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, file);
    } catch {
        // The other worker cleared the folder at the same moment: this evaluation stands, unshared.
    }
    return JSON.parse(text) as Evaluation;
}

/**
 * Evaluates index.ts for a stack in a fresh module registry. Without options the result depends only on
 * the stack file, so it is computed once per suite.
 */
export function runStack(stack: StackName, opts: RunOptions = {}): Promise<Evaluation> {
    if (Object.keys(opts).length > 0) {
        return evaluateStack(stack, opts);
    }
    if (!plain.has(stack)) {
        plain.set(stack, sharedPlain(stack));
    }
    return plain.get(stack)!;
}

async function evaluateStack(stack: StackName, opts: RunOptions): Promise<Evaluation> {
    const { config, secretKeys } = rawConfig(stack, opts.cluster);
    if (opts.omitPlatform) {
        delete config[`${PROJECT}:platform`];
    }
    if (opts.platformOverride) {
        config[`${PROJECT}:platform`] = opts.platformOverride;
    }
    let exports: Record<string, unknown> = {};
    return withoutStackTraces(() => evaluate({
        stack,
        config,
        secretKeys,
        mockOutputs: opts.mockOutputs,
        previousOutputs: opts.previousOutputs,
        load: () => {
            jest.isolateModules(() => {
                exports = require("../index");
            });
            return exports;
        },
    }));
}

/** Whoever runs the tests asked for traces (NODE_OPTIONS=--stack-trace-limit=N reaches every worker). */
const tracesAsked = nodeFlagGiven("--stack-trace-limit");
/** Evaluations in flight, so overlapping ones restore the test's own limit only when the last ends. */
let evaluating = 0;
let limitOutside = Error.stackTraceLimit;

/**
 * Runs an evaluation without formatting a stack trace for every promise the SDK makes (it keeps one per
 * promise only to report leaks at exit). Under jest each goes through source-map translation: that was
 * half of an evaluation's CPU time (a test-stack evaluation 3.0 s to 1.4 s). The SDK raises the limit
 * itself where it records a resource's source position, and what the program registers does not depend
 * on it; an error the program raises keeps its message (what the tests match), and
 * NODE_OPTIONS=--stack-trace-limit=50 keeps its trace when one is needed.
 */
async function withoutStackTraces<T>(run: () => Promise<T>): Promise<T> {
    if (evaluating++ === 0) {
        limitOutside = Error.stackTraceLimit;
        if (!tracesAsked) {
            Error.stackTraceLimit = 0;
        }
    }
    try {
        return await run();
    } finally {
        if (--evaluating === 0) {
            Error.stackTraceLimit = limitOutside;
        }
    }
}

export function ofType(e: Evaluation, type: string): RecordedResource[] {
    return e.resources.filter((r) => r.type === type);
}

export function byName(e: Evaluation, name: string): RecordedResource {
    const r = e.resources.find((x) => x.name === name);
    if (!r) {
        throw new Error(`no resource named ${name}; have: ${e.resources.map((x) => x.name).join(", ")}`);
    }
    return r;
}

/** True when `to` is reachable from `from` through dependencies (a path in the graph). */
export function dependsOn(e: Evaluation, from: RecordedResource, to: RecordedResource): boolean {
    const byUrn = new Map(e.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const stack = [...from.dependencies];
    while (stack.length) {
        const urn = stack.pop()!;
        if (urn === to.urn) {
            return true;
        }
        if (!seen.has(urn)) {
            seen.add(urn);
            stack.push(...(byUrn.get(urn)?.dependencies ?? []));
        }
    }
    return false;
}

/**
 * Evaluates one component alone under the mocks, as Platform would declare it, with a Kubernetes
 * provider of its own; `build` requires the component inside jest's module isolation and declares it.
 */
export async function declareAlone(build: (k8s: typeof import("@pulumi/kubernetes"), provider: import("@pulumi/kubernetes").Provider) => void): Promise<RecordedResource[]> {
    const e = await withoutStackTraces(() => evaluate({
        stack: "test",
        config: {},
        secretKeys: [],
        load: () => {
            jest.isolateModules(() => {
                const k8s = require("@pulumi/kubernetes");
                build(k8s, new k8s.Provider("lsst-test-kubernetes", { kubeconfig: "placeholder" }));
            });
            return {};
        },
    }));
    return [...e.resources];
}

/** A workload the stack declares and the pod spec it carries (policies/lib/kube.ts: every kind that has one). */
export interface DeclaredPod {
    readonly resource: RecordedResource;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly spec: Record<string, any>;
    /** Every image its containers and init containers name. */
    readonly images: readonly string[];
}

/** Every workload of an evaluation with its pod spec; patches carry none and are left out. */
export function declaredPods(e: Evaluation): DeclaredPod[] {
    return e.resources.flatMap((resource) => {
        const t = kubeType(resource.type);
        const at = t && !t.patch ? podSpecOf(t, resource.inputs as Record<string, unknown>) : undefined;
        if (!at) {
            return [];
        }
        const spec = at.spec as Record<string, any>;
        const images = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: { image: string }) => c.image);
        return [{ resource, spec, images }];
    });
}

/**
 * The pack's violations of RESOURCES (their Kubernetes ones) under STACK's policy config with every
 * exemption and approval removed: a component that needs none passes on its own merits.
 */
export async function strictPackViolations(stack: StackName, resources: readonly RecordedResource[]): Promise<[string, string][]> {
    const config = require(`../policies/config/${stack}.json`) as PackConfig;
    const bare = Object.fromEntries(Object.entries(config).map(([k, v]) => {
        if (typeof v !== "object" || v === null) {
            return [k, v];
        }
        const { exemptions: _e, approved: _a, ...rest } = v as Record<string, unknown>;
        return [k, rest];
    }));
    const subjects = resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
    return (await runPolicies(policies, subjects, bare)).map((v): [string, string] => [v.policy, v.message]);
}

/** Pulumi's mocks, recording each resource's inputs by name: what a component sends, for the sandbox suites. */
export async function recordingMocks(): Promise<Map<string, Record<string, unknown>>> {
    const inputs = new Map<string, Record<string, unknown>>();
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            inputs.set(args.name, args.inputs);
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    }, "lsst-k8s", "test", false);
    return inputs;
}
