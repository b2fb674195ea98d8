/**
 * A stack file for N nodes, for the synth benchmarks: the test stack's platform (every component the
 * program has) with 3 control planes and N - 3 workers (1 control plane below 3 nodes), as
 * tools/scaledStack.ts grows it.
 *   node bin/bench/synth/stack.js NODES FILE
 */
import * as fs from "fs";
import * as path from "path";
import { repositoryOf } from "../../tools/build/tree";
import { scaledStackFile } from "../../tools/scaledStack";

const REPO = repositoryOf(path.resolve(__dirname, "..", ".."));

export const MAX_NODES = 10_000;

/** The stack file's text for that many nodes. */
export function scaledStack(nodes: number): string {
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
        throw new Error(`NODES must be a whole number from 1 to ${MAX_NODES}, not ${nodes}`);
    }
    const controlPlanes = nodes < 3 ? 1 : 3;
    return scaledStackFile(REPO, "test", { controlPlanes, workers: nodes - controlPlanes });
}

if (require.main === module) {
    const [count, file] = process.argv.slice(2);
    if (!count || !file) {
        process.stderr.write("usage: node bin/bench/synth/stack.js NODES FILE\n");
        process.exit(2);
    }
    fs.writeFileSync(file, scaledStack(Number(count)));
    console.log(file);
}
