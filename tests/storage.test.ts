/**
 * platform.storage.nfs and the NFS subdir external provisioner (technote 004 "NFS"): the config's
 * defaults and messages, every object the component declares under Pulumi's mocks, and the pack's
 * policies over them with each stack's policy config.
 */
import { z } from "zod";
import { problemLines } from "../config/problems";
import { NFS_PROVISIONER_IMAGE, NFS_PROVISIONER_UID, NfsConfig, nfs as nfsSchema, storage } from "../config/platform/storage";
import { DNS_SUBDOMAIN, record } from "../config/values";
import { NFS_LEADER_LOCK, NFS_PROVISIONER_NAME, NFS_PROVISIONER_NAMESPACE } from "../components/platform/NfsProvisioner";
import { storageClassFor } from "../config/platform/storage";
import { policies } from "../policies/policies";
import { PackConfig, runPolicies } from "../policies/lib/runner";
import { RecordedResource } from "../tools/evaluate";
import { declareAlone, STACKS } from "./harness";
import { schemaErrors } from "./schemas";

// ---- config ----------------------------------------------------------------------------------------

/** The section where the stack file holds it, so messages read as the operator will see them. */
const root = record({ storage });
const problems = (nfs: unknown): string[] => {
    const r = root.safeParse({ storage: { nfs } });
    return r.success ? [] : problemLines(root, r.error.issues);
};
const parse = (nfs: Record<string, unknown>): NfsConfig => nfsSchema.parse(nfs);
const minimal = { server: "gpfs-nfs.example.org", path: "/gpfs/lsst/k8s/test" };

describe("platform.storage.nfs", () => {
    it("defaults to keeping the data: the default class, Retain, archived on delete, hard mounts, the pinned image", () => {
        expect(parse(minimal)).toEqual({
            ...minimal,
            className: "nfs",
            default: true,
            reclaimPolicy: "Retain",
            archiveOnDelete: true,
            mountOptions: ["hard"],
            image: "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2",
        });
        expect(NFS_PROVISIONER_IMAGE).toBe("registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2");
        expect(storage.parse({})).toEqual({});
    });

    it("takes every field and an IPv4 server", () => {
        const all = {
            server: "192.0.2.5", path: "/", className: "nfs-scratch", default: false, reclaimPolicy: "Delete",
            archiveOnDelete: false, mountOptions: ["hard", "nfsvers=4.2"], image: `${NFS_PROVISIONER_IMAGE}@sha256:${"a".repeat(64)}`,
        };
        expect(parse(all)).toEqual(all);
    });

    it("names the field in every message: bad server, relative path, unknown reclaimPolicy, and the rest", () => {
        expect(problems({ ...minimal, server: "nfs_server" })).toEqual(['storage.nfs.server: "nfs_server" is not a DNS name or IPv4 address']);
        expect(problems({ ...minimal, server: "10.0.0.300" })).toEqual(['storage.nfs.server: "10.0.0.300" is not a DNS name or IPv4 address']);
        expect(problems({ ...minimal, path: "gpfs/lsst/k8s" })).toEqual(['storage.nfs.path: "gpfs/lsst/k8s" is not an absolute path']);
        expect(problems({ ...minimal, path: "/gpfs/../etc" })).toEqual(['storage.nfs.path: "/gpfs/../etc" is not an absolute path']);
        expect(problems({ ...minimal, reclaimPolicy: "Recycle" })).toEqual(['storage.nfs.reclaimPolicy: "Recycle" must be "Retain" or "Delete"']);
        expect(problems({ ...minimal, className: "NFS" })).toEqual(['storage.nfs.className: "NFS" is not a storage class name']);
        expect(problems({ ...minimal, default: "yes" })).toEqual(['storage.nfs.default: "yes" is not true or false']);
        expect(problems({ ...minimal, archiveOnDelete: 1 })).toEqual(["storage.nfs.archiveOnDelete: 1 is not true or false"]);
        expect(problems({ ...minimal, mountOptions: ["hard,nfsvers=3"] }))
            .toEqual(['storage.nfs.mountOptions[0]: "hard,nfsvers=3" is not a single mount option (no spaces or commas)']);
        expect(problems({ ...minimal, mountOptions: "hard" })).toEqual(["storage.nfs.mountOptions: is not a list"]);
        expect(problems({ ...minimal, image: "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:latest" }))
            .toEqual(['storage.nfs.image: "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:latest" is pinned to latest, which moves: name a version tag or a digest']);
        expect(problems({ path: "/x" })).toEqual(["storage.nfs.server: required"]);
        expect(problems({ ...minimal, sever: "x" })).toEqual(['storage.nfs.sever: unknown key (did you mean "server"?)']);
    });

    it("reports every problem of the section in one pass, in the schema's order", () => {
        expect(problems({ reclaimPolicy: "Recycle", path: "relative", server: "" })).toEqual([
            "storage.nfs.server: required",
            'storage.nfs.path: "relative" is not an absolute path',
            'storage.nfs.reclaimPolicy: "Recycle" must be "Retain" or "Delete"',
        ]);
    });

    it("describes every field with its default, the export's uid as the pod runs it, and why mountOptions pins no version", () => {
        // As an editor sees them: the JSON Schema the stack file's schema is generated from.
        const fields = (z.toJSONSchema(nfsSchema, { io: "input" }) as { properties: Record<string, { description?: string }> }).properties;
        expect(Object.keys(fields)).toEqual(["server", "path", "className", "default", "reclaimPolicy", "archiveOnDelete", "mountOptions", "image"]);
        for (const [key, field] of Object.entries(fields)) {
            expect([key, field.description]).toEqual([key, expect.stringMatching(/default/)]);
        }
        const describe = (key: string) => fields[key].description;
        expect(describe("path")).toContain(`uid/gid ${NFS_PROVISIONER_UID}`);
        expect(describe("mountOptions")).toMatch(/access denied by server/);
        expect(describe("image")).toContain(NFS_PROVISIONER_IMAGE);
    });
});

describe("storageClassFor", () => {
    const config = parse(minimal);
    it("takes the class config names, else the provisioner's, else none", () => {
        expect(storageClassFor("fast", config)).toBe("fast");
        expect(storageClassFor(undefined, config)).toBe("nfs");
        expect(storageClassFor(undefined, parse({ ...minimal, className: "gpfs" }))).toBe("gpfs");
        expect(storageClassFor(undefined, undefined)).toBeUndefined();
    });
});

// ---- objects ---------------------------------------------------------------------------------------

const NAME = "lsst-test-platform-nfs";

/** Declares the component alone under the mocks, as Platform would, and returns what it registered. */
function declare(config: NfsConfig): Promise<RecordedResource[]> {
    return declareAlone((_k8s, provider) => {
        const { NfsProvisioner } = require("../components/platform/NfsProvisioner");
        new NfsProvisioner(NAME, { config, provider });
    });
}

const meta = (r: RecordedResource) => r.inputs.metadata as Record<string, any>;
const ofKind = (rs: RecordedResource[], kind: string) => rs.filter((r) => r.type.endsWith(`:${kind}`) && r.type.startsWith("kubernetes:"));
const one = (rs: RecordedResource[], kind: string) => {
    const found = ofKind(rs, kind);
    expect(found).toHaveLength(1);
    return found[0].inputs as Record<string, any>;
};

describe("NfsProvisioner", () => {
    const defaults = parse(minimal);
    let rs: RecordedResource[];
    beforeAll(async () => {
        rs = await declare(defaults);
    });
    const kube = () => rs.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");

    it("declares exactly its objects, each a child of the component, named from it, through the provider", () => {
        const component = rs.find((r) => r.type === "lsst-k8s:platform:NfsProvisioner")!;
        const provider = rs.find((r) => r.type === "pulumi:providers:kubernetes")!;
        expect(kube().map((r) => r.type.split(":").slice(1).join(":")).sort()).toEqual([
            "apps/v1:Deployment", "core/v1:PersistentVolume", "core/v1:PersistentVolumeClaim", "core/v1:ServiceAccount",
            "rbac.authorization.k8s.io/v1:ClusterRole", "rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "rbac.authorization.k8s.io/v1:Role", "rbac.authorization.k8s.io/v1:RoleBinding", "storage.k8s.io/v1:StorageClass",
        ]);
        for (const r of kube()) {
            expect([r.name, r.parent]).toEqual([r.name, component.urn]);
            expect(r.name.startsWith(`${NAME}-`)).toBe(true);
            expect(r.provider?.startsWith(`${provider.urn}::`)).toBe(true);
        }
    });

    it("puts every namespaced object in nfs-provisioner, and writes objects valid against the Kubernetes schemas", () => {
        expect(NFS_PROVISIONER_NAMESPACE).toBe("nfs-provisioner");
        const clusterScoped = ["PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass"];
        for (const r of kube()) {
            const kind = r.type.split(":").pop()!;
            expect([r.name, meta(r).namespace]).toEqual([r.name, clusterScoped.includes(kind) ? undefined : "nfs-provisioner"]);
            expect([r.name, schemaErrors(r.inputs)]).toEqual([r.name, []]);
        }
    });

    it("grants the provisioner what it uses cluster-wide and nothing more, bound to its own account", () => {
        expect(one(rs, "ServiceAccount").metadata).toEqual({ name: "nfs-provisioner", namespace: "nfs-provisioner" });
        expect(one(rs, "ClusterRole")).toMatchObject({
            metadata: { name: "lsst-k8s:nfs-provisioner" },
            rules: [
                { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "delete"] },
                { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch", "update"] },
                { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["events"], verbs: ["create", "update", "patch"] },
            ],
        });
        const subjects = [{ kind: "ServiceAccount", name: "nfs-provisioner", namespace: "nfs-provisioner" }];
        expect(one(rs, "ClusterRoleBinding")).toMatchObject({
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "lsst-k8s:nfs-provisioner" }, subjects,
        });
        expect(one(rs, "RoleBinding")).toMatchObject({
            metadata: { namespace: "nfs-provisioner" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "lsst-k8s:nfs-provisioner-leader" }, subjects,
        });
    });

    it("lets it elect a leader the way v4.0.2 does: one Endpoints lock in its namespace, named after the provisioner", () => {
        expect(NFS_LEADER_LOCK).toBe("lsst-k8s.io-nfs-subdir");
        expect(DNS_SUBDOMAIN.test(NFS_LEADER_LOCK)).toBe(true);
        expect(one(rs, "Role")).toEqual({
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role",
            metadata: { name: "lsst-k8s:nfs-provisioner-leader", namespace: "nfs-provisioner" },
            rules: [
                { apiGroups: [""], resources: ["endpoints"], verbs: ["create"] },
                { apiGroups: [""], resources: ["endpoints"], resourceNames: [NFS_LEADER_LOCK], verbs: ["get", "update"] },
            ],
        });
    });

    it("mounts the export through a pre-bound volume and claim that keep it, with the class's mount options", () => {
        expect(one(rs, "PersistentVolume")).toMatchObject({
            metadata: { name: "nfs-provisioner-export" },
            spec: {
                accessModes: ["ReadWriteMany"], persistentVolumeReclaimPolicy: "Retain", storageClassName: "",
                nfs: { server: minimal.server, path: minimal.path }, claimRef: { namespace: "nfs-provisioner", name: "export" },
                mountOptions: ["hard"],
            },
        });
        expect(one(rs, "PersistentVolumeClaim")).toMatchObject({
            metadata: { name: "export", namespace: "nfs-provisioner" },
            spec: { accessModes: ["ReadWriteMany"], storageClassName: "", volumeName: "nfs-provisioner-export" },
        });
    });

    it("runs one provisioner, replaced not rolled, as 65534 under the restricted profile, told its name, server and path", () => {
        const d = one(rs, "Deployment");
        expect(d.metadata).toMatchObject({ name: "nfs-provisioner", namespace: "nfs-provisioner" });
        expect(d.spec.replicas).toBe(1);
        expect(d.spec.strategy).toEqual({ type: "Recreate" });
        const pod = d.spec.template.spec;
        expect(pod.serviceAccountName).toBe("nfs-provisioner");
        expect(pod.securityContext).toEqual({
            runAsNonRoot: true, runAsUser: NFS_PROVISIONER_UID, runAsGroup: NFS_PROVISIONER_UID, seccompProfile: { type: "RuntimeDefault" },
        });
        expect(NFS_PROVISIONER_UID).toBe(65534);
        expect(pod.containers).toHaveLength(1);
        const c = pod.containers[0];
        expect(c.image).toBe(NFS_PROVISIONER_IMAGE);
        expect(c.env).toEqual([
            { name: "PROVISIONER_NAME", value: NFS_PROVISIONER_NAME },
            { name: "NFS_SERVER", value: minimal.server },
            { name: "NFS_PATH", value: minimal.path },
        ]);
        expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true });
        expect(c.resources.limits).toEqual({ cpu: "500m", memory: "256Mi" });
        expect(c.volumeMounts).toEqual([{ name: "export", mountPath: "/persistentvolumes" }]);
        expect(pod.volumes).toEqual([{ name: "export", persistentVolumeClaim: { claimName: "export" } }]);
    });

    it("declares the class the provisioner serves: the default one, keeping the data", () => {
        expect(one(rs, "StorageClass")).toEqual({
            apiVersion: "storage.k8s.io/v1", kind: "StorageClass",
            metadata: { name: "nfs", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
            provisioner: NFS_PROVISIONER_NAME,
            parameters: { archiveOnDelete: "true" },
            reclaimPolicy: "Retain",
            mountOptions: ["hard"],
            volumeBindingMode: "Immediate",
            allowVolumeExpansion: true,
        });
    });

    it("starts the provisioner only once its claim and grants exist, and offers the class only once it runs", () => {
        const urn = (kind: string) => ofKind(rs, kind)[0].urn;
        expect(ofKind(rs, "Deployment")[0].dependencies).toEqual(expect.arrayContaining([
            urn("PersistentVolumeClaim"), urn("ClusterRoleBinding"), urn("RoleBinding"),
        ]));
        expect(ofKind(rs, "StorageClass")[0].dependencies).toContain(urn("Deployment"));
        expect(ofKind(rs, "PersistentVolumeClaim")[0].dependencies).toContain(urn("PersistentVolume"));
    });

    it("follows the config: another class, not the default, Delete without archiving, pinned mount options", async () => {
        const other = await declare(parse({
            ...minimal, className: "nfs-scratch", default: false, reclaimPolicy: "Delete", archiveOnDelete: false,
            mountOptions: ["hard", "nfsvers=4.1"],
        }));
        const sc = one(other, "StorageClass");
        expect(sc.metadata).toEqual({ name: "nfs-scratch" });
        expect(sc).toMatchObject({ parameters: { archiveOnDelete: "false" }, reclaimPolicy: "Delete", mountOptions: ["hard", "nfsvers=4.1"] });
        expect(one(other, "PersistentVolume").spec.mountOptions).toEqual(["hard", "nfsvers=4.1"]);
        // The export itself is never handed back, whatever the class does with the volumes it makes.
        expect(one(other, "PersistentVolume").spec.persistentVolumeReclaimPolicy).toBe("Retain");
    });

    // ---- the pack ----------------------------------------------------------------------------------

    /** The approval each stack's policy config is to carry, exactly as the report proposes it. */
    const APPROVAL = {
        kind: "Deployment",
        namespace: "nfs-provisioner",
        name: "nfs-provisioner",
        reason: "The NFS provisioner gives the local registry its volume, so it cannot be pulled from the registry: it runs the " +
            "NFS subdir external provisioner from registry.k8s.io (kubernetes-sigs), pinned in the program.",
    };
    const withApproval = (config: PackConfig): PackConfig => {
        const trusted = config["trusted-images"];
        const exemptions = trusted.exemptions ?? [];
        const present = exemptions.some((e: Record<string, string>) => e.kind === APPROVAL.kind && e.namespace === APPROVAL.namespace && e.name === APPROVAL.name);
        return { ...config, "trusted-images": { ...trusted, exemptions: present ? exemptions : [...exemptions, APPROVAL] } };
    };
    const subjects = () => kube().map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));

    it.each(STACKS)("passes every policy of stack %s's pack once its config approves the image", async (stack) => {
        const config = require(`../policies/config/${stack}.json`) as PackConfig;
        expect(await runPolicies(policies, subjects(), withApproval(config))).toEqual([]);
    });

    it.each(STACKS)("needs nothing on stack %s but the image's approval: without it, only trusted-images flags the Deployment", async (stack) => {
        const config = require(`../policies/config/${stack}.json`) as PackConfig;
        const bare = { ...config, "trusted-images": { ...config["trusted-images"], exemptions: [] } };
        const violations = await runPolicies(policies, subjects(), bare);
        // Pre-production also wants a digest; the approval covers the image whole, as it does the registry's.
        const expected = [/registry\.k8s\.io, which is not a trusted registry/, ...(config["trusted-images"].requireDigest ? [/has no digest/] : [])];
        expect(violations.map((v) => [v.policy, v.urn])).toEqual(expected.map(() => ["trusted-images", ofKind(rs, "Deployment")[0].urn]));
        expected.forEach((m, i) => expect(violations[i].message).toMatch(m));
    });
});
