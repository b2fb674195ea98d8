/**
 * Host fixtures for the sandbox: a fresh Debian 12 and a fresh Rocky Linux 9 as they look before node
 * preparation, each with the stand-ins such a host would have (no dnf on Debian, no apt on Rocky) and
 * the repositories' packages. Functions, so every test gets its own copy to vary.
 */
import type { AvailablePackage, RootEntry, SandboxOptions, SandboxState } from "../sandbox";

/** The header line of /proc/swaps (what is left once swap is off). */
export const SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority";

/** cgroup v2: the unified hierarchy's root has this file. */
const CGROUP_CONTROLLERS = "cpuset cpu io memory hugetlb pids rdma misc\n";

/** What Docker's containerd.io package ships as /etc/containerd/config.toml (the CRI plugin off). */
export const PACKAGED_CONTAINERD_CONFIG = 'disabled_plugins = ["cri"]\n';

const KUBE = ["kubelet", "kubeadm", "kubectl"];

/**
 * The pkgs.k8s.io v1.37 packages, newest first. 1.37.12 sorts before 1.37.1 and starts with the same
 * characters, and 1.37.1 carries revision -1.2 (a rebuild), so a test proves the exact pin and the
 * repository's revision are what gets installed.
 */
export function debianKubePackages(versions = ["1.37.12-1.1", "1.37.2-1.1", "1.37.1-1.2", "1.37.0-1.1"]): AvailablePackage[] {
    return versions.flatMap((version) => KUBE.map((name) => ({ name, version, repo: "kubernetes.list" })));
}

export function elKubePackages(versions = ["1.37.12-150500.1.1", "1.37.2-150500.1.1", "1.37.1-150500.1.1", "1.37.0-150500.1.1"]): AvailablePackage[] {
    return versions.flatMap((version) => KUBE.map((name) => ({ name, version, repo: "kubernetes.repo" })));
}

export const DEBIAN_STAND_INS = [
    "id", "systemctl", "modprobe", "sysctl", "swapoff", "apt-get", "apt-cache", "apt-mark", "dpkg-query", "curl", "gpg",
    "containerd", "iptables", "iptables-save",
];

export const EL_STAND_INS = [
    "id", "systemctl", "modprobe", "sysctl", "swapoff", "getenforce", "setenforce", "dnf", "rpm", "curl", "containerd",
    "firewall-cmd", "iptables", "iptables-save",
];

export const DEBIAN_FSTAB = [
    "# /etc/fstab: static file system information.",
    "UUID=4f1c2a9e-0d1b-4d3e-9a57-2f6b1c8e7d10 /               ext4    errors=remount-ro 0       1",
    "UUID=9b0e6c3d-6a41-4c55-8e2f-0a1d2b3c4d5e /boot           ext4    defaults        0       2",
    "# swap was on /dev/sda3 during installation",
    "UUID=0c6a1e2b-7f3d-4e8a-9b1c-5d2e3f4a6b7c none            swap    sw              0       0",
    "",
].join("\n");

export const EL_FSTAB = [
    "/dev/mapper/rl-root     /                       xfs     defaults        0 0",
    "UUID=2d6f0b8e-1c3a-4b5d-8e7f-9a0b1c2d3e4f /boot  xfs     defaults        0 0",
    "/dev/mapper/rl-swap     none                    swap    defaults        0 0",
    "",
].join("\n");

export const EL_SELINUX_CONFIG = "# This file controls the state of SELinux on the system.\nSELINUX=enforcing\nSELINUXTYPE=targeted\n";

export function debian12(): SandboxOptions {
    return {
        standIns: DEBIAN_STAND_INS,
        files: {
            "etc/os-release": [
                'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
                'NAME="Debian GNU/Linux"',
                'VERSION_ID="12"',
                'VERSION="12 (bookworm)"',
                "VERSION_CODENAME=bookworm",
                "ID=debian",
                'HOME_URL="https://www.debian.org/"',
                "",
            ].join("\n"),
            "etc/resolv.conf": "search example.org\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n",
            "etc/fstab": DEBIAN_FSTAB,
            "etc/apt/sources.list": "deb http://deb.debian.org/debian bookworm main\n",
            "proc/swaps": `${SWAPS_HEADER}\n/dev/sda3                               partition\t4194300\t\t0\t\t-2\n`,
            "proc/sys/net/ipv4/ip_forward": "0\n",
            "sys/fs/cgroup/cgroup.controllers": CGROUP_CONTROLLERS,
        },
        dirs: ["etc/apt/sources.list.d", "sys/module/ext4"],
        state: {
            packages: [
                { name: "ca-certificates", version: "20230311" },
                { name: "curl", version: "7.88.1-10+deb12u8" },
                { name: "gpg", version: "2.2.40-1.1" },
                { name: "iptables", version: "1.8.9-2" },
            ],
            available: [
                { name: "ca-certificates", version: "20230311", repo: "base" },
                { name: "curl", version: "7.88.1-10+deb12u8", repo: "base" },
                { name: "gpg", version: "2.2.40-1.1", repo: "base" },
                { name: "conntrack", version: "1:1.4.7-1+b2", repo: "base" },
                { name: "containerd.io", version: "2.1.4-1~debian.12~bookworm", repo: "docker.list" },
                ...debianKubePackages(),
            ],
            onInstall: {
                // Debian packages start their services in postinst.
                "containerd.io": {
                    units: { containerd: { enabled: true, active: true } },
                    files: { "etc/containerd/config.toml": PACKAGED_CONTAINERD_CONFIG },
                },
                kubelet: { units: { kubelet: { enabled: true, active: true } } },
            },
            units: { ssh: { enabled: true, active: true } },
            iptables: ["-A INPUT -p tcp --dport 22 -j ACCEPT"],
        },
    };
}

export function rocky9(): SandboxOptions {
    return {
        standIns: EL_STAND_INS,
        files: {
            "etc/os-release": [
                'NAME="Rocky Linux"',
                'VERSION="9.4 (Blue Onyx)"',
                'ID="rocky"',
                'ID_LIKE="rhel centos fedora"',
                'VERSION_ID="9.4"',
                'PLATFORM_ID="platform:el9"',
                'PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"',
                "",
            ].join("\n"),
            "etc/resolv.conf": "# Generated by NetworkManager\nnameserver 192.0.2.53\n",
            "etc/fstab": EL_FSTAB,
            "etc/selinux/config": EL_SELINUX_CONFIG,
            "etc/yum.repos.d/rocky.repo": "[baseos]\nname=Rocky Linux $releasever - BaseOS\nenabled=1\n",
            "proc/swaps": `${SWAPS_HEADER}\n/dev/dm-1                               partition\t2097148\t\t0\t\t-2\n`,
            "proc/sys/net/ipv4/ip_forward": "0\n",
            "sys/fs/cgroup/cgroup.controllers": CGROUP_CONTROLLERS,
        },
        dirs: ["sys/module/xfs"],
        state: {
            selinux: "Enforcing",
            packages: [
                { name: "curl", version: "7.76.1-29.el9_4" },
                { name: "firewalld", version: "1.3.4-1.el9" },
                { name: "iptables-nft", version: "1.8.10-2.el9" },
            ],
            available: [
                { name: "curl", version: "7.76.1-29.el9_4", repo: "base" },
                { name: "iproute-tc", version: "6.2.0-5.el9", repo: "base" },
                { name: "conntrack-tools", version: "1.4.7-2.el9", repo: "base" },
                { name: "containerd.io", version: "2.1.4-1.el9", repo: "docker-ce.repo" },
                ...elKubePackages(),
            ],
            onInstall: {
                // RPMs leave their services disabled and stopped.
                "containerd.io": {
                    units: { containerd: { enabled: false, active: false } },
                    files: { "etc/containerd/config.toml": PACKAGED_CONTAINERD_CONFIG },
                },
                kubelet: { units: { kubelet: { enabled: false, active: false } } },
            },
            units: { firewalld: { enabled: true, active: true }, sshd: { enabled: true, active: true } },
        },
    };
}

/** A host with some files and state changed: files and state keys replace the fixture's. */
export function vary(
    host: SandboxOptions,
    change: { files?: Record<string, RootEntry>; remove?: string[]; dirs?: string[]; state?: SandboxState },
): SandboxOptions {
    const files: Record<string, RootEntry> = { ...host.files, ...change.files };
    for (const rel of change.remove ?? []) {
        if (!(rel in files)) {
            throw new Error(`fixture has no ${rel} to remove`);
        }
        delete files[rel];
    }
    return {
        ...host,
        files,
        dirs: [...(host.dirs ?? []), ...(change.dirs ?? [])],
        state: { ...host.state, ...change.state },
    };
}
