/**
 * What the synth writes does not depend on how it is run or written: for every stack, the compiled CLI
 * (`npm run synth`, with its start-up settings and its parallel writer) writes exactly the files, bytes
 * and modes that the program evaluated from source writes through a plain one-file-at-a-time writer.
 * Any optimisation that changes, drops, adds or re-modes one file fails here, naming it.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { validateConfig } from "../config";
import { npmScript } from "../tools/build/scripts";
import { readPackConfig } from "../tools/policyCheck";
import { readStackFile } from "../tools/stackFile";
import { OutFile, synthesize } from "../tools/synth";
import { REPO, runStack, STACKS } from "./harness";

/** The straightforward writer the optimised one must equal: each file in turn, its directory first. */
function referenceWrite(dir: string, files: Iterable<OutFile>): void {
    for (const f of files) {
        const full = path.join(dir, f.path);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, f.content, { mode: f.mode ?? 0o644 });
    }
}

/**
 * The one value that differs between any two runs: a join's token is minted anew on every deploy, keyed
 * by the time of the run (components/Cluster.ts), so each run carries its own clock reading.
 */
const RUN_TIME = /attempt \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

/** Every file under dir: its path, its mode and its bytes (the run's time masked). */
function tree(dir: string): Map<string, { mode: number; bytes: Buffer }> {
    const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    return new Map(files.map((d) => {
        const full = path.join(d.parentPath, d.name);
        const bytes = Buffer.from(fs.readFileSync(full, "latin1").replace(RUN_TIME, "attempt <time>"), "latin1");
        return [path.relative(dir, full), { mode: fs.statSync(full).mode & 0o777, bytes }];
    }));
}

let out: string;
beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "synth-identity-"));
});
afterAll(() => {
    fs.rmSync(out, { recursive: true, force: true });
});

it.each(STACKS)("the compiled synth of %s writes what the source program does through a plain writer", async (stack) => {
    const cli = spawnSync(process.execPath, [...npmScript("synth"), stack, "--out", path.join(out, "cli")], { cwd: REPO, encoding: "utf8" });
    expect(cli.stderr).toBe("");
    expect(cli.status).toBe(0);

    // The suites' shared evaluation of the source program (tests/harness.ts), with the SSH key the
    // tests use: secrets never reach the output, so the key the CLI made up for itself cannot differ.
    const raw = readStackFile(path.join(REPO, `Pulumi.${stack}.yaml`));
    const config = validateConfig(raw.config, raw.secretKeys).config!;
    const evaluation = await runStack(stack);
    const { files } = await synthesize(evaluation, config, readPackConfig(stack));
    referenceWrite(path.join(out, "reference", stack), files);

    const written = tree(path.join(out, "cli", stack));
    const expected = tree(path.join(out, "reference", stack));
    expect([...written.keys()].sort()).toEqual([...expected.keys()].sort());
    const differing = [...expected].filter(([f, e]) => written.get(f)!.mode !== e.mode || !written.get(f)!.bytes.equals(e.bytes)).map(([f]) => f);
    expect(differing).toEqual([]);
});
