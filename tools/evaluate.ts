/**
 * Evaluates the real program offline: Pulumi's mock monitor stands in for the engine, SSH and the
 * cluster. The mock monitor's registerResource is wrapped, because MockResourceArgs alone carries
 * neither the parent nor the dependencies nor which inputs are secret, and those are what reviewers
 * and tests need to see. Shared by the synth (tools/synth.ts) and every test suite (tests/harness.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { PROJECT } from "../config";
import { MockOutputs, offlineOutputs } from "./offline";

export type { MockOutputs };

export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    readonly parent?: string;
    /** URNs of explicit and implicit dependencies (dependsOn plus every input's resources). */
    readonly dependencies: readonly string[];
    readonly provider?: string;
    /** Inputs with secrets unwrapped (the tests need the values; the synth redacts them). */
    readonly inputs: Record<string, unknown>;
    /** Dotted paths of inputs that are secrets ("connection.privateKey"). */
    readonly secretInputs: readonly string[];
    readonly additionalSecretOutputs: readonly string[];
    readonly ignoreChanges: readonly string[];
    /** Deleting the resource drops it from the state without running its delete. */
    readonly retainOnDelete: boolean;
    /** A replace deletes the old resource before it creates the new one. */
    readonly deleteBeforeReplace: boolean;
    readonly customTimeouts?: Record<string, string>;
}

export interface StackOutput {
    readonly value: unknown;
    readonly secret: boolean;
}

export interface Evaluation {
    readonly stack: string;
    readonly resources: readonly RecordedResource[];
    readonly outputs: Readonly<Record<string, StackOutput>>;
}

export interface EvaluateOptions {
    readonly stack: string;
    /** Raw config as the engine passes it: "lsst-k8s:cluster" → JSON text. */
    readonly config: Readonly<Record<string, string>>;
    /** Config keys that are secrets ("lsst-k8s:sshPrivateKey"). */
    readonly secretKeys: readonly string[];
    /** Loads the program and returns its exports (require("../index"), in isolation under jest). */
    readonly load: () => Record<string, unknown>;
    /** What mocked resources return beyond their inputs; default tools/offline.ts. */
    readonly mockOutputs?: MockOutputs;
    /**
     * The stack's outputs from its last deploy, as its self-reference reads them ({ kubernetesVersion }
     * to rehearse an upgrade); default none, a first deploy.
     */
    readonly previousOutputs?: Readonly<Record<string, unknown>>;
}

/** The organization the mocks report; the program only uses it to name its own stack. */
export const MOCK_ORGANIZATION = "organization";

/** Runs the program once under mocks and returns every resource it registered and its outputs. */
export async function evaluate(opts: EvaluateOptions): Promise<Evaluation> {
    const recorded: RecordedResource[] = [];
    await pulumi.runtime.setMocks({
        newResource: (args) => args.type === "pulumi:pulumi:StackReference"
            ? { id: String(args.inputs.name), state: { name: args.inputs.name, outputs: { ...opts.previousOutputs }, secretOutputNames: [] } }
            : {
                id: `${args.name}-id`,
                state: { ...args.inputs, ...(opts.mockOutputs ?? offlineOutputs)(args.type, args.name, args.inputs) },
            },
        call: (args) => args.inputs,
    }, PROJECT, opts.stack, false, MOCK_ORGANIZATION);
    pulumi.runtime.setAllConfig({ ...opts.config }, [...opts.secretKeys]);

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    monitor.registerResource = (req: any, callback: any) => {
        recorded.push(record(monitor, req));
        return register(req, callback);
    };

    // A failed apply surfaces as an unhandled rejection, which the engine turns into a failed run. Here
    // the first one fails the evaluation at once: resources waiting on the failed value never register,
    // so waiting for the program to settle would wait forever.
    let onRejection: (reason: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => {
        onRejection = reject;
    });
    process.on("unhandledRejection", onRejection);
    const outputs: Record<string, StackOutput> = {};
    const run = async () => {
        const exports = opts.load();
        for (const [key, value] of Object.entries(exports)) {
            outputs[key] = await resolve(value);
        }
        await settle();
        // Rejections are reported on a later turn of the event loop.
        await new Promise((done) => setImmediate(done));
    };
    try {
        await Promise.race([run(), failed]);
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    return { stack: opts.stack, resources: recorded, outputs };
}

/** Waits until no registration is in flight, so every resource the program creates is recorded. */
async function settle(): Promise<void> {
    // waitForRPCs is internal to the SDK but exported at runtime; it drains the RPC queue.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

async function resolve(value: unknown): Promise<StackOutput> {
    if (pulumi.Output.isInstance(value)) {
        const output = value as pulumi.Output<unknown>;
        const secret = await pulumi.isSecret(output);
        // Output.promise() is internal to the SDK but is the only way to see a failed apply as a rejection.
        const resolved = await (output as unknown as { promise(): Promise<unknown> }).promise();
        return { value: resolved, secret };
    }
    return { value, secret: false };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function record(monitor: any, req: any): RecordedResource {
    const parent: string = req.getParent();
    const dependencies = new Set<string>(req.getDependenciesList());
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    req.getPropertydependenciesMap().forEach((deps: any) => deps.getUrnsList().forEach((u: string) => dependencies.add(u)));
    const secretInputs: string[] = [];
    const inputs = unwrap(req.getObject()?.toJavaScript() ?? {}, "", secretInputs) as Record<string, unknown>;
    const timeouts = req.getCustomtimeouts();
    const customTimeouts: Record<string, string> = {};
    for (const op of ["create", "update", "delete"] as const) {
        const t = timeouts?.[`get${op[0].toUpperCase()}${op.slice(1)}`]?.();
        if (t) {
            customTimeouts[op] = t;
        }
    }
    return {
        urn: monitor.newUrn(parent, req.getType(), req.getName()),
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        ...(parent ? { parent } : {}),
        dependencies: [...dependencies].sort(),
        ...(req.getProvider() ? { provider: req.getProvider() } : {}),
        inputs,
        secretInputs,
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        ignoreChanges: req.getIgnorechangesList(),
        retainOnDelete: req.getRetainondelete() ?? false,
        deleteBeforeReplace: req.getDeletebeforereplace() ?? false,
        ...(Object.keys(customTimeouts).length ? { customTimeouts } : {}),
    };
}

/** Strips Pulumi's wire signatures: secrets become their values (and their paths are noted). */
function unwrap(value: unknown, path: string, secrets: string[]): unknown {
    if (value === unknownValue) {
        return "<unknown>";
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => unwrap(v, `${path}[${i}]`, secrets));
    }
    if (typeof value === "object" && value !== null) {
        const o = value as Record<string, unknown>;
        if (o[specialSigKey] === specialSecretSig) {
            secrets.push(path);
            return unwrap(o.value, path, []);
        }
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrap(v, path ? `${path}.${k}` : k, secrets)]));
    }
    return value;
}
