/**
 * kubeadm's configuration, built as objects and dumped to YAML. Pure functions of the validated config
 * and the cluster's secrets, so tests and the synth see exactly what kubeadm reads.
 */
import * as yaml from "js-yaml";
import { ClusterConfig, NodeConfig } from "../config";
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
                description: "lsst-k8s: used by kubeadm init only; joins mint their own token",
                ttl: "1h0m0s",
                groups: ["system:bootstrappers:kubeadm:default-node-token"],
                usages: ["signing", "authentication"],
            }],
            certificateKey: secrets.certificateKey,
            localAPIEndpoint: { advertiseAddress: node.address, bindPort: API_SERVER_PORT },
            nodeRegistration: { name: node.name, criSocket: CRI_SOCKET },
        },
        {
            apiVersion,
            kind: "ClusterConfiguration",
            // Technote 003 "Version Message": an exact version, so kubeadm never picks a newer patch.
            kubernetesVersion: `v${cluster.kubernetesVersion.text}`,
            clusterName: cluster.name,
            controlPlaneEndpoint: cluster.controlPlaneEndpoint.text,
            networking: { podSubnet: cluster.networks.pods, serviceSubnet: cluster.networks.services },
        },
        {
            apiVersion: "kubelet.config.k8s.io/v1beta1",
            kind: "KubeletConfiguration",
            cgroupDriver: "systemd",
        },
    ];
}

/** Several documents in one YAML file, as kubeadm --config reads them. */
export function renderDocuments(docs: readonly Record<string, unknown>[]): string {
    return docs.map((d) => yaml.dump(d, { noRefs: true, lineWidth: -1 })).join("---\n");
}
