/**
 * Run as a child process by tests/program/: evaluates a stack (argv[2]) whose last deploy reported the
 * version in argv[3], or the outputs in argv[3] when it is a JSON object, optionally with the cluster
 * section of argv[4] (JSON), and prints the program's error. A real process is needed because the refusal
 * surfaces the way the engine sees it, as a failed apply, which jest's sandboxed `process` cannot observe.
 * `npm run build` compiles it to bin/tests/ (GATE_PROBE in tests/program/commands.ts runs it).
 */
import * as path from "path";
import { evaluate } from "../tools/evaluate";
import { rawStack } from "./rawStack";

async function main(): Promise<void> {
    const [stack, previous, cluster] = process.argv.slice(2);
    const { config, secretKeys } = rawStack(stack, cluster ? JSON.parse(cluster) : undefined);
    try {
        await evaluate({
            stack,
            config,
            secretKeys,
            previousOutputs: previous.startsWith("{") ? JSON.parse(previous) : { kubernetesVersion: previous },
            load: () => require(path.join(__dirname, "..", "index")),
        });
        process.stdout.write("evaluated\n");
    } catch (e) {
        process.stdout.write(`refused: ${(e as Error).message}\n`);
    }
}

main().then(() => process.exit(0));
