import { publicExposure } from "../../policies/public-exposure";
import { KubeObject } from "../../policies/lib/kube";
import { messages } from "./helpers";

const UNAPPROVED = "without the Kubernetes sysadmin's approval";

const service = (spec: KubeObject, metadata: KubeObject = {}) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "hub", namespace: "jupyter-lsst", ...metadata },
    spec: { selector: { app: "hub" }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
});

const ingress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "hub", namespace: "jupyter-lsst" },
    spec: { rules: [{ host: "hub.example.org", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "hub", port: { number: 80 } } } }] } }] },
};

const daemonSet = (spec: KubeObject) => ({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", namespace: "monitoring" },
    spec: { template: { spec } },
});

const approve = (approved: KubeObject[]) => ({ "public-exposure": { approved } });

describe("public-exposure", () => {
    it("passes a ClusterIP Service and a workload without host networking or host ports", async () => {
        expect(await messages(publicExposure, service({}))).toEqual([]);
        expect(await messages(publicExposure, service({ type: "ClusterIP", externalIPs: [] }))).toEqual([]);
        expect(await messages(publicExposure, service({ type: "ExternalName", externalName: "db.example.org" }))).toEqual([]);
        expect(await messages(publicExposure, daemonSet({ hostNetwork: false, containers: [{ name: "a", ports: [{ containerPort: 9100 }, { containerPort: 9101, hostPort: 0 }] }] })))
            .toEqual([]);
    });

    it("reports a LoadBalancer Service", async () => {
        expect(await messages(publicExposure, service({ type: "LoadBalancer" })))
            .toEqual([`spec.type LoadBalancer exposes it outside the cluster ${UNAPPROVED}`]);
    });

    it("reports a NodePort Service", async () => {
        expect(await messages(publicExposure, service({ type: "NodePort" })))
            .toEqual([`spec.type NodePort exposes it outside the cluster ${UNAPPROVED}`]);
    });

    it("reports a Service with external IPs", async () => {
        expect(await messages(publicExposure, service({ externalIPs: ["192.0.2.10", "192.0.2.11"] })))
            .toEqual([`spec.externalIPs (192.0.2.10, 192.0.2.11) expose it outside the cluster ${UNAPPROVED}`]);
    });

    it("reports an Ingress", async () => {
        expect(await messages(publicExposure, ingress)).toEqual([`an Ingress exposes Services outside the cluster ${UNAPPROVED}`]);
    });

    it("reports host networking", async () => {
        expect(await messages(publicExposure, daemonSet({ hostNetwork: true, containers: [{ name: "a" }] })))
            .toEqual([`spec.template.spec.hostNetwork puts its pods on the node's network ${UNAPPROVED}`]);
    });

    it("reports each host port, in every container list", async () => {
        const spec = {
            containers: [{ name: "a", ports: [{ containerPort: 80 }, { containerPort: 8080, hostPort: 8080 }] }],
            initContainers: [{ name: "init", ports: [{ containerPort: 53, hostPort: 53, protocol: "UDP" }] }],
        };
        expect(await messages(publicExposure, daemonSet(spec))).toEqual([
            `containers[0] (a): ports[1].hostPort 8080 opens a port on the node ${UNAPPROVED}`,
            `initContainers[0] (init): ports[0].hostPort 53 opens a port on the node ${UNAPPROVED}`,
        ]);
    });

    it("looks into every workload kind and patch types", async () => {
        const spec = { hostNetwork: true };
        const meta = { name: "x", namespace: "y" };
        expect(await messages(publicExposure, { apiVersion: "v1", kind: "Pod", metadata: meta, spec }))
            .toEqual([`spec.hostNetwork puts its pods on the node's network ${UNAPPROVED}`]);
        expect(await messages(publicExposure, { apiVersion: "batch/v1", kind: "CronJob", metadata: meta, spec: { jobTemplate: { spec: { template: { spec } } } } }))
            .toEqual([`spec.jobTemplate.spec.template.spec.hostNetwork puts its pods on the node's network ${UNAPPROVED}`]);
        expect(await messages(publicExposure, daemonSet(spec), {}, "kubernetes:apps/v1:DaemonSetPatch"))
            .toEqual([`spec.template.spec.hostNetwork puts its pods on the node's network ${UNAPPROVED}`]);
        expect(await messages(publicExposure, service({ type: "LoadBalancer" }), {}, "kubernetes:core/v1:ServicePatch"))
            .toEqual([`spec.type LoadBalancer exposes it outside the cluster ${UNAPPROVED}`]);
    });

    it("allows exactly the objects the config approves, with a reason", async () => {
        const lb = service({ type: "LoadBalancer" });
        const ok = { kind: "Service", namespace: "jupyter-lsst", name: "hub", reason: "JupyterHub's public endpoint (sysadmin, ticket 42)" };
        expect(await messages(publicExposure, lb, approve([ok]))).toEqual([]);
        expect(await messages(publicExposure, ingress, approve([{ ...ok, kind: "Ingress" }]))).toEqual([]);
        expect(await messages(publicExposure, daemonSet({ hostNetwork: true }), approve([{ kind: "DaemonSet", namespace: "monitoring", name: "agent", reason: "node exporter" }])))
            .toEqual([]);
        // Not the same object: another name, namespace or kind; no namespace means default; no reason.
        for (const other of [{ ...ok, name: "hub2" }, { ...ok, namespace: "other" }, { ...ok, kind: "Ingress" }, { kind: "Service", name: "hub", reason: "r" }, { ...ok, reason: "" }]) {
            expect(await messages(publicExposure, lb, approve([other]))).toHaveLength(1);
        }
        expect(await messages(publicExposure, service({ type: "LoadBalancer" }, { namespace: undefined }), approve([{ kind: "Service", name: "hub", reason: "r" }])))
            .toEqual([]);
    });

    it("takes no annotation or label on the object for an approval", async () => {
        const annotated = service({ type: "LoadBalancer" }, {
            annotations: { "lsst-k8s/public-exposure": "approved", "lsst-k8s/approved-by": "k8s-sysadmin", "pulumi.com/policy-exempt": "true" },
            labels: { "public-exposure": "approved" },
        });
        expect(await messages(publicExposure, annotated)).toEqual([`spec.type LoadBalancer exposes it outside the cluster ${UNAPPROVED}`]);
    });

    it("honours exemptions by namespace and by object, each with a reason", async () => {
        const lb = service({ type: "LoadBalancer" });
        expect(await messages(publicExposure, lb, { "public-exposure": { exemptions: [{ namespace: "jupyter-lsst", reason: "test cluster only" }] } })).toEqual([]);
        expect(await messages(publicExposure, lb, { "public-exposure": { exemptions: [{ kind: "Service", name: "hub", namespace: "jupyter-lsst", reason: "test cluster only" }] } })).toEqual([]);
        expect(await messages(publicExposure, lb, { "public-exposure": { exemptions: [{ namespace: "jupyter-lsst", reason: "" }] } })).toHaveLength(1);
    });

    it("does not crash on undefined fields", async () => {
        expect(await messages(publicExposure, {} as never, {}, "kubernetes:core/v1:Service")).toEqual([]);
        expect(await messages(publicExposure, { apiVersion: "v1", kind: "Service", spec: { externalIPs: "x" } })).toEqual([]);
        expect(await messages(publicExposure, {} as never, {}, "kubernetes:networking.k8s.io/v1:Ingress"))
            .toEqual([`an Ingress exposes Services outside the cluster ${UNAPPROVED}`]);
        expect(await messages(publicExposure, daemonSet({ containers: [null, { ports: [null, {}, { hostPort: undefined }] }] }))).toEqual([]);
        expect(await messages(publicExposure, { apiVersion: "apps/v1", kind: "DaemonSet" })).toEqual([]);
    });

    it("does not apply to other resource types", async () => {
        expect(await messages(publicExposure, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "x" }, spec: { type: "LoadBalancer" } })).toEqual([]);
        expect(await messages(publicExposure, { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "n", namespace: "x" } })).toEqual([]);
        expect(await messages(publicExposure, service({ type: "LoadBalancer" }), {}, "command:remote:Command")).toEqual([]);
    });
});
