/**
 * What the control-plane-config.sh suites stand on: the kubeadm stand-in's `init phase control-plane
 * apiserver` writes the manifest the fixtures expect from the bundle's kubeadm.yaml, and its `upload-config
 * kubeadm` uploads the ClusterConfiguration; the curl stand-in answers /readyz as the API server the
 * manifest runs would; both refuse what the real ones would not take; and the PATH holds exactly the
 * tools the script uses.
 */
import * as fs from "fs";
import * as path from "path";
import { clusterConfiguration, controlPlaneConfiguration, renderDocuments } from "../../components/hosts/kubeadm";
import { ClusterConfig, NodeConfig } from "../../config";
import { RunResult, Sandbox } from "../sandbox";
import { CONTROL_PLANE_CONFIG_TOOLS } from "../sandbox/commands";
import { otherClusterCa } from "../sandbox/kubeconfigs";
import { unusedTools } from "../sandbox/joins";
import {
    ADMIN_CONF, apiServerManifest, CA_CERT, CONTROL_PLANE, controlPlaneHost, DEV, DEV_FIRST, MANIFEST, manifestBefore, manifestCurrent,
    NO_OIDC, SCRIPT, STANDINS, TEST, TEST_FIRST,
} from "./fixtures";

/** Runs a command line in the sandbox's PATH; stdout ends with "rc=STATUS". */
function sh(sb: Sandbox, line: string): RunResult {
    fs.writeFileSync(path.join(sb.workDir, "call.sh"), `${line}\necho "rc=$?"\n`);
    return sb.run("call.sh");
}

function regenerate(sb: Sandbox, config = `${sb.workDir}/kubeadm.yaml`): RunResult {
    return sh(sb, `kubeadm init phase control-plane apiserver --config ${config}`);
}

function readyz(sb: Sandbox, node: NodeConfig, options = "-fsS --max-time 5"): RunResult {
    return sh(sb, `curl ${options} --cacert ${sb.rootPath(CA_CERT)} https://${node.address}:6443/readyz`);
}

describe("the kubeadm stand-in's init phase control-plane apiserver", () => {
    test.each([
        ["test's first control plane", TEST, TEST_FIRST],
        ["dev's first control plane", DEV, DEV_FIRST],
        ["another of dev's control planes", DEV, CONTROL_PLANE],
        ["a control plane of dev without OIDC", NO_OIDC, CONTROL_PLANE],
    ] as [string, ClusterConfig, NodeConfig][])("on %s: the manifest of the bundle's kubeadm.yaml, its flags and kubeadm's own sorted", (_, cluster, node) => {
        const sb = controlPlaneHost(cluster, node, { manifest: null });
        const r = regenerate(sb);
        expect(r.stdout).toBe('[control-plane] Using manifest folder "/etc/kubernetes/manifests"\n' +
            '[control-plane] Creating static Pod manifest for "kube-apiserver"\nrc=0\n');
        expect(sb.readRoot(MANIFEST)).toBe(manifestCurrent(cluster, node));
        expect(sb.modeOf(MANIFEST)).toBe("0600");
        // Written out, not only what the fixtures derive from apiServerArgs.
        const command = sb.readRoot(MANIFEST).split("\n").filter((l) => l.startsWith("    - "));
        expect(command).toEqual(expect.arrayContaining([
            "    - kube-apiserver",
            `    - --advertise-address=${node.address}`,
            "    - --secure-port=6443",
            "    - --audit-policy-file=/etc/kubernetes/lsst-k8s/audit-policy.yaml",
            "    - --audit-log-path=/var/log/kubernetes/audit/audit.log",
            "    - --audit-log-maxsize=100",
            "    - --audit-log-maxbackup=10",
            "    - --audit-log-maxage=30",
            "    - --encryption-provider-config=/etc/kubernetes/lsst-k8s/encryption.yaml",
            "    - --encryption-provider-config-automatic-reload=true",
        ]));
        expect(command.includes("    - --authentication-config=/etc/kubernetes/lsst-k8s/authentication.yaml")).toBe(cluster !== NO_OIDC);
        // Sorted by name, as kubeadm sorts them.
        const names = command.slice(1).map((l) => /^    - --([a-z-]+)=/.exec(l)?.[1]);
        expect(names).toEqual([...names].sort());
        expect(sb.readRoot(MANIFEST)).toContain(`    image: registry.k8s.io/kube-apiserver:v${cluster.kubernetesVersion.text}\n`);
    });

    test("reads v1beta3's extraArgs map too, an extra flag overriding kubeadm's own; keeps an existing manifest's mode", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE);
        fs.chmodSync(sb.rootPath(MANIFEST), 0o644);
        const [init, cluster] = controlPlaneConfiguration(DEV, CONTROL_PLANE);
        const v1beta3 = renderDocuments([init, {
            ...cluster,
            apiServer: { extraArgs: { "audit-log-maxage": "7", "authorization-mode": "Node,RBAC,Webhook", "profiling": "false" } },
        }]);
        expect(v1beta3).toContain("\n  extraArgs:\n    audit-log-maxage: '7'\n");
        fs.writeFileSync(path.join(sb.workDir, "v1beta3.yaml"), v1beta3);
        expect(regenerate(sb, `${sb.workDir}/v1beta3.yaml`).stdout).toContain("rc=0\n");
        expect(sb.readRoot(MANIFEST)).toBe(apiServerManifest(DEV, CONTROL_PLANE,
            { "audit-log-maxage": "7", "authorization-mode": "Node,RBAC,Webhook", profiling: "false" }));
        expect(sb.modeOf(MANIFEST)).toBe("0644");
    });

    test("refuses (exit 2) what it does not know, fails (exit 1) on a missing file, changing nothing", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE);
        const cfg = `--config ${sb.workDir}/kubeadm.yaml`;
        fs.writeFileSync(path.join(sb.workDir, "cluster-only.yaml"), renderDocuments([clusterConfiguration(DEV)]));
        for (const args of [
            "control-plane",
            `control-plane all ${cfg}`,
            `control-plane controller-manager ${cfg}`,
            "control-plane apiserver",
            `control-plane apiserver ${cfg} --kubernetes-version v1.36.3`,
            `control-plane apiserver --config ${sb.workDir}/cluster-only.yaml`,
            "control-plane apiserver --config /etc/kubernetes/kubeadm.yaml",
        ]) {
            expect([args, sh(sb, `kubeadm init phase ${args}`).stdout]).toEqual([args, "rc=2\n"]);
        }
        const missing = regenerate(sb, `${sb.workDir}/nope.yaml`);
        expect(missing.stdout).toBe("rc=1\n");
        expect(missing.stderr).toContain("failed to load config file");
        expect(sb.readRoot(MANIFEST)).toBe(manifestBefore(DEV, CONTROL_PLANE));
    });

    test("with kubeadm-phase-fail control-plane/apiserver: exit 1 and a manifest cut short", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE, { kubeadmFails: "control-plane/apiserver" });
        const r = regenerate(sb);
        expect(r.stdout).toContain("rc=1\n");
        expect(r.stderr).toContain("error execution phase control-plane/apiserver: ");
        expect(sb.readRoot(MANIFEST)).toBe("apiVersion: v1\nkind: Pod\n");
    });
});

describe("the kubeadm stand-in's init phase upload-config kubeadm", () => {
    const upload = (sb: Sandbox, extra = `--kubeconfig ${sb.rootPath(ADMIN_CONF)}`): RunResult =>
        sh(sb, `kubeadm init phase upload-config kubeadm --config ${sb.workDir}/kubeadm.yaml ${extra}`);

    test("uploads the file's ClusterConfiguration, as it is there, with the kubeconfig given or admin.conf", () => {
        for (const extra of [undefined, ""]) {
            const sb = controlPlaneHost(TEST, TEST_FIRST);
            const r = upload(sb, extra);
            expect(r.stdout).toBe('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace\nrc=0\n');
            expect(sb.readState("kubeadm/kubeadm-config.yaml")).toBe(renderDocuments([clusterConfiguration(TEST)]));
            expect(sb.readState("kubeadm/uploads")).toBe("kubeadm-config\n");
        }
    });

    test("refuses unknown flags and a file without a ClusterConfiguration (exit 2); fails (exit 1) without a kubeconfig, an API server or when told to", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE);
        const [init] = controlPlaneConfiguration(DEV, CONTROL_PLANE);
        fs.writeFileSync(path.join(sb.workDir, "init-only.yaml"), renderDocuments([init]));
        for (const args of [
            "upload-config kubeadm",
            `upload-config kubeadm --config ${sb.workDir}/init-only.yaml`,
            `upload-config kubeadm --config ${sb.workDir}/kubeadm.yaml --dry-run`,
            `upload-config kubelet --config ${sb.workDir}/kubeadm.yaml`,
        ]) {
            expect([args, sh(sb, `kubeadm init phase ${args}`).stdout]).toEqual([args, "rc=2\n"]);
        }
        expect(upload(sb, `--kubeconfig ${sb.root}/nope.conf`).stdout).toBe("rc=1\n");
        sb.writeState("kubeadm-api-down", "yes\n");
        expect(upload(sb).stdout).toBe("rc=1\n");
        fs.rmSync(path.join(sb.stateDir, "kubeadm-api-down"));
        sb.writeState("kubeadm-phase-fail", "upload-config/kubeadm\n");
        const failed = upload(sb);
        expect(failed.stdout).toContain("rc=1\n");
        expect(failed.stderr).toContain("error execution phase upload-config/kubeadm: ");
        expect(sb.readState("kubeadm/uploads")).toBeUndefined();
        expect(sb.readState("kubeadm/kubeadm-config.yaml")).toBeUndefined();
    });
});

describe("the curl stand-in's /readyz", () => {
    test("the API server the manifest runs answers ok on its address, with the cluster CA", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE);
        expect(readyz(sb, CONTROL_PLANE).stdout).toBe("okrc=0\n");
        // Another address, another port: nothing listens there.
        const elsewhere = readyz(sb, DEV_FIRST);
        expect(elsewhere.stdout).toBe("rc=7\n");
        expect(elsewhere.stderr).toContain(`curl: (7) Failed to connect to ${DEV_FIRST.address} port 6443`);
        expect(sh(sb, `curl -fsS --cacert ${sb.rootPath(CA_CERT)} https://${CONTROL_PLANE.address}:6444/readyz`).stdout).toBe("rc=7\n");
    });

    test("verifies the certificate: no --cacert or another CA is exit 60, a CA that cannot be read exit 77", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE);
        const url = `https://${CONTROL_PLANE.address}:6443/readyz`;
        expect(sh(sb, `curl -fsS ${url}`).stdout).toBe("rc=60\n");
        sb.writeRoot("etc/other-ca.crt", otherClusterCa("elsewhere"));
        expect(sh(sb, `curl -fsS --cacert ${sb.rootPath("etc/other-ca.crt")} ${url}`).stdout).toBe("rc=60\n");
        expect(sh(sb, `curl -fsS --cacert ${sb.rootPath("etc/nope.crt")} ${url}`).stdout).toBe("rc=77\n");
    });

    test("no manifest, or one the API server exits on: connection refused, until the manifest is another", () => {
        const none = controlPlaneHost(DEV, CONTROL_PLANE, { manifest: null });
        expect(readyz(none, CONTROL_PLANE).stdout).toBe("rc=7\n");

        const bad = "    - --encryption-provider-config=/etc/kubernetes/lsst-k8s/encryption.yaml";
        const sb = controlPlaneHost(DEV, CONTROL_PLANE, { manifest: manifestCurrent(DEV, CONTROL_PLANE), failsOn: [bad] });
        expect(readyz(sb, CONTROL_PLANE).stdout).toBe("rc=7\n");
        sb.writeRoot(MANIFEST, { content: manifestBefore(DEV, CONTROL_PLANE), mode: "0600" });
        expect(readyz(sb, CONTROL_PLANE).stdout).toBe("okrc=0\n");
        sb.writeState("apiserver/fails-on", "*\n");
        expect(readyz(sb, CONTROL_PLANE).stdout).toBe("rc=7\n");
    });

    test("slow-start N: N answers 500 (exit 22 with -f, the body without), then ok", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE);
        sb.writeState("apiserver/slow-start", "2\n");
        const first = readyz(sb, CONTROL_PLANE);
        expect(first.stdout).toBe("rc=22\n");
        expect(first.stderr).toContain("curl: (22) The requested URL returned error: 500");
        expect(readyz(sb, CONTROL_PLANE, "-sS").stdout).toBe("[-]etcd failed: reason withheld\nreadyz check failed\nrc=0\n");
        expect(readyz(sb, CONTROL_PLANE).stdout).toBe("okrc=0\n");
    });

    test("restart-lag: the first answer after the manifest changed comes from the API server started before", () => {
        const bad = "    - --audit-log-maxage=30";
        // Started from the host's manifest (the fixtures' running.yaml), or from the one the first /readyz finds.
        for (const sb of [
            controlPlaneHost(DEV, CONTROL_PLANE, { failsOn: [bad], restartLag: true }),
            controlPlaneHost(DEV, CONTROL_PLANE, { failsOn: [bad] }),
        ]) {
            sb.writeState("apiserver/restart-lag", "yes\n");
            expect(readyz(sb, CONTROL_PLANE).stdout).toBe("okrc=0\n");
            sb.writeRoot(MANIFEST, { content: manifestCurrent(DEV, CONTROL_PLANE), mode: "0600" });
            expect(readyz(sb, CONTROL_PLANE).stdout).toBe("okrc=0\n");
            expect(readyz(sb, CONTROL_PLANE).stdout).toBe("rc=7\n");
            expect(readyz(sb, CONTROL_PLANE).stdout).toBe("rc=7\n");
            sb.writeRoot(MANIFEST, { content: manifestBefore(DEV, CONTROL_PLANE), mode: "0600" });
            expect(readyz(sb, CONTROL_PLANE).stdout).toBe("rc=7\n");
            expect(readyz(sb, CONTROL_PLANE).stdout).toBe("okrc=0\n");
        }
    });

    test("refuses what it does not know; downloads keys as before", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE);
        const url = `https://${CONTROL_PLANE.address}:6443/readyz`;
        const ca = `--cacert ${sb.rootPath(CA_CERT)}`;
        for (const line of [
            `curl -fsS --max-time 0 ${ca} ${url}`,
            `curl -fsS --max-time ${ca} ${url}`,
            `curl -fsS --connect-timeout 5 ${ca} ${url}`,
            `curl -fsS --cacert /etc/ssl/certs/ca-certificates.crt ${url}`,
            `curl -fsS -o ${sb.workDir}/out ${ca} ${url}`,
            `curl -fsS ${ca} https://example.org/key.gpg`,
            `curl -fsS ${ca} http://${CONTROL_PLANE.address}:6443/readyz`,
        ]) {
            expect([line, sh(sb, line).stdout]).toEqual([line, "rc=2\n"]);
        }
        expect(sh(sb, `curl -fsSL --max-time 5 -o ${sb.workDir}/key https://example.org/key.gpg`).stdout).toBe("rc=0\n");
        expect(fs.readFileSync(path.join(sb.workDir, "key"), "utf8")).toContain("sandbox key for https://example.org/key.gpg");
    });
});

describe("static checks on the control-plane-config tools", () => {
    test("every tool on the PATH is one control-plane-config.sh or lib.sh uses", () => {
        expect(unusedTools(CONTROL_PLANE_CONFIG_TOOLS, [SCRIPT, "lib.sh"])).toEqual([]);
    });

    test("the sandbox PATH holds those tools and the stand-ins, nothing else", () => {
        expect(fs.readdirSync(controlPlaneHost(DEV, CONTROL_PLANE).binDir).sort()).toEqual([...CONTROL_PLANE_CONFIG_TOOLS, ...STANDINS].sort());
    });
});
