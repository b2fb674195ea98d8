/**
 * The NetworkPolicies every stack declares (tests/network-policies.test.ts judges what they admit), sent
 * to the pinned kube-apiserver on a real etcd (tools/upstream/build.sh): accepted under strict field
 * validation and stored as declared, and what they should not be refused.
 */
import { ApiServer, request } from "../tools/e2e/api";
import { builtPaths, startApiServer } from "../tools/e2e/controlPlane";
import { Processes } from "../tools/e2e/processes";
import { STACKS, StackName } from "./harness";
import { declare, meta, Obj } from "./network-policies/declared";

describe("the declared policies on the pinned kube-apiserver", () => {
    let procs: Processes | undefined;
    let api: ApiServer | undefined;
    beforeAll(async () => {
        // The first run on a machine builds them (minutes); later runs find them in the cache.
        const [etcdBin, apiBin] = builtPaths(["etcd", "kube-apiserver"]);
        procs = new Processes("netpol");
        api = await startApiServer(procs, { etcd: etcdBin, "kube-apiserver": apiBin }, "network-policies");
    }, 900_000);
    afterAll(() => procs?.stopAll());

    const create = (o: Obj) => request(api!, "POST", `/apis/networking.k8s.io/v1/namespaces/${o.metadata.namespace}/networkpolicies?fieldValidation=Strict`, o);

    it.each(STACKS)("accepts every policy of stack %s, strictly, and stores it as declared", async (stack: StackName) => {
        const { namespaces, policies } = await declare(stack);
        for (const ns of namespaces) {
            const r = await request(api!, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
            expect([ns, r.status === 201 || r.status === 409]).toEqual([ns, true]);
        }
        for (const p of policies) {
            const r = await create(p.inputs);
            expect([p.name, r.status, r.warnings, r.status === 201 ? "" : r.body.message]).toEqual([p.name, 201, [], ""]);
            expect((r.body as Obj).spec).toEqual(p.inputs.spec);
        }
        // Each stack's set replaces the last, so the names do not collide.
        for (const p of policies) {
            const m = meta(p);
            expect((await request(api!, "DELETE", `/apis/networking.k8s.io/v1/namespaces/${m.namespace}/networkpolicies/${m.name}`)).status).toBe(200);
        }
    });

    it("refuses what it should: a bad ipBlock, an unknown field", async () => {
        await request(api!, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "netpol-refusals" } });
        const bad = (spec: Obj) => create({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "bad", namespace: "netpol-refusals" }, spec });
        expect((await bad({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.32.0.0/33" } }] }] })).status).toBe(422);
        expect((await bad({ podSelector: {}, ingress: [{ source: [] }] })).status).toBe(400);
    });
});
