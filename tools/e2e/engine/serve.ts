/**
 * node -r ts-node/register/transpile-only serve.ts PORT
 *
 * Serves the program (index.ts) to the Pulumi CLI as its language runtime on 127.0.0.1:PORT, for
 * `pulumi preview|up|destroy --client=127.0.0.1:PORT`. It is the SDK's own LanguageServer, the one the
 * Automation API serves inline programs with; the engine tier needs it because the Node.js language
 * host (pulumi-language-nodejs) cannot be built here: the Go module proxy serves no version of its
 * module. One server per CLI command, so every run loads the program afresh.
 */
import * as grpc from "@grpc/grpc-js";
import * as path from "path";
import * as langrpc from "@pulumi/pulumi/proto/language_grpc_pb";

// Not in the SDK's typings (automation/server.d.ts exports nothing), so typed here: the class the
// Automation API serves inline programs with, at the SDK version the lock file pins.
type Program = () => Promise<Record<string, unknown>>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LanguageServer } = require("@pulumi/pulumi/automation/server") as { LanguageServer: new (p: Program) => grpc.UntypedServiceImplementation };

const PROGRAM = path.resolve(__dirname, "..", "..", "..", "index.ts");
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
    process.stderr.write("usage: serve.ts PORT\n");
    process.exit(2);
}
const server = new grpc.Server();
// The program's module exports become the stack's outputs, as under the language host.
server.addService(langrpc.LanguageRuntimeService, new LanguageServer(async () => ({ ...require(PROGRAM) })));
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
    if (err) {
        process.stderr.write(`serve.ts: ${err.message}\n`);
        process.exit(1);
    }
    process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});
