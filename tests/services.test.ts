import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as TOML from "smol-toml";
import { decodeBundle } from "../components/hosts/bundle";
import { PLACEHOLDER_CERTIFICATE } from "../tools/offline";
import { policies } from "../policies/policies";
import { runPolicies } from "../policies/lib/runner";
import { PROJECT, validateConfig } from "../config";
import { HEADLAMP_NAMESPACE, HEADLAMP_VERSION } from "../components/platform/Headlamp";
import { RecordedResource } from "../tools/evaluate";
import { clusterOf, DeclaredPod, declaredPods, ofType, rawConfig, REPO, runStack, STACKS, StackName } from "./harness";

const meta = (r: RecordedResource) => r.inputs.metadata as Record<string, any>;
const find = (rs: RecordedResource[], ns: string | undefined, name: string) => rs.find((r) => meta(r).namespace === ns && meta(r).name === name)!;

describe.each(STACKS)("services on stack %s", (stack: StackName) => {
    const platform = validateConfig(rawConfig(stack).config).config!.platform!;

    it("bounds every notebook container to 0.5-4 cores and 512Mi-8Gi, with a quota sized from the users", async () => {
        const e = await runStack(stack);
        const limitRange = find(ofType(e, "kubernetes:core/v1:LimitRange"), "jupyter-lsst", "notebook-bounds");
        expect((limitRange.inputs.spec as any).limits).toEqual([{
            type: "Container",
            min: { cpu: "500m", memory: "512Mi" },
            max: { cpu: "4", memory: "8Gi" },
            defaultRequest: { cpu: "500m", memory: "1Gi" },
            default: { cpu: "1", memory: "2Gi" },
        }]);
        const users = platform.jupyter!.concurrentUsers;
        const quota = find(ofType(e, "kubernetes:core/v1:ResourceQuota"), "jupyter-lsst", "notebook-quota");
        expect((quota.inputs.spec as any).hard).toEqual({
            "requests.cpu": `${4 * users}`, "limits.cpu": `${4 * users}`,
            "requests.memory": `${8 * users}Gi`, "limits.memory": `${8 * users}Gi`,
            "requests.storage": `${100 * (users + 1)}Gi`,
            persistentvolumeclaims: `${users + 10}`, pods: `${users + 5}`,
        });
        const profiles = find(ofType(e, "kubernetes:core/v1:ConfigMap"), "jupyter-lsst", "spawner-profiles");
        const data = profiles.inputs.data as Record<string, string>;
        expect(data.homeSize).toBe("100Gi");
        expect((yaml.load(data["profiles.yaml"]) as any[]).map((p) => [p.slug, p.kubespawner_override.cpu_limit, p.kubespawner_override.mem_limit]))
            .toEqual([["small", 1, "2G"], ["medium", 2, "4G"], ["large", 4, "8G"]]);
    });

    it("mounts the filesets with technote 001's access: read-only ones read-only at every level, scratch for developers only", async () => {
        const e = await runStack(stack);
        // The filesets' own; the NFS provisioner's export and the registry's volume are not filesets.
        const isFileset = (r: any) => /fileset-/.test(meta(r).name);
        const claims = ofType(e, "kubernetes:core/v1:PersistentVolumeClaim").filter(isFileset);
        const volumes = ofType(e, "kubernetes:core/v1:PersistentVolume").filter(isFileset);
        const namesIn = (ns: string) => claims.filter((c) => meta(c).namespace === ns).map((c) => meta(c).name).sort();
        expect(namesIn("jupyter-lsst")).toEqual(["fileset-datasets", "fileset-jhome", "fileset-project", "fileset-project-shared"]);
        for (const d of platform.developerGroups) {
            expect(namesIn(d.namespace)).toEqual(["fileset-datasets", "fileset-jhome", "fileset-project", "fileset-project-shared", "fileset-scratch", "fileset-software"]);
        }
        for (const pool of platform.htcondor!.pools) {
            expect(namesIn(`htcondor-${pool.name}`)).toEqual(["fileset-datasets", "fileset-project", "fileset-scratch", "fileset-software"]);
        }
        for (const v of volumes) {
            const spec = v.inputs.spec as any;
            const readOnly = /-(fileset-(project-shared|datasets|software))$/.test(meta(v).name);
            expect(spec.accessModes).toEqual([readOnly ? "ReadOnlyMany" : "ReadWriteMany"]);
            expect(spec.nfs).toMatchObject({ server: platform.filesets!.server, readOnly });
            expect(spec.persistentVolumeReclaimPolicy).toBe("Retain");
            const claim = find(claims, spec.claimRef.namespace, spec.claimRef.name);
            expect((claim.inputs.spec as any)).toMatchObject({ volumeName: meta(v).name, accessModes: spec.accessModes });
        }
        const datasets = volumes.find((v) => meta(v).name === "jupyter-lsst-fileset-datasets")!;
        expect((datasets.inputs.spec as any).nfs.path).toBe(platform.filesets!.exports.datasets);
    });

    it("runs each HTCondor pool as a Deployment in its own namespace, advertising its processing type, the batch filesets mounted", async () => {
        const e = await runStack(stack);
        const deployments = ofType(e, "kubernetes:apps/v1:Deployment");
        for (const pool of platform.htcondor!.pools) {
            const ns = `htcondor-${pool.name}`;
            const d = find(deployments, ns, `startd-${pool.name}`).inputs as any;
            expect(d.spec.replicas).toBe(pool.replicas);
            const pod = d.spec.template.spec;
            expect(pod.containers[0].image).toBe(platform.htcondor!.image);
            expect(pod.containers[0].env).toEqual([{ name: "CONDOR_HOST", value: platform.htcondor!.centralManager }]);
            expect(pod.containers[0].volumeMounts).toContainEqual({ name: "fileset-software", mountPath: "/software", readOnly: true });
            expect(pod.containers[0].volumeMounts).toContainEqual({ name: "fileset-scratch", mountPath: "/scratch", readOnly: false });
            expect(pod.volumes).toContainEqual({ name: "fileset-software", persistentVolumeClaim: { claimName: "fileset-software", readOnly: true } });
            expect(pod.containers[0].volumeMounts).toContainEqual({ name: "condor-token", mountPath: "/etc/condor/tokens.d", readOnly: true });
            const conf = (find(ofType(e, "kubernetes:core/v1:ConfigMap"), ns, "condor-config").inputs.data as any)["50-lsst-k8s.conf"];
            expect(conf).toContain(`CONDOR_HOST = ${platform.htcondor!.centralManager}\n`);
            expect(conf).toContain(`LSSTProcessingType = "${pool.processingType}"\n`);
            expect(conf).toContain(`LSSTAccountingGroups = {"group_${pool.processingType}"}\n`);
            expect(conf).toContain("START = member(TARGET.AcctGroup, MY.LSSTAccountingGroups) =?= true\n");
            expect(conf).toContain("SEC_DEFAULT_AUTHENTICATION_METHODS = IDTOKENS\n");
            const token = find(ofType(e, "kubernetes:core/v1:Secret"), ns, "condor-token");
            expect(token.secretInputs).toEqual(["stringData"]);
            expect(d.spec.template.metadata.annotations["lsst-k8s.io/config-hash"]).toMatch(/^[0-9a-f]{64}$/);
        }
    });
});

describe.each(STACKS)("etcd backups on stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;
    const backup = cluster.platform!.etcdBackup!;

    it("runs the backup script on every control plane, pinned to it, against its own etcd, without the host network", async () => {
        const e = await runStack(stack);
        const script = find(ofType(e, "kubernetes:core/v1:ConfigMap"), "kube-system", "etcd-backup");
        expect((script.inputs.data as any)["etcd-backup.sh"]).toBe(fs.readFileSync(path.join(REPO, "components/platform/scripts/etcd-backup.sh"), "utf8"));
        const cronJobs = ofType(e, "kubernetes:batch/v1:CronJob");
        const controlPlanes = cluster.nodes.filter((n) => n.role === "control-plane");
        expect(cronJobs.map((c) => meta(c).name).sort()).toEqual(controlPlanes.map((n) => `etcd-backup-${n.name}`).sort());
        for (const node of controlPlanes) {
            const job = find(cronJobs, "kube-system", `etcd-backup-${node.name}`).inputs as any;
            expect(job.spec.schedule).toBe(backup.schedule);
            expect(job.spec.concurrencyPolicy).toBe("Forbid");
            const pod = job.spec.jobTemplate.spec.template.spec;
            expect(pod.nodeSelector).toEqual({ "kubernetes.io/hostname": node.name });
            expect(pod.hostNetwork).toBeUndefined();
            expect(pod.containers[0].image).toBe(backup.image);
            expect(pod.containers[0].env).toEqual([
                { name: "ETCD_ENDPOINTS", value: `https://${node.address}:2379` },
                { name: "BACKUP_DIR", value: "/backup" },
                { name: "KEEP", value: String(backup.keep) },
                { name: "NODE_NAME", value: node.name },
                { name: "CONFIG_DIR", value: "/etc/kubernetes/lsst-k8s" },
            ]);
            expect(pod.volumes).toContainEqual({ name: "backup", hostPath: { path: backup.hostPath, type: "DirectoryOrCreate" } });
            expect(pod.volumes).toContainEqual({ name: "pki", hostPath: { path: "/etc/kubernetes/pki", type: "Directory" } });
            expect(pod.containers[0].volumeMounts).toContainEqual({ name: "pki", mountPath: "/etc/kubernetes/pki", readOnly: true });
            expect(pod.volumes).toContainEqual({ name: "lsst-k8s-config", hostPath: { path: "/etc/kubernetes/lsst-k8s", type: "DirectoryOrCreate" } });
            expect(pod.containers[0].volumeMounts).toContainEqual({ name: "lsst-k8s-config", mountPath: "/etc/kubernetes/lsst-k8s", readOnly: true });
        }
    });
});

describe.each(STACKS)("the local registry on stack %s", (stack: StackName) => {
    const cluster = validateConfig(rawConfig(stack).config).config!;
    const registry = cluster.platform!.registry!;

    it("runs the official image twice on its volume (reader, writer), TLS and htpasswd from a secret each, behind a fixed Service address", async () => {
        const e = await runStack(stack);
        const d = find(ofType(e, "kubernetes:apps/v1:Deployment"), "registry", "registry").inputs as any;
        const pod = d.spec.template.spec;
        expect(d.spec.strategy).toEqual({ type: "Recreate" });
        expect(pod.containers.map((c: any) => c.name)).toEqual(["registry", "push"]);
        for (const c of pod.containers) {
            expect(c.image).toBe(registry.image);
            expect(c.args).toEqual(["/etc/registry/config.yml"]);
        }
        expect(pod.volumes).toEqual([
            { name: "files", secret: { secretName: "registry", defaultMode: 0o440 } },
            { name: "push-files", secret: { secretName: "registry-push", defaultMode: 0o440 } },
            { name: "storage", persistentVolumeClaim: { claimName: "registry-storage" } },
        ]);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
        const pvc = find(ofType(e, "kubernetes:core/v1:PersistentVolumeClaim"), "registry", "registry-storage").inputs as any;
        expect(pvc.spec.resources.requests.storage).toBe(registry.storageSize);
        expect(pvc.spec.storageClassName).toBe(registry.storageClass ?? cluster.platform!.storage?.nfs?.className);
        const service = find(ofType(e, "kubernetes:core/v1:Service"), "registry", "registry").inputs as any;
        expect(service.spec).toEqual({ type: "ClusterIP", clusterIP: registry.clusterIP, selector: { app: "registry" }, ports: [
            { name: "https", port: 443, targetPort: 5000 },
            { name: "push", port: 5001, targetPort: 5001 },
        ] });
        for (const name of ["registry", "registry-push"]) {
            const secret = find(ofType(e, "kubernetes:core/v1:Secret"), "registry", name);
            expect(secret.secretInputs).toContain("stringData");
            expect(Object.keys(secret.inputs.stringData as object).sort()).toEqual(["config.yml", "htpasswd", "tls.crt", "tls.key"]);
        }
        const cert = ofType(e, "tls:index/selfSignedCert:SelfSignedCert")[0].inputs as any;
        expect(cert.dnsNames).toContain(registry.host);
        expect(cert.ipAddresses).toEqual([registry.clusterIP]);
        expect(e.outputs.registryPassword.secret).toBe(true);
        expect(e.outputs.registryPushPassword.secret).toBe(true);
    });

    it("keeps each htpasswd line the same from one deploy to the next", async () => {
        const htpasswd = (e: Awaited<ReturnType<typeof runStack>>) => {
            const secrets = ofType(e, "kubernetes:core/v1:Secret");
            return ["registry", "registry-push"].map((name) => (find(secrets, "registry", name).inputs.stringData as any).htpasswd);
        };
        // The shared evaluation may come from another suite's process: a fresh one here must agree with it.
        expect(htpasswd(await runStack(stack, { cluster: clusterOf(stack) }))).toEqual(htpasswd(await runStack(stack)));
    });

    it("tells every node's containerd where it is and to trust its certificate, after the node's preparation", async () => {
        const e = await runStack(stack);
        const commands = ofType(e, "command:remote:Command");
        for (const node of cluster.nodes) {
            const trust = commands.find((c) => c.name === `${cluster.name}-${node.name}-registry-trust-run`)!;
            expect((trust.inputs.connection as any).host).toBe(node.address);
            expect(trust.dependencies).toContain(commands.find((c) => c.name === `${cluster.name}-${node.name}-prepare`)!.urn);
            const bundle = decodeBundle(String(trust.inputs.stdin));
            expect(bundle.entry).toBe("trust-registry.sh");
            expect(bundle.files["ca.crt"].content).toBe(PLACEHOLDER_CERTIFICATE);
            expect(TOML.parse(bundle.files["hosts.toml"].content)).toEqual({
                server: `https://${registry.host}`,
                host: { [`https://${registry.clusterIP}`]: { capabilities: ["pull", "resolve"], ca: `/etc/containerd/certs.d/${registry.host}/ca.crt` } },
            });
        }
    });

    it("gives every namespace that pulls from it a pull secret on its default ServiceAccount", async () => {
        const e = await runStack(stack);
        const patches = ofType(e, "kubernetes:core/v1:ServiceAccountPatch");
        const pullers = ofType(e, "kubernetes:core/v1:Namespace").map((n) => meta(n).name).filter((n: string) => n !== "registry" && n !== "nfs-provisioner");
        if (cluster.platform!.etcdBackup?.image.startsWith(`${registry.host}/`)) {
            pullers.push("kube-system");
        }
        expect(patches.map((p) => meta(p).namespace).sort()).toEqual(pullers.sort());
        for (const p of patches) {
            expect(meta(p).name).toBe("default");
            expect((p.inputs as any).imagePullSecrets).toEqual([{ name: "registry-pull" }]);
            const pull = find(ofType(e, "kubernetes:core/v1:Secret"), meta(p).namespace, "registry-pull");
            expect(pull.inputs.type).toBe("kubernetes.io/dockerconfigjson");
            expect(pull.secretInputs).toContain("stringData");
            expect(Object.keys(JSON.parse((pull.inputs.stringData as any)[".dockerconfigjson"]).auths)).toEqual([registry.host]);
        }
    });
    it("lets every pod that pulls from the local registry pull: its ServiceAccount carries the secret before the pod exists", async () => {
        const e = await runStack(stack);
        const byUrn = new Map(e.resources.map((r) => [r.urn, r]));
        const ancestors = (r: RecordedResource): string[] => (r.parent && byUrn.has(r.parent) ? [r.parent, ...ancestors(byUrn.get(r.parent)!)] : []);
        const waitsFor = (r: RecordedResource, target: RecordedResource) =>
            [r, ...ancestors(r).map((u) => byUrn.get(u)!)].some((x) => x.dependencies.some((d) => d === target.urn || ancestors(target).includes(d)));
        const pulling = declaredPods(e).filter((p) => p.images.some((i) => i.startsWith(`${registry.host}/`)));
        expect(pulling.length).toBeGreaterThan(0);
        for (const { resource: w, spec: pod } of pulling) {
            const ns = meta(w).namespace;
            const account = pod.serviceAccountName ?? "default";
            const holders = [...ofType(e, "kubernetes:core/v1:ServiceAccount"), ...ofType(e, "kubernetes:core/v1:ServiceAccountPatch")]
                .filter((a) => meta(a).namespace === ns && meta(a).name === account && ((a.inputs as any).imagePullSecrets ?? []).some((p: any) => p.name === "registry-pull"));
            const inPod = (pod.imagePullSecrets ?? []).some((p: any) => p.name === "registry-pull");
            expect({ workload: `${ns}/${meta(w).name}`, account, pullSecret: inPod || holders.length > 0 }).toEqual({ workload: `${ns}/${meta(w).name}`, account, pullSecret: true });
            const secret = find(ofType(e, "kubernetes:core/v1:Secret"), ns, "registry-pull");
            expect(secret).toBeDefined();
            for (const needed of [secret, ...holders]) {
                expect({ workload: `${ns}/${meta(w).name}`, waitsFor: needed.name, ok: waitsFor(w, needed) }).toEqual({ workload: `${ns}/${meta(w).name}`, waitsFor: needed.name, ok: true });
            }
        }
    });
});

describe("the read-only web UI (Headlamp), kube-bench and the multicast check (on test, which runs all three)", () => {
    const cluster = validateConfig(rawConfig("test").config).config!;
    const host = cluster.platform!.registry!.host;

    it("serves Headlamp only inside the cluster, with sign-in by the user's own token, and grants nothing", async () => {
        const e = await runStack("test");
        const inHeadlamp = (r: RecordedResource) => r.type.startsWith("kubernetes:") && meta(r)?.namespace === HEADLAMP_NAMESPACE;
        expect(ofType(e, "kubernetes:core/v1:Service").filter(inHeadlamp).map((s) => (s.inputs as any).spec.type)).toEqual(["ClusterIP"]);
        expect(e.resources.filter((r) => /:(Ingress|Gateway|HTTPRoute)$/.test(r.type))).toEqual([]);
        const pod = (find(ofType(e, "kubernetes:apps/v1:Deployment"), HEADLAMP_NAMESPACE, "headlamp").inputs as any).spec.template.spec;
        expect(pod.containers[0].image).toBe(`${host}/headlamp-k8s/headlamp:${HEADLAMP_VERSION}`);
        expect(pod.containers[0].args).toEqual(["-in-cluster"]);
        expect(pod.automountServiceAccountToken).toBe(false);
        // Technote 003's admin-user bound to cluster-admin is exactly what must not come back.
        const bindings = ofType(e, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").map((b) => b.inputs as any);
        expect(bindings.filter((b) => b.roleRef.name === "cluster-admin").map((b) => b.subjects)).toEqual([[{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: cluster.platform!.groups.admins }]]);
        // Nothing is bound in its namespace, and no binding anywhere reaches its accounts: not by name, not by group.
        const reaches = (s: any) => (s.kind === "ServiceAccount" && s.namespace === HEADLAMP_NAMESPACE)
            || (s.kind === "User" && String(s.name).startsWith(`system:serviceaccount:${HEADLAMP_NAMESPACE}:`))
            || (s.kind === "Group" && ["system:serviceaccounts", `system:serviceaccounts:${HEADLAMP_NAMESPACE}`, "system:authenticated", "system:unauthenticated"].includes(s.name));
        const all = [...ofType(e, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"), ...ofType(e, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")];
        expect(all.filter((b) => inHeadlamp(b) || ((b.inputs as any).subjects ?? []).some(reaches)).map((b) => b.name)).toEqual([]);
        expect(e.resources.filter((r) => inHeadlamp(r) && /:(Role|Secret)$/.test(r.type)).map((r) => meta(r).name)).toEqual(["registry-pull"]);
    });

    it("runs kube-bench once on a control plane, reading the host's configuration read-only", async () => {
        const e = await runStack("test");
        const [job] = ofType(e, "kubernetes:batch/v1:Job");
        const pod = (job.inputs as any).spec.template.spec;
        expect(meta(job).namespace).toBe("kube-bench");
        expect(pod.hostPID).toBe(true);
        expect(pod.nodeSelector).toEqual({ "node-role.kubernetes.io/control-plane": "" });
        expect(pod.containers[0].image).toBe(`${host}/aquasec/kube-bench:v0.10.6`);
        expect(pod.containers[0].volumeMounts.every((m: { readOnly: boolean }) => m.readOnly)).toBe(true);
    });

    it("puts the multicast sender and receiver on different nodes, running the checked-in script", async () => {
        const e = await runStack("test");
        const script = find(ofType(e, "kubernetes:core/v1:ConfigMap"), "multicast-check", "multicast-check");
        expect((script.inputs.data as any)["multicast-check.py"]).toBe(fs.readFileSync(path.join(REPO, "components/platform/scripts/multicast-check.py"), "utf8"));
        for (const role of ["sender", "receiver"]) {
            const pod = (find(ofType(e, "kubernetes:apps/v1:Deployment"), "multicast-check", `multicast-${role}`).inputs as any).spec.template.spec;
            expect(pod.containers[0].image).toBe(`${host}/library/python:3.13-alpine`);
            expect(pod.containers[0].command).toEqual(["python3", "/scripts/multicast-check.py", role === "sender" ? "send" : "receive"]);
            expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{
                labelSelector: { matchLabels: { app: "multicast-check", role: role === "sender" ? "receiver" : "sender" } },
                topologyKey: "kubernetes.io/hostname",
            }]);
        }
    });

    it("would be blocked in pre-production, which pulls by digest only, if Headlamp were switched on there", async () => {
        const platform = JSON.parse(rawConfig("prod").config[`${PROJECT}:platform`]);
        platform.dashboard = true;
        const e = await runStack("prod", { cluster: clusterOf("prod"), platformOverride: JSON.stringify(platform) });
        const subjects = e.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
        const violations = await runPolicies(policies, subjects, require("../policies/config/prod.json"));
        expect(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.message).sort()).toEqual([
            `containers[0] (headlamp): image "registry.lsst-prod.example.org/headlamp-k8s/headlamp:${HEADLAMP_VERSION}" has no digest; pin it with @sha256:<digest>`,
        ]);
    });
});

describe("moving batch capacity between pools (use cases BCS 1-4)", () => {
    const platformOf = (stack: StackName) => JSON.parse(rawConfig(stack).config[`${PROJECT}:platform`]);
    const runWith = async (platform: Record<string, any>) => {
        return runStack("dev", { cluster: clusterOf("dev"), platformOverride: JSON.stringify(platform) });
    };
    const pools = (e: Awaited<ReturnType<typeof runStack>>) => Object.fromEntries(ofType(e, "kubernetes:apps/v1:Deployment")
        .filter((d) => meta(d).namespace?.startsWith("htcondor-"))
        .map((d) => [meta(d).name, (d.inputs as any).spec.replicas]));
    const classAds = (e: Awaited<ReturnType<typeof runStack>>) => Object.fromEntries(ofType(e, "kubernetes:core/v1:ConfigMap")
        .filter((c) => meta(c).name === "condor-config")
        .map((c) => [meta(c).namespace, /LSSTProcessingType = "(.*)"/.exec((c.inputs.data as any)["50-lsst-k8s.conf"])![1]]));

    it("shifts workers by changing replicas, touching only the pools that change", async () => {
        const platform = platformOf("dev");
        // Before the change: the committed stack as it is, the suite's shared evaluation.
        const before = pools(await runStack("dev"));
        platform.htcondor.pools[0].replicas += 2; // prompt gains two
        platform.htcondor.pools[1].replicas -= 2; // nightly gives them
        const after = pools(await runWith(platform));
        expect(after).toEqual({ ...before, "startd-prompt": before["startd-prompt"] + 2, "startd-nightly": before["startd-nightly"] - 2 });
    });

    it("rededicates a pool by changing its ClassAd, which rolls that pool's running startds", async () => {
        const hashes = (e: Awaited<ReturnType<typeof runStack>>) => Object.fromEntries(ofType(e, "kubernetes:apps/v1:Deployment")
            .filter((d) => meta(d).namespace?.startsWith("htcondor-"))
            .map((d) => [meta(d).namespace, (d.inputs as any).spec.template.metadata.annotations["lsst-k8s.io/config-hash"]]));
        const platform = platformOf("dev");
        const before = hashes(await runStack("dev"));
        platform.htcondor.pools[2].processingType = "prompt"; // yearly's workers now take prompt processing
        const e = await runWith(platform);
        const ads = classAds(e);
        expect(ads["htcondor-yearly"]).toBe("prompt");
        expect(ads["htcondor-nightly"]).toBe("nightly");
        const after = hashes(e);
        expect(after["htcondor-yearly"]).not.toBe(before["htcondor-yearly"]);
        expect(after["htcondor-nightly"]).toBe(before["htcondor-nightly"]);
    });
});

describe.each(STACKS)("a first deploy of stack %s, before its images are mirrored", (stack: StackName) => {
    const platform = JSON.parse(rawConfig(stack).config[`${PROJECT}:platform`]);
    const host = platform.registry.host as string;
    const local = (p: DeclaredPod) => p.images.some((i) => i.startsWith(`${host}/`));
    const named = (p: DeclaredPod) => `${meta(p.resource).namespace}/${meta(p.resource).name}`;

    it("declares the registry, its storage and what pulls from elsewhere, and nothing that pulls through the registry", async () => {
        const e = await runStack(stack, { cluster: clusterOf(stack), platformOverride: JSON.stringify({ ...platform, registry: { ...platform.registry, mirrored: false } }) });
        const names = declaredPods(e).map(named);
        expect(declaredPods(e).filter(local).map(named)).toEqual([]);
        expect(names).toEqual(expect.arrayContaining(["registry/registry", "nfs-provisioner/nfs-provisioner", "kube-system/weave-net"]));
        // What the stack adds once mirrored all pulls through the registry; the rest was there already.
        const later = declaredPods(await runStack(stack)).filter((p) => !names.includes(named(p)));
        expect(later.length).toBeGreaterThan(0);
        expect(later.filter((p) => !local(p)).map(named)).toEqual([]);
    });
});
