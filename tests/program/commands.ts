/**
 * Readings of the remote commands in an evaluation of the program (tests/harness.ts), shared by the
 * program suites: every node action is a command:remote:Command whose bundle travels on stdin.
 */
import { decodeBundle, isBundle } from "../../components/hosts/bundle";
import { Evaluation, RecordedResource } from "../../tools/evaluate";
import { ofType } from "../harness";

export const COMMAND = "command:remote:Command";

/**
 * Node arguments that run tests/gate-probe.ts, compiled by `npm run build` (tsconfig.build.json's
 * "files") behind the stale-build check: under ts-node each probe spent seconds compiling the program.
 */
export const GATE_PROBE = ["-r", "./bin/tools/build/check.js", "bin/tests/gate-probe.js"];

export function stdinOf(r: RecordedResource): string {
    const stdin = r.inputs.stdin;
    if (!isBundle(stdin)) {
        throw new Error(`${r.name} has no bundle on stdin`);
    }
    return stdin;
}

export function prepareCommands(e: Evaluation): RecordedResource[] {
    return ofType(e, COMMAND).filter((c) => c.name.endsWith("-prepare"));
}

export function paramsOf(r: RecordedResource): Record<string, string> {
    const text = decodeBundle(stdinOf(r)).files["params.env"].content;
    return Object.fromEntries(text.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}
