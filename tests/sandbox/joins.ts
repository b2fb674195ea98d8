/**
 * The bundles NodeJoin and NodeUpgrade send (components/hosts/NodeJoin.ts, components/hosts/NodeUpgrade.ts), built here
 * from the same functions on the clusters of Pulumi.test.yaml and Pulumi.dev.yaml, for the join, removal
 * and upgrade sandbox suites. tests/join/bundles and tests/upgrade/bundles check that they are byte for
 * byte what NodeJoin and NodeUpgrade themselves put on stdin.
 */
import { createHash, X509Certificate } from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { ClusterConfig, NodeConfig, validateConfig } from "../../config";
import { Bundle, BundleFile, renderParams, script } from "../../components/hosts/bundle";
import { controlPlaneFiles } from "../../components/hosts/controlPlaneFiles";
import { joinConfiguration, renderDocuments, uploadCertsConfiguration } from "../../components/hosts/kubeadm";
import { STANDINS_DIR } from "./commands";

const REPO = path.join(__dirname, "..", "..");

export const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----";
export const TOKEN = "abcdef.0123456789abcdef";
/** The sandbox cluster's CA (tests/sandbox/standins/_cluster-ca.bash), which the join stand-in embeds in kubelet.conf. */
export const CLUSTER_CA_PEM = (() => {
    const text = fs.readFileSync(path.join(STANDINS_DIR, "_cluster-ca.bash"), "utf8");
    const pem = /-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n/.exec(text);
    if (!pem) {
        throw new Error("_cluster-ca.bash holds no certificate");
    }
    return pem[0];
})();

/** SHA-256 of a CA's DER SubjectPublicKeyInfo, in hex: kubeadm's discovery hash without "sha256:". */
export function caHex(pem: string): string {
    return createHash("sha256").update(new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

/** The public half of the CA hash, without "sha256:": the sandbox cluster's, as a real join pins its cluster's. */
export const CA_HEX = caHex(CLUSTER_CA_PEM);
export const CA_HASH = `sha256:${CA_HEX}`;
/** The cluster's key for Secrets at rest, as control planes get it (32 bytes in base64). */
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");
export const CERT_KEY = "5e0c9a7b3d214f68a9c2e71b04d8f35a6b9e2c0d7f1a4538e6b2d90c1f7a3e84";

export type StackName = "test" | "dev";

/** A stack file's cluster through the real validation, with a fake SSH key (and another pin if given). */
export function stackCluster(stack: StackName, kubernetesVersion?: string): ClusterConfig {
    const doc = yaml.load(fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const raw = doc.config["lsst-k8s:cluster"] as Record<string, unknown>;
    const { config, problems } = validateConfig({
        "lsst-k8s:cluster": JSON.stringify(kubernetesVersion === undefined ? raw : { ...raw, kubernetesVersion }),
        "lsst-k8s:sshPrivateKey": SSH_KEY,
    });
    if (!config) {
        throw new Error(`the ${stack} cluster is invalid:\n${problems.join("\n")}`);
    }
    return config;
}

export function nodeNamed(cluster: ClusterConfig, name: string): NodeConfig {
    const n = cluster.nodes.find((x) => x.name === name);
    if (!n) {
        throw new Error(`${cluster.name} has no node ${name}`);
    }
    return n;
}

/** The control plane every mint and drain runs on (the first in the inventory). */
export function firstControlPlane(cluster: ClusterConfig): NodeConfig {
    const n = cluster.nodes.find((x) => x.role === "control-plane");
    if (!n) {
        throw new Error(`${cluster.name} has no control plane`);
    }
    return n;
}

function lib(): BundleFile {
    return { content: script("lib.sh"), mode: "0644" };
}

/** mint-token.sh's bundle for NODE, run on the first control plane. */
export function mintBundle(cluster: ClusterConfig, node: NodeConfig, certificateKey = CERT_KEY): Bundle {
    return {
        entry: "mint-token.sh",
        files: {
            "mint-token.sh": { content: script("mint-token.sh"), mode: "0755" },
            "lib.sh": lib(),
            "params.env": { content: renderParams({ NODE_NAME: node.name, NODE_ROLE: node.role }), mode: "0600" },
            ...(node.role === "control-plane"
                ? {
                    "upload-certs.yaml": {
                        content: renderDocuments(uploadCertsConfiguration(cluster, firstControlPlane(cluster), certificateKey)),
                        mode: "0600",
                    },
                }
                : {}),
        },
    };
}

/** join.sh's bundle for NODE, with the token mint-token.sh printed. */
export function joinBundle(cluster: ClusterConfig, node: NodeConfig, token = TOKEN, caCertHash = CA_HASH, certificateKey = CERT_KEY): Bundle {
    return {
        entry: "join.sh",
        files: {
            "join.sh": { content: script("join.sh"), mode: "0755" },
            "lib.sh": lib(),
            "kubeadm.yaml": {
                content: renderDocuments(joinConfiguration(cluster, node, {
                    token,
                    caCertHash,
                    ...(node.role === "control-plane" ? { certificateKey } : {}),
                })),
                mode: "0600",
            },
            ...(node.role === "control-plane" ? controlPlaneFiles(cluster, ENCRYPTION_KEY) : {}),
        },
    };
}

/**
 * reset.sh's bundle for NODE, run on the node when it leaves (NodeJoin's reset) or, for the first control
 * plane, on `pulumi destroy` (ControlPlane's reset).
 */
export function resetBundle(cluster: ClusterConfig, node: NodeConfig, caCertHash = CA_HASH): Bundle {
    return {
        entry: "reset.sh",
        files: {
            "reset.sh": { content: script("reset.sh"), mode: "0755" },
            "lib.sh": lib(),
            // What reset.sh checks the host against before it resets it.
            "params.env": {
                content: renderParams({
                    NODE_NAME: node.name, CLUSTER_NAME: cluster.name, CA_CERT_HASH: caCertHash,
                    RESET_ROLE: node === firstControlPlane(cluster) ? "first-control-plane" : "member",
                }),
                mode: "0600",
            },
        },
    };
}

/** The stack cluster (test or dev) NODE is in. */
export function clusterOf(node: NodeConfig): ClusterConfig {
    const cluster = (["test", "dev"] as const).map((s) => stackCluster(s)).find((c) => c.nodes.some((n) => n.name === node.name));
    if (!cluster) {
        throw new Error(`no stack has a node ${node.name}`);
    }
    return cluster;
}

/** drain.sh's bundle for NODE, run on the first control plane of CLUSTER when NODE leaves the inventory. */
export function drainBundle(node: NodeConfig, drainTimeout = "300s", cluster = clusterOf(node)): Bundle {
    return {
        entry: "drain.sh",
        files: {
            "drain.sh": { content: script("drain.sh"), mode: "0755" },
            "lib.sh": lib(),
            "params.env": {
                content: renderParams({ NODE_NAME: node.name, DRAIN_TIMEOUT: drainTimeout, CLUSTER_NAME: cluster.name }),
                mode: "0600",
            },
        },
    };
}

/** cordon.sh's bundle, run on the first control plane before (drain) and after (uncordon) NODE's upgrade. */
export function cordonBundle(node: NodeConfig, action: "drain" | "uncordon", version: string, drainTimeout = "300s"): Bundle {
    return {
        entry: "cordon.sh",
        files: {
            "cordon.sh": { content: script("cordon.sh"), mode: "0755" },
            "lib.sh": lib(),
            "params.env": {
                content: renderParams({ ACTION: action, NODE_NAME: node.name, K8S_VERSION: version, DRAIN_TIMEOUT: drainTimeout }),
                mode: "0600",
            },
        },
    };
}

export type UpgradeRole = "first-control-plane" | "control-plane" | "worker";

/** upgrade.sh's bundle, run on the node moving to VERSION. */
export function upgradeBundle(version: string, role: UpgradeRole): Bundle {
    return {
        entry: "upgrade.sh",
        files: {
            "upgrade.sh": { content: script("upgrade.sh"), mode: "0755" },
            "lib.sh": lib(),
            "params.env": { content: renderParams({ K8S_VERSION: version, UPGRADE_ROLE: role }), mode: "0600" },
        },
    };
}

export function lines(text: string): string[] {
    return text.split("\n").filter((l) => l !== "");
}

/** Lines a script logged itself ("join.sh: ..."), without what the commands it ran printed. */
export function ownLines(scriptName: string, stderr: string): string[] {
    return lines(stderr).filter((l) => l.startsWith(`${scriptName}: `));
}

/** The non-comment code of scripts in components/hosts/scripts, to check a tool list is still used. */
export function unusedTools(tools: readonly string[], scripts: readonly string[]): string[] {
    const code = scripts
        .map((f) => script(f))
        .join("\n")
        .split("\n")
        .filter((l) => !/^\s*#/.test(l))
        .join("\n");
    return tools.filter((t) => t !== "bash" && !new RegExp(String.raw`(^|[\s|;&(!{])${t}(?=[\s)]|$)`, "m").test(code));
}
