/**
 * prepare.sh run for real under bash against the Debian 12 root tree (tests/sandbox/hosts.ts), whose
 * firewall is plain iptables: a control plane and a worker from nothing, the rerun, and hosts that
 * already have part of what it installs.
 */
import { expectSuccess, fakeDearmor, fakeKey } from "../sandbox";
import { DEBIAN_FSTAB, debian12, PACKAGED_CONTAINERD_CONFIG, SWAPS_HEADER, vary } from "../sandbox/hosts";
import { callsOf, changes, expectIdempotent, params, prepared, testCluster, threeControlPlanes } from "./fixtures";

function iptablesRule(proto: string, ports: string, source: string, why: string): string {
    return `-A INPUT -p ${proto} -s ${source} --dport ${ports} -m comment --comment "lsst-k8s: ${why}" -j ACCEPT`;
}

const WEAVE_RULE = '-A INPUT -i weave -s 10.32.0.0/12 -m comment --comment "lsst-k8s: pod traffic from the Weave overlay" -j ACCEPT';

describe("prepare.sh on Debian 12 with iptables", () => {
    test("prepares a control plane: swap, kernel, containerd, pinned and held packages, firewall", () => {
        const { sb, bundle } = prepared(debian12(), threeControlPlanes());
        const p = params(bundle);
        const r = sb.run("prepare.sh");
        expectSuccess(r);

        expect(changes(r)).toEqual([
            "installed conntrack",
            "swap turned off",
            "/etc/fstab",
            "/etc/modules-load.d/k8s.conf",
            "loaded module overlay",
            "loaded module br_netfilter",
            "/etc/sysctl.d/k8s.conf",
            "sysctl net.ipv4.ip_forward=1",
            "/etc/apt/keyrings/docker.asc",
            "/etc/apt/sources.list.d/docker.list",
            "installed containerd.io",
            "/etc/containerd/config.toml",
            "/etc/crictl.yaml",
            "containerd restarted",
            "/etc/apt/sources.list.d/kubernetes.list",
            "/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
            "installed kubelet kubeadm kubectl 1.37.1",
            "held kubelet",
            "held kubeadm",
            "held kubectl",
            "iptables: 8 rule(s) added",
        ]);
        expect(r.stderr).toContain("prepare.sh: done: 21 change(s)");

        // swap: off now, and the fstab entry commented so it stays off (the other lines untouched).
        expect(callsOf(r, "swapoff")).toEqual(["swapoff -a"]);
        expect(sb.readRoot("proc/swaps")).toBe(`${SWAPS_HEADER}\n`);
        expect(sb.readRoot("etc/fstab")).toBe(DEBIAN_FSTAB.replace(
            "UUID=0c6a1e2b-7f3d-4e8a-9b1c-5d2e3f4a6b7c none",
            "# disabled for Kubernetes by lsst-k8s: UUID=0c6a1e2b-7f3d-4e8a-9b1c-5d2e3f4a6b7c none"));

        // kernel modules now and at boot; sysctls now and at boot.
        expect(callsOf(r, "modprobe")).toEqual(["modprobe overlay", "modprobe br_netfilter"]);
        expect(sb.existsRoot("sys/module/overlay") && sb.existsRoot("sys/module/br_netfilter")).toBe(true);
        expect(sb.readRoot("etc/modules-load.d/k8s.conf")).toBe(bundle.files["modules-load.conf"].content);
        expect(sb.modeOf("etc/modules-load.d/k8s.conf")).toBe("0644");
        expect(sb.readRoot("etc/sysctl.d/k8s.conf")).toBe(bundle.files["sysctl.conf"].content);
        // br_netfilter brings the bridge sysctls at 1 (the kernel's default), so only forwarding is written.
        expect(r.calls.filter((c) => /^sysctl .*-w/.test(c))).toEqual(["sysctl -q -w net.ipv4.ip_forward=1"]);
        for (const key of ["net/ipv4/ip_forward", "net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables"]) {
            expect(`${key}=${sb.readRoot(`proc/sys/${key}`)}`).toBe(`${key}=1\n`);
        }

        // containerd from Docker's repository, configured by the bundle and restarted to read it.
        expect(sb.readRoot("etc/apt/keyrings/docker.asc")).toBe(fakeKey("https://download.docker.com/linux/debian/gpg"));
        expect(sb.readRoot("etc/apt/sources.list.d/docker.list")).toBe(
            "deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n");
        expect(sb.packages().get("containerd.io")).toEqual({ version: "2.1.4-1~debian.12~bookworm", status: "installed" });
        expect(sb.readRoot("etc/containerd/config.toml")).toBe(bundle.files["containerd-config.toml"].content);
        expect(sb.readRoot("etc/containerd/config.toml")).not.toBe(PACKAGED_CONTAINERD_CONFIG);
        expect(sb.readRoot("etc/crictl.yaml")).toBe(bundle.files["crictl.yaml"].content);
        expect(callsOf(r, "systemctl restart")).toEqual(["systemctl restart containerd"]);
        expect(sb.unit("containerd")).toEqual({ enabled: true, active: true, restarts: 1 });

        // kubelet, kubeadm, kubectl from pkgs.k8s.io at the exact pin with the repository's revision, held.
        expect(sb.readRoot("etc/apt/sources.list.d/kubernetes.list")).toBe(bundle.files["kubernetes.list"].content);
        expect(callsOf(r, "curl")).toContain(`curl -fsSL -o ${sb.workDir}/kubernetes.key ${p.K8S_DEB_KEY_URL}`);
        expect(sb.readRoot("etc/apt/keyrings/kubernetes-apt-keyring.gpg")).toBe(fakeDearmor(fakeKey(p.K8S_DEB_KEY_URL)));
        expect(callsOf(r, "apt-get install")).toEqual([
            "apt-get install -y -q conntrack",
            "apt-get install -y -q containerd.io",
            "apt-get install -y -q --allow-change-held-packages kubelet=1.37.1-1.2 kubeadm=1.37.1-1.2 kubectl=1.37.1-1.2",
        ]);
        for (const name of ["kubelet", "kubeadm", "kubectl"]) {
            expect([name, sb.packages().get(name)]).toEqual([name, { version: "1.37.1-1.2", status: "installed" }]);
        }
        expect(sb.holds()).toEqual(["kubelet", "kubeadm", "kubectl"]);
        expect(sb.unit("kubelet")).toMatchObject({ enabled: true });

        // firewall: iptables, each rule inserted at the top, the host's own rule kept below them.
        expect(callsOf(r, "firewall-cmd")).toEqual([]);
        const added = [
            iptablesRule("tcp", "10250", "203.0.113.0/24", "kubelet API"),
            iptablesRule("tcp", "6783", "203.0.113.0/24", "Weave control"),
            iptablesRule("udp", "6783:6784", "203.0.113.0/24", "Weave data"),
            iptablesRule("tcp", "6443", "203.0.113.0/24", "Kubernetes API"),
            iptablesRule("tcp", "2379:2380", "203.0.113.11/32", "etcd peers"),
            iptablesRule("tcp", "2379:2380", "203.0.113.12/32", "etcd peers"),
            iptablesRule("tcp", "2379:2380", "203.0.113.13/32", "etcd peers"),
            WEAVE_RULE,
        ];
        expect(sb.iptablesRules()).toEqual([...added].reverse().concat("-A INPUT -p tcp --dport 22 -j ACCEPT"));
        expect(r.stderr).toContain("the rules are live but not saved");
        expect(sb.existsRoot("etc/sysconfig/iptables")).toBe(false);
    });

    test("a second run changes nothing", () => {
        const { sb } = prepared(debian12(), threeControlPlanes());
        expectSuccess(sb.run("prepare.sh"));
        expectIdempotent(sb);
    });

    test("a worker gets no API server or etcd rules", () => {
        const { sb } = prepared(debian12(), testCluster(), "test-node001");
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(sb.iptablesRules()).toEqual([
            WEAVE_RULE,
            iptablesRule("udp", "6783:6784", "203.0.113.0/24", "Weave data"),
            iptablesRule("tcp", "6783", "203.0.113.0/24", "Weave control"),
            iptablesRule("tcp", "10250", "203.0.113.0/24", "kubelet API"),
            "-A INPUT -p tcp --dport 22 -j ACCEPT",
        ]);
    });

    test("rules are saved to /etc/sysconfig/iptables when the host keeps them there", () => {
        const saved = "# Generated by iptables-save\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n";
        const { sb } = prepared(vary(debian12(), { files: { "etc/sysconfig/iptables": { content: saved, mode: "0600" } } }),
            testCluster(), "test-node001");
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(callsOf(r, "iptables-save")).toEqual(["iptables-save"]);
        expect(sb.readRoot("etc/sysconfig/iptables")).toBe([
            "# Generated by iptables-save (sandbox stand-in)", "*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]", ...sb.iptablesRules(), "COMMIT", "",
        ].join("\n"));
        expect(sb.modeOf("etc/sysconfig/iptables")).toBe("0600");
        expectIdempotent(sb);
    });

    test("a host with kubeadm at the pin but no kubelet or kubectl gets just those, at the pin", () => {
        const host = debian12();
        const { sb } = prepared(vary(host, {
            state: { packages: [...(host.state?.packages ?? []), { name: "kubeadm", version: "1.37.1-1.1" }] },
        }));
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(callsOf(r, "apt-cache")).toEqual(["apt-cache madison kubelet", "apt-cache madison kubectl"]);
        expect(callsOf(r, "apt-get").filter((c) => c.includes(" install "))).toContainEqual(
            "apt-get install -y -q --allow-change-held-packages kubelet=1.37.1-1.2 kubectl=1.37.1-1.2");
        expect(changes(r)).toContain("installed kubelet kubectl 1.37.1");
        expectIdempotent(sb);
    });

    test("a host already on another kubeadm version is left to the upgrade", () => {
        const old = ["kubelet", "kubeadm", "kubectl"].map((name) => ({ name, version: "1.36.3-1.1" }));
        const host = debian12();
        const { sb } = prepared(vary(host, {
            state: {
                packages: [...(host.state?.packages ?? []), ...old],
                holds: ["kubelet", "kubeadm", "kubectl"],
                units: { ...host.state?.units, kubelet: { enabled: true, active: true } },
            },
        }));
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(r.stderr).toContain("prepare.sh:   kubeadm 1.36.3 is installed and 1.37.1 is pinned: the upgrade moves this node");
        expect(r.calls.filter((c) => /kube/.test(c) && /^apt-(get|cache)/.test(c))).toEqual([]);
        for (const name of ["kubelet", "kubeadm", "kubectl"]) {
            expect([name, sb.packages().get(name)?.version]).toEqual([name, "1.36.3-1.1"]);
        }
        expect(changes(r).filter((c) => /kube(let|adm|ctl)/.test(c) && !c.startsWith("/etc/"))).toEqual([]);
    });

    test("kubeadm removed with its configuration left behind counts as not installed", () => {
        const host = debian12();
        const { sb } = prepared(vary(host, {
            state: { packages: [...(host.state?.packages ?? []), { name: "kubeadm", version: "1.36.3-1.1", status: "config-files" }] },
        }));
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(changes(r)).toContain("installed kubelet kubeadm kubectl 1.37.1");
        expect(sb.packages().get("kubeadm")).toEqual({ version: "1.37.1-1.2", status: "installed" });
    });

    test("a systemd-resolved stub resolv.conf is fine when the upstream list exists", () => {
        const { sb } = prepared(vary(debian12(), {
            files: {
                "run/systemd/resolve/stub-resolv.conf": "nameserver 127.0.0.53\noptions edns0 trust-ad\n",
                "etc/resolv.conf": { symlink: "../run/systemd/resolve/stub-resolv.conf" },
                "run/systemd/resolve/resolv.conf": "nameserver 192.0.2.53\n",
            },
        }));
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(r.stderr).toContain(
            "prepare.sh:   /etc/resolv.conf is the systemd-resolved stub; the kubelet will use /run/systemd/resolve/resolv.conf");
    });
});
