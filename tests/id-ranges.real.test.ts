/**
 * The id-range policy the program declares (components/platform/IdRanges.ts), enforced by the real
 * kube-apiserver (tools/upstream/versions.env's release) on a real etcd: namespaces carry their ranges as
 * the Platform writes them, and tools/e2e/idRanges.ts's cases, which the control-plane tier also runs
 * on every stack, must all hold. Then the checks themselves are shown able to fail: a namespace whose
 * annotation says one range while the checks expect another.
 */
import { ID_RANGE_POLICY, idRangeBindingSpec, idRangeMetadata, idRangePolicySpec } from "../components/platform/IdRanges";
import { ApiServer, request } from "../tools/e2e/api";
import { builtPaths, startApiServer } from "../tools/e2e/controlPlane";
import { idRangeChecks, RangedNamespace } from "../tools/e2e/idRanges";
import { Processes, until } from "../tools/e2e/processes";

const QSERV: RangedNamespace = { name: "qserv", ids: { uids: "20000-20999", gids: "20000-20999" } };
const NOTEBOOKS: RangedNamespace = { name: "jupyter-lsst", ids: { uids: "30000-39999", gids: "31000-31999" } };
const BROKEN = "broken-range";

let procs: Processes | undefined;
let api: ApiServer;


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
        const [etcd, apiServer] = builtPaths(["etcd", "kube-apiserver"]);
        api = await startApiServer(procs, { etcd, "kube-apiserver": apiServer }, "id-ranges");
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
