import { clusterAdminBinding } from "../../policies/cluster-admin-binding";
import { PackConfig, runPolicies, Subject } from "../../policies/lib/runner";
import { KubeObject } from "../../policies/lib/kube";
import { subject } from "./helpers";

const RBAC = "rbac.authorization.k8s.io/v1";
const ADMINS = { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "lsst-k8s:cluster-admins" };
const alice = { kind: "User", name: "alice" };

const binding = (name: string, subjects: unknown, roleName = "cluster-admin", kind = "ClusterRoleBinding", namespace?: string): KubeObject => ({
    apiVersion: RBAC,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    subjects,
});

const urn = (type: string, name: string) => `urn:pulumi:test::lsst-k8s::kubernetes:rbac.authorization.k8s.io/v1:${type}::${name}`;

async function findings(subjects: Subject[], config: PackConfig = {}) {
    return (await runPolicies([clusterAdminBinding], subjects, config)).map((v) => ({ urn: v.urn, message: v.message }));
}

describe("cluster-admin-binding", () => {
    it("passes a stack whose cluster-admin bindings name only the admin group", async () => {
        expect(await findings([
            subject(binding("admins", [ADMINS])),
            subject(binding("viewers", [alice], "view")),
            subject(binding("team", [alice], "edit", "RoleBinding", "jupyter-lsst")),
            subject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "x" } }),
        ])).toEqual([]);
        expect(clusterAdminBinding.enforcementLevel).toBe("mandatory");
    });

    it("reports each binding to cluster-admin with another subject, by URN", async () => {
        expect(await findings([
            subject(binding("admins", [ADMINS])),
            subject(binding("alice-admin", [ADMINS, alice])),
            subject(binding("ns-admin", [{ kind: "ServiceAccount", name: "hub", namespace: "jupyter-lsst" }], "cluster-admin", "RoleBinding", "jupyter-lsst")),
        ])).toEqual([
            {
                urn: urn("ClusterRoleBinding", "alice-admin"),
                message: "binds ClusterRole cluster-admin to Group lsst-k8s:cluster-admins and User alice; its only subject must be the group lsst-k8s:cluster-admins",
            },
            {
                urn: urn("RoleBinding", "ns-admin"),
                message: "binds ClusterRole cluster-admin to ServiceAccount jupyter-lsst/hub; its only subject must be the group lsst-k8s:cluster-admins",
            },
        ]);
    });

    it("reports a binding to cluster-admin with no subject", async () => {
        for (const subjects of [[], undefined]) {
            expect(await findings([subject(binding("empty", subjects))])).toEqual([{
                urn: urn("ClusterRoleBinding", "empty"),
                message: "binds ClusterRole cluster-admin to no subject; its only subject must be the group lsst-k8s:cluster-admins",
            }]);
        }
    });

    it("checks each item of a list of bindings", async () => {
        const list = { apiVersion: RBAC, kind: "ClusterRoleBindingList", metadata: { name: "bindings" }, items: [binding("ok", [ADMINS]), null, binding("bad", [alice])] };
        expect(await findings([subject(list)])).toEqual([{
            urn: urn("ClusterRoleBindingList", "bindings"),
            message: "items[2] (bad): binds ClusterRole cluster-admin to User alice; its only subject must be the group lsst-k8s:cluster-admins",
        }]);
    });

    it("checks the subjects a patch sets, and passes a patch that leaves them alone", async () => {
        const type = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBindingPatch";
        expect(await findings([subject(binding("p", undefined), type)])).toEqual([]);
        expect(await findings([subject(binding("p", [alice]), type)])).toEqual([{
            urn: `urn:pulumi:test::lsst-k8s::${type}::p`,
            message: "binds ClusterRole cluster-admin to User alice; its only subject must be the group lsst-k8s:cluster-admins",
        }]);
    });

    it("takes the admin group from the config", async () => {
        const config = { "cluster-admin-binding": { adminGroup: "lsst:k8s-sysadmins" } };
        expect(await findings([subject(binding("admins", [{ kind: "Group", name: "lsst:k8s-sysadmins" }]))], config)).toEqual([]);
        expect(await findings([subject(binding("admins", [ADMINS]))], config)).toEqual([{
            urn: urn("ClusterRoleBinding", "admins"),
            message: "binds ClusterRole cluster-admin to Group lsst-k8s:cluster-admins; its only subject must be the group lsst:k8s-sysadmins",
        }]);
    });

    it("has no exemptions: the whole stack is checked", async () => {
        const config = { "cluster-admin-binding": { exemptions: [{ kind: "ClusterRoleBinding", name: "alice-admin", reason: "please" }] } };
        expect(await findings([subject(binding("alice-admin", [alice]))], config)).toHaveLength(1);
    });

    it("does not crash on undefined fields, and ignores other resource types", async () => {
        expect(await findings([
            subject({} as KubeObject, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"),
            subject({} as KubeObject, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBindingList"),
            subject({ ...binding("x", [alice]), roleRef: undefined }),
            subject({ ...binding("y", [alice]), apiVersion: "example.org/v1" }),
            subject({ ...binding("z", [alice]), kind: "ClusterRole" }),
            { type: "lsst-k8s:cluster:Cluster", name: "dev", urn: "urn:dev", props: binding("w", [alice]) },
        ])).toEqual([]);
        expect(await findings([subject(binding("n", [null]))])).toEqual([{
            urn: urn("ClusterRoleBinding", "n"),
            message: "binds ClusterRole cluster-admin to an unknown subject; its only subject must be the group lsst-k8s:cluster-admins",
        }]);
    });
});
