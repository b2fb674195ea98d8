/**
 * The id-range policy the program declares (components/platform/IdRanges.ts), enforced by the real
 * kube-apiserver (tools/upstream/versions.env's release) on a real etcd: namespaces carry their ranges as
 * the Platform writes them, and tools/e2e/idRanges.ts's cases, which the control-plane tier also runs
 * on every stack, must all hold. Then the checks themselves are shown able to fail: a namespace whose
 * annotation says one range while the checks expect another.
 */
import { generateKeyPairSync, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ID_RANGE_POLICY, idRangeBindingSpec, idRangeMetadata, idRangePolicySpec } from "../components/platform/IdRanges";
import { ApiServer, request } from "../tools/e2e/api";
import { builtPaths } from "../tools/e2e/controlPlane";
import { idRangeChecks, RangedNamespace } from "../tools/e2e/idRanges";
import { freePort, Processes, until } from "../tools/e2e/processes";

const QSERV: RangedNamespace = { name: "qserv", ids: { uids: "20000-20999", gids: "20000-20999" } };
const NOTEBOOKS: RangedNamespace = { name: "jupyter-lsst", ids: { uids: "30000-39999", gids: "31000-31999" } };
const BROKEN = "broken-range";

let procs: Processes | undefined;
let api: ApiServer;

/** etcd and the API server alone: admission needs nothing else, and the test creates the ServiceAccounts the controller-manager would. */
async function startApiServer(p: Processes): Promise<ApiServer> {
    const [etcd, apiServer] = builtPaths(["etcd", "kube-apiserver"]);
    const [client, peer, secure] = await Promise.all([freePort(), freePort(), freePort()]);
    const token = randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(p.dir, "tokens.csv"), `${token},id-ranges-test,id-ranges-test,"system:masters"\n`, { mode: 0o600 });
    // The API server will not start without a service-account signer; nothing here issues tokens.
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(p.dir, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
    fs.writeFileSync(path.join(p.dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    p.start("etcd", etcd, [
        "--data-dir", path.join(p.dir, "etcd"), "--name", "t",
        "--listen-client-urls", `http://127.0.0.1:${client}`, "--advertise-client-urls", `http://127.0.0.1:${client}`,
        "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
        "--initial-cluster", `t=http://127.0.0.1:${peer}`, "--log-level", "warn",
    ]);
    const certDir = path.join(p.dir, "certs");
    p.start("kube-apiserver", apiServer, [
        `--etcd-servers=http://127.0.0.1:${client}`, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
        `--secure-port=${secure}`, `--cert-dir=${certDir}`, `--token-auth-file=${path.join(p.dir, "tokens.csv")}`,
        "--authorization-mode=RBAC", "--service-cluster-ip-range=10.96.0.0/12", "--profiling=false",
        "--service-account-issuer=https://kubernetes.default.svc", `--service-account-key-file=${path.join(p.dir, "sa.pub")}`,
        `--service-account-signing-key-file=${path.join(p.dir, "sa.key")}`,
    ]);
    const crt = path.join(certDir, "apiserver.crt");
    await until("the API server's serving certificate", 30_000, () => fs.existsSync(crt), () => p.checkAlive());
    const server: ApiServer = { url: `https://127.0.0.1:${secure}`, ca: fs.readFileSync(crt, "utf8"), token, kubeconfig: "" };
    await until("the API server to be ready", 30_000, async () => {
        try {
            return (await request(server, "GET", "/readyz")).status === 200;
        } catch {
            return false;
        }
    }, () => p.checkAlive());
    return server;
}

async function created(what: string, apiPath: string, body: unknown): Promise<void> {
    const r = await request(api, "POST", apiPath, body);
    if (r.status !== 201) {
        throw new Error(`creating ${what}: ${r.status} ${String(r.body.message ?? "")}`);
    }
}

/** A namespace as the Platform declares one (restricted Pod Security, the ranges' label and annotations), and its default ServiceAccount. */
async function namespace(name: string, metadata: { labels: Record<string, string>; annotations: Record<string, string> }): Promise<void> {
    const psa = Object.fromEntries(["enforce", "audit", "warn"].map((m) => [`pod-security.kubernetes.io/${m}`, "restricted"]));
    await created(`namespace ${name}`, "/api/v1/namespaces", { metadata: { name, labels: { ...psa, ...metadata.labels }, annotations: metadata.annotations } });
    await created(`${name}'s default ServiceAccount`, `/api/v1/namespaces/${name}/serviceaccounts`, { metadata: { name: "default" } });
}

/** A dry run of a pod that runs as RUN_AS (user and group), otherwise as Pod Security's restricted profile asks, into NS. */
const dryRunPod = (ns: string, runAs: number) => request(api, "POST", `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
    metadata: { name: "p" },
    spec: {
        securityContext: { runAsNonRoot: true, runAsUser: runAs, runAsGroup: runAs, seccompProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "main", image: "registry.k8s.io/pause:3.10", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
    },
});

beforeAll(async () => {
    procs = new Processes("id-ranges-test");
    try {
        api = await startApiServer(procs);
        // The API server's own, which the controller-manager would otherwise make.
        await created("default's ServiceAccount", "/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "default" } });
        for (const ns of [QSERV, NOTEBOOKS]) {
            await namespace(ns.name, idRangeMetadata(ns.ids));
        }
        const broken = idRangeMetadata(QSERV.ids);
        await namespace(BROKEN, { labels: broken.labels, annotations: { "lsst-k8s.io/uid-range": "lots" } });
        const apis = "/apis/admissionregistration.k8s.io/v1";
        await created("the policy", `${apis}/validatingadmissionpolicies`, { metadata: { name: ID_RANGE_POLICY }, spec: idRangePolicySpec() });
        await created("the binding", `${apis}/validatingadmissionpolicybindings`, { metadata: { name: ID_RANGE_POLICY }, spec: idRangeBindingSpec() });
        // The API server enforces a new policy once its informers have it: wait for a refusal.
        await until("the policy to be enforced", 20_000, async () => (await dryRunPod(QSERV.name, 19999)).status === 403);
    } catch (e) {
        procs.stopAll();
        throw e;
    }
}, 60_000);

afterAll(() => procs?.stopAll());

describe("the id-range policy on the real API server", () => {

    it("admits pods inside each namespace's ranges and refuses each field outside them, naming it and the range", async () => {
        const result = await idRangeChecks(api, [QSERV, NOTEBOOKS]);
        expect(result.problems).toEqual([]);
        expect(result.checked).toBeGreaterThan(20);
        expect(result.passed).toBe(result.checked);
    });

    it("can fail: checks that expect another range than the namespace carries find every case wrong", async () => {
        const result = await idRangeChecks(api, [{ name: QSERV.name, ids: { uids: "25000-25999", gids: "25000-25999" } }], { activeWithinMs: 5_000 });
        expect(result.passed).toBeLessThan(result.checked);
        expect(result.problems.join("\n")).toMatch(/qserv: ids at the pod level, inside the ranges: refused \(403\).*runAsUser 25000 is outside qserv's uid range 20000-20999/);
    });

    it("refuses every pod of a labeled namespace whose annotations are not ranges", async () => {
        const r = await dryRunPod(BROKEN, 20000);
        expect(`${r.status} ${String(r.body.message)}`).toMatch(/^403 .*namespace broken-range is labeled lsst-k8s.io\/id-range but its annotations lsst-k8s.io\/uid-range and lsst-k8s.io\/gid-range are not both ranges/);
    });
});
