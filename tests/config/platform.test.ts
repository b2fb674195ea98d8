import { PROJECT, validateConfig } from "../../config";
import { rawConfig } from "../harness";

/** The test stack's raw config with its platform section replaced (undefined: removed). */
function withPlatform(platform: unknown): Record<string, string> {
    const { config } = rawConfig("test");
    const raw = { ...config };
    if (platform === undefined) {
        delete raw[`${PROJECT}:platform`];
    } else {
        raw[`${PROJECT}:platform`] = JSON.stringify(platform);
    }
    return raw;
}

/** Groups carry the test stack's cluster.oidc.groupsPrefix, as every group RBAC binds must. */
const baseline = () => ({
    groups: { admins: "lsst-test:admins", serviceAdmins: "lsst-test:services", security: "lsst-test:security", scienceUsers: "lsst-test:science" },
    developerAccess: "edit",
    developerGroups: [{ namespace: "qserv", group: "lsst-test:qserv" }],
    // The dashboard is on by default and needs the registry, which this baseline has none of.
    dashboard: false,
});

const problems = (mutate: (p: Record<string, any>) => void) => {
    const p = baseline() as Record<string, any>;
    mutate(p);
    return validateConfig(withPlatform(p)).problems;
};

describe("the platform config", () => {
    it("reads every stack's platform, with defaults for the switches", () => {
        for (const stack of ["dev", "prod", "test"] as const) {
            const { config, problems: found } = validateConfig(rawConfig(stack).config);
            expect(found).toEqual([]);
            expect(config!.platform!.groups.admins).toBe(`lsst-${stack}:k8s-cluster-admins`);
            // Pre-production does without the dashboard: its images are pinned by tag, prod pulls by digest.
            expect(config!.platform!.dashboard).toBe(stack !== "prod");
        }
        expect(validateConfig(rawConfig("prod").config).config!.platform!.developerAccess).toBe("view");
        const { config } = validateConfig(withPlatform(baseline()));
        expect(config!.platform).toEqual({ ...baseline(), multicastCheck: false, kubeBench: false, requireDigests: false });
    });

    it("is optional: a cluster without it is valid and has no platform", () => {
        const { config, problems: found } = validateConfig(withPlatform(undefined));
        expect(found).toEqual([]);
        expect(config!.platform).toBeUndefined();
    });

    it("requires every group, and refuses system: groups and spaces", () => {
        expect(problems((p) => delete p.groups.security)).toEqual(["platform.groups.security: required"]);
        expect(problems((p) => (p.groups.admins = "system:masters"))).toEqual(['platform.groups.admins: "system:masters" is not a group name']);
        expect(problems((p) => (p.groups.scienceUsers = "science users"))).toEqual(['platform.groups.scienceUsers: "science users" is not a group name']);
        expect(problems((p) => (p.groups.extra = "x"))).toEqual(['platform.groups.extra: unknown key (known keys: admins, serviceAdmins, security, scienceUsers)']);
    });

    it("allows developer access edit or view only", () => {
        expect(problems((p) => (p.developerAccess = "admin"))).toEqual(['platform.developerAccess: "admin" must be "edit" or "view"']);
    });

    it("gives each development group its own namespace, never a system or platform one", () => {
        expect(problems((p) => p.developerGroups.push({ namespace: "qserv", group: "lsst-test:other" })))
            .toEqual(['platform.developerGroups[1].namespace: "qserv" is already used by platform.developerGroups[0]']);
        for (const ns of ["registry", "jupyter-lsst", "kube-system", "default"]) {
            expect(problems((p) => (p.developerGroups[0].namespace = ns)))
                .toEqual([`platform.developerGroups[0].namespace: "${ns}" is a system or platform namespace`]);
        }
        expect(problems((p) => (p.developerGroups[0].namespace = "Qserv")))
            .toEqual(['platform.developerGroups[0].namespace: "Qserv" is not a DNS-1123 label']);
        expect(problems((p) => (p.developerGroups = "qserv"))).toEqual(["platform.developerGroups: is not a list"]);
    });

    it("takes booleans for the switches, and reports every problem at once", () => {
        expect(problems((p) => {
            p.kubeBench = "yes";
            p.dashboard = 1;
            p.developerAccess = "all";
        })).toEqual([
            'platform.developerAccess: "all" must be "edit" or "view"',
            'platform.dashboard: 1 is not true or false',
            'platform.kubeBench: "yes" is not true or false',
        ]);
    });

    it("keeps each stack's policy config on the same admin group as its platform", () => {
        for (const stack of ["dev", "prod", "test"] as const) {
            const admins = validateConfig(rawConfig(stack).config).config!.platform!.groups.admins;
            const policy = require(`../../policies/config/${stack}.json`);
            expect(policy["restricted-roles"].adminGroup).toBe(admins);
            expect(policy["cluster-admin-binding"].adminGroup).toBe(admins);
        }
    });

    it("keeps each stack's Pod Security profile on the stack's own Kubernetes minor", () => {
        for (const stack of ["dev", "prod", "test"] as const) {
            const { minor } = validateConfig(rawConfig(stack).config).config!.kubernetesVersion;
            const policy = require(`../../policies/config/${stack}.json`);
            expect(policy["pod-security-restricted"].kubernetesMinor).toBe(minor);
        }
    });

    it("checks the services' settings: quotas, profiles, filesets, pools and backups", () => {
        expect(problems((p) => (p.jupyter = {}))).toEqual(["platform.jupyter.concurrentUsers: required"]);
        expect(problems((p) => (p.jupyter = { concurrentUsers: 5, profiles: [{ name: "huge", cpu: "8", memory: "4Gi" }] })))
            .toEqual(["platform.jupyter.profiles[0].cpu: 8 is outside 0.5 to 4 cores"]);
        expect(problems((p) => (p.jupyter = { concurrentUsers: 5, profiles: [{ name: "fat", cpu: "2", memory: "16Gi" }] })))
            .toEqual(["platform.jupyter.profiles[0].memory: 16Gi is outside 512Mi to 8Gi"]);
        expect(problems((p) => {
            p.filesets = { server: "nfs.example.org", exports: { project: "relative" } };
            // Filesets need every namespace that mounts them to have its id ranges (tests/config/id-ranges.test.ts).
            p.developerGroups[0].ids = { uids: "20000-20999", gids: "20000-20999" };
            p.jupyter = { concurrentUsers: 5, ids: { uids: "30000-39999", gids: "30000-39999" } };
        })).toEqual([
            'platform.filesets.exports.project: "relative" is not an absolute path',
            "platform.filesets.exports.projectShared: required",
            "platform.filesets.exports.datasets: required",
            "platform.filesets.exports.scratch: required",
            "platform.filesets.exports.jhome: required",
            "platform.filesets.exports.software: required",
        ]);
        expect(problems((p) => (p.htcondor = { centralManager: "cm.example.org", image: "registry.example.org/condor/execute", pools: [{ name: "prompt" }] }))).toEqual([
            'platform.htcondor.image: "registry.example.org/condor/execute" is not pinned (name a tag or a digest)',
            "platform.htcondor.pools[0].replicas: required",
        ]);
        expect(problems((p) => (p.htcondor = { centralManager: "cm.example.org", image: "r.example.org/c:1", pools: [{ name: "a", replicas: 1 }, { name: "a", replicas: 2 }] })))
            .toEqual(['platform.htcondor.pools[1].name: "a" is already a pool']);
        expect(problems((p) => (p.etcdBackup = { image: "r.example.org/etcd-backup:1", schedule: "hourly", hostPath: "/", keep: 0 }))).toEqual([
            'platform.etcdBackup.schedule: "hourly" is not a five-field cron schedule',
            'platform.etcdBackup.hostPath: "/" is not an absolute directory',
            "platform.etcdBackup.keep: 0 is not a whole number from 1 to 1000",
        ]);
        expect(problems((p) => (p.developerGroups[0].namespace = "htcondor-prompt")))
            .toEqual(['platform.developerGroups[0].namespace: "htcondor-prompt" is a system or platform namespace']);
    });

    it("puts the registry's Service address inside the service network, off its reserved addresses", () => {
        const reg = (clusterIP: string, host = "registry.example.org") => problems((p) => (p.registry = { host, clusterIP, storageClass: "fast" }));
        expect(reg("10.96.0.50")).toEqual([]);
        expect(reg("192.168.1.5")).toEqual(["platform.registry.clusterIP: 192.168.1.5 is outside the service network 10.96.0.0/12"]);
        expect(reg("10.96.0.1")).toEqual(["platform.registry.clusterIP: 10.96.0.1 is reserved in 10.96.0.0/12 (network, API server, DNS or broadcast)"]);
        expect(reg("10.96.0.10")).toEqual(["platform.registry.clusterIP: 10.96.0.10 is reserved in 10.96.0.0/12 (network, API server, DNS or broadcast)"]);
        expect(reg("10.96.0.50", "10.0.0.5")).toEqual(['platform.registry.host: "10.0.0.5" is not a DNS name']);
    });

    it("pulls the dashboard's, kube-bench's and the multicast check's images from the local registry, so they need it", () => {
        expect(problems((p) => {
            p.dashboard = true;
            p.kubeBench = true;
            p.multicastCheck = true;
        })).toEqual([
            "platform.dashboard: needs platform.registry: its images are pulled from the local registry",
            "platform.multicastCheck: needs platform.registry: its images are pulled from the local registry",
            "platform.kubeBench: needs platform.registry: its images are pulled from the local registry",
        ]);
        expect(problems((p) => {
            p.dashboard = true;
            p.registry = { host: "registry.example.org", clusterIP: "10.96.0.50", storageClass: "fast" };
        })).toEqual([]);
    });

    it("gives the registry's volume a storage class: one named, or the NFS provisioner's", () => {
        const registry = { host: "registry.example.org", clusterIP: "10.96.0.50" };
        expect(problems((p) => (p.registry = registry))).toEqual([
            "platform.registry.storageClass: required unless platform.storage.nfs is set: the registry's volume needs a storage class, " +
                "named here or the NFS provisioner's",
        ]);
        expect(problems((p) => {
            p.registry = registry;
            p.storage = { nfs: { server: "nfs.example.org", path: "/exports/k8s" } };
        })).toEqual([]);
        expect(problems((p) => (p.registry = { ...registry, storageClass: "fast" }))).toEqual([]);
    });
});
