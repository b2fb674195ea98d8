/**
 * The cluster's ValidatingAdmissionPolicies against the pack, on a real etcd and kube-apiserver of
 * the pinned version (tools/upstream/build.sh): the test stack's policies and bindings, as
 * AdmissionPolicies declares them, then every case of the shared corpus created with a dry run;
 * the API server and the pack must agree on each.
 */
import * as path from "path";
import { validateConfig } from "../config";
import { readStackFile } from "../tools/stackFile";
import { ApiServer, request } from "../tools/e2e/api";
import { admissionDifferential, applyAdmissionPolicies, compareCases, packVerdict, stackCases, withdrawAdmissionPolicies } from "../tools/e2e/admission";
import { stackPolicyData } from "../components/platform/admission/data";
import { builtPaths, startApiServer } from "../tools/e2e/controlPlane";
import { Processes } from "../tools/e2e/processes";

const STACK = "test";
const ROOT = path.resolve(__dirname, "..");

let procs: Processes | undefined;
let api: ApiServer | undefined;


beforeAll(async () => {
    // The first run on a machine builds them (minutes); later runs find them in the cache.
    const [etcd, apiServer] = builtPaths(["etcd", "kube-apiserver"]);
    procs = new Processes("admission");
    api = await startApiServer(procs, { etcd, "kube-apiserver": apiServer }, "admission");
}, 900_000);

afterAll(() => procs?.stopAll());

function cluster(stack = STACK) {
    const raw = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
    const { config, problems } = validateConfig(raw.config, raw.secretKeys);
    if (!config) {
        throw new Error(`Pulumi.${stack}.yaml is invalid: ${problems.join("; ")}`);
    }
    return config;
}

describe(`the ${STACK} stack's admission policies`, () => {
    it("agree with the pack on every case of the shared corpus, refusing and allowing", async () => {
        if (!api) {
            throw new Error("beforeAll did not start the API server");
        }
        // As on the tier's cluster, which runs it under its own (immutable) selector: the case replaces it, with a dry run.
        const overlay = stackCases(stackPolicyData(STACK), cluster()).find((c) => c.name === "stack-approved-overlay")!.object;
        const running = { ...overlay, spec: { ...overlay.spec, selector: { matchLabels: { name: "weave-net" } }, template: { ...overlay.spec.template, metadata: { labels: { name: "weave-net" } } } } };
        expect((await request(api, "POST", "/apis/apps/v1/namespaces/kube-system/daemonsets", running)).status).toBe(201);
        const result = await admissionDifferential(api, STACK, cluster());
        expect(result.disagreements).toEqual([]);
        expect(result.agreed).toBe(result.submitted);
        expect(result.submitted).toBeGreaterThan(80);
        // Both verdicts, so that agreement says something.
        expect(result.refused).toBeGreaterThan(40);
        expect(result.submitted - result.refused).toBeGreaterThan(25);
        process.stdout.write(`${STACK}: admission ${result.agreed}/${result.submitted} (${result.refused} refused by both)\n`);
    }, 120_000);

    it("refuse for real, not only in a dry run, and the refusal names the policy", async () => {
        const r = await request(api!, "POST", "/api/v1/namespaces/default/services", {
            apiVersion: "v1", kind: "Service", metadata: { name: "exposed" }, spec: { type: "NodePort", ports: [{ port: 80 }] },
        });
        expect(r.status).toBe(403);
        expect(String(r.body.message)).toMatch(/'lsst-k8s-(public-exposure|no-default-namespace)'/);
        expect((await packVerdict({ apiVersion: "v1", kind: "Service", metadata: { name: "exposed" }, spec: { type: "NodePort" } }, {})).allowed).toBe(false);
    });

    // Near the end: it leaves prod's policies on the API server.
    it("disagree with the pack when the cluster runs another stack's policies", async () => {
        const data = stackPolicyData(STACK);
        // prod trusts its own registry alone and requires digests: the test stack's images are refused there.
        await applyAdmissionPolicies(api!, stackPolicyData("prod"), cluster("prod"));
        const picked = stackCases(data, cluster()).filter((c) => c.name === "images-trusted-tagged" || c.name === "roles-narrow");
        const result = await compareCases(api!, picked, data);
        expect(result.disagreements).toEqual([expect.stringMatching(/^images-trusted-tagged: the API server refuses it \(.*'lsst-k8s-trusted-images'.*\), the pack allows it$/)]);
        expect(result.agreed).toBe(1);
    }, 120_000);

    it("can be withdrawn for the tier's later steps", async () => {
        await withdrawAdmissionPolicies(api!);
        const r = await request(api!, "POST", "/api/v1/namespaces/default/services?dryRun=All", {
            apiVersion: "v1", kind: "Service", metadata: { name: "exposed" }, spec: { type: "NodePort", ports: [{ port: 80 }] },
        });
        expect(r.status).toBe(201);
    }, 60_000);
});
