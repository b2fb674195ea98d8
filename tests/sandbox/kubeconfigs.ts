/**
 * Kubeconfigs and certificates as kubeadm and the kubelet write them on a node, for the suites that check
 * which host a script runs on (reset.sh, drain.sh). The certificates are made here with openssl, outside
 * any sandbox, once per subject.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RootEntry } from "./tree";
import { CLUSTER_CA_PEM } from "./joins";

const made = new Map<string, string>();

/** A self-signed certificate and its key for SUBJECT, one PEM (the certificate first); made once. */
function certificate(subject: string, type: "rsa:2048" | "ec"): string {
    const key = `${type} ${subject}`;
    const known = made.get(key);
    if (known) {
        return known;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-cert-"));
    try {
        const r = spawnSync("openssl", [
            "req", "-x509", "-newkey", type, ...(type === "ec" ? ["-pkeyopt", "ec_paramgen_curve:P-256"] : []), "-nodes", "-days", "365",
            "-subj", subject, "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
        ], { encoding: "utf8" });
        if (r.status !== 0) {
            throw new Error(`openssl req failed: ${r.stderr}`);
        }
        const pem = fs.readFileSync(path.join(dir, "cert.pem"), "utf8") + fs.readFileSync(path.join(dir, "key.pem"), "utf8");
        made.set(key, pem);
        return pem;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The certificate part of a PEM that may also hold a key. */
export function certOnly(pem: string): string {
    const m = /-----BEGIN CERTIFICATE-----\n[\s\S]+?-----END CERTIFICATE-----\n/.exec(pem);
    if (!m) {
        throw new Error("no certificate in the PEM");
    }
    return m[0];
}

/** Another cluster's CA, as kubeadm makes one (RSA 2048, CN kubernetes); NAME only tells them apart here. */
export function otherClusterCa(name: string): string {
    return certOnly(certificate(`/CN=kubernetes/OU=${name}`, "rsa:2048"));
}

/** The kubelet's client certificate and key for NODE, one PEM, as in var/lib/kubelet/pki. */
export function kubeletClientPem(node: string): string {
    return certificate(`/O=system:nodes/CN=system:node:${node}`, "ec");
}

function b64(text: string): string {
    return Buffer.from(text, "utf8").toString("base64");
}

interface Kubeconfig {
    readonly cluster: string;
    readonly context: string;
    readonly user: string;
    readonly server: string;
    /** The cluster CA's PEM (embedded, as kubeadm and the kubelet both do). */
    readonly ca: string;
    /** The client certificate: embedded (its PEM) or the path of its file. */
    readonly cert: { readonly data: string } | { readonly file: string };
    readonly namespace?: string;
}

/** A kubeconfig laid out as client-go writes it (keys sorted, two-space indents). */
export function kubeconfig(k: Kubeconfig): string {
    const credentials = "data" in k.cert
        ? [`    client-certificate-data: ${b64(certOnly(k.cert.data))}`, `    client-key-data: ${b64("sandbox key")}`]
        : [`    client-certificate: ${k.cert.file}`, `    client-key: ${k.cert.file}`];
    return [
        "apiVersion: v1",
        "clusters:",
        "- cluster:",
        `    certificate-authority-data: ${b64(k.ca)}`,
        `    server: ${k.server}`,
        `  name: ${k.cluster}`,
        "contexts:",
        "- context:",
        `    cluster: ${k.cluster}`,
        ...(k.namespace ? [`    namespace: ${k.namespace}`] : []),
        `    user: ${k.user}`,
        `  name: ${k.context}`,
        `current-context: ${k.context}`,
        "kind: Config",
        "preferences: {}",
        "users:",
        `- name: ${k.user}`,
        "  user:",
        ...credentials,
        "",
    ].join("\n");
}

export const KUBELET_CONF = "etc/kubernetes/kubelet.conf";
export const CURRENT_PEM = "var/lib/kubelet/pki/kubelet-client-current.pem";

/**
 * The first control plane's kubelet.conf as kubeadm init writes it: the cluster entry named after
 * ClusterConfiguration.clusterName, the user system:node:NODE with the client certificate embedded, or
 * (rotated: once kubelet-finalize has run) pointing at kubelet-client-current.pem, which is made too.
 */
export function initKubeletConf(cluster: string, node: string, options: { rotated?: boolean; ca?: string; certFor?: string } = {}): Record<string, RootEntry> {
    const pem = kubeletClientPem(options.certFor ?? node);
    const user = `system:node:${node}`;
    const conf = kubeconfig({
        cluster, user, context: `${user}@${cluster}`, server: "https://k8s.example.org:6443", ca: options.ca ?? CLUSTER_CA_PEM,
        cert: options.rotated ? { file: `/${CURRENT_PEM}` } : { data: pem },
    });
    return {
        [KUBELET_CONF]: { content: conf, mode: "0600" },
        ...(options.rotated ? { [CURRENT_PEM]: { content: pem, mode: "0600" } } : {}),
    };
}

/**
 * A joined node's kubelet.conf as the kubelet writes it after its TLS bootstrap: every entry under the
 * kubelet's generic names ("default-cluster", no cluster name), the client certificate in
 * kubelet-client-current.pem (made too, for CERT_FOR, the node itself by default).
 */
export function joinedKubeletConf(node: string, options: { ca?: string; certFor?: string } = {}): Record<string, RootEntry> {
    return {
        [KUBELET_CONF]: {
            content: kubeconfig({
                cluster: "default-cluster", user: "default-auth", context: "default-context", namespace: "default",
                server: "https://k8s.example.org:6443", ca: options.ca ?? CLUSTER_CA_PEM, cert: { file: `/${CURRENT_PEM}` },
            }),
            mode: "0600",
        },
        [CURRENT_PEM]: { content: kubeletClientPem(options.certFor ?? node), mode: "0600" },
    };
}

/** A control plane's admin.conf as kubeadm writes it: cluster entry and context named after the cluster. */
export function adminConf(cluster: string): string {
    return kubeconfig({
        cluster, user: "kubernetes-admin", context: `kubernetes-admin@${cluster}`, server: "https://k8s.example.org:6443",
        ca: CLUSTER_CA_PEM, cert: { data: kubeletClientPem("admin-stand-in") },
    });
}
