/**
 * The bundle of every remote action but preparation (nodeFiles.ts): pure functions of the validated
 * config and the values the action needs, so the components, the synth and the sandbox tests all run
 * exactly the same thing.
 */
import { ClusterConfig, NodeConfig } from "../config";
import { Bundle, BundleFile, renderParams, script } from "./bundle";
import { InitSecrets, initConfiguration, JoinSecrets, joinConfiguration, renderDocuments, uploadCertsConfiguration } from "./kubeadm";

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

/** kubeadm init on the first control plane; reset.sh rides along for `pulumi destroy`. */
export function initBundle(cluster: ClusterConfig, node: NodeConfig, secrets: InitSecrets): Bundle {
    return {
        entry: "init.sh",
        files: {
            ...scripts("init.sh", "reset.sh"),
            "kubeadm.yaml": secretFile(renderDocuments(initConfiguration(cluster, node, secrets))),
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

/** kubeadm join on the node; reset.sh rides along for the node's removal. */
export function joinBundle(cluster: ClusterConfig, node: NodeConfig, secrets: JoinSecrets): Bundle {
    return {
        entry: "join.sh",
        files: {
            ...scripts("join.sh", "reset.sh"),
            "kubeadm.yaml": secretFile(renderDocuments(joinConfiguration(cluster, node, secrets))),
        },
    };
}

/** Drain and delete a removed node, from the first control plane. */
export function drainBundle(node: NodeConfig, drainTimeout: string): Bundle {
    return {
        entry: "drain.sh",
        files: { ...scripts("drain.sh"), "params.env": params({ NODE_NAME: node.name, DRAIN_TIMEOUT: drainTimeout }) },
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
