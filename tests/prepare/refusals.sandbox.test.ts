/**
 * The hosts prepare.sh refuses, each in the step that finds the problem and before that step changes
 * anything, and the failures of a step that name it.
 */
import * as fs from "fs";
import * as path from "path";
import { RunResult, Sandbox, SandboxOptions } from "../sandbox";
import { debian12, debianKubePackages, elKubePackages, rocky9, vary } from "../sandbox/hosts";
import { callsOf, changes, expectDied, prepared } from "./fixtures";

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
