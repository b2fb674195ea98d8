/**
 * The control planes the control-plane-config.sh sandbox suites run on: running control planes of the
 * clusters of Pulumi.test.yaml and Pulumi.dev.yaml (tests/sandbox/joins.ts), and dev's without its OIDC
 * provider, each with the bundle ControlPlaneConfig sends (built here from the same functions; checked
 * byte for byte against ControlPlaneConfig in bundles.sandbox.test.ts).
 *
 * A host is what init or a control-plane join left: kubelet.conf naming the node (kubeadm init's on the
 * first control plane, the kubelet's own after a join), admin.conf, the cluster CA, the four static Pod
 * manifests and the kubelet's configuration. Its kube-apiserver manifest is laid out as the kubeadm
 * stand-in writes one (apiServerManifest; stand-ins.sandbox.test.ts checks the two agree), with the
 * program's flags or, for a cluster made before the program set them, without them. The curl stand-in
 * answers /readyz for the API server that manifest runs.
 *
 * Importing this module registers the afterEach that cleans up the sandboxes in `live`: jest loads it
 * afresh for each test file, so each file gets its own hook.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { Bundle, renderParams, script } from "../../components/hosts/bundle";
import { apiServerArgs, controlPlaneFiles } from "../../components/hosts/controlPlaneFiles";
import { controlPlaneConfiguration, renderDocuments } from "../../components/hosts/kubeadm";
import { ClusterConfig, NodeConfig, validateConfig } from "../../config";
import { cleanedUpAfterEach, createSandbox, RootEntry, RunResult, Sandbox, writeBundle } from "../sandbox";
import { CONTROL_PLANE_CONFIG_TOOLS } from "../sandbox/commands";
import { CLUSTER_CA_PEM, ENCRYPTION_KEY, firstControlPlane, nodeNamed, ownLines, SSH_KEY, stackCluster } from "../sandbox/joins";
import { adminConf, initKubeletConf, joinedKubeletConf } from "../sandbox/kubeconfigs";

export const SCRIPT = "control-plane-config.sh";
export const MANIFESTS = "etc/kubernetes/manifests";
export const MANIFEST = `${MANIFESTS}/kube-apiserver.yaml`;
/** Where the script keeps the manifest it replaces until the API server answers on the new one. */
export const BACKUP = "var/lib/lsst-k8s/kube-apiserver.yaml.before";
export const FILES_DIR = "etc/kubernetes/lsst-k8s";
export const AUDIT_DIR = "var/log/kubernetes/audit";
export const AUTHENTICATION = `${FILES_DIR}/authentication.yaml`;
export const ADMIN_CONF = "etc/kubernetes/admin.conf";
export const CA_CERT = "etc/kubernetes/pki/ca.crt";
export const STANDINS = ["id", "kubeadm", "curl", "crictl"];
/** How long the script waits for the API server in the runs where it never answers: seconds, not a node's 300. */
export const SHORT_WAIT = { LSST_K8S_READY_WITHIN_S: "3" };

export const TEST = stackCluster("test");
export const DEV = stackCluster("dev");
/** The dev cluster once its `oidc` is taken out of the stack file: no authentication.yaml, no flag for it. */
export const NO_OIDC = (() => {
    const doc = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const { oidc: _, ...raw } = doc.config["lsst-k8s:cluster"] as Record<string, unknown>;
    const { config, problems } = validateConfig({ "lsst-k8s:cluster": JSON.stringify(raw), "lsst-k8s:sshPrivateKey": SSH_KEY });
    if (!config || config.oidc) {
        throw new Error(`dev without oidc is invalid:\n${problems.join("\n")}`);
    }
    return config;
})();
/** The test cluster's only control plane, dev's first and one of dev's others. */
export const TEST_FIRST = firstControlPlane(TEST);
export const DEV_FIRST = firstControlPlane(DEV);
export const CONTROL_PLANE = nodeNamed(DEV, "dev-cp02");

/** The sandboxes to clean up after each test: the hosts below, and any a test creates itself. */
export const live = cleanedUpAfterEach();

export function isFirst(cluster: ClusterConfig, node: NodeConfig): boolean {
    return node.name === firstControlPlane(cluster).name;
}

/** control-plane-config.sh's bundle for NODE, as ControlPlaneConfig builds it. */
export function configBundle(cluster: ClusterConfig, node: NodeConfig): Bundle {
    return {
        entry: SCRIPT,
        files: {
            [SCRIPT]: { content: script(SCRIPT), mode: "0755" },
            "lib.sh": { content: script("lib.sh"), mode: "0644" },
            "params.env": {
                content: renderParams({
                    NODE_NAME: node.name,
                    CONFIG_ROLE: isFirst(cluster, node) ? "first-control-plane" : "control-plane",
                    API_SERVER_FLAGS: Object.entries(apiServerArgs(cluster)).map(([k, v]) => `--${k}=${v}`).join(" "),
                    API_SERVER_ADDRESS: `${node.address}:6443`,
                }),
                mode: "0600",
            },
            "kubeadm.yaml": { content: renderDocuments(controlPlaneConfiguration(cluster, node)), mode: "0600" },
            ...controlPlaneFiles(cluster, ENCRYPTION_KEY),
        },
    };
}

/** The flags the kubeadm stand-in's `init phase control-plane apiserver` sets itself (APISERVER_FLAGS). */
function kubeadmFlags(cluster: ClusterConfig, node: NodeConfig): Record<string, string> {
    return {
        "advertise-address": node.address,
        "allow-privileged": "true",
        "authorization-mode": "Node,RBAC",
        "client-ca-file": "/etc/kubernetes/pki/ca.crt",
        "enable-admission-plugins": "NodeRestriction",
        "enable-bootstrap-token-auth": "true",
        "etcd-servers": "https://127.0.0.1:2379",
        "secure-port": "6443",
        "service-cluster-ip-range": cluster.networks.services,
        "tls-cert-file": "/etc/kubernetes/pki/apiserver.crt",
        "tls-private-key-file": "/etc/kubernetes/pki/apiserver.key",
    };
}

/** NODE's kube-apiserver manifest as the kubeadm stand-in writes it, with EXTRA flags (extraArgs) over kubeadm's own. */
export function apiServerManifest(cluster: ClusterConfig, node: NodeConfig, extra: Readonly<Record<string, string>>): string {
    const flags: Record<string, string> = { ...kubeadmFlags(cluster, node), ...extra };
    return [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  annotations:",
        `    kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: ${node.address}:6443`,
        "  labels:",
        "    component: kube-apiserver",
        "    tier: control-plane",
        "  name: kube-apiserver",
        "  namespace: kube-system",
        "spec:",
        "  containers:",
        "  - command:",
        "    - kube-apiserver",
        ...Object.keys(flags).sort().map((k) => `    - --${k}=${flags[k]}`),
        `    image: registry.k8s.io/kube-apiserver:v${cluster.kubernetesVersion.text}`,
        "    imagePullPolicy: IfNotPresent",
        "    name: kube-apiserver",
        "  hostNetwork: true",
        "  priorityClassName: system-node-critical",
        "",
    ].join("\n");
}

/** The manifest of a control plane made before the program set the API server's flags. */
export function manifestBefore(cluster: ClusterConfig, node: NodeConfig): string {
    return apiServerManifest(cluster, node, {});
}

/** The manifest of a control plane that already runs with CLUSTER's flags. */
export function manifestCurrent(cluster: ClusterConfig, node: NodeConfig): string {
    return apiServerManifest(cluster, node, apiServerArgs(cluster));
}

/** Every "--flag=value" of CLUSTER's API server, as they are lines of the manifest. */
export function flagLines(cluster: ClusterConfig): string[] {
    return Object.entries(apiServerArgs(cluster)).map(([k, v]) => `    - --${k}=${v}`);
}

/** The other static Pods, for the kubeadm stand-in's "the control plane answers". */
function otherPods(): Record<string, RootEntry> {
    return Object.fromEntries(["etcd", "kube-controller-manager", "kube-scheduler"].map((c) => [
        `${MANIFESTS}/${c}.yaml`, { content: `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${c}\n`, mode: "0600" },
    ]));
}

/** NODE's kubelet.conf as init (the first control plane) or the kubelet after a join wrote it. */
export function kubeletConf(cluster: ClusterConfig, node: NodeConfig, certFor = node.name): Record<string, RootEntry> {
    return isFirst(cluster, node) ? initKubeletConf(cluster.name, node.name, { certFor }) : joinedKubeletConf(node.name, { certFor });
}

export interface HostSetup {
    /** The kube-apiserver manifest: its text, or null for none (default: made before the flags). */
    readonly manifest?: string | null;
    /** kubelet.conf and its certificate (default: NODE's), or null for none. */
    readonly kubeletConf?: Record<string, RootEntry> | null;
    /** More files in the root tree. */
    readonly files?: Record<string, RootEntry>;
    readonly uid?: number;
    /** Manifest lines the API server exits on ("*": it never starts); curl's $STATE/apiserver/fails-on. */
    readonly failsOn?: readonly string[];
    /**
     * The kubelet restarts the API server on a changed manifest only after the script's first /readyz,
     * which the API server started from the host's manifest answers (curl's restart-lag).
     */
    readonly restartLag?: boolean;
    /** The kubeadm phase that fails: control-plane/apiserver or upload-config/kubeadm. */
    readonly kubeadmFails?: "control-plane/apiserver" | "upload-config/kubeadm";
    /** The bundle run (default: configBundle of CLUSTER and NODE). */
    readonly bundle?: Bundle;
}

/** A running control plane NODE of CLUSTER, with control-plane-config.sh's bundle unpacked. */
export function controlPlaneHost(cluster: ClusterConfig, node: NodeConfig, setup: HostSetup = {}): Sandbox {
    const manifest = setup.manifest === undefined ? manifestBefore(cluster, node) : setup.manifest;
    const sb = createSandbox({
        standIns: STANDINS,
        tools: CONTROL_PLANE_CONFIG_TOOLS,
        files: {
            ...(setup.kubeletConf === null ? {} : setup.kubeletConf ?? kubeletConf(cluster, node)),
            [ADMIN_CONF]: { content: adminConf(cluster.name), mode: "0600" },
            [CA_CERT]: CLUSTER_CA_PEM,
            ...otherPods(),
            ...(manifest === null ? {} : { [MANIFEST]: { content: manifest, mode: "0600" } }),
            "var/lib/kubelet/config.yaml": "kind: KubeletConfiguration\n",
            ...setup.files,
        },
        state: { uid: setup.uid },
    });
    live.push(sb);
    writeBundle(setup.bundle ?? configBundle(cluster, node), sb.workDir);
    if (setup.failsOn) {
        sb.writeState("apiserver/fails-on", setup.failsOn.map((l) => `${l}\n`).join(""));
    }
    if (setup.restartLag) {
        sb.writeState("apiserver/restart-lag", "yes\n");
        sb.writeState("apiserver/running.yaml", manifest ?? "");
    }
    if (setup.kubeadmFails) {
        sb.writeState("kubeadm-phase-fail", `${setup.kubeadmFails}\n`);
    }
    return sb;
}

/** The stand-in calls a run makes, by what they are. */
export function regenerateCall(sb: Sandbox): string {
    return `kubeadm init phase control-plane apiserver --config ${sb.workDir}/kubeadm.yaml`;
}

export function readyzCall(sb: Sandbox, node: NodeConfig): string {
    return `curl -fsS --max-time 5 --cacert ${sb.rootPath(CA_CERT)} https://${node.address}:6443/readyz`;
}

/** The script's look at which API server container runs, before it regenerates and before each /readyz. */
export const CRICTL_CALL = "crictl ps --name kube-apiserver --state running -q";

/** A regeneration whose API server answers after NOT_READY questions it could not answer yet. */
export function regenerationCalls(sb: Sandbox, node: NodeConfig, notReady = 0): string[] {
    return [CRICTL_CALL, regenerateCall(sb), ...Array<string[]>(notReady + 1).fill([CRICTL_CALL, readyzCall(sb, node)]).flat()];
}

export function uploadCall(sb: Sandbox): string {
    return `kubeadm init phase upload-config kubeadm --config ${sb.workDir}/kubeadm.yaml --kubeconfig ${sb.rootPath(ADMIN_CONF)}`;
}

/** The lines the script itself logged. */
export function own(r: RunResult): string[] {
    return ownLines(SCRIPT, r.stderr);
}

/** Paths of the root tree whose kind, mode or content differ between two snapshots. */
export function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
    return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
}
