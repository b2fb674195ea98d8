/**
 * The command line the stack tools share (`npm run mirror`, `npm run kubeconfig`): one stack name, an
 * optional `--config FILE` in place of Pulumi.<stack>.yaml, and the tool's own switches. Anything else
 * is an InputError carrying the tool's usage, so every tool refuses bad arguments in the same words.
 */
import * as path from "path";
import { InputError } from "./stackFile";

const ROOT = path.resolve(__dirname, "..");

export interface StackArgs {
    readonly stack: string;
    /** --config FILE, resolved; else the repository's Pulumi.<stack>.yaml. */
    readonly configFile: string;
    /** Whether --config was given. */
    readonly configGiven: boolean;
    /** The switches of SWITCHES that were given. */
    readonly switches: ReadonlySet<string>;
}

export function parseStackArgs(argv: readonly string[], switches: readonly string[], usage: string): StackArgs {
    let stack: string | undefined;
    let configFile: string | undefined;
    const given = new Set<string>();
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--config") {
            const value = argv[++i];
            if (!value) {
                throw new InputError(`--config needs a value\n${usage}`);
            }
            configFile = path.resolve(value);
        } else if (switches.includes(arg)) {
            given.add(arg);
        } else if (arg.startsWith("-") || stack !== undefined) {
            throw new InputError(`unexpected argument ${JSON.stringify(arg)}\n${usage}`);
        } else {
            stack = arg;
        }
    }
    if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new InputError(stack ? `${JSON.stringify(stack)} is not a stack name\n${usage}` : usage);
    }
    return { stack, configFile: configFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`), configGiven: configFile !== undefined, switches: given };
}
