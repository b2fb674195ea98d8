/**
 * The files node preparation installs, built as objects and serialised (TOML, YAML, INI, key = value),
 * never string-templated. Pure functions of the validated config, so tests and the synth see exactly
 * what a node gets.
 */
import * as yaml from "js-yaml";
import * as TOML from "smol-toml";
import { ClusterConfig, NodeConfig } from "../../config";
import { Bundle, BundleFile, renderParams, script } from "./bundle";
import { minimumContainerd, packageRepository } from "./versions";

/** The port kube-apiserver listens on each control plane (kubeadm's default bind port). */
export const API_SERVER_PORT = 6443;

/** Where containerd looks for per-registry hosts.toml files (mirrors, the local registry's CA). */
export const CONTAINERD_CERTS_DIR = "/etc/containerd/certs.d";

/** The packages locked against automatic updates, and only installed with --disableexcludes. */
const LOCKED_PACKAGES = ["kubelet", "kubeadm", "kubectl", "cri-tools", "kubernetes-cni"];

/**
 * containerd's config, schema version 2: read by containerd 1.7 and, migrated in memory, by 2.x, so one
 * file serves every release in the window. SystemdCgroup matches the kubelet's systemd cgroup driver
 * (kubeadm's default); two cgroup managers fighting over one host is the classic broken-node cause.
 */
export function containerdConfig(): Record<string, unknown> {
    return {
        version: 2,
        plugins: {
            "io.containerd.grpc.v1.cri": {
                containerd: {
                    default_runtime_name: "runc",
                    runtimes: {
                        runc: {
                            runtime_type: "io.containerd.runc.v2",
                            options: { SystemdCgroup: true },
                        },
                    },
                },
                registry: { config_path: CONTAINERD_CERTS_DIR },
            },
        },
    };
}

/** crictl's config, so an admin debugging a node talks to containerd without flags. */
export function crictlConfig(): Record<string, unknown> {
    return {
        "runtime-endpoint": "unix:///run/containerd/containerd.sock",
        "image-endpoint": "unix:///run/containerd/containerd.sock",
        timeout: 10,
    };
}

/** Kernel modules the runtime and kube-proxy need, loaded now and at every boot. */
export const KERNEL_MODULES = ["overlay", "br_netfilter"];

/** Bridged traffic through iptables, and forwarding (technote 003 steps 8 and 9). */
export const SYSCTLS: Readonly<Record<string, string>> = {
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.ipv4.ip_forward": "1",
};

type IniSection = Record<string, string | number>;

/** Serialises INI sections (dnf .repo files). */
export function renderIni(sections: Record<string, IniSection>): string {
    return Object.entries(sections)
        .map(([name, values]) => [`[${name}]`, ...Object.entries(values).map(([k, v]) => `${k}=${v}`)].join("\n"))
        .join("\n\n") + "\n";
}

export function kubernetesRepo(cluster: ClusterConfig): Record<string, IniSection> {
    const repo = packageRepository(cluster.kubernetesVersion);
    return {
        kubernetes: {
            name: `Kubernetes ${cluster.kubernetesVersion.minorTag}`,
            baseurl: repo.rpm,
            enabled: 1,
            gpgcheck: 1,
            gpgkey: repo.rpmKey,
            exclude: LOCKED_PACKAGES.join(" "),
        },
    };
}

/** Docker's repository, for containerd.io on the EL family (it serves Rocky, Alma and RHEL alike). */
export function dockerRepo(): Record<string, IniSection> {
    return {
        "docker-ce-stable": {
            name: "Docker CE Stable - $basearch",
            baseurl: "https://download.docker.com/linux/centos/$releasever/$basearch/stable",
            enabled: 1,
            gpgcheck: 1,
            gpgkey: "https://download.docker.com/linux/centos/gpg",
        },
    };
}

/** The apt source for the pinned minor; the key is fetched by prepare.sh into the named keyring. */
export function kubernetesAptSource(cluster: ClusterConfig): string {
    return `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] ${packageRepository(cluster.kubernetesVersion).deb} /\n`;
}

function file(content: string, mode = "0644"): BundleFile {
    return { content, mode };
}

const HEADER = "# Written by lsst-k8s node preparation; changes here are overwritten.\n";

/** Everything prepare.sh needs on one node. */
export function prepareBundle(cluster: ClusterConfig, node: NodeConfig): Bundle {
    const controlPlanes = cluster.nodes.filter((n) => n.role === "control-plane").map((n) => n.address);
    const params = {
        K8S_VERSION: cluster.kubernetesVersion.text,
        K8S_DEB_KEY_URL: packageRepository(cluster.kubernetesVersion).debKey,
        CONTAINERD_MIN: minimumContainerd(cluster.kubernetesVersion),
        NODE_ROLE: node.role,
        NODE_CIDR: cluster.networks.nodes,
        POD_CIDR: cluster.networks.pods,
        API_PORT: String(API_SERVER_PORT),
        CONTROL_PLANE_ADDRESSES: controlPlanes.join(" "),
    };
    return {
        entry: "prepare.sh",
        files: {
            "prepare.sh": file(script("prepare.sh"), "0755"),
            "lib.sh": file(script("lib.sh")),
            "params.env": file(renderParams(params), "0600"),
            "containerd-config.toml": file(HEADER + TOML.stringify(containerdConfig()) + "\n"),
            "crictl.yaml": file(HEADER + yaml.dump(crictlConfig())),
            "modules-load.conf": file(HEADER + KERNEL_MODULES.join("\n") + "\n"),
            "sysctl.conf": file(HEADER + Object.entries(SYSCTLS).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n"),
            "kubernetes.repo": file(HEADER + renderIni(kubernetesRepo(cluster))),
            "kubernetes.list": file(HEADER + kubernetesAptSource(cluster)),
            "docker-ce.repo": file(HEADER + renderIni(dockerRepo())),
        },
    };
}
