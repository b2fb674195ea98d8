/**
 * npm run policy -- check [--stack NAME] FILE...
 *
 * Checks plain Kubernetes manifests (YAML, multi-document, or JSON) against the policy pack with the
 * named stack's policy config (default dev), before anyone deploys them. One line per violation:
 *   FILE: Kind/namespace/name: policy-name: message
 * Exit 0: no mandatory violation. Exit 1: at least one. Exit 2: bad arguments, or an unreadable or
 * malformed file (named), in which case nothing is checked.
 */
import { check, isBlocking, readManifests, readPackConfig, subjectOf, violationLabeller } from "./policyCheck";
import { InputError } from "./inputs";

const USAGE = "usage: npm run policy -- check [--stack NAME] FILE...";

async function main(argv: string[]): Promise<number> {
    const [verb, ...rest] = argv;
    let stack = "dev";
    const files: string[] = [];
    try {
        if (verb !== "check") {
            throw new InputError(USAGE);
        }
        for (let i = 0; i < rest.length; i++) {
            if (rest[i] === "--stack") {
                stack = rest[++i] ?? "";
                if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
                    throw new InputError(`--stack needs a stack name\n${USAGE}`);
                }
            } else if (rest[i].startsWith("-")) {
                throw new InputError(`unexpected argument ${JSON.stringify(rest[i])}\n${USAGE}`);
            } else {
                files.push(rest[i]);
            }
        }
        if (files.length === 0) {
            throw new InputError(`no file to check\n${USAGE}`);
        }
        const { config } = readPackConfig(stack);
        // Every file is read before anything is checked: a malformed one stops the run whole.
        const inputs = files.map((file) => ({ file, subjects: readManifests(file).map(subjectOf) }));
        let blocking = 0;
        for (const { file, subjects } of inputs) {
            const labelOf = violationLabeller(subjects);
            for (const v of await check(subjects, config)) {
                const label = labelOf(v.urn);
                const level = isBlocking(v) ? "" : ` (${v.enforcementLevel})`;
                process.stdout.write(`${file}: ${label}: ${v.policy}: ${v.message}${level}\n`);
                blocking += isBlocking(v) ? 1 : 0;
            }
        }
        return blocking > 0 ? 1 : 0;
    } catch (e) {
        if (e instanceof InputError) {
            process.stderr.write(`policy: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(`policy: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
        process.exit(3);
    },
);
