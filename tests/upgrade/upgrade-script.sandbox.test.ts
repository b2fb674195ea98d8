/**
 * upgrade.sh run for real under bash in the sandbox (tests/sandbox.ts), from the bundle NodeUpgrade sends
 * (tests/sandbox/joins.ts, checked against NodeUpgrade in bundles.sandbox.test.ts), on the Debian 12 and
 * Rocky Linux 9 hosts of ./fixtures in each role it plays: the order of its steps, its reruns and
 * retries, its refusals, and how it follows prepare.sh's switch of the repository.
 */
import * as fs from "fs";
import * as path from "path";
import { Bundle } from "../../components/hosts/bundle";
import { prepareBundle } from "../../components/hosts/nodeFiles";
import { createSandbox, expectSuccess, LEAKS, Sandbox, SCRIPT_TOOLS, UPGRADE_TOOLS, writeBundle } from "../sandbox";
import { vary } from "../sandbox/hosts";
import { lines, ownLines, stackCluster, upgradeBundle, UpgradeRole } from "../sandbox/joins";
import {
    ADMIN_CONF, CONTROL_PLANE, CONTROL_PLANE_COMPONENTS, DEBIAN, EL, ETCD_MANIFEST, Family, FIRST, FROM, KUBE, KUBELET_CONF, live, manifest,
    MANIFESTS, REPOSITORY, TEST, TO, upgradeHost, WORKER,
} from "./fixtures";

/** Each role upgrade.sh plays, with the node of the stack files that plays it (for the test titles). */
const ROLES: readonly [UpgradeRole, string][] = [
    ["first-control-plane", FIRST.name],
    ["control-plane", CONTROL_PLANE.name],
    ["worker", WORKER.name],
];

/** Paths of the root tree whose kind, mode or content differ between two snapshots. */
function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
    return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** Every call of a run that moves a node from FROM to TO, in order (kubeadm already moved: a retry). */
function upgradeCalls(f: Family, role: UpgradeRole, kubeadmMoved = false): string[] {
    return [
        "id -u",
        f.query("kubeadm"),
        ...(kubeadmMoved ? [] : f.install(["kubeadm"])),
        ...(role === "first-control-plane"
            ? [`kubeadm upgrade plan v${TO}`, `kubeadm upgrade apply --yes v${TO}`]
            : [f.query("kubelet"), "kubeadm upgrade node"]),
        f.query("kubelet"),
        ...f.install(["kubelet", "kubectl"]),
        "systemctl daemon-reload",
        "systemctl restart kubelet",
    ];
}

/**
 * The calls of a run on a node already at TO: the version queries and nothing else. The kubelet's is made
 * twice: once to tell whether kubeadm upgrade finished (on the first control plane, after the manifest
 * was found at the pin), once for the kubelet step.
 */
function queryCalls(f: Family): string[] {
    return ["id -u", f.query("kubeadm"), f.query("kubelet"), f.query("kubelet"), f.query("kubectl")];
}

function nothingToDoLines(role: UpgradeRole): string[] {
    return [
        "upgrade.sh: step os",
        "upgrade.sh: step runtime",
        "upgrade.sh: step kubeadm",
        "upgrade.sh: step control-plane",
        ...(role === "first-control-plane" ? [`upgrade.sh:   the control plane already runs v${TO}`] : []),
        "upgrade.sh: step kubelet",
        "upgrade.sh: done: 0 change(s)",
    ];
}

function packageVersions(sb: Sandbox): Record<string, string | undefined> {
    const p = sb.packages();
    return Object.fromEntries(KUBE.map((n) => [n, p.get(n)?.version]));
}

function allAt(f: Family, version: string): Record<string, string> {
    return Object.fromEntries(KUBE.map((n) => [n, f.pkg(version)]));
}

describe.each([
    ["Debian 12", DEBIAN],
    ["Rocky Linux 9", EL],
])("upgrade.sh on %s", (_, f) => {
    describe.each(ROLES)("as %s (%s)", (role) => {
        const first = role === "first-control-plane";
        const controlPlane = role !== "worker";

        test("moves kubeadm first, then the control plane or the node's configuration, then kubelet and kubectl, and restarts the kubelet", () => {
            const sb = upgradeHost(f, role);
            const tree = sb.snapshot();
            const r = sb.run("upgrade.sh");
            expectSuccess(r);

            expect(r.calls).toEqual(upgradeCalls(f, role));
            expect(ownLines("upgrade.sh", r.stderr)).toEqual([
                "upgrade.sh: step os",
                "upgrade.sh: step runtime",
                "upgrade.sh: step kubeadm",
                `upgrade.sh:   changed: kubeadm moved to ${TO}`,
                "upgrade.sh: step control-plane",
                first ? `upgrade.sh:   changed: control plane upgraded to v${TO}` : "upgrade.sh:   changed: kubeadm upgrade node",
                "upgrade.sh: step kubelet",
                `upgrade.sh:   changed: kubelet kubectl moved to ${TO}`,
                "upgrade.sh:   changed: kubelet restarted",
                "upgrade.sh: done: 4 change(s)",
            ]);
            // stdout holds the package manager's lines only; kubeadm's report goes to stderr.
            expect(r.stdout).toBe(f.installOutput(["kubeadm"]) + f.installOutput(["kubelet", "kubectl"]));
            expect(r.stderr).toContain(first
                ? `[upgrade/successful] SUCCESS! Your cluster was upgraded to "v${TO}". Enjoy!`
                : "[upgrade] The configuration for this node was successfully upgraded!");
            if (first) {
                // plan's report is in the log for the admins.
                expect(r.stderr).toContain(`You can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply v${TO}\n`);
            }

            expect(packageVersions(sb)).toEqual(allAt(f, TO));
            expect(sb.readState("kubeadm/upgrades")).toBe(first ? `apply v${TO}\n` : `node v${TO}\n`);
            expect(sb.unit("kubelet")).toEqual({ enabled: true, active: true, restarts: 1 });
            if (f === DEBIAN) {
                expect(sb.holds()).toEqual(KUBE);
            } else {
                // The lock stays: dnf went past it with --disableexcludes only.
                expect(sb.readRoot("etc/yum.repos.d/kubernetes.repo")).toMatch(/^exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni$/m);
            }
            // On the host, only the control plane's manifests changed, to the new images; etcd's is kept.
            // The restart marker's directory stays; the marker itself is gone once the kubelet restarted.
            expect(changedPaths(tree, sb.snapshot())).toEqual([
                ...(controlPlane ? CONTROL_PLANE_COMPONENTS.map((c) => `${MANIFESTS}/${c}.yaml`) : []),
                "var/lib/lsst-k8s",
            ].sort());
            expect(sb.existsRoot("var/lib/lsst-k8s/kubelet-restart-pending")).toBe(false);
            if (controlPlane) {
                for (const c of CONTROL_PLANE_COMPONENTS) {
                    expect(sb.readRoot(`${MANIFESTS}/${c}.yaml`)).toBe(manifest(c, TO));
                }
                expect(sb.readRoot(`${MANIFESTS}/etcd.yaml`)).toBe(ETCD_MANIFEST);
            }
        });

        test("a second run: no install, no kubeadm upgrade, no restart, 0 change(s), host and state unchanged", () => {
            const sb = upgradeHost(f, role);
            expectSuccess(sb.run("upgrade.sh"));
            const tree = sb.snapshot({ identity: true });
            const state = sb.stateSnapshot();

            const again = sb.run("upgrade.sh");
            expectSuccess(again);
            expect(again.calls).toEqual(queryCalls(f));
            expect(lines(again.stderr)).toEqual(nothingToDoLines(role));
            expect(again.stdout).toBe("");
            expect(sb.snapshot({ identity: true })).toEqual(tree);
            expect(sb.stateSnapshot()).toEqual(state);
        });

        test("a run cut off after kubelet moved but before its restart: the retry restarts it", () => {
            const sb = upgradeHost(f, role, { installed: TO, controlPlaneAt: TO });
            sb.writeRoot("var/lib/lsst-k8s/kubelet-restart-pending", "");
            const r = sb.run("upgrade.sh");
            expectSuccess(r);
            expect(r.calls).toEqual([...queryCalls(f), "systemctl daemon-reload", "systemctl restart kubelet"]);
            expect(ownLines("upgrade.sh", r.stderr)).toContain("upgrade.sh:   changed: kubelet restarted");
            expect(sb.unit("kubelet")).toEqual({ enabled: true, active: true, restarts: 1 });
            expect(sb.existsRoot("var/lib/lsst-k8s/kubelet-restart-pending")).toBe(false);
        });

        test("a host already at the pin: the version queries and nothing else, 0 change(s)", () => {
            const sb = upgradeHost(f, role, { installed: TO, controlPlaneAt: TO });
            const tree = sb.snapshot({ identity: true });
            const state = sb.stateSnapshot();
            const r = sb.run("upgrade.sh");
            expectSuccess(r);
            expect(r.calls).toEqual(queryCalls(f));
            expect(lines(r.stderr)).toEqual(nothingToDoLines(role));
            expect(r.stdout).toBe("");
            expect(sb.snapshot({ identity: true })).toEqual(tree);
            expect(sb.stateSnapshot()).toEqual(state);
        });

        test("kubeadm upgrade failing: non-zero, step 'control-plane' named, kubelet and kubectl not moved; a retry finishes", () => {
            const sb = upgradeHost(f, role, { upgradeFails: true });
            const tree = sb.snapshot();
            const r = sb.run("upgrade.sh");
            expect(r.stderr).not.toMatch(LEAKS);
            expect(r.status).toBe(1);
            const kubeadmCall = first ? `kubeadm upgrade apply --yes v${TO}` : "kubeadm upgrade node";
            expect(r.calls).toEqual(upgradeCalls(f, role).slice(0, upgradeCalls(f, role).indexOf(kubeadmCall) + 1));
            expect(r.stderr).toMatch(new RegExp(String.raw`upgrade\.sh: step 'control-plane' failed \(exit 1\) at line \d+: ` +
                (first ? String.raw`kubeadm upgrade apply --yes "v\$P_K8S_VERSION"` : "kubeadm upgrade node") + " 1>&2\n"));
            expect(r.stderr).not.toContain("upgrade.sh: step kubelet");
            expect(r.stdout).toBe(f.installOutput(["kubeadm"]));
            // kubeadm moved; kubelet and kubectl, the kubelet and the manifests as they were.
            expect(packageVersions(sb)).toEqual({ kubelet: f.pkg(FROM), kubeadm: f.pkg(TO), kubectl: f.pkg(FROM) });
            expect(sb.unit("kubelet")).toEqual({ enabled: true, active: true, restarts: 0 });
            expect(sb.readState("kubeadm/upgrades")).toBeUndefined();
            expect(changedPaths(tree, sb.snapshot())).toEqual([]);

            // The next `pulumi up` runs it again: kubeadm is not installed twice.
            fs.rmSync(path.join(sb.stateDir, "kubeadm-upgrade-fail"));
            const retry = sb.run("upgrade.sh");
            expectSuccess(retry);
            expect(retry.calls).toEqual(upgradeCalls(f, role, true));
            expect(retry.stderr).toContain("upgrade.sh: done: 3 change(s)");
            expect(packageVersions(sb)).toEqual(allAt(f, TO));
            expect(sb.unit("kubelet")?.restarts).toBe(1);
        });
    });

    test("an apply that failed after moving the manifests (its addon phase) is run again by the retry, not taken for done", () => {
        const sb = upgradeHost(f, "first-control-plane", { upgradeFails: "after-control-plane" });
        const r = sb.run("upgrade.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("error execution phase addon/coredns");
        expect(r.stderr).toMatch(/upgrade\.sh: step 'control-plane' failed \(exit 1\) at line \d+: kubeadm upgrade apply --yes "v\$P_K8S_VERSION" 1>&2\n/);
        // The manifests are at the pin, the kubelet is not.
        expect(sb.readRoot(`${MANIFESTS}/kube-apiserver.yaml`)).toBe(manifest("kube-apiserver", TO));
        expect(packageVersions(sb)).toEqual({ kubelet: f.pkg(FROM), kubeadm: f.pkg(TO), kubectl: f.pkg(FROM) });

        fs.rmSync(path.join(sb.stateDir, "kubeadm-upgrade-fail"));
        const retry = sb.run("upgrade.sh");
        expectSuccess(retry);
        expect(retry.calls).toEqual([
            "id -u",
            f.query("kubeadm"),
            f.query("kubelet"),
            `kubeadm upgrade plan v${TO}`,
            `kubeadm upgrade apply --yes v${TO}`,
            f.query("kubelet"),
            ...f.install(["kubelet", "kubectl"]),
            "systemctl daemon-reload",
            "systemctl restart kubelet",
        ]);
        expect(sb.readState("kubeadm/upgrades")).toBe(`apply v${TO}\n`);
        expect(packageVersions(sb)).toEqual(allAt(f, TO));
    });

    test("refuses to run when not root, before anything else", () => {
        const sb = upgradeHost(f, "worker", { uid: 1000 });
        const r = sb.run("upgrade.sh");
        expect(r.stderr).toContain("upgrade.sh: step 'os' failed: must run as root\n");
        expect(r.status).toBe(1);
        expect(r.calls).toEqual(["id -u"]);
    });

    test("a malformed role fails step 'setup' before any call", () => {
        const bundle = upgradeBundle(TO, "worker");
        const sb = upgradeHost(f, "worker", {
            bundle: { ...bundle, files: { ...bundle.files, "params.env": { content: `K8S_VERSION=${TO}\nUPGRADE_ROLE=master\n`, mode: "0600" } } },
        });
        const r = sb.run("upgrade.sh");
        expect(r.stderr).toBe("upgrade.sh: step 'setup' failed: parameter UPGRADE_ROLE is malformed\n");
        expect(r.status).toBe(1);
        expect(sb.calls()).toEqual([]);
    });
});

describe("upgrade.sh: a pin the repository does not have (1.37.12 and 1.37.0 do not count)", () => {
    const repository = REPOSITORY.filter((v) => v !== TO);

    test("Debian: step 'kubeadm' fails naming the package and prepare.sh's switch of the repository; nothing moved", () => {
        const sb = upgradeHost(DEBIAN, "first-control-plane", { repository });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("upgrade.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(ownLines("upgrade.sh", r.stderr)).toEqual([
            "upgrade.sh: step os",
            "upgrade.sh: step runtime",
            "upgrade.sh: step kubeadm",
            `upgrade.sh: step 'kubeadm' failed: kubeadm ${TO} is not in the pkgs.k8s.io repository (did prepare.sh switch it?)`,
        ]);
        expect(r.calls).toEqual(["id -u", DEBIAN.query("kubeadm"), "apt-get update -q", "apt-cache madison kubeadm"]);
        expect(packageVersions(sb)).toEqual(allAt(DEBIAN, FROM));
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("Rocky: step 'kubeadm' fails with dnf's error; nothing moved", () => {
        const sb = upgradeHost(EL, "worker", { repository });
        const r = sb.run("upgrade.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`Error: Unable to find a match: kubeadm-${TO}\n`);
        expect(r.stderr).toMatch(/upgrade\.sh: step 'kubeadm' failed \(exit 1\) at line \d+: "\$dnf" install -y --disableexcludes=kubernetes "\$\{@\/%\/-\$P_K8S_VERSION\}"\n/);
        expect(r.calls).toEqual(["id -u", EL.query("kubeadm"), ...EL.install(["kubeadm"])]);
        expect(packageVersions(sb)).toEqual(allAt(EL, FROM));
    });
});

describe("upgrade.sh after prepare.sh, as a `pulumi up` with a new pin runs them", () => {
    /** Replaces the work directory's bundle, as bootstrap.sh unpacks each into a fresh directory. */
    function unpack(sb: Sandbox, bundle: Bundle): void {
        for (const name of fs.readdirSync(sb.workDir)) {
            fs.rmSync(path.join(sb.workDir, name), { recursive: true, force: true });
        }
        writeBundle(bundle, sb.workDir);
    }

    test.each([
        ["Debian 12, the first control plane", DEBIAN, "first-control-plane" as UpgradeRole, FIRST],
        ["Rocky Linux 9, a worker", EL, "worker" as UpgradeRole, WORKER],
    ])("%s: prepared at 1.36.3, prepared again at 1.37.1 (the repository switched), upgraded; prepare.sh then changes nothing", (_, f, role, node) => {
        const host = f.host();
        const sb = createSandbox({
            ...vary(host, {
                state: { available: [...(host.state?.available ?? []).filter((p) => !KUBE.includes(p.name)), ...f.repository(REPOSITORY)] },
            }),
            standIns: [...host.standIns ?? [], "kubeadm"],
            tools: [...new Set([...SCRIPT_TOOLS, ...UPGRADE_TOOLS])],
        });
        live.push(sb);

        unpack(sb, prepareBundle(stackCluster("test", FROM), node));
        expectSuccess(sb.run("prepare.sh"));
        expect(packageVersions(sb)).toEqual(allAt(f, FROM));
        // What kubeadm init or join left.
        sb.writeRoot(KUBELET_CONF, { content: "kind: Config\n", mode: "0600" });
        if (role !== "worker") {
            sb.writeRoot(ADMIN_CONF, { content: "kind: Config\n", mode: "0600" });
            for (const c of CONTROL_PLANE_COMPONENTS) {
                sb.writeRoot(`${MANIFESTS}/${c}.yaml`, { content: manifest(c, FROM), mode: "0600" });
            }
        }

        unpack(sb, prepareBundle(TEST, node));
        const switched = sb.run("prepare.sh");
        expectSuccess(switched);
        expect(switched.stderr).toContain(`prepare.sh:   kubeadm ${FROM} is installed and ${TO} is pinned: the upgrade moves this node`);
        expect(switched.stderr).toContain(f === DEBIAN
            ? "prepare.sh:   changed: /etc/apt/sources.list.d/kubernetes.list\n"
            : "prepare.sh:   changed: /etc/yum.repos.d/kubernetes.repo\n");
        expect(packageVersions(sb)).toEqual(allAt(f, FROM));

        unpack(sb, upgradeBundle(TO, role));
        const up = sb.run("upgrade.sh");
        expectSuccess(up);
        expect(up.calls).toEqual(upgradeCalls(f, role));
        expect(packageVersions(sb)).toEqual(allAt(f, TO));

        unpack(sb, prepareBundle(TEST, node));
        const after = sb.run("prepare.sh");
        expectSuccess(after);
        expect(after.stderr).toContain("prepare.sh: done: 0 change(s)");
        expect(after.stderr).not.toContain("the upgrade moves this node");
    });
});
