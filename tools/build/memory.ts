/**
 * Runs a tool in a child process so that running out of memory is one line and exit 3, never V8's
 * abort (exit 134 with a page of GC log and native frames, which no caller can tell from a crash):
 *   node bin/tools/build/memory.js tools/synth.js ARG...
 * The child is this same node with the same flags; its output passes through as it comes, except V8's
 * out-of-memory report. Only node's own modules and nodeFlags.ts are loaded here, so the extra process costs its start-up alone.
 * Node's default heap (a quarter of memory, at most 4 GB) is too small for a 3 000-node synth; unless
 * --max-old-space-size is given, the child may use up to three quarters of the machine's memory (V8 grows
 * the heap from what is live, so a smaller stack does not use more for it).
 */
import { spawn } from "child_process";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";
import { nodeFlagGiven } from "./nodeFlags";

/** Where V8's out-of-memory report begins in a process's stderr. */
const OOM_REPORT = "\n<--- Last few GCs --->";
export const OUT_OF_MEMORY_EXIT = 3;

function heapLimitMb(): number {
    return Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
}

function main(argv: string[]): void {
    const [tool, ...args] = argv;
    if (!tool) {
        process.stderr.write("usage: node bin/tools/build/memory.js TOOL.js [ARG...]\n");
        process.exit(2);
    }
    const name = path.basename(tool, ".js");
    const heap = nodeFlagGiven("--max-old-space-size") ? [] : [`--max-old-space-size=${Math.max(heapLimitMb(), Math.floor((os.totalmem() * 0.75) / 2 ** 20))}`];
    const child = spawn(process.execPath, [...process.execArgv, ...heap, path.resolve(__dirname, "..", "..", tool), ...args],
        { stdio: ["inherit", "inherit", "pipe"] });
    let tail = "";
    let reporting = false;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
        if (reporting) {
            return;
        }
        // The marker may straddle two chunks: hold back what could be its start.
        const text = tail + chunk;
        const at = text.indexOf(OOM_REPORT);
        if (at >= 0) {
            reporting = true;
            process.stderr.write(text.slice(0, at));
            return;
        }
        const keep = Math.min(text.length, OOM_REPORT.length - 1);
        process.stderr.write(text.slice(0, text.length - keep));
        tail = text.slice(text.length - keep);
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGINT", forward).on("SIGTERM", forward);
    child.on("close", (code, signal) => {
        if (!reporting) {
            process.stderr.write(tail);
        }
        if (reporting || signal === "SIGABRT") {
            const limit = heap.length ? Number(heap[0].split("=")[1]) : heapLimitMb();
            process.stderr.write(`${name}: out of memory: it needs more than node's ${limit} MB heap; ` +
                `run it with NODE_OPTIONS=--max-old-space-size=${2 * limit} (MB)\n`);
            process.exit(OUT_OF_MEMORY_EXIT);
        }
        process.exit(code ?? 1);
    });
}

main(process.argv.slice(2));
