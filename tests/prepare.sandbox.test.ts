/**
 * components/hosts/scripts/prepare.sh run for real under bash, against a Debian 12 and a Rocky Linux 9 root
 * tree, with stand-ins for the package managers, systemd, the kernel and the firewall (tests/sandbox.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { ClusterConfig, NodeConfig, validateConfig } from "../config";
import { Bundle, SCRIPTS_DIR } from "../components/hosts/bundle";
import { POD_SCRIPTS_DIR } from "../components/platform/podScripts";
import { prepareBundle } from "../components/hosts/nodeFiles";
import { cleanedUpAfterEach, createSandbox, expectSuccess, fakeDearmor, fakeKey, LEAKS, RunResult, Sandbox, SandboxOptions, SCRIPT_TOOLS, STANDINS_DIR, writeBundle } from "./sandbox";
import {
    DEBIAN_FSTAB, debian12, debianKubePackages, EL_FSTAB, elKubePackages, PACKAGED_CONTAINERD_CONFIG, rocky9, SWAPS_HEADER,
    vary,
} from "./sandbox/hosts";

const REPO = path.join(__dirname, "..");
const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----";

// ---- the cluster and the bundle ---------------------------------------------------------------------

type RawCluster = { nodes: Record<string, unknown>[] } & Record<string, unknown>;

/** The cluster of Pulumi.test.yaml, optionally changed, through the real validation. */
function testCluster(change?: (raw: RawCluster) => void): ClusterConfig {
    const doc = yaml.load(fs.readFileSync(path.join(REPO, "Pulumi.test.yaml"), "utf8")) as { config: Record<string, unknown> };
    const raw = structuredClone(doc.config["lsst-k8s:cluster"]) as RawCluster;
    change?.(raw);
    const { config, problems } = validateConfig({ "lsst-k8s:cluster": JSON.stringify(raw), "lsst-k8s:sshPrivateKey": SSH_KEY });
    if (!config) {
        throw new Error(`the test cluster is invalid:\n${problems.join("\n")}`);
    }
    return config;
}

/** Pulumi.test.yaml with three control planes, so the etcd rules are per control plane. */
function threeControlPlanes(): ClusterConfig {
    return testCluster((raw) => {
        raw.nodes.splice(1, 0,
            { name: "test-cp02", role: "control-plane", address: "203.0.113.12" },
            { name: "test-cp03", role: "control-plane", address: "203.0.113.13" });
    });
}

function node(cluster: ClusterConfig, name: string): NodeConfig {
    const n = cluster.nodes.find((x) => x.name === name);
    if (!n) {
        throw new Error(`no node ${name}`);
    }
    return n;
}

function params(bundle: Bundle): Record<string, string> {
    return Object.fromEntries(bundle.files["params.env"].content.trim().split("\n").map((l) => {
        const i = l.indexOf("=");
        return [l.slice(0, i), l.slice(i + 1)];
    }));
}

// ---- running it -------------------------------------------------------------------------------------

const live = cleanedUpAfterEach();

interface Prepared {
    sb: Sandbox;
    bundle: Bundle;
}

function prepared(host: SandboxOptions, cluster = testCluster(), nodeName = "test-cp01"): Prepared {
    const sb = createSandbox(host);
    live.push(sb);
    const bundle = prepareBundle(cluster, node(cluster, nodeName));
    writeBundle(bundle, sb.workDir);
    return { sb, bundle };
}



/** The step failed with exit 1 and MESSAGE, through die (not an unexpected command failure). */
function expectDied(r: RunResult, step: string, message: string): void {
    expect(r.stderr).not.toMatch(LEAKS);
    expect(r.stderr).toContain(`prepare.sh: step '${step}' failed: ${message}`);
    expect(r.status).toBe(1);
}

/** What the run reported as changed, in order. */
function changes(r: RunResult): string[] {
    const prefix = "prepare.sh:   changed: ";
    return r.stderr.split("\n").filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

function callsOf(r: RunResult, command: string): string[] {
    return r.calls.filter((c) => c === command || c.startsWith(`${command} `));
}

/** Stand-in calls that only ask. A second run may make these and nothing else. */
const READ_ONLY_CALLS = [
    /^id -u$/,
    /^dpkg-query -W -f=\$\{(Status|Version)\} [a-z0-9.+-]+$/,
    /^rpm -q (--qf %\{VERSION\} )?[a-z0-9.+-]+$/,
    /^apt-mark showhold$/,
    /^sysctl -n [a-z0-9._-]+$/,
    /^containerd --version$/,
    /^getenforce$/,
    /^systemctl is-(enabled|active) --quiet [a-z0-9@._-]+$/,
    /^iptables -C INPUT /,
    /^firewall-cmd --permanent (--zone=trusted )?--query-(rich-rule|interface)=/,
];

/** Calls that change the host (or fetch what is already there). */
const STATE_CHANGING = new RegExp([
    String.raw`^(apt-get|dnf|curl|gpg|swapoff|modprobe|setenforce|iptables-save|netfilter-persistent)\b`,
    String.raw`^apt-mark (un)?hold`,
    String.raw`^sysctl .*-w`,
    String.raw`^systemctl (enable|disable|start|stop|restart)`,
    String.raw`^iptables -[IAD] `,
    String.raw`^firewall-cmd .*(--add-|--remove-|--reload)`,
].join("|"));

function expectIdempotent(sb: Sandbox): void {
    const tree = sb.snapshot({ identity: true });
    const state = sb.stateSnapshot();
    const again = sb.run("prepare.sh");
    expectSuccess(again);
    expect(changes(again)).toEqual([]);
    expect(again.stderr).toContain("prepare.sh: done: 0 change(s)");
    expect(again.calls.filter((c) => STATE_CHANGING.test(c))).toEqual([]);
    expect(again.calls.filter((c) => !READ_ONLY_CALLS.some((re) => re.test(c)))).toEqual([]);
    expect(again.calls.length).toBeGreaterThan(10);
    // Contents, modes, and the files themselves (inode, mtime): nothing rewritten, created or removed.
    expect(sb.snapshot({ identity: true })).toEqual(tree);
    expect(sb.stateSnapshot()).toEqual(state);
}

function iptablesRule(proto: string, ports: string, source: string, why: string): string {
    return `-A INPUT -p ${proto} -s ${source} --dport ${ports} -m comment --comment "lsst-k8s: ${why}" -j ACCEPT`;
}

const WEAVE_RULE = '-A INPUT -i weave -s 10.32.0.0/12 -m comment --comment "lsst-k8s: pod traffic from the Weave overlay" -j ACCEPT';

function richRule(proto: string, ports: string, source: string): string {
    return `public rich rule family="ipv4" source address="${source}" port port="${ports}" protocol="${proto}" accept`;
}

// ---- Debian ---------------------------------------------------------------------------------------------

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

// ---- EL ---------------------------------------------------------------------------------------------

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

// ---- failures ---------------------------------------------------------------------------------------

describe("prepare.sh refuses hosts it cannot prepare", () => {
    /** Runs on HOST and checks the run died in STEP with MESSAGE; returns the run. */
    function refused(host: SandboxOptions, step: string, message: string): { r: RunResult; sb: Sandbox } {
        const { sb } = prepared(host);
        const r = sb.run("prepare.sh");
        expectDied(r, step, message);
        return { r, sb };
    }

    test("an unsupported distribution, before touching anything", () => {
        const host = vary(debian12(), { files: { "etc/os-release": 'NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n' } });
        const { sb } = prepared(host);
        const before = sb.snapshot({ identity: true });
        const r = sb.run("prepare.sh");
        expectDied(r, "os", "unsupported distribution ID=arch ID_LIKE=: EL 8/9 (dnf) or Debian/Ubuntu (apt) are supported");
        expect(r.calls).toEqual(["id -u"]);
        expect(sb.snapshot({ identity: true })).toEqual(before);
    });

    test("CentOS 7", () => {
        const { r } = refused(vary(rocky9(), {
            files: { "etc/os-release": 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\n' },
        }), "os", "centos 7 is not supported: the EL family needs release 8 or 9 (CentOS 7 is end of life)");
        expect(r.calls).toEqual(["id -u"]);
    });

    test("a Debian derivative Docker does not package for", () => {
        refused(vary(debian12(), {
            files: { "etc/os-release": 'ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="22"\nVERSION_CODENAME=wilma\n' },
        }), "os", "linuxmint is not supported: Docker's containerd packages exist for debian and ubuntu only");
    });

    test("not running as root", () => {
        const host = debian12();
        const { r } = refused(vary(host, { state: { uid: 1000 } }), "os", "must run as root");
        expect(r.calls).toEqual(["id -u"]);
    });

    test("cgroup v1", () => {
        const { r } = refused(vary(debian12(), { remove: ["sys/fs/cgroup/cgroup.controllers"] }), "cgroup",
            "this host runs cgroup v1; Kubernetes 1.37.1 needs cgroup v2 (boot with systemd.unified_cgroup_hierarchy=1)");
        expect(callsOf(r, "swapoff")).toEqual([]);
        // Checks come before installs: a refused host gets no packages.
        expect(callsOf(r, "apt-get")).toEqual([]);
    });

    test("only loopback nameservers and no upstream list", () => {
        const { r } = refused(vary(debian12(), { files: { "etc/resolv.conf": "nameserver 127.0.0.53\nnameserver ::1\n" } }),
            "dns", "/etc/resolv.conf lists only loopback nameservers (127.x) and no upstream list exists");
        expect(callsOf(r, "swapoff")).toEqual([]);
        expect(callsOf(r, "apt-get")).toEqual([]);
    });

    test("containerd older than the release needs", () => {
        const { r, sb } = refused(vary(debian12(), { state: { containerdVersion: "1.7.27" } }), "runtime",
            "containerd 1.7.27 is older than 2.0, the oldest Kubernetes 1.37.1 runs on");
        // The package's own config is still there, containerd was not restarted, no kube packages.
        expect(sb.readRoot("etc/containerd/config.toml")).toBe(PACKAGED_CONTAINERD_CONFIG);
        expect(callsOf(r, "systemctl restart")).toEqual([]);
        expect([...sb.packages().keys()].filter((n) => n.startsWith("kube"))).toEqual([]);
    });

    test("a params.env without a required key", () => {
        const { sb } = prepared(debian12());
        const file = path.join(sb.workDir, "params.env");
        const text = fs.readFileSync(file, "utf8");
        expect(text).toMatch(/^NODE_CIDR=/m);
        fs.writeFileSync(file, text.replace(/^NODE_CIDR=.*\n/m, ""));
        const before = sb.snapshot({ identity: true });
        const r = sb.run("prepare.sh");
        expectDied(r, "setup", "parameter NODE_CIDR is missing");
        expect(r.calls).toEqual([]);
        expect(sb.snapshot({ identity: true })).toEqual(before);
    });

    test("a pinned kubeadm the apt repository does not have (1.37.12 does not count)", () => {
        const host = debian12();
        const available = (host.state?.available ?? []).filter((p) => !p.name.startsWith("kube"))
            .concat(debianKubePackages(["1.37.12-1.1", "1.37.2-1.1", "1.37.0-1.1"]));
        const { r, sb } = refused(vary(host, { state: { available } }), "packages",
            "kubelet 1.37.1 is not in the pkgs.k8s.io repository");
        expect(callsOf(r, "apt-cache")).toEqual(["apt-cache madison kubelet"]);
        expect([...sb.packages().keys()].filter((n) => n.startsWith("kube"))).toEqual([]);
    });

    test("a pinned version dnf cannot find fails the packages step", () => {
        const base = rocky9();
        const available = (base.state?.available ?? []).filter((p) => !p.name.startsWith("kube"))
            .concat(elKubePackages(["1.37.12-150500.1.1", "1.37.0-150500.1.1"]));
        const { sb } = prepared(vary(base, { state: { available } }));
        const r = sb.run("prepare.sh");
        expect(r.stderr).toContain("Error: Unable to find a match: kubelet-1.37.1");
        expect(r.stderr).toMatch(/prepare\.sh: step 'packages' failed \(exit 1\) at line \d+: "\$dnf" install -y --disableexcludes=kubernetes/);
        expect(r.status).toBe(1);
    });

    test("a failed download names its step", () => {
        const { sb } = prepared(vary(debian12(), { state: { curlFail: ["https://download.docker.com/linux/debian/gpg"] } }));
        const r = sb.run("prepare.sh");
        expect(r.stderr).toMatch(/prepare\.sh: step 'runtime' failed \(exit 22\) at line \d+: curl -fsSL /);
        expect(r.status).toBe(22);
        expect(sb.existsRoot("etc/apt/keyrings/docker.asc")).toBe(false);
    });

    test("a config file that cannot be written fails its step instead of being reported as changed", () => {
        const { r } = refused(vary(debian12(), { files: { "etc/modules-load.d": "not a directory\n" } }), "kernel",
            "cannot create the directory of /etc/modules-load.d/k8s.conf");
        expect(changes(r)).not.toContain("/etc/modules-load.d/k8s.conf");
        expect(callsOf(r, "modprobe")).toEqual([]);
    });
});

// ---- the sandbox itself -----------------------------------------------------------------------------

describe("the sandbox", () => {
    test("PATH holds only the allow-listed tools and the stand-ins; host tools are not found", () => {
        const sb = createSandbox(debian12());
        live.push(sb);
        expect(fs.readdirSync(sb.binDir).sort()).toEqual([...SCRIPT_TOOLS, ...debian12().standIns ?? []].sort());
        fs.writeFileSync(path.join(sb.workDir, "probe.sh"), [
            'printf "path=%s\\n" "$PATH"',
            "for c in dnf rpm firewall-cmd netfilter-persistent nft ip ls env python3 perl sudo; do",
            '    command -v "$c" >/dev/null && echo "found $c"',
            "done",
            'printf "root=%s\\n" "$LSST_K8S_ROOT"',
            "",
        ].join("\n"));
        const r = sb.run("probe.sh");
        expect(r.stdout).toBe(`path=${sb.binDir}\nroot=${sb.root}\n`);
    });

    const root = typeof process.getuid === "function" && process.getuid() === 0;
    (root ? test : test.skip)("when the tests run as root, the scripts run as nobody", () => {
        const sb = createSandbox({ standIns: ["id"] });
        live.push(sb);
        fs.writeFileSync(path.join(sb.workDir, "whoami.sh"), 'printf "%s %s\\n" "$EUID" "$(id -u)"\ntouch /etc/lsst-k8s-sandbox-escape 2>/dev/null || echo blocked\n');
        const r = sb.run("whoami.sh");
        // The real uid is nobody's; the id stand-in answers 0 for the script's root check.
        expect(r.stdout).toBe("65534 0\nblocked\n");
        expect(fs.existsSync("/etc/lsst-k8s-sandbox-escape")).toBe(false);
    });

    test("refuses to link in a host-changing tool for real", () => {
        expect(() => createSandbox({ tools: [...SCRIPT_TOOLS, "systemctl"] })).toThrow(/never run for real/);
        expect(() => createSandbox({ tools: [...SCRIPT_TOOLS, "curl"] })).toThrow(/never run for real/);
    });
});

// ---- static checks on the scripts -------------------------------------------------------------------

/** A line without its comment (a # that starts a word outside quotes). */
function stripComment(line: string): string {
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === "\\" && quote !== "'") {
            i++;
        } else if (quote) {
            if (c === quote) {
                quote = undefined;
            }
        } else if (c === "'" || c === '"') {
            quote = c;
        } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
            return line.slice(0, i);
        }
    }
    return line;
}

/** Top-level directories of a host; a literal path into one of them must be written $ROOT/... */
const HOST_PATH = /\/(etc|proc|sys|run|var|usr|bin|sbin|lib|lib64|opt|boot|home|root|srv|mnt)(?=[/\s"';)|&<>]|$)/g;

/** Unprefixed host paths the scripts may hold, each for a reason; a stale entry fails the test too. */
const ALLOWED_UNPREFIXED = [
    {
        file: "prepare.sh",
        line: "keyring=/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
        why: "a name, used only as $ROOT$keyring and as update_file's destination (checked below)",
    },
    {
        file: "prepare.sh",
        line: String.raw`printf 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/%s %s stable\n' \ `.trimEnd(),
        why: "the text of an apt source: apt on the node reads the path",
    },
];

/**
 * Text just before a path that makes it safe: update_file prefixes $ROOT itself; a message is text
 * (unless a command substitution in it runs something on the path).
 */
const SAFE_BEFORE = [
    /\bupdate_file\s+\S+\s+"?$/,
    /\b(log|die|changed)\s+"(?:[^"$]|\$(?!\())*$/,
];

interface Finding {
    file: string;
    line: number;
    text: string;
    path: string;
}

function unprefixedPaths(file: string, text: string): Finding[] {
    const found: Finding[] = [];
    text.split("\n").forEach((raw, i) => {
        if (i === 0 && raw.startsWith("#!")) {
            return;
        }
        const code = stripComment(raw).replace(/https?:\/\/[^\s"']+/g, "URL");
        for (const m of code.matchAll(HOST_PATH)) {
            const before = code.slice(0, m.index);
            const prev = before.slice(-1);
            if (before.endsWith("$ROOT") || before.endsWith("${ROOT}")) {
                continue;
            }
            if (prev !== "" && !/[\s"'=<>(\[,;|&]/.test(prev)) {
                continue; // inside a longer word: "$HERE/etc", "a/etc"
            }
            if (SAFE_BEFORE.some((re) => re.test(before))) {
                continue;
            }
            const rest = code.slice(m.index).match(/^[^\s"';)|&<>]*/)?.[0] ?? m[0];
            found.push({ file, line: i + 1, text: raw.trim(), path: rest });
        }
    });
    return found;
}

describe("static checks on prepare.sh and lib.sh", () => {
    const scripts = ["prepare.sh", "lib.sh"].map((f) => ({ file: f, text: fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8") }));

    test("the path scan finds what it must and only that", () => {
        const sample = [
            "#!/usr/bin/env bash",
            "cat /etc/hosts",
            "echo 1 >/proc/sys/net/ipv4/ip_forward",
            'mkdir -p "/var/lib/kubelet"',
            "if [[ -f /run/flag ]]; then x=/sys/fs/cgroup; fi",
            "/usr/bin/apt-get install -y x",
            'log "x" >/etc/y',
            'die "bad: $(cat /etc/z)"',
            'cat "$ROOT/etc/hosts" "${ROOT}/proc/swaps"',
            'log "  /etc/resolv.conf is fine"',
            'die "it\'s /etc/x"',
            "update_file a /etc/b 0644",
            "# a comment about /etc/c",
            'echo x >/dev/null # and /etc/d',
            "curl -fsSL https://example.org/etc/e",
            'cp "$HERE/etc/f" "$HERE/g"',
        ].join("\n");
        expect(unprefixedPaths("sample", sample).map((f) => `${f.line}:${f.path}`)).toEqual([
            "2:/etc/hosts", "3:/proc/sys/net/ipv4/ip_forward", "4:/var/lib/kubelet", "5:/run/flag", "5:/sys/fs/cgroup",
            "6:/usr/bin/apt-get", "7:/etc/y", "8:/etc/z",
        ]);
    });

    test("every literal host path in a file operation is under $ROOT", () => {
        const findings = scripts.flatMap(({ file, text }) => unprefixedPaths(file, text));
        const unexpected = findings.filter((f) => !ALLOWED_UNPREFIXED.some((a) => a.file === f.file && a.line === f.text));
        expect(unexpected).toEqual([]);
        // Every allow-list entry is still needed (and still reads as written).
        for (const a of ALLOWED_UNPREFIXED) {
            expect([a.line, findings.some((f) => f.file === a.file && f.text === a.line)]).toEqual([a.line, true]);
        }
    });

    test("a host path kept in a variable is only used under $ROOT or through update_file", () => {
        const names = ALLOWED_UNPREFIXED.map((a) => /^([a-z_][a-z0-9_]*)=/.exec(a.line)?.[1]).filter((n): n is string => !!n);
        expect(names).toEqual(["keyring"]);
        for (const name of names) {
            const uses: string[] = [];
            for (const { text } of scripts) {
                for (const raw of text.split("\n")) {
                    const code = stripComment(raw);
                    for (const m of code.matchAll(new RegExp(String.raw`\$\{?${name}\b\}?`, "g"))) {
                        const before = code.slice(0, m.index);
                        const ok = before.endsWith("$ROOT") || /\bupdate_file\s+\S+\s+"?$/.test(before);
                        uses.push(`${ok ? "ok" : "UNPREFIXED"}: ${raw.trim()}`);
                    }
                }
            }
            expect(uses.length).toBeGreaterThanOrEqual(2);
            expect(uses.filter((u) => !u.startsWith("ok"))).toEqual([]);
        }
    });

    test("update_file writes under $ROOT", () => {
        const lib = scripts.find((s) => s.file === "lib.sh")?.text ?? "";
        expect(lib).toMatch(/^ROOT="\$\{LSST_K8S_ROOT:-\}"$/m);
        expect(lib).toMatch(/^update_file\(\) \{\n\s+local src="\$HERE\/\$1" dest="\$ROOT\$2" mode=\$3 tmp$/m);
    });

    test("every tool on the sandbox PATH is one the scripts use", () => {
        const code = scripts.map(({ text }) => text.split("\n").map(stripComment).join("\n")).join("\n");
        const unused = SCRIPT_TOOLS.filter((t) => t !== "bash" && !new RegExp(String.raw`(^|[\s|;&(!{])${t}(?=[\s)]|$)`, "m").test(code));
        expect(unused).toEqual([]);
    });
});

describe("shellcheck", () => {
    function shellcheck(args: string[]): { status: number | null; output: string } {
        const r = spawnSync("shellcheck", args, { cwd: REPO, encoding: "utf8" });
        if (r.error) {
            const code = (r.error as NodeJS.ErrnoException).code;
            throw new Error(code === "ENOENT"
                ? "shellcheck is not installed; install it (apt-get install shellcheck): CI runs it, and so must this test"
                : `shellcheck did not run: ${r.error.message}`);
        }
        return { status: r.status, output: r.stdout + r.stderr };
    }

    test("every components/hosts/scripts/*.sh and components/platform/scripts/*.sh is clean", () => {
        const list = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith(".sh")).sort();
        expect(list(SCRIPTS_DIR)).toEqual(expect.arrayContaining(["bootstrap.sh", "lib.sh", "prepare.sh"]));
        expect(list(POD_SCRIPTS_DIR)).toEqual(["etcd-backup.sh"]);
        const scripts = [SCRIPTS_DIR, POD_SCRIPTS_DIR].flatMap((dir) => list(dir).map((f) => path.relative(REPO, path.join(dir, f))));
        const r = shellcheck(scripts);
        expect(r.output).toBe("");
        expect(r.status).toBe(0);
    });

    test("the sandbox stand-ins are clean", () => {
        const files = fs.readdirSync(STANDINS_DIR).sort().map((f) => path.relative(REPO, path.join(STANDINS_DIR, f)));
        const r = shellcheck(["-s", "bash", ...files]);
        expect(r.output).toBe("");
        expect(r.status).toBe(0);
    });
});
