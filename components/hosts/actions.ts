/**
 * The bundle of every remote action but preparation (nodeFiles.ts): pure functions of the validated
 * config and the values the action needs, so the components, the synth and the sandbox tests all run
 * exactly the same thing.
 */
import * as TOML from "smol-toml";
import { ClusterConfig, NodeConfig, RegistryConfig } from "../../config";
import { Bundle, BundleFile, renderParams, script } from "./bundle";
import { apiServerArgs, controlPlaneFiles } from "./controlPlaneFiles";
import { API_SERVER_PORT, CONTAINERD_CERTS_DIR } from "./nodeFiles";
import {
    controlPlaneConfiguration, InitSecrets, initConfiguration, JoinSecrets, joinConfiguration, renderDocuments, uploadCertsConfiguration,
} from "./kubeadm";

/** The entry script, lib.sh and any other scripts of an action, with their modes. */
function scripts(entry: string, ...others: string[]): Record<string, BundleFile> {
    const files: Record<string, BundleFile> = { "lib.sh": { content: script("lib.sh"), mode: "0644" } };
    for (const name of [entry, ...others]) {
        files[name] = { content: script(name), mode: "0755" };
    }
    return files;
}

function secretFile(content: string): BundleFile {
    return { content, mode: "0600" };
}

function params(values: Record<string, string>): BundleFile {
    return secretFile(renderParams(values));
}

/**
 * kubeadm init on the first control plane, with the API server's own files (controlPlaneFiles.ts), which
 * must be on the host before kubeadm starts it; ENCRYPTION_KEY is the cluster's key for Secrets at rest.
 */
export function initBundle(cluster: ClusterConfig, node: NodeConfig, secrets: InitSecrets, encryptionKey: string): Bundle {
    return {
        entry: "init.sh",
        files: {
            ...scripts("init.sh"),
            "kubeadm.yaml": secretFile(renderDocuments(initConfiguration(cluster, node, secrets))),
            ...controlPlaneFiles(cluster, encryptionKey),
        },
    };
}

/** A token for one join, minted on the first control plane (certificates uploaded again for a control plane). */
export function mintTokenBundle(cluster: ClusterConfig, node: NodeConfig, first: NodeConfig, certificateKey: string): Bundle {
    return {
        entry: "mint-token.sh",
        files: {
            ...scripts("mint-token.sh"),
            "params.env": params({ NODE_NAME: node.name, NODE_ROLE: node.role }),
            ...(node.role === "control-plane"
                ? { "upload-certs.yaml": secretFile(renderDocuments(uploadCertsConfiguration(cluster, first, certificateKey))) }
                : {}),
        },
    };
}

/**
 * kubeadm join on the node; a control plane also gets the API server's own files, which its join starts
 * the API server with (ENCRYPTION_KEY: the cluster's key, for control planes only).
 */
export function joinBundle(cluster: ClusterConfig, node: NodeConfig, secrets: JoinSecrets, encryptionKey?: string): Bundle {
    if (node.role === "control-plane" && encryptionKey === undefined) {
        throw new Error(`control plane ${node.name} needs the cluster's encryption key to join`);
    }
    return {
        entry: "join.sh",
        files: {
            ...scripts("join.sh"),
            "kubeadm.yaml": secretFile(renderDocuments(joinConfiguration(cluster, node, secrets))),
            ...(node.role === "control-plane" ? controlPlaneFiles(cluster, encryptionKey!) : {}),
        },
    };
}

/**
 * The API server's own files on a running control plane, and its manifest regenerated when its flags
 * lack them (control-plane-config.sh); FIRST also uploads the ClusterConfiguration, so upgrades and
 * later joins keep the flags.
 */
export function controlPlaneConfigBundle(cluster: ClusterConfig, node: NodeConfig, first: boolean, encryptionKey: string): Bundle {
    const args = Object.entries(apiServerArgs(cluster)).map(([k, v]) => `--${k}=${v}`);
    return {
        entry: "control-plane-config.sh",
        files: {
            ...scripts("control-plane-config.sh"),
            "params.env": params({
                NODE_NAME: node.name, CONFIG_ROLE: first ? "first-control-plane" : "control-plane", API_SERVER_FLAGS: args.join(" "),
                API_SERVER_ADDRESS: `${node.address}:${API_SERVER_PORT}`,
            }),
            "kubeadm.yaml": secretFile(renderDocuments(controlPlaneConfiguration(cluster, node))),
            ...controlPlaneFiles(cluster, encryptionKey),
        },
    };
}

/**
 * Reset a node that has left the cluster, on the node itself; FIRST for the first control plane, which
 * leaves only with the cluster. What reset.sh checks the host against before it resets it: a delete
 * runs with the bundle stored in the state, whose address may since be another host's.
 */
export function resetBundle(cluster: ClusterConfig, node: NodeConfig, caCertHash: string, first: boolean): Bundle {
    return {
        entry: "reset.sh",
        files: {
            ...scripts("reset.sh"),
            "params.env": params({
                NODE_NAME: node.name, CLUSTER_NAME: cluster.name, CA_CERT_HASH: caCertHash, RESET_ROLE: first ? "first-control-plane" : "member",
            }),
        },
    };
}

/** Drain and delete a removed node, from the first control plane, which must be one of CLUSTER's. */
export function drainBundle(cluster: ClusterConfig, node: NodeConfig, drainTimeout: string): Bundle {
    return {
        entry: "drain.sh",
        files: {
            ...scripts("drain.sh"),
            "params.env": params({ NODE_NAME: node.name, DRAIN_TIMEOUT: drainTimeout, CLUSTER_NAME: cluster.name }),
        },
    };
}

/** Drain before, or uncordon after, one node's upgrade, from the first control plane. */
export function cordonBundle(action: "drain" | "uncordon", node: NodeConfig, version: string, drainTimeout: string): Bundle {
    return {
        entry: "cordon.sh",
        files: {
            ...scripts("cordon.sh"),
            "params.env": params({ ACTION: action, NODE_NAME: node.name, K8S_VERSION: version, DRAIN_TIMEOUT: drainTimeout }),
        },
    };
}

/** Move one node to the pin; the first control plane also upgrades the control plane itself. */
export function upgradeBundle(node: NodeConfig, first: boolean, version: string): Bundle {
    return {
        entry: "upgrade.sh",
        files: {
            ...scripts("upgrade.sh"),
            "params.env": params({ K8S_VERSION: version, UPGRADE_ROLE: first ? "first-control-plane" : node.role }),
        },
    };
}

/**
 * containerd's hosts.toml for the cluster's registry: pulls of `<host>/...` go to the registry's fixed
 * Service address (kube-proxy routes it on every node), verified with the registry's own certificate.
 */
export function registryHosts(registry: RegistryConfig): Record<string, unknown> {
    return {
        server: `https://${registry.host}`,
        host: {
            [`https://${registry.clusterIP}`]: {
                capabilities: ["pull", "resolve"],
                ca: `${CONTAINERD_CERTS_DIR}/${registry.host}/ca.crt`,
            },
        },
    };
}

/** Trust the cluster's registry on one node. */
export function trustRegistryBundle(registry: RegistryConfig, certificate: string): Bundle {
    return {
        entry: "trust-registry.sh",
        files: {
            ...scripts("trust-registry.sh"),
            "params.env": params({ REGISTRY_HOST: registry.host, REGISTRY_ADDRESS: registry.clusterIP }),
            "hosts.toml": { content: "# Written by lsst-k8s; changes here are overwritten.\n" + TOML.stringify(registryHosts(registry)) + "\n", mode: "0644" },
            "ca.crt": { content: certificate, mode: "0644" },
        },
    };
}
