/**
 * prepare.sh run for real under bash against the Rocky Linux 9 root tree (tests/sandbox/hosts.ts): dnf,
 * SELinux and firewalld, on a control plane, a worker, the rerun and a host already on another kubeadm.
 */
import { expectSuccess, SandboxOptions } from "../sandbox";
import { EL_FSTAB, rocky9, vary } from "../sandbox/hosts";
import { callsOf, changes, expectIdempotent, prepared, testCluster } from "./fixtures";

function richRule(proto: string, ports: string, source: string): string {
    return `public rich rule family="ipv4" source address="${source}" port port="${ports}" protocol="${proto}" accept`;
}

describe("prepare.sh on Rocky Linux 9 with firewalld", () => {
    // Something on this host set the bridge sysctls to 0, so all three are written.
    const host = (): SandboxOptions => vary(rocky9(), { state: { bridgeNfDefault: "0" } });

    test("prepares a control plane: dnf with excludes lifted, SELinux permissive, firewalld rules", () => {
        const { sb, bundle } = prepared(host());
        const r = sb.run("prepare.sh");
        expectSuccess(r);

        expect(changes(r)).toEqual([
            "installed iproute-tc conntrack-tools",
            "swap turned off",
            "/etc/fstab",
            "SELinux permissive now",
            "/etc/selinux/config",
            "/etc/modules-load.d/k8s.conf",
            "loaded module overlay",
            "loaded module br_netfilter",
            "/etc/sysctl.d/k8s.conf",
            "sysctl net.bridge.bridge-nf-call-iptables=1",
            "sysctl net.bridge.bridge-nf-call-ip6tables=1",
            "sysctl net.ipv4.ip_forward=1",
            "/etc/yum.repos.d/docker-ce.repo",
            "installed containerd.io",
            "/etc/containerd/config.toml",
            "/etc/crictl.yaml",
            "containerd enabled",
            "containerd restarted",
            "/etc/yum.repos.d/kubernetes.repo",
            "installed kubelet kubeadm kubectl 1.37.1",
            "kubelet enabled",
            "firewalld: 6 rule(s) added",
        ]);

        expect(callsOf(r, "dnf")).toEqual([
            "dnf install -y iproute-tc conntrack-tools",
            "dnf install -y containerd.io",
            "dnf install -y --disableexcludes=kubernetes kubelet-1.37.1 kubeadm-1.37.1 kubectl-1.37.1",
        ]);
        for (const name of ["kubelet", "kubeadm", "kubectl"]) {
            expect([name, sb.packages().get(name)?.version]).toEqual([name, "1.37.1-150500.1.1"]);
        }
        expect(sb.readRoot("etc/yum.repos.d/kubernetes.repo")).toBe(bundle.files["kubernetes.repo"].content);
        expect(sb.readRoot("etc/yum.repos.d/kubernetes.repo")).toMatch(/^exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni$/m);
        expect(sb.readRoot("etc/yum.repos.d/docker-ce.repo")).toBe(bundle.files["docker-ce.repo"].content);
        expect(callsOf(r, "apt-get")).toEqual([]);

        expect(sb.readRoot("etc/fstab")).toBe(EL_FSTAB.replace(
            "/dev/mapper/rl-swap", "# disabled for Kubernetes by lsst-k8s: /dev/mapper/rl-swap"));
        expect(callsOf(r, "setenforce")).toEqual(["setenforce 0"]);
        expect(sb.readState("selinux")).toBe("Permissive\n");
        expect(sb.readRoot("etc/selinux/config")).toBe(
            "# This file controls the state of SELinux on the system.\nSELINUX=permissive\nSELINUXTYPE=targeted\n");

        expect(r.calls.filter((c) => /^sysctl .*-w/.test(c))).toEqual([
            "sysctl -q -w net.bridge.bridge-nf-call-iptables=1",
            "sysctl -q -w net.bridge.bridge-nf-call-ip6tables=1",
            "sysctl -q -w net.ipv4.ip_forward=1",
        ]);
        expect(sb.readRoot("etc/containerd/config.toml")).toBe(bundle.files["containerd-config.toml"].content);
        expect(sb.unit("containerd")).toEqual({ enabled: true, active: true, restarts: 1 });
        expect(callsOf(r, "systemctl enable")).toEqual(["systemctl enable containerd", "systemctl enable --now kubelet"]);
        expect(sb.unit("kubelet")).toEqual({ enabled: true, active: true, restarts: 0 });

        const rules = [
            richRule("tcp", "10250", "203.0.113.0/24"),
            richRule("tcp", "6783", "203.0.113.0/24"),
            richRule("udp", "6783-6784", "203.0.113.0/24"),
            richRule("tcp", "6443", "203.0.113.0/24"),
            richRule("tcp", "2379-2380", "203.0.113.11/32"),
            "trusted interface weave",
        ];
        expect(sb.firewalld("permanent")).toEqual(rules);
        expect(sb.firewalld("runtime")).toEqual(rules);
        expect(callsOf(r, "firewall-cmd --reload")).toEqual(["firewall-cmd --reload"]);
        expect(callsOf(r, "iptables")).toEqual([]);
        expect(sb.iptablesRules()).toEqual([]);
    });

    test("a second run changes nothing", () => {
        const { sb } = prepared(host());
        expectSuccess(sb.run("prepare.sh"));
        expectIdempotent(sb);
    });

    test("a worker gets no API server or etcd rules", () => {
        const { sb } = prepared(host(), testCluster(), "test-node002");
        expectSuccess(sb.run("prepare.sh"));
        expect(sb.firewalld("permanent")).toEqual([
            richRule("tcp", "10250", "203.0.113.0/24"),
            richRule("tcp", "6783", "203.0.113.0/24"),
            richRule("udp", "6783-6784", "203.0.113.0/24"),
            "trusted interface weave",
        ]);
    });

    test("a host already on another kubeadm version is left to the upgrade", () => {
        const base = host();
        const old = ["kubelet", "kubeadm", "kubectl"].map((name) => ({ name, version: "1.36.3-150500.1.1" }));
        const { sb } = prepared(vary(base, {
            state: {
                packages: [...(base.state?.packages ?? []), ...old],
                units: { ...base.state?.units, kubelet: { enabled: true, active: true } },
            },
        }));
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(r.stderr).toContain("prepare.sh:   kubeadm 1.36.3 is installed and 1.37.1 is pinned: the upgrade moves this node");
        expect(callsOf(r, "dnf").filter((c) => /kube/.test(c))).toEqual([]);
        expect(sb.packages().get("kubeadm")?.version).toBe("1.36.3-150500.1.1");
    });
});
