/**
 * HTCondor worker pools (technote 000 "Batch Services", use cases BCS 1-4): the pools' config and the
 * startds' IDTOKEN secret; the startd configuration as HTCondor's own config reader reads it and its
 * START as HTCondor's own ClassAd evaluator judges it (the htcondor Python bindings, tools/test.sh
 * installs them); and the component under Pulumi's mocks: the token in a Secret per pool namespace,
 * mounted read-only where HTCondor looks for it, the batch filesets, and a config hash that rolls the
 * pods when their configuration or the token changes.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { z } from "zod";
import { CondorConfig } from "../config";
import { CONDOR_TOKEN, condorToken, condorTokenRequired, htcondor } from "../config/platform/htcondor";
import { CONFIG_HASH_ANNOTATION } from "../components/platform/configHash";
import { condorConfig, TOKEN_DIRECTORY, TOKEN_FILE } from "../components/platform/CondorPools";
import { FILESET_MOUNTS, FILESETS_FOR } from "../components/platform/Filesets";
import { policies } from "../policies/policies";
import { runPolicies } from "../policies/lib/runner";
import { RecordedResource } from "../tools/evaluate";
import { PLACEHOLDER_CONDOR_TOKEN } from "../tools/offline";
import { declareAlone } from "./harness";
import { schemaErrors } from "./schemas";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
/** A well-formed IDTOKEN signed by nothing: what condor_token_create prints, with a made-up signature. */
const fakeToken = (sub: string, signature = "not-a-real-signature") =>
    [b64({ alg: "HS256", kid: "POOL" }), b64({ iat: 1, iss: "condor-cm.example.org", sub, scope: "condor:/READ" }), b64(signature)].join(".");
const TOKEN = fakeToken("lsst-k8s-startd@condor-cm.example.org");

const baseConfig = () => ({
    centralManager: "condor-cm.example.org",
    // The test stack's trusted registry, so the pack judges the objects as that stack would.
    image: "registry.lsst-test.example.org/htcondor/execute:24.0.4-el9",
    pools: [{ name: "prompt", replicas: 2 }, { name: "nightly", replicas: 3 }] as Obj[],
});
const parse = (raw: Obj): CondorConfig => htcondor.parse(raw);

describe("the pools' config", () => {
    it("lets each pool's jobs be those of accounting groups, by default the one named after its processing type", () => {
        const raw = baseConfig();
        raw.pools.push({ name: "yearly", replicas: 1, processingType: "prompt" }, { name: "l3", replicas: 1, accountingGroups: ["group_l3", "group_l3.survey"] });
        expect(parse(raw).pools.map((p) => [p.name, p.processingType, p.accountingGroups])).toEqual([
            ["prompt", "prompt", ["group_prompt"]],
            ["nightly", "nightly", ["group_nightly"]],
            ["yearly", "prompt", ["group_prompt"]],
            ["l3", "l3", ["group_l3", "group_l3.survey"]],
        ]);
    });

    it.each([[[]], [["group prompt"]], [['group_"x"']], [["group_a..b"]]])("refuses accountingGroups %j", (groups) => {
        const raw = baseConfig();
        raw.pools[0].accountingGroups = groups;
        expect(htcondor.safeParse(raw).success).toBe(false);
    });
});

describe("the condorToken secret", () => {
    it("takes an IDTOKEN as condor_token_create prints it, and the offline placeholder", () => {
        expect(condorToken.safeParse(TOKEN).success).toBe(true);
        expect(condorToken.safeParse(`${TOKEN}\n`).success).toBe(true);
        expect(condorToken.safeParse(PLACEHOLDER_CONDOR_TOKEN).success).toBe(true);
    });

    it.each([
        ["a password", "S3cr3tMaterialXyzzy"],
        ["two parts", "eyJhbGciOiJIUzI1NiJ9.S3cr3tMaterialXyzzy"],
        ["a header with no kid", [b64({ alg: "HS256" }), b64({ sub: "a@b", iss: "b" }), "S3cr3tMaterialXyzzy"].join(".")],
        ["a payload with no issuer", [b64({ alg: "HS256", kid: "POOL" }), b64({ sub: "a@b" }), "S3cr3tMaterialXyzzy"].join(".")],
        ["two tokens", `${TOKEN}\n${TOKEN}S3cr3tMaterialXyzzy`],
    ])("refuses %s without echoing it", (_, value) => {
        const r = condorToken.safeParse(value);
        expect(r.success).toBe(false);
        const messages = r.error!.issues.map((i) => i.message).join("\n");
        expect(messages).toMatch(/is not an HTCondor IDTOKEN/);
        expect(messages).not.toContain("S3cr3tMaterialXyzzy");
    });

    it("is required when the platform has pools, naming the command that sets it without a command line", () => {
        const stackLike = z.object({ platform: z.unknown().optional(), [CONDOR_TOKEN]: z.unknown().optional() }).superRefine(condorTokenRequired);
        const issues = (v: Obj) => stackLike.safeParse(v).error?.issues.map((i) => [i.path.join("."), i.message]) ?? [];
        expect(issues({ platform: { htcondor: baseConfig() } })).toEqual([[CONDOR_TOKEN, expect.stringContaining(
            "required with platform.htcondor: the startds authenticate to the central manager with it; create and set it with " +
            "`condor_token_create -identity <identity> -authz READ -authz ADVERTISE_MASTER -authz ADVERTISE_STARTD -authz DAEMON | " +
            "pulumi config set --secret condorToken`")]]);
        expect(issues({ platform: { htcondor: baseConfig() }, [CONDOR_TOKEN]: TOKEN })).toEqual([]);
        expect(issues({ platform: {} })).toEqual([]);
        expect(issues({})).toEqual([]);
    });
});

// ---- the startd configuration, read and judged by HTCondor itself -----------------------------------

/** Reads a config file with HTCondor's config reader and evaluates its START against job ads. */
const HTCONDOR = `
import json, os, sys
import classad2, htcondor2
req = json.load(sys.stdin)
p = htcondor2.param
machine = classad2.ClassAd()
for k in ("LSSTProcessingType", "LSSTAccountingGroups"):
    machine[k] = classad2.ExprTree(p[k])
start = classad2.ExprTree(p["START"])
def judge(job):
    ad = classad2.ClassAd()
    for k, v in job.items():
        ad[k] = classad2.ExprTree(v)
    r = start.eval(machine, ad)
    return r if isinstance(r, bool) else repr(r)
print(json.dumps({
    "params": {k: p.get(k) for k in req["params"]},
    "machine": {k: repr(machine.eval(k)) for k in machine.keys()},
    "reads": sorted(r for r in machine.externalRefs(start) if not r.startswith("MY.")),
    "start": [judge(j) for j in req["jobs"]],
}))
`;

let dir: string;
beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "condor-"));
    const probe = spawnSync("python3", ["-c", "import classad2, htcondor2"], { encoding: "utf8", timeout: 30_000 });
    if (probe.status !== 0) {
        throw new Error(`the htcondor Python bindings are needed to read the startd configuration as HTCondor does ` +
            `(${probe.error?.message ?? probe.stderr.trim().split("\n").pop()}): python3 -m pip install htcondor==25.14.1`);
    }
});
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

interface Read { params: Record<string, string | null>; machine: Record<string, string>; reads: string[]; start: (boolean | string)[] }

function readByHTCondor(text: string, params: string[], jobs: Record<string, string>[]): Read {
    const file = path.join(dir, "50-lsst-k8s.conf");
    fs.writeFileSync(file, text);
    const r = spawnSync("python3", ["-c", HTCONDOR], {
        input: JSON.stringify({ params, jobs }),
        encoding: "utf8",
        timeout: 60_000,
        env: { PATH: process.env.PATH, HOME: dir, CONDOR_CONFIG: file },
    });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    return JSON.parse(r.stdout);
}

describe("the startd configuration, as HTCondor reads it", () => {
    const config = parse({ ...baseConfig(), pools: [{ name: "yearly", replicas: 1, processingType: "prompt", accountingGroups: ["group_prompt", "group_prod"] }] });
    const pool = config.pools[0];
    const text = condorConfig(config, pool);
    /** Everything a submitter may put in a job ad, but the AcctGroup the access point gives it. */
    const forged = {
        LSSTProcessingType: '"prompt"', LSSTAccountingGroups: '{"group_l3"}', AccountingGroup: '"group_prompt.alice"',
        AcctGroupUser: '"alice"', Requirements: "true", Owner: '"alice"',
    };

    it("joins the central manager with IDTOKENS only, from the token directory, through the connection broker", () => {
        const read = readByHTCondor(text, [
            "CONDOR_HOST", "DAEMON_LIST", "CCB_ADDRESS", "SEC_DEFAULT_AUTHENTICATION", "SEC_DEFAULT_AUTHENTICATION_METHODS",
            "SEC_CLIENT_AUTHENTICATION", "SEC_CLIENT_AUTHENTICATION_METHODS", "SEC_DEFAULT_ENCRYPTION", "SEC_DEFAULT_INTEGRITY",
            "SEC_TOKEN_SYSTEM_DIRECTORY", "LOCAL_CONFIG_DIR_EXCLUDE_REGEXP",
        ], []);
        const { LOCAL_CONFIG_DIR_EXCLUDE_REGEXP: exclude, ...params } = read.params;
        expect(params).toEqual({
            CONDOR_HOST: "condor-cm.example.org",
            DAEMON_LIST: "MASTER, STARTD",
            CCB_ADDRESS: "condor-cm.example.org",
            SEC_DEFAULT_AUTHENTICATION: "REQUIRED",
            SEC_DEFAULT_AUTHENTICATION_METHODS: "IDTOKENS",
            SEC_CLIENT_AUTHENTICATION: "REQUIRED",
            SEC_CLIENT_AUTHENTICATION_METHODS: "IDTOKENS",
            SEC_DEFAULT_ENCRYPTION: "REQUIRED",
            SEC_DEFAULT_INTEGRITY: "REQUIRED",
            SEC_TOKEN_SYSTEM_DIRECTORY: TOKEN_DIRECTORY,
        });
        expect(TOKEN_DIRECTORY).toBe("/etc/condor/tokens.d");
        // HTCondor reads every file of the directory but those: the token's name is read, the
        // kubelet's own entries (..data, ..2026_...) are skipped.
        const skipped = new RegExp(exclude!);
        expect([TOKEN_FILE, skipped.test(TOKEN_FILE)]).toEqual([TOKEN_FILE, false]);
        expect(["..data", "..2026_01_01_00_00_00.000000000"].every((f) => skipped.test(f))).toBe(true);
    });

    it("advertises the processing type and the accounting groups it starts", () => {
        expect(readByHTCondor(text, ["STARTD_ATTRS"], []).machine).toEqual({
            LSSTProcessingType: "'prompt'",
            LSSTAccountingGroups: "['group_prompt', 'group_prod']",
        });
    });

    it("starts a job for its AcctGroup only: nothing else a job sets satisfies START", () => {
        const read = readByHTCondor(text, [], [
            forged,
            { ...forged, AcctGroup: '"group_l3"' },
            { ...forged, AcctGroup: '"group_prompt"' },
            { AcctGroup: '"group_prod"' },
            { AcctGroup: "undefined" },
            { AcctGroup: "42" },
        ]);
        // The one job attribute START reads is AcctGroup, which the access points set from the owner.
        expect(read.reads).toEqual(["TARGET.AcctGroup"]);
        expect(read.start).toEqual([false, false, true, true, false, false]);
    });

    it("moves with the processing type (BCS 1, 2): the pool's default group follows it", () => {
        const moved = parse({ ...baseConfig(), pools: [{ name: "yearly", replicas: 1, processingType: "prompt" }] });
        const read = readByHTCondor(condorConfig(moved, moved.pools[0]), [], [{ AcctGroup: '"group_prompt"' }, { AcctGroup: '"group_yearly"' }]);
        expect(read.start).toEqual([true, false]);
    });
});

// ---- the component ---------------------------------------------------------------------------------

const NAME = "lsst-test-platform-condor";

/** Declares the component alone under the mocks, as Platform would, and returns what it registered. */
function declare(config: CondorConfig, token: string, filesets = true): Promise<RecordedResource[]> {
    return declareAlone((_k8s, provider) => {
        const pulumi = require("@pulumi/pulumi");
        const { CondorPools } = require("../components/platform/CondorPools");
        new CondorPools(NAME, { config, token: pulumi.secret(token), filesets, provider });
    });
}

const meta = (r: RecordedResource) => r.inputs.metadata as Obj;
const ofKind = (rs: RecordedResource[], kind: string) => rs.filter((r) => r.type === `kubernetes:${kind}`);
const inNs = (rs: RecordedResource[], kind: string, ns: string) => ofKind(rs, kind).filter((r) => meta(r).namespace === ns);
const deployment = (rs: RecordedResource[], pool: string) => inNs(rs, "apps/v1:Deployment", `htcondor-${pool}`)[0].inputs as Obj;
const hashOf = (rs: RecordedResource[], pool: string) => deployment(rs, pool).spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];

describe("CondorPools", () => {
    const config = parse(baseConfig());
    let rs: RecordedResource[];
    beforeAll(async () => {
        rs = await declare(config, TOKEN);
    });
    const kube = () => rs.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");

    it("declares a ConfigMap, a token Secret and a Deployment per pool, each a child named from it, valid against the schemas", () => {
        const component = rs.find((r) => r.type === "lsst-k8s:platform:CondorPools")!;
        const provider = rs.find((r) => r.type === "pulumi:providers:kubernetes")!;
        expect(kube().map((r) => `${meta(r).namespace}/${r.type.split(":").pop()}/${meta(r).name}`).sort()).toEqual([
            "htcondor-nightly/ConfigMap/condor-config", "htcondor-nightly/Deployment/startd-nightly", "htcondor-nightly/Secret/condor-token",
            "htcondor-prompt/ConfigMap/condor-config", "htcondor-prompt/Deployment/startd-prompt", "htcondor-prompt/Secret/condor-token",
        ]);
        for (const r of [...kube(), ...rs.filter((x) => x.type === "random:index/randomBytes:RandomBytes")]) {
            expect([r.name, r.parent, r.name.startsWith(`${NAME}-`)]).toEqual([r.name, component.urn, true]);
        }
        for (const r of kube()) {
            expect(r.provider?.startsWith(`${provider.urn}::`)).toBe(true);
            expect([r.name, schemaErrors(r.inputs as never)]).toEqual([r.name, []]);
        }
    });

    it("keeps the token a secret input of its Secret in every pool namespace, and out of everything else", () => {
        for (const pool of config.pools) {
            const [secret] = inNs(rs, "core/v1:Secret", `htcondor-${pool.name}`);
            expect(secret.inputs.stringData).toEqual({ [TOKEN_FILE]: TOKEN });
            expect(secret.inputs.type).toBe("Opaque");
            expect(secret.secretInputs).toEqual(["stringData"]);
        }
        for (const r of rs.filter((x) => x.type !== "kubernetes:core/v1:Secret")) {
            expect([r.name, JSON.stringify(r.inputs).includes(TOKEN)]).toEqual([r.name, false]);
        }
    });

    it("mounts the token read-only at HTCondor's token directory, readable by the condor group alone", () => {
        for (const pool of config.pools) {
            const pod = deployment(rs, pool.name).spec.template.spec;
            expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 64, runAsGroup: 64, fsGroup: 64 });
            expect(pod.volumes).toContainEqual({ name: "condor-token", secret: { secretName: "condor-token", defaultMode: 0o440 } });
            expect(pod.containers[0].volumeMounts).toContainEqual({ name: "condor-token", mountPath: "/etc/condor/tokens.d", readOnly: true });
        }
    });

    it("mounts every batch fileset (technote 000: batch sees the same volumes), read-only ones read-only at both ends", () => {
        expect(FILESETS_FOR.batch).toEqual(["project", "datasets", "scratch", "software"]);
        for (const pool of config.pools) {
            const pod = deployment(rs, pool.name).spec.template.spec;
            const mounts = Object.fromEntries(pod.containers[0].volumeMounts.map((m: Obj) => [m.name, m]));
            const claims = Object.fromEntries(pod.volumes.filter((v: Obj) => v.persistentVolumeClaim).map((v: Obj) => [v.name, v.persistentVolumeClaim]));
            expect(Object.keys(claims).sort()).toEqual(["fileset-datasets", "fileset-project", "fileset-scratch", "fileset-software"]);
            for (const f of FILESETS_FOR.batch) {
                const { path: mountPath, readOnly } = FILESET_MOUNTS[f];
                expect(mounts[`fileset-${f}`]).toEqual({ name: `fileset-${f}`, mountPath, readOnly });
                expect(claims[`fileset-${f}`]).toEqual({ claimName: `fileset-${f}`, readOnly });
            }
            expect([mounts["fileset-datasets"].readOnly, mounts["fileset-software"].readOnly, mounts["fileset-project"].readOnly, mounts["fileset-scratch"].readOnly])
                .toEqual([true, true, false, false]);
        }
    });

    it("mounts no fileset when the stack declares none", async () => {
        const bare = await declare(config, TOKEN, false);
        const pod = deployment(bare, "prompt").spec.template.spec;
        expect(pod.volumes.map((v: Obj) => v.name)).toEqual(["condor-config", "condor-token"]);
    });

    it("meets the pack's restricted pod security and read-only filesets", async () => {
        const subjects = kube().map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
        const config = require("../policies/config/test.json");
        const violations = (await runPolicies(policies, subjects, config)).map((v) => [v.policy, v.message]);
        expect(violations).toEqual([]);
    });

    describe("the config hash on each startd pod template", () => {
        it("is a plain SHA-256-sized value, the same for the same config, that reveals nothing of the token", async () => {
            const again = await declare(config, TOKEN);
            for (const pool of config.pools) {
                const d = ofKind(rs, "apps/v1:Deployment").find((r) => meta(r).namespace === `htcondor-${pool.name}`)!;
                expect(hashOf(rs, pool.name)).toMatch(/^[0-9a-f]{64}$/);
                expect(d.secretInputs).toEqual([]);
                expect(hashOf(again, pool.name)).toBe(hashOf(rs, pool.name));
            }
            expect(hashOf(rs, "prompt")).not.toBe(hashOf(rs, "nightly"));
        });

        it("changes with a pool's processing type, for that pool only", async () => {
            const raw = baseConfig();
            raw.pools[0].processingType = "nightly";
            const moved = await declare(parse(raw), TOKEN);
            expect(hashOf(moved, "prompt")).not.toBe(hashOf(rs, "prompt"));
            expect(hashOf(moved, "nightly")).toBe(hashOf(rs, "nightly"));
        });

        it("changes with the token, in every pool", async () => {
            const renewed = await declare(config, fakeToken("lsst-k8s-startd@condor-cm.example.org", "another-signature"));
            for (const pool of config.pools) {
                expect(hashOf(renewed, pool.name)).not.toBe(hashOf(rs, pool.name));
            }
        });
    });
});
