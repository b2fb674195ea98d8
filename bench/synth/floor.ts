/**
 * The SDK's own floor for the synth: a minimal program that registers RESOURCES custom resources under
 * the same mocks as the synth (tools/evaluate.ts with tools/offline.ts's outputs), one small input each,
 * and waits for every registration. Nothing of the program, the recording, the policies or the writing.
 * With COMMANDS, that many of them are the provider's own remote Command (what 9 in 10 of the synth's
 * resources are), each with the inputs that class requires and one-word values: the SDK's cost for that
 * class (a dozen outputs, a secret connection with its defaults applied) is three times a bare resource's.
 *   node bin/bench/synth/floor.js RESOURCES [COMMANDS]
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { PROJECT } from "../../config";
import { offlineOutputs } from "../../tools/offline";

/** A resource as a provider SDK declares one: the class hierarchy the SDK's own stack walk expects. */
class Thing extends pulumi.CustomResource {
    constructor(name: string, props: pulumi.Inputs) {
        super("floor:index:Thing", name, props);
    }
}

async function main(count: number, commands: number): Promise<void> {
    await pulumi.runtime.setMocks({
        newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, ...offlineOutputs(args.type, args.name, args.inputs) } }),
        call: (args) => args.inputs,
    }, PROJECT, "floor", false, "organization");
    for (let i = 0; i < commands; i++) {
        new command.remote.Command(`command-${i}`, {
            connection: { host: `host-${i}`, user: "root", privateKey: pulumi.secret("key") },
            create: "true",
            stdin: pulumi.secret(`input ${i}`),
        });
    }
    for (let i = commands; i < count; i++) {
        new Thing(`thing-${i}`, { index: i, text: `resource ${i}` });
    }
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    console.log(`registered ${count}`);
}

const count = Number(process.argv[2]);
const commands = Number(process.argv[3] ?? 0);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(commands) || commands < 0 || commands > count) {
    process.stderr.write("usage: node bin/bench/synth/floor.js RESOURCES [COMMANDS]  (COMMANDS at most RESOURCES)\n");
    process.exit(2);
}
main(count, commands).catch((e) => {
    process.stderr.write(`floor: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
