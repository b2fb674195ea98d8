import { restrictedRoles } from "../../policies/restricted-roles";
import { KubeObject } from "../../policies/lib/kube";
import { messages } from "./helpers";

const RBAC = "rbac.authorization.k8s.io/v1";
const ADMINS = { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "lsst-k8s:cluster-admins" };
const alice = { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" };
const masters = { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:masters" };
const hubSa = { kind: "ServiceAccount", name: "hub", namespace: "jupyter-lsst" };

const clusterRoleBinding = (roleName: string, subjects: unknown) => ({
    apiVersion: RBAC,
    kind: "ClusterRoleBinding",
    metadata: { name: "admins" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    subjects,
});

const roleBinding = (roleRef: KubeObject, subjects: unknown) => ({
    apiVersion: RBAC,
    kind: "RoleBinding",
    metadata: { name: "team", namespace: "jupyter-lsst" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
    subjects,
});

const clusterRole = (rules: unknown, extra: KubeObject = {}) => ({ apiVersion: RBAC, kind: "ClusterRole", metadata: { name: "reader" }, rules, ...extra });
const role = (rules: unknown) => ({ apiVersion: RBAC, kind: "Role", metadata: { name: "reader", namespace: "jupyter-lsst" }, rules });

const podReader = { apiGroups: [""], resources: ["pods", "pods/log"], verbs: ["get", "list", "watch"] };

describe("restricted-roles", () => {
    it("passes the admin group bound to cluster-admin, ordinary bindings and narrow roles", async () => {
        expect(await messages(restrictedRoles, clusterRoleBinding("cluster-admin", [ADMINS]))).toEqual([]);
        expect(await messages(restrictedRoles, clusterRoleBinding("cluster-admin", [ADMINS, ADMINS]))).toEqual([]);
        expect(await messages(restrictedRoles, clusterRoleBinding("view", [alice, hubSa]))).toEqual([]);
        expect(await messages(restrictedRoles, roleBinding({ kind: "Role", name: "cluster-admin" }, [alice]))).toEqual([]);
        expect(await messages(restrictedRoles, clusterRole([podReader, { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "patch"] }]))).toEqual([]);
        expect(await messages(restrictedRoles, role([{ apiGroups: [""], resources: ["secrets"], verbs: ["create", "update", "delete"] }]))).toEqual([]);
        expect(await messages(restrictedRoles, clusterRole([{ nonResourceURLs: ["/healthz"], verbs: ["get"] }]))).toEqual([]);
    });

    it("reports cluster-admin bound to anyone but the admin group, by a ClusterRoleBinding or a RoleBinding", async () => {
        expect(await messages(restrictedRoles, clusterRoleBinding("cluster-admin", [ADMINS, alice, hubSa])))
            .toEqual(["binds ClusterRole cluster-admin to User alice and ServiceAccount jupyter-lsst/hub; only the group lsst-k8s:cluster-admins may be bound to it"]);
        expect(await messages(restrictedRoles, roleBinding({ kind: "ClusterRole", name: "cluster-admin" }, [{ kind: "Group", name: "devs" }])))
            .toEqual(["binds ClusterRole cluster-admin to Group devs; only the group lsst-k8s:cluster-admins may be bound to it"]);
    });

    it("reports a binding that names system:masters", async () => {
        expect(await messages(restrictedRoles, clusterRoleBinding("view", [masters])))
            .toEqual(["names the group system:masters as a subject; superuser access is held by the group lsst-k8s:cluster-admins alone"]);
        expect(await messages(restrictedRoles, clusterRoleBinding("cluster-admin", [masters])))
            .toEqual(["binds ClusterRole cluster-admin to Group system:masters; only the group lsst-k8s:cluster-admins may be bound to it"]);
    });

    it("reports a wildcard verb", async () => {
        expect(await messages(restrictedRoles, clusterRole([{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["*"] }])))
            .toEqual(["rules[0].verbs has the wildcard \"*\"; list the verbs it needs"]);
    });

    it("reports a wildcard resource, whole or in part", async () => {
        expect(await messages(restrictedRoles, clusterRole([podReader, { apiGroups: ["apps"], resources: ["*", "deployments/*"], verbs: ["get"] }])))
            .toEqual([
                "rules[1].resources has the wildcard \"*\"; list the resources it needs",
                "rules[1].resources has the wildcard \"deployments/*\"; list the resources it needs",
            ]);
    });

    it("reports a wildcard API group", async () => {
        expect(await messages(restrictedRoles, role([{ apiGroups: ["*"], resources: ["deployments"], verbs: ["get"] }])))
            .toEqual(["rules[0].apiGroups has the wildcard \"*\"; list the API groups it needs"]);
    });

    it("reports escalate, bind and impersonate", async () => {
        expect(await messages(restrictedRoles, clusterRole([{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["get", "escalate"] }])))
            .toEqual(["rules[0].verbs has escalate, which lets its holders create or update roles with permissions they do not hold"]);
        expect(await messages(restrictedRoles, clusterRole([{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"] }])))
            .toEqual(["rules[0].verbs has bind, which lets its holders bind roles with permissions they do not hold"]);
        expect(await messages(restrictedRoles, clusterRole([{ apiGroups: [""], resources: ["users", "groups"], verbs: ["impersonate"] }])))
            .toEqual(["rules[0].verbs has impersonate, which lets its holders act as other users, groups or service accounts"]);
    });

    it("reports reading Secrets, by name or through a wildcard", async () => {
        expect(await messages(restrictedRoles, role([podReader, { apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ["get", "list", "create"] }])))
            .toEqual(["rules[1] lets its holders read Secrets (verbs get, list on resources secrets)"]);
        expect(await messages(restrictedRoles, role([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["hub-token"], verbs: ["watch"] }])))
            .toEqual(["rules[0] lets its holders read Secrets (verbs watch on resources secrets)"]);
        expect(await messages(restrictedRoles, clusterRole([{ apiGroups: ["", "apps"], resources: ["*"], verbs: ["*"] }]))).toEqual([
            "rules[0].verbs has the wildcard \"*\"; list the verbs it needs",
            "rules[0].resources has the wildcard \"*\"; list the resources it needs",
            "rules[0] lets its holders read Secrets (verbs * on resources *)",
        ]);
        // Secrets are core: a wildcard resource of another group reads none.
        expect(await messages(restrictedRoles, clusterRole([{ apiGroups: ["apps"], resources: ["secrets"], verbs: ["get"] }]))).toEqual([]);
    });

    it("checks the rules an aggregated ClusterRole carries", async () => {
        const aggregated = clusterRole([{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }], {
            aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "lsst-k8s/aggregate-to-reader": "true" } }] },
        });
        expect(await messages(restrictedRoles, aggregated)).toEqual(["rules[0] lets its holders read Secrets (verbs list on resources secrets)"]);
        expect(await messages(restrictedRoles, clusterRole(undefined, { aggregationRule: { clusterRoleSelectors: [] } }))).toEqual([]);
    });

    it("takes the admin group from the config", async () => {
        const config = { "restricted-roles": { adminGroup: "lsst:k8s-sysadmins" } };
        const sysadmins = { kind: "Group", name: "lsst:k8s-sysadmins" };
        expect(await messages(restrictedRoles, clusterRoleBinding("cluster-admin", [sysadmins]), config)).toEqual([]);
        expect(await messages(restrictedRoles, clusterRoleBinding("cluster-admin", [ADMINS]), config))
            .toEqual(["binds ClusterRole cluster-admin to Group lsst-k8s:cluster-admins; only the group lsst:k8s-sysadmins may be bound to it"]);
    });

    it("exempts an object (the admin ClusterRole) or a namespace, each with a reason", async () => {
        const admin = { ...clusterRole([{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]), metadata: { name: "lsst-admin" } };
        expect(await messages(restrictedRoles, admin)).toHaveLength(4);
        const exempt = (exemptions: unknown[]) => ({ "restricted-roles": { exemptions } });
        expect(await messages(restrictedRoles, admin, exempt([{ kind: "ClusterRole", name: "lsst-admin", reason: "the sysadmins' own role, bound only to the admin group" }])))
            .toEqual([]);
        expect(await messages(restrictedRoles, admin, exempt([{ kind: "ClusterRole", name: "lsst-admin", reason: "" }]))).toHaveLength(4);
        expect(await messages(restrictedRoles, admin, exempt([{ kind: "Role", name: "lsst-admin", reason: "wrong kind" }]))).toHaveLength(4);
        const secretsRole = role([{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }]);
        expect(await messages(restrictedRoles, secretsRole, exempt([{ namespace: "jupyter-lsst", reason: "the hub manages user tokens" }]))).toEqual([]);
    });

    it("does not crash on undefined fields", async () => {
        for (const type of ["ClusterRoleBinding", "RoleBinding", "ClusterRole", "Role", "ClusterRoleBindingPatch", "ClusterRolePatch"]) {
            expect(await messages(restrictedRoles, {} as never, {}, `kubernetes:rbac.authorization.k8s.io/v1:${type}`)).toEqual([]);
        }
        expect(await messages(restrictedRoles, clusterRoleBinding("cluster-admin", undefined))).toEqual([]);
        expect(await messages(restrictedRoles, clusterRoleBinding("cluster-admin", [null])))
            .toEqual(["binds ClusterRole cluster-admin to an unknown subject; only the group lsst-k8s:cluster-admins may be bound to it"]);
        expect(await messages(restrictedRoles, { ...clusterRoleBinding("cluster-admin", [ADMINS]), roleRef: undefined })).toEqual([]);
        expect(await messages(restrictedRoles, clusterRole([null, {}, { verbs: "*", resources: null }]))).toEqual([]);
        expect(await messages(restrictedRoles, clusterRole("not a list"))).toEqual([]);
    });

    it("does not apply to other resource types", async () => {
        expect(await messages(restrictedRoles, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "a", namespace: "b" }, rules: [{ verbs: ["*"] }] })).toEqual([]);
        expect(await messages(restrictedRoles, { ...clusterRole([{ verbs: ["*"] }]), apiVersion: "example.org/v1" })).toEqual([]);
        expect(await messages(restrictedRoles, clusterRole([{ verbs: ["*"] }]), {}, "command:remote:Command")).toEqual([]);
    });
});
