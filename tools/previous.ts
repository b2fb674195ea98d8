/**
 * The stack outputs of a deployed stack, as `pulumi stack output --json` prints them, for the synth to
 * rehearse an edit against (`--previous FILE`), and the outputs the synth would export, in that same
 * form (secrets as "[secret]", as the CLI prints them without --show-secrets), so one run's
 * outputs.json is the next run's --previous.
 */
import { Evaluation } from "./evaluate";
import { InputError, readInputFile } from "./inputs";

export type StackOutputs = Record<string, unknown>;

/** What the CLI prints for a secret output without --show-secrets. */
export const SECRET_OUTPUT = "[secret]";

export function readPreviousOutputs(file: string): StackOutputs {
    const text = readInputFile(file);
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        throw new InputError(`${file}: not JSON (expected what \`pulumi stack output --json\` prints): ${(e as Error).message}`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new InputError(`${file}: expected an object of stack outputs, as \`pulumi stack output --json\` prints`);
    }
    return value as StackOutputs;
}

/** The outputs an evaluation would export, secrets as the CLI shows them. */
export function outputsJson(evaluation: Evaluation): string {
    const shown: StackOutputs = {};
    for (const [key, { value, secret }] of Object.entries(evaluation.outputs)) {
        if (value !== undefined) {
            shown[key] = secret ? SECRET_OUTPUT : value;
        }
    }
    return `${JSON.stringify(shown, null, 2)}\n`;
}
