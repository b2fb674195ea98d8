/**
 * What the program does before anything else (index.ts imports this first), compiled or not:
 *
 * - A stale compiled tree fails the run before any resource is declared (fresh.ts). The error's stack is
 *   its message, so the engine shows one line.
 * - No stack trace is taken for Error objects no one reads. The SDK captures one per promise it makes
 *   (several per resource) only to print beside a leaked promise when the program exits; that capture
 *   and its formatting were 40% of the SDK's own time and most of its garbage. Where the SDK needs a
 *   stack (a resource's source position) it raises the limit itself for that one capture, so what the
 *   engine records is unchanged. Errors the program raises carry readable messages; for a full trace,
 *   run with NODE_OPTIONS=--stack-trace-limit=N, and PULUMI_DEBUG_PROMISE_LEAKS keeps the leak traces.
 *   Running from source (jest, ts-node) keeps the default, so failing tests show where they failed.
 */
import * as path from "path";
import { staleBuild } from "./fresh";
import { nodeFlagGiven } from "./nodeFlags";
import { isCompiledTree } from "./tree";

const stale = staleBuild();
if (stale) {
    const error = new Error(stale);
    error.stack = stale;
    throw error;
}

if (isCompiledTree(path.resolve(__dirname, "..", "..")) && !nodeFlagGiven("--stack-trace-limit") && !process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    Error.stackTraceLimit = 0;
}
