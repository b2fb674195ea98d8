/**
 * npm run e2e -- control-plane [STACK...]
 * npm run e2e -- engine [STACK...]
 *
 * The tiers that run the real thing on this machine. `control-plane`: for each stack (default all
 * three), a control plane of its own (controlPlane.ts: etcd, the API server, the controller-manager,
 * the scheduler, kwok with one fake node per host), then
 *   1. every object the stack declares applied, workloads ready, claims bound (apply.ts)
 *   1b. the pack's rules in the cluster: the stack's ValidatingAdmissionPolicies and the pack agree on
 *      every case of the shared corpus (admission.ts), then the policies are withdrawn, since the
 *      later steps submit on purpose what the guidelines refuse
 *   2. RBAC by actor asked of the real authorizer (rbac.ts); the id-range policy admits pods inside
 *      each namespace's uid and gid ranges and refuses every field outside them (idRanges.ts)
 *   3. Pod Security: the pack and the API server agree on every generated case (psa.ts)
 *   4. kubeadm reads every configuration the program renders (kubeadmConfigs.ts)
 *   5. what the API server stores from YAML 1.1 manifests is what `policy check` judged (yamlRead.ts;
 *      the same for every stack, so on the first one only)
 *   6. every file the synth writes under manifests/ passes a server-side dry run (synthManifests.ts)
 *   7. the API server runs on the program's own files: people log in through OIDC with step 2's
 *      answers, the audit log and encryption at rest hold (apiServerFiles.ts)
 * and a last line with the counts. Exit 0 when everything holds, 1 when anything does not (each
 * problem listed first), 2 for bad arguments; a missing tool or a failed build stops it with the
 * build's one line. Every process is stopped and every directory removed on every exit path.
 * `engine`: the program under the real Pulumi CLI (engine.ts), with the same exit codes.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ClusterConfig, validateConfig } from "../../config";
import { poolNamespace } from "../../components/platform/CondorPools";
import { SERVICE_NAMESPACES } from "../../components/platform/Platform";
import { InputError, readStackFile } from "../stackFile";
import { applyStack } from "./apply";
import { auditAndEncryptionChecks, identityChecks, prepareApiServerFiles, TierFiles } from "./apiServerFiles";
import { BuildError, builtPaths, startControlPlane, Tool, upstreamTools } from "./controlPlane";
import { engineTier } from "./engine";
import { idRangeChecks, rangedNamespaces } from "./idRanges";
import { admissionDifferential, withdrawAdmissionPolicies } from "./admission";
import { Declared } from "./declared";
import { validateKubeadmConfigs } from "./kubeadmConfigs";
import { Processes } from "./processes";
import { psaDifferential } from "./psa";
import { dryRunManifests, synthManifests } from "./synthManifests";
import { Actors, askAll, rbacTable } from "./rbac";
import { yamlRoundTrip } from "./yamlRead";

const ROOT = path.resolve(__dirname, "..", "..");
const STACKS = ["dev", "prod", "test"];
const USAGE = "usage: npm run e2e -- control-plane|engine [dev|prod|test ...]";
/** How long workloads may take to become ready under kwok. */
const READY_WITHIN_MS = 180_000;

interface Tally {
    [key: string]: [number, number];
}

function stackConfig(stack: string): ClusterConfig {
    const raw = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
    const { config, problems } = validateConfig(raw.config, raw.secretKeys);
    if (!config) {
        throw new InputError(`Pulumi.${stack}.yaml is invalid:\n  ${problems.join("\n  ")}`);
    }
    return config;
}

function actorsOf(config: ClusterConfig): Actors | undefined {
    const p = config.platform;
    if (!p || p.developerGroups.length === 0) {
        return undefined;
    }
    return {
        ...p.groups, developers: p.developerGroups, developerAccess: p.developerAccess,
        serviceNamespaces: [...SERVICE_NAMESPACES, ...(p.htcondor?.pools ?? []).map(poolNamespace)],
    };
}

function declaredObjects(stack: string, dir: string): Declared {
    const out = path.join(dir, `${stack}-declared.json`);
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "declared.ts"), stack, out],
        { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) {
        throw new Error(`evaluating ${stack}: ${r.stderr.trim()}`);
    }
    return JSON.parse(fs.readFileSync(out, "utf8")) as Declared;
}

function serverMinor(): number {
    const m = /^KUBERNETES_VERSION=v1\.(\d+)\./m.exec(fs.readFileSync(path.join(ROOT, "tools/upstream/versions.env"), "utf8"));
    return Number(m?.[1]);
}

async function oneStack(stack: string, tools: Record<Tool, string>, tally: Tally, problems: string[], withYaml: boolean): Promise<void> {
    const config = stackConfig(stack);
    const add = (key: string, good: number, all: number) => {
        tally[key][0] += good;
        tally[key][1] += all;
    };
    const procs = new Processes(`control-plane-${stack}`);
    let files: TierFiles | undefined;
    let mark = Date.now();
    const took = () => {
        const s = ((Date.now() - mark) / 1000).toFixed(1);
        mark = Date.now();
        return `(${s} s)`;
    };
    try {
        const declared = declaredObjects(stack, procs.dir);
        const synth = synthManifests(stack, path.join(procs.dir, "synth"));
        // Settled here too, so a control plane that fails to start leaves no unhandled rejection.
        synth.catch(() => undefined);
        files = await prepareApiServerFiles(config, procs.dir);
        const api = await startControlPlane(procs, tools, stack, {
            serviceCidr: config.networks.services, nodes: config.nodes.map((n) => ({ name: n.name, role: n.role })),
            apiServerFlags: files.flags,
        });
        process.stdout.write(`${stack}: control plane ready, ${config.nodes.length} fake nodes ${took()}\n`);

        const applied = await applyStack(tools.kubectl, api, declared, procs.dir, READY_WITHIN_MS);
        add("objects", applied.accepted, applied.objects);
        add("ready", applied.ready, applied.workloads);
        problems.push(...applied.problems);
        applied.notes.forEach((n) => process.stdout.write(`  note: ${n}\n`));
        process.stdout.write(`${stack}: objects ${applied.accepted}/${applied.objects}, ready ${applied.ready}/${applied.workloads}, ` +
            `claims bound ${applied.bound}/${applied.claims} ${took()}\n`);

        const admission = await admissionDifferential(api, stack, config);
        add("admission", admission.agreed, admission.submitted);
        problems.push(...admission.disagreements.map((d) => `${stack}: admission: ${d}`));
        process.stdout.write(`${stack}: admission ${admission.agreed}/${admission.submitted} (${admission.refused} refused by both) ${took()}\n`);
        // The later steps submit on purpose what the guidelines refuse, to judge other layers.
        await withdrawAdmissionPolicies(api);

        const ids = await idRangeChecks(api, rangedNamespaces(config));
        add("id-ranges", ids.passed, ids.checked);
        problems.push(...ids.problems.map((p) => `${stack}: id-ranges: ${p}`));
        process.stdout.write(`${stack}: id-ranges ${ids.passed}/${ids.checked} ${took()}\n`);

        const actors = actorsOf(config);
        if (actors) {
            const questions = rbacTable(actors);
            const wrong = await askAll(tools.kubectl, api, questions);
            add("rbac", questions.length - wrong.length, questions.length);
            problems.push(...wrong.map((w) => `${stack}: rbac: ${w}`));
            process.stdout.write(`${stack}: rbac ${questions.length - wrong.length}/${questions.length} ${took()}\n`);
            const identity = await identityChecks(api, files, questions);
            add("identity", identity.passed, identity.checked);
            problems.push(...identity.problems.map((p) => `${stack}: ${p}`));
            process.stdout.write(`${stack}: identity ${identity.passed}/${identity.checked} ${took()}\n`);
        }
        const kept = await auditAndEncryptionChecks(api, files, "default");
        add("audit-encryption", kept.passed, kept.checked);
        problems.push(...kept.problems.map((p) => `${stack}: ${p}`));
        process.stdout.write(`${stack}: audit-encryption ${kept.passed}/${kept.checked} ${took()}\n`);

        const minor = config.kubernetesVersion.minor;
        const psa = await psaDifferential(api, stack, minor, serverMinor());
        add("psa-agree", psa.agreed, psa.submitted);
        problems.push(...psa.disagreements.map((d) => `${stack}: psa: ${d}`));
        process.stdout.write(`${stack}: psa-agree ${psa.agreed}/${psa.submitted} (restricted at v1.${Math.min(minor, serverMinor())}; ` +
            `ephemeral containers ${psa.ephemeral.agreed}/${psa.ephemeral.submitted}) ${took()}\n`);

        const kubeadm = validateKubeadmConfigs(tools.kubeadm, config, procs.dir);
        add("kubeadm", kubeadm.valid, kubeadm.checked);
        problems.push(...kubeadm.problems);
        process.stdout.write(`${stack}: kubeadm ${kubeadm.valid}/${kubeadm.checked} ${took()}\n`);

        if (withYaml) {
            const y = await yamlRoundTrip(tools.kubectl, api, procs.dir);
            add("yaml", y.agreed, y.checked);
            problems.push(...y.problems.map((p) => `${stack}: ${p}`));
            process.stdout.write(`${stack}: yaml ${y.agreed}/${y.checked} ${took()}\n`);
        }
        const manifests = dryRunManifests(tools.kubectl, api, stack, await synth);
        add("manifests", manifests.accepted, manifests.checked);
        problems.push(...manifests.problems);
        process.stdout.write(`${stack}: manifests ${manifests.accepted}/${manifests.checked} ${took()}\n`);
        add("stacks", 1, 0);
    } finally {
        procs.stopAll();
        await files?.issuer.close();
    }
}

async function main(argv: string[]): Promise<number> {
    const [tier, ...rest] = argv;
    const stacks = rest.length ? rest : STACKS;
    if (!["control-plane", "engine"].includes(tier) || stacks.some((s) => !STACKS.includes(s))) {
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
    if (tier === "engine") {
        const report = await engineTier(builtPaths(["pulumi"])[0], stacks);
        report.lines.forEach((l) => process.stdout.write(`${l}\n`));
        return report.ok ? 0 : 1;
    }
    const tools = upstreamTools();
    const tally: Tally = { stacks: [0, stacks.length], objects: [0, 0], ready: [0, 0], rbac: [0, 0], "psa-agree": [0, 0], kubeadm: [0, 0], yaml: [0, 0], manifests: [0, 0], identity: [0, 0], "audit-encryption": [0, 0], "id-ranges": [0, 0], admission: [0, 0] };
    const problems: string[] = [];
    for (const stack of stacks) {
        const before = problems.length;
        await oneStack(stack, tools, tally, problems, stack === stacks[0]);
        if (problems.length > before) {
            tally.stacks[0] -= 1;
        }
    }
    for (const p of problems) {
        process.stdout.write(`FAIL ${p}\n`);
    }
    process.stdout.write(`control-plane: ${Object.entries(tally).map(([k, [good, all]]) => `${k} ${good}/${all}`).join(", ")}\n`);
    return problems.length ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
        const known = e instanceof InputError || e instanceof BuildError;
        process.stderr.write(`e2e: ${known ? (e as Error).message : ((e as Error).stack ?? String(e))}\n`);
        process.exit(e instanceof InputError ? 2 : 1);
    });
}
