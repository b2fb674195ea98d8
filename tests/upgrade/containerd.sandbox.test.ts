/**
 * containerd moved for a new minor (2.0 from Kubernetes 1.36) on a node that already runs pods, on the
 * Debian 12 and Rocky Linux 9 hosts of ./fixtures: prepare.sh, which runs on every node at once, only
 * leaves the minimum the pin needs in /var/lib/lsst-k8s/containerd-upgrade; upgrade.sh, on the one node
 * cordon.sh has drained, moves containerd.io, keeps the config.toml prepare.sh wrote and restarts
 * containerd, before kubeadm. The whole 1.35 → 1.36 sequence, the retry and the refusal.
 */
import * as fs from "fs";
import * as path from "path";
import { Bundle } from "../../components/hosts/bundle";
import { prepareBundle } from "../../components/hosts/nodeFiles";
import { NodeConfig } from "../../config";
import { createSandbox, expectSuccess, fakeKey, LEAKS, Sandbox, SCRIPT_TOOLS, UPGRADE_TOOLS, writeBundle } from "../sandbox";
import { debianKubePackages, elKubePackages, PACKAGED_CONTAINERD_CONFIG, vary } from "../sandbox/hosts";
import { ownLines, stackCluster, upgradeBundle, UpgradeRole } from "../sandbox/joins";
import { ADMIN_CONF, CONTROL_PLANE_COMPONENTS, DEBIAN, EL, Family, FIRST, KUBE, KUBELET_CONF, live, manifest, MANIFESTS, TEST, upgradeHost, WORKER } from "./fixtures";

const STAGED = "var/lib/lsst-k8s/containerd-upgrade";
const CONFIG = "etc/containerd/config.toml";

/** containerd.io as Docker's repository for each family has it: the 1.7 a host started with, the 2.x it moves to. */
interface Containerd {
    readonly old: string;
    readonly new: string;
    readonly repo: string;
    /** The calls that move it, as upgrade.sh makes them. */
    readonly upgrade: readonly string[];
}

function containerdOf(f: Family): Containerd {
    return f === DEBIAN
        ? {
            old: "1.7.27-1", new: "2.1.4-1~debian.12~bookworm", repo: "docker.list",
            upgrade: ["apt-get update -q", "apt-get install -y -q -o Dpkg::Options::=--force-confold containerd.io"],
        }
        : { old: "1.7.27-3.1.el9", new: "2.1.4-1.el9", repo: "docker-ce.repo", upgrade: ["dnf upgrade -y containerd.io"] };
}

/** Replaces the work directory's bundle, as bootstrap.sh unpacks each into a fresh directory. */
function unpack(sb: Sandbox, bundle: Bundle): void {
    for (const name of fs.readdirSync(sb.workDir)) {
        fs.rmSync(path.join(sb.workDir, name), { recursive: true, force: true });
    }
    writeBundle(bundle, sb.workDir);
}

function containerdVersion(sb: Sandbox): string | undefined {
    return sb.packages().get("containerd.io")?.version;
}

describe.each([
    ["Debian 12, the first control plane", DEBIAN, "first-control-plane" as UpgradeRole, FIRST],
    ["Rocky Linux 9, a worker", EL, "worker" as UpgradeRole, WORKER],
])("containerd 1.7 on a member, 1.35.5 → 1.36.3: %s", (_, f, role, node: NodeConfig) => {
    const c = containerdOf(f);
    const from = stackCluster("test", "1.35.5");
    const to = stackCluster("test", "1.36.3");

    /** A host that got containerd.io 1.7 and the 1.35 packages when those were current, before any preparation. */
    function member(): Sandbox {
        const host = f.host();
        const kube = f === DEBIAN
            ? debianKubePackages(["1.36.3-1.1", "1.35.5-1.1"])
            : elKubePackages(["1.36.3-150500.1.1", "1.35.5-150500.1.1"]);
        const sb = createSandbox({
            ...vary(host, {
                state: {
                    packages: [...host.state?.packages ?? [], { name: "containerd.io", version: c.old }],
                    available: [
                        ...(host.state?.available ?? []).filter((p) => !KUBE.includes(p.name)),
                        { name: "containerd.io", version: c.old, repo: c.repo },
                        ...kube,
                    ],
                    units: { ...host.state?.units, containerd: { enabled: true, active: true } },
                },
                files: { [CONFIG]: PACKAGED_CONTAINERD_CONFIG },
            }),
            standIns: [...host.standIns ?? [], "kubeadm"],
            tools: [...new Set([...SCRIPT_TOOLS, ...UPGRADE_TOOLS])],
        });
        live.push(sb);
        return sb;
    }

    test("preparation leaves the runtime to the node's upgrade, which moves containerd.io (config kept) and restarts it before kubeadm; then nothing changes", () => {
        const sb = member();
        unpack(sb, prepareBundle(from, node));
        expectSuccess(sb.run("prepare.sh"));
        expect(containerdVersion(sb)).toBe(c.old);
        // What kubeadm init or join left: the node is in the cluster, its pods on this containerd.
        sb.writeRoot(KUBELET_CONF, { content: "kind: Config\n", mode: "0600" });
        if (role !== "worker") {
            sb.writeRoot(ADMIN_CONF, { content: "kind: Config\n", mode: "0600" });
            for (const component of CONTROL_PLANE_COMPONENTS) {
                sb.writeRoot(`${MANIFESTS}/${component}.yaml`, { content: manifest(component, "1.35.5"), mode: "0600" });
            }
        }
        const config = prepareBundle(to, node).files["containerd-config.toml"].content;
        expect(sb.readRoot(CONFIG)).toBe(config);
        const restarts = sb.unit("containerd")?.restarts;

        // The new pin's preparation, which runs on every node at once: no package, no restart.
        unpack(sb, prepareBundle(to, node));
        const prepared = sb.run("prepare.sh");
        expectSuccess(prepared);
        expect(prepared.stderr).toContain("prepare.sh:   containerd 1.7.27 is older than 2.0, the oldest Kubernetes 1.36.3 runs on: " +
            "this node's pods run on it, so the node's upgrade moves it, once the node is drained\n");
        expect(prepared.calls.filter((call) => /^(apt-get install|dnf (install|upgrade)) .*containerd\.io|^systemctl restart/.test(call))).toEqual([]);
        expect(containerdVersion(sb)).toBe(c.old);
        expect(sb.unit("containerd")?.restarts).toBe(restarts);
        expect(sb.readRoot(STAGED)).toBe("2.0\n");

        // The node's upgrade, once cordon.sh has drained it: the runtime first, then kubeadm.
        unpack(sb, upgradeBundle("1.36.3", role));
        const up = sb.run("upgrade.sh");
        expectSuccess(up);
        expect(up.calls.slice(0, 4 + c.upgrade.length)).toEqual([
            "id -u", ...c.upgrade, "containerd --version", "systemctl restart containerd", f.query("kubeadm"),
        ]);
        expect(ownLines("upgrade.sh", up.stderr).slice(0, 4)).toEqual([
            "upgrade.sh: step os",
            "upgrade.sh: step runtime",
            "upgrade.sh:   changed: containerd.io at 2.1.4, containerd restarted",
            "upgrade.sh: step kubeadm",
        ]);
        expect(containerdVersion(sb)).toBe(c.new);
        expect(sb.readRoot(CONFIG)).toBe(config);
        expect(sb.unit("containerd")).toEqual({ enabled: true, active: true, restarts: (restarts ?? 0) + 1 });
        expect(sb.existsRoot(STAGED)).toBe(false);
        for (const p of KUBE) {
            expect([p, sb.packages().get(p)?.version]).toEqual([p, f === DEBIAN ? "1.36.3-1.1" : "1.36.3-150500.1.1"]);
        }

        // Prepared again at the same pin, upgraded again: nothing to do.
        unpack(sb, prepareBundle(to, node));
        const again = sb.run("prepare.sh");
        expectSuccess(again);
        expect(again.stderr).toContain("prepare.sh: done: 0 change(s)");
        unpack(sb, upgradeBundle("1.36.3", role));
        const tree = sb.snapshot({ identity: true });
        const rerun = sb.run("upgrade.sh");
        expectSuccess(rerun);
        expect(rerun.stderr).toContain("upgrade.sh: done: 0 change(s)");
        expect(rerun.calls.filter((call) => /containerd/.test(call))).toEqual([]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
        expect(sb.unit("containerd")?.restarts).toBe((restarts ?? 0) + 1);
    });
});

describe.each([
    ["Debian 12", DEBIAN],
    ["Rocky Linux 9", EL],
])("upgrade.sh's runtime step on %s", (_, f) => {
    const c = containerdOf(f);

    /** A member upgradeHost with containerd.io 1.7 and the staged minimum prepare.sh left; the repository has VERSIONS. */
    function staged(versions: readonly string[] = [c.new, c.old]): Sandbox {
        const sb = upgradeHost(f, "worker");
        sb.writeState("packages", `${sb.readState("packages")}containerd.io\t${c.old}\tinstalled\n`);
        const others = (sb.readState("available") ?? "").split("\n").filter((l) => l !== "" && !l.startsWith("containerd.io\t"));
        sb.writeState("available", [...others, ...versions.map((v) => `containerd.io\t${v}\t${c.repo}`)].join("\n") + "\n");
        sb.writeState("units/containerd", "yes yes 0\n");
        if (f === DEBIAN) {
            sb.writeRoot(`etc/apt/sources.list.d/${c.repo}`,
                "deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n");
            sb.writeRoot("etc/apt/keyrings/docker.asc", fakeKey("https://download.docker.com/linux/debian/gpg"));
        } else {
            sb.writeRoot(`etc/yum.repos.d/${c.repo}`, prepareBundle(TEST, WORKER).files["docker-ce.repo"].content);
        }
        sb.writeRoot(CONFIG, prepareBundle(TEST, WORKER).files["containerd-config.toml"].content);
        sb.writeRoot(STAGED, "2.0\n");
        return sb;
    }

    test("a run cut off after containerd.io moved, before the restart: the retry restarts containerd, then removes the staged minimum", () => {
        const sb = staged();
        sb.writeState("packages", sb.readState("packages")!.replace(`containerd.io\t${c.old}`, `containerd.io\t${c.new}`));
        const r = sb.run("upgrade.sh");
        expectSuccess(r);
        expect(r.calls.slice(0, 3 + c.upgrade.length)).toEqual(["id -u", ...c.upgrade, "containerd --version", "systemctl restart containerd"]);
        expect(sb.unit("containerd")?.restarts).toBe(1);
        expect(sb.existsRoot(STAGED)).toBe(false);
    });

    test("nothing new enough in Docker's repository: step 'runtime' fails before kubeadm; no restart, the staged minimum kept for the retry", () => {
        const sb = staged([f === DEBIAN ? "1.7.28-1" : "1.7.28-3.1.el9", c.old]);
        const r = sb.run("upgrade.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(ownLines("upgrade.sh", r.stderr).slice(-1)).toEqual([
            "upgrade.sh: step 'runtime' failed: containerd 1.7.28 is still older than 2.0, the oldest Kubernetes 1.37.1 runs on: Docker's repository has nothing newer",
        ]);
        expect(r.calls).toEqual(["id -u", ...c.upgrade, "containerd --version"]);
        expect(sb.unit("containerd")?.restarts).toBe(0);
        expect(sb.readRoot(STAGED)).toBe("2.0\n");
        expect(sb.packages().get("kubeadm")?.version).toBe(f.pkg("1.36.3"));
    });

    test("a staged file that holds no version fails step 'runtime' before any package moves", () => {
        const sb = staged();
        sb.writeRoot(STAGED, "2.0; reboot\n");
        const r = sb.run("upgrade.sh");
        expect(r.stderr).toContain("upgrade.sh: step 'runtime' failed: /var/lib/lsst-k8s/containerd-upgrade holds no version\n");
        expect(r.status).toBe(1);
        expect(r.calls).toEqual(["id -u"]);
    });
});
