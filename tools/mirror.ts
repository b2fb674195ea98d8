/**
 * npm run mirror -- <stack> [--config FILE] [--dry-run]
 *
 * Copies every image the stack's platform pulls through its local registry (registryImages: the
 * references on platform.registry.host) from its source into the registry, with skopeo, keeping its
 * digest, so the workloads that pull them find them (issue 12: images before the workloads that need
 * them; set platform.registry.mirrored once it has run). Each image's source is
 * platform.registry.sources[path], else the upstream repository of the program's own images.
 *
 * Without --dry-run it reads the JSON `pulumi stack output --json --show-secrets` prints on stdin, for
 * the registry's pull and push credentials (registryUser/registryPassword, registryPushUser/
 * registryPushPassword) and its certificate; the passwords go to skopeo in a 0600 auth file inside a
 * private temporary directory, removed on every way out, never in argv or output. It reaches the
 * registry by platform.registry.host, checking its certificate: it looks for each image at the reader
 * (port 443, the pull credential, what the nodes pull from) and copies it through the writer (port
 * REGISTRY_PUSH_PORT, the push credential). The registry is a ClusterIP Service and each node's
 * /etc/hosts maps that name to its address (trust-registry.sh), so it runs on a node.
 *
 * One line per image (present, copied or failed) and a summary line. An image already in the registry
 * at its source's digest is not copied again. Exit 0: every image is there. Exit 1: an image failed.
 * Exit 2: bad arguments, an unreadable or invalid stack file, config the mirror refuses, bad stdin or
 * no skopeo: every problem listed, nothing copied. --dry-run prints each source → destination and
 * needs neither stdin nor skopeo.
 */
import * as fs from "fs";
import { validateConfig } from "../config";
import { parseStackArgs } from "./stackArgs";
import { InputError, readStackFile } from "./stackFile";
import { credentialSecrets, parseStackOutputs, RegistryCredentials, writeDestination } from "./mirror/credentials";
import { MirrorStep, planLine, planMirror } from "./mirror/plan";
import { Destination, findSkopeo, Skopeo } from "./mirror/skopeo";

const USAGE = [
    "usage: pulumi stack output --json --show-secrets | npm run -s mirror -- <stack> [--config FILE]",
    "       npm run -s mirror -- <stack> [--config FILE] --dry-run",
    "Copies the images the stack pulls through its local registry into it, by digest, with skopeo. It reaches the",
    "registry by platform.registry.host, a ClusterIP Service each node's /etc/hosts names: run it on a node of the cluster.",
].join("\n");

interface Args {
    readonly stack: string;
    readonly configFile: string;
    readonly dryRun: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    const { stack, configFile, switches } = parseStackArgs(argv, ["--dry-run"], USAGE);
    return { stack, configFile, dryRun: switches.has("--dry-run") };
}

type Outcome = { readonly done: "copied" | "present"; readonly digest: string } | { readonly failed: string; readonly registry?: boolean };

/** One image into the registry, unless it is there already at its source's (or its pinned) digest. */
async function mirrorOne(step: MirrorStep, skopeo: Skopeo, destination: Destination): Promise<Outcome> {
    const { image } = step;
    const before = await skopeo.digest(step.check, destination);
    if ("error" in before) {
        return { failed: `reading ${step.check}: ${before.error}`, registry: true };
    }
    // A digest names one content for good: found by it, the image is the one pinned.
    if ("digest" in before && (image.digest !== undefined || step.source === undefined)) {
        return { done: "present", digest: before.digest };
    }
    if (step.source === undefined) {
        return { failed: `not in the registry, and no source: set ${JSON.stringify(image.path)} in platform.registry.sources (docker://HOST/REPOSITORY or oci:/DIR), or push it there yourself` };
    }
    const source = await skopeo.digest(step.source);
    if (!("digest" in source)) {
        return { failed: `reading ${step.source}: ${"error" in source ? source.error : "no such image"}` };
    }
    if (image.digest !== undefined && source.digest !== image.digest) {
        return { failed: `${step.source} is at ${source.digest}, but ${image.pulledBy} pins ${image.digest}` };
    }
    if ("digest" in before && before.digest === source.digest) {
        return { done: "present", digest: before.digest };
    }
    const error = await skopeo.copy(step.source, step.destination, destination);
    if (error !== undefined) {
        return { failed: `copying ${step.source}: ${error}` };
    }
    const after = await skopeo.digest(step.check, destination);
    if (!("digest" in after) || after.digest !== source.digest) {
        const found = "digest" in after ? `is at ${after.digest}` : "absent" in after ? "is missing" : `cannot be read (${after.error})`;
        return { failed: `copied, but ${step.check} ${found}, not ${source.digest}` };
    }
    return { done: "copied", digest: source.digest };
}

/** Every step in turn; once the registry itself cannot be read, the rest are not tried. */
async function mirrorAll(steps: readonly MirrorStep[], skopeo: Skopeo, destination: Destination): Promise<Record<"copied" | "present" | "failed", number>> {
    const counts = { copied: 0, present: 0, failed: 0 };
    let unreadable: string | undefined;
    for (const step of steps) {
        const outcome: Outcome = unreadable !== undefined
            ? { failed: `not tried: the registry could not be read (${unreadable})` }
            : await mirrorOne(step, skopeo, destination);
        if ("failed" in outcome) {
            counts.failed++;
            if (outcome.registry) {
                unreadable = step.check;
            }
            process.stdout.write(`mirror: ${step.image.ref}: failed: ${outcome.failed}\n`);
        } else {
            counts[outcome.done]++;
            const how = outcome.done === "copied" ? `copied from ${step.source}, at` : "present at";
            process.stdout.write(`mirror: ${step.image.ref}: ${how} ${outcome.digest}\n`);
        }
    }
    return counts;
}

function readStdin(): string {
    if (process.stdin.isTTY) {
        throw new InputError("stdin is a terminal: pipe `pulumi stack output --json --show-secrets` into it");
    }
    return fs.readFileSync(0, "utf8");
}

async function main(argv: readonly string[]): Promise<number> {
    let args: Args;
    let raw;
    try {
        args = parseArgs(argv);
        raw = readStackFile(args.configFile);
    } catch (e) {
        if (e instanceof InputError) {
            process.stderr.write(`mirror: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    const { config, problems } = validateConfig(raw.config, raw.secretKeys);
    const plan = config ? planMirror(config.platform) : undefined;
    if (!config || !plan || plan.problems.length > 0) {
        const listed = config ? plan!.problems : problems;
        process.stderr.write(`mirror: ${args.configFile}: ${config ? "cannot mirror" : "invalid stack config"} ` +
            `(${listed.length} problem${listed.length === 1 ? "" : "s"}):\n${listed.map((p) => `  - ${p}\n`).join("")}`);
        return 2;
    }
    const summary = `mirror: ${args.stack}: ${plan.steps.length} image${plan.steps.length === 1 ? "" : "s"}`;
    if (args.dryRun) {
        for (const step of plan.steps) {
            process.stdout.write(`mirror: ${planLine(step)}\n`);
        }
        const without = plan.steps.filter((s) => s.source === undefined).length;
        process.stdout.write(`${summary}, ${plan.steps.length - without} with a source, ${without} without (dry run: nothing read or copied)\n`);
        return 0;
    }
    const binary = findSkopeo();
    if (binary === undefined) {
        process.stderr.write("mirror: skopeo is not installed (not on PATH): install it (Debian: apt-get install skopeo) and run again\n");
        return 2;
    }
    let credentials: RegistryCredentials;
    try {
        credentials = parseStackOutputs(readStdin());
    } catch (e) {
        if (e instanceof InputError) {
            process.stderr.write(`mirror: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    const skopeo = new Skopeo(binary, credentialSecrets(credentials));
    const destination = writeDestination(plan.host, plan.pushHost, credentials);
    const onExit = () => destination.remove();
    const onSignal = (signal: NodeJS.Signals) => {
        skopeo.stop();
        destination.remove();
        process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once("exit", onExit);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        const counts = await mirrorAll(plan.steps, skopeo, destination);
        process.stdout.write(`${summary}, ${counts.copied} copied, ${counts.present} present, ${counts.failed} failed\n`);
        return counts.failed > 0 ? 1 : 0;
    } finally {
        destination.remove();
        process.removeListener("exit", onExit);
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
    }
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(`mirror: failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(3);
    },
);
