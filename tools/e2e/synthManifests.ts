/**
 * Step 6 of the control-plane tier: what the synth writes under manifests/ is what an operator would
 * `kubectl apply`, so every file must be an object the API server accepts as it is, secrets shown as
 * placeholders included. The synth runs in a process of its own (it reads its stack once, at load),
 * started before the control plane so the two overlap; its files go through a server-side dry run
 * with strict field validation, after the stack's own objects are in, so their namespaces exist.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ApiServer } from "./api";
import { kubectl } from "./apply";

export interface ManifestsResult {
    readonly checked: number;
    readonly accepted: number;
    readonly problems: string[];
}

const ROOT = path.resolve(__dirname, "..", "..");

/** Runs the synth of one stack into dir; resolves to its manifests folder, rejects with its output. */
export function synthManifests(stack: string, dir: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "tools/synth.ts"), stack, "--out", dir],
            { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (c: Buffer) => { out += c.toString(); });
        child.stderr.on("data", (c: Buffer) => { out += c.toString(); });
        child.on("error", reject);
        // Exit 1 is a policy violation, which the synth still writes and the pack's own tests judge.
        child.on("close", (code) => code === 0 || code === 1
            ? resolve(path.join(dir, stack, "manifests"))
            : reject(new Error(`synth of ${stack} exited ${code}:\n${out.trim()}`)));
    });
}

function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory()
        ? filesUnder(path.join(dir, e.name)) : e.name.endsWith(".yaml") ? [path.join(dir, e.name)] : []);
}

export function dryRunManifests(kubectlBin: string, api: ApiServer, stack: string, manifests: string): ManifestsResult {
    const files = filesUnder(manifests);
    const r = kubectl(kubectlBin, api, ["apply", "--server-side", "--dry-run=server", "--validate=strict",
        "--field-manager=pulumi-kubernetes", "--recursive", "-f", manifests]);
    const applied = r.out.split("\n").filter((l) => /serverside-applied \(server dry run\)$/.test(l)).length;
    const problems = r.ok && applied === files.length ? [] : [`${stack}: manifests: ${files.length - applied} of ${files.length} files refused:\n    ` +
        r.out.split("\n").filter((l) => !/\(server dry run\)$/.test(l) && !l.startsWith("Warning:")).join("\n    ")];
    return { checked: files.length, accepted: applied, problems };
}
