/**
 * pulumi stack output --json --stack <stack> | npm run -s kubeconfig -- <stack> --user [--config FILE]
 *
 * Prints on stdout a kubeconfig for a person who logs in through the stack's OpenID Connect provider
 * (cluster.oidc) with `kubectl oidc-login` (int128/kubelogin): the cluster's endpoint and CA, and an
 * exec plugin that fetches the person's ID token at each use. It holds no credential, so it needs no
 * secret to make and none leaks when it is shared (tools/kubeconfig/user.ts).
 *
 * The stack file (Pulumi.<stack>.yaml, or --config FILE) gives the endpoint and the provider; the
 * API server's CA certificate comes from the stack's plain outputs on stdin (`certificateAuthority`).
 * The admin kubeconfig is not made here: it stays a secret stack output.
 *
 * Exit 0: the kubeconfig is printed. Exit 2: bad arguments, an unreadable or invalid stack file, a
 * stack without cluster.oidc, or bad stdin: one message on stderr, nothing on stdout.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { validateConfig } from "../config";
import { clusterCertificate } from "./kubeconfig/outputs";
import { userKubeconfig } from "./kubeconfig/user";
import { parseStackArgs } from "./stackArgs";
import { InputError, readStackFile } from "./stackFile";

const ROOT = path.resolve(__dirname, "..");
const ADMIN = "pulumi stack output kubeconfig --show-secrets --stack <stack>";
const USAGE = [
    "usage: pulumi stack output --json --stack <stack> | npm run -s kubeconfig -- <stack> --user [--config FILE]",
    "Prints a kubeconfig for a person who logs in through the stack's OIDC provider (cluster.oidc) with",
    "`kubectl oidc-login` (int128/kubelogin); it holds no credential. The admin kubeconfig is a secret",
    `stack output: ${ADMIN}`,
].join("\n");

interface Args {
    readonly stack: string;
    readonly configFile: string;
}

function parseArgs(argv: readonly string[]): Args | "help" {
    if (argv.includes("-h") || argv.includes("--help")) {
        return "help";
    }
    const { stack, configFile, configGiven, switches } = parseStackArgs(argv, ["--user"], USAGE);
    if (!switches.has("--user")) {
        throw new InputError(`only a person's kubeconfig is made here (--user)\n${USAGE}`);
    }
    if (!configGiven && !fs.existsSync(configFile)) {
        const known = fs.readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s) => s !== undefined);
        throw new InputError(`${configFile}: no such stack file: stack ${JSON.stringify(stack)} is not one of ${known.join(", ")} (or give --config FILE)`);
    }
    return { stack, configFile };
}

function readStdin(): string {
    if (process.stdin.isTTY) {
        throw new InputError("stdin is a terminal: pipe `pulumi stack output --json --stack <stack>` into it (it needs the certificateAuthority output)");
    }
    return fs.readFileSync(0, "utf8");
}

/** The kubeconfig's text, or the message that says why there is none. */
function kubeconfig(argv: readonly string[]): { text: string } | { error: string } | "help" {
    const args = parseArgs(argv);
    if (args === "help") {
        return args;
    }
    const raw = readStackFile(args.configFile);
    const { config, problems } = validateConfig(raw.config, raw.secretKeys);
    if (!config) {
        return {
            error: `${args.configFile}: invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        };
    }
    if (!config.oidc) {
        return {
            error: `${args.configFile}: cluster.oidc: not set, so the cluster trusts no OIDC provider and a person has no way to log in: ` +
                `set cluster.oidc (issuer, clientId...), or use the admin kubeconfig (${ADMIN.replace("<stack>", args.stack)})`,
        };
    }
    const ca = clusterCertificate(readStdin());
    return { text: yaml.dump(userKubeconfig(config, config.oidc, ca), { noRefs: true, lineWidth: -1 }) };
}

function main(argv: readonly string[]): number {
    let result: ReturnType<typeof kubeconfig>;
    try {
        result = kubeconfig(argv);
    } catch (e) {
        if (e instanceof InputError) {
            process.stderr.write(`kubeconfig: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    if (result === "help") {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    if ("error" in result) {
        process.stderr.write(`kubeconfig: ${result.error}\n`);
        return 2;
    }
    process.stdout.write(result.text);
    return 0;
}

try {
    process.exitCode = main(process.argv.slice(2));
} catch (e) {
    process.stderr.write(`kubeconfig: failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 3;
}
