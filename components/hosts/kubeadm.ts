/**
 * kubeadm's configuration, built as objects and dumped to YAML. Pure functions of the validated config
 * and the cluster's secrets, so tests and the synth see exactly what kubeadm reads.
 */
import * as yaml from "js-yaml";
import { ClusterConfig, NodeConfig } from "../../config";
import { apiServerArgs, apiServerVolumes } from "./controlPlaneFiles";
import { API_SERVER_PORT } from "./nodeFiles";
import { KubernetesVersion } from "./versions";

export const CRI_SOCKET = "unix:///run/containerd/containerd.sock";

/** v1beta4 replaced v1beta3 in kubeadm 1.31; every release in the maintained window reads it. */
export function kubeadmApiVersion(v: KubernetesVersion): string {
    return v.minor >= 31 ? "kubeadm.k8s.io/v1beta4" : "kubeadm.k8s.io/v1beta3";
}

/** The secrets `kubeadm init` needs: the bootstrap token and the key that encrypts uploaded certificates. */
export interface InitSecrets {
    /** "abcdef.0123456789abcdef" */
    readonly token: string;
    /** 64 hex characters. */
    readonly certificateKey: string;
}

export const TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

/** Extra flags as each kubeadm API spells them: v1beta4 a list of name/value pairs, v1beta3 a map. */
function extraArgs(v: KubernetesVersion, args: Readonly<Record<string, string>>): unknown {
    return v.minor >= 31 ? Object.entries(args).map(([name, value]) => ({ name, value })) : { ...args };
}

/**
 * The cluster-wide half of kubeadm's config: the exact version, the endpoint, the subnets, and the API
 * server's own files (controlPlaneFiles.ts: who logs in, the audit, encryption at rest). kubeadm keeps
 * it in the kubeadm-config ConfigMap, from which `kubeadm upgrade` and later control-plane joins
 * regenerate the API server's manifest, so the flags outlive every upgrade.
 */
export function clusterConfiguration(cluster: ClusterConfig): Record<string, unknown> {
    return {
        apiVersion: kubeadmApiVersion(cluster.kubernetesVersion),
        kind: "ClusterConfiguration",
        // Technote 003 "Version Message": an exact version, so kubeadm never picks a newer patch.
        kubernetesVersion: `v${cluster.kubernetesVersion.text}`,
        clusterName: cluster.name,
        controlPlaneEndpoint: cluster.controlPlaneEndpoint.text,
        networking: { podSubnet: cluster.networks.pods, serviceSubnet: cluster.networks.services },
        apiServer: { extraArgs: extraArgs(cluster.kubernetesVersion, apiServerArgs(cluster)), extraVolumes: apiServerVolumes() },
    };
}

/**
 * What `kubeadm certs renew` needs instead of the cluster's kubeadm-config ConfigMap, which a client
 * whose certificate has expired could no longer read.
 */
export function renewConfiguration(cluster: ClusterConfig): Record<string, unknown>[] {
    return [clusterConfiguration(cluster)];
}

/** Where a control plane's API server listens. */
function apiEndpoint(node: NodeConfig): Record<string, unknown> {
    return { advertiseAddress: node.address, bindPort: API_SERVER_PORT };
}

/**
 * How a node registers. kubeadm taints every control plane NoSchedule unless its registration lists
 * taints, so with no workers in the inventory (technote 004's single box) the control planes register
 * with an empty list and workloads can run on them. kubeadm reads this only when a node joins or inits:
 * a running cluster whose last worker is removed keeps its taints until an admin lifts them.
 */
function registration(cluster: ClusterConfig, node: NodeConfig): Record<string, unknown> {
    const untainted = node.role === "control-plane" && !cluster.nodes.some((n) => n.role === "worker");
    return { name: node.name, criSocket: CRI_SOCKET, ...(untainted ? { taints: [] } : {}) };
}

/** A control plane's own settings: its API endpoint, and how it registers as a node. */
function localNode(cluster: ClusterConfig, node: NodeConfig): Record<string, unknown> {
    return { localAPIEndpoint: apiEndpoint(node), nodeRegistration: registration(cluster, node) };
}

export function initConfiguration(cluster: ClusterConfig, node: NodeConfig, secrets: InitSecrets): Record<string, unknown>[] {
    if (!TOKEN_RE.test(secrets.token) || !/^[0-9a-f]{64}$/.test(secrets.certificateKey)) {
        throw new Error("kubeadm init needs a token like abcdef.0123456789abcdef and a 64-hex-digit certificate key");
    }
    const apiVersion = kubeadmApiVersion(cluster.kubernetesVersion);
    return [
        {
            apiVersion,
            kind: "InitConfiguration",
            bootstrapTokens: [{
                token: secrets.token,
                // kubeadm's default life. The program's own joins mint fresh tokens; this one only backs the
                // joinCommand stack output, for an admin joining a host by hand on the first day.
                description: "lsst-k8s: init token, published as the joinCommand output",
                ttl: "24h0m0s",
                groups: ["system:bootstrappers:kubeadm:default-node-token"],
                usages: ["signing", "authentication"],
            }],
            certificateKey: secrets.certificateKey,
            ...localNode(cluster, node),
        },
        clusterConfiguration(cluster),
        {
            apiVersion: "kubelet.config.k8s.io/v1beta1",
            kind: "KubeletConfiguration",
            cgroupDriver: "systemd",
        },
    ];
}

/** What a node needs to join: a fresh token, the CA hash, and for control planes the certificate key. */
export interface JoinSecrets {
    readonly token: string;
    /** "sha256:<hex>" */
    readonly caCertHash: string;
    /** Only for control planes. */
    readonly certificateKey?: string;
}

/**
 * A node's JoinConfiguration. Discovery always pins the CA hash: never
 * --discovery-token-unsafe-skip-ca-verification.
 */
export function joinConfiguration(cluster: ClusterConfig, node: NodeConfig, secrets: JoinSecrets): Record<string, unknown>[] {
    if (!TOKEN_RE.test(secrets.token) || !/^sha256:[0-9a-f]{64}$/.test(secrets.caCertHash)) {
        throw new Error(`joining ${node.name} needs a kubeadm token and a sha256 CA hash`);
    }
    const controlPlane = node.role === "control-plane";
    if (controlPlane && !/^[0-9a-f]{64}$/.test(secrets.certificateKey ?? "")) {
        throw new Error(`control plane ${node.name} needs the 64-hex-digit certificate key to join`);
    }
    return [{
        apiVersion: kubeadmApiVersion(cluster.kubernetesVersion),
        kind: "JoinConfiguration",
        discovery: {
            bootstrapToken: {
                apiServerEndpoint: cluster.controlPlaneEndpoint.text,
                token: secrets.token,
                caCertHashes: [secrets.caCertHash],
            },
        },
        nodeRegistration: registration(cluster, node),
        ...(controlPlane
            ? {
                controlPlane: {
                    localAPIEndpoint: { advertiseAddress: node.address, bindPort: API_SERVER_PORT },
                    certificateKey: secrets.certificateKey,
                },
            }
            : {}),
    }];
}

/**
 * What `kubeadm init phase upload-certs` reads on the first control plane: the certificate key travels in
 * this file rather than on the command line. The uploaded certificates expire after two hours, so they are
 * uploaded again each time a control plane joins.
 */
export function uploadCertsConfiguration(cluster: ClusterConfig, first: NodeConfig, certificateKey: string): Record<string, unknown>[] {
    return [
        { apiVersion: kubeadmApiVersion(cluster.kubernetesVersion), kind: "InitConfiguration", certificateKey, ...localNode(cluster, first) },
        clusterConfiguration(cluster),
    ];
}

/**
 * What `kubeadm init phase control-plane apiserver` and `upload-config kubeadm` read on a running control
 * plane (ControlPlaneConfig): this node's API endpoint and the cluster-wide half, no token or key.
 */
export function controlPlaneConfiguration(cluster: ClusterConfig, node: NodeConfig): Record<string, unknown>[] {
    return [
        { apiVersion: kubeadmApiVersion(cluster.kubernetesVersion), kind: "InitConfiguration", ...localNode(cluster, node) },
        clusterConfiguration(cluster),
    ];
}

/** Several documents in one YAML file, as kubeadm --config reads them. */
export function renderDocuments(docs: readonly Record<string, unknown>[]): string {
    return docs.map((d) => yaml.dump(d, { noRefs: true, lineWidth: -1 })).join("---\n");
}
