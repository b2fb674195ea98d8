/**
 * The upgrade path run for real under bash in the sandbox (tests/sandbox.ts), from the bundles NodeUpgrade
 * sends (tests/sandbox/joins.ts, checked against NodeUpgrade itself below): cordon.sh on the first control
 * plane before and after each node (kubectl stand-in: the nodes, the kubelet version each reports and its
 * annotations are state files), upgrade.sh on the node (the package manager stand-ins of the prepare
 * suite's Debian 12 and Rocky Linux 9 hosts; the kubeadm stand-in's `upgrade plan/apply/node`, which, like
 * the real one, refuses a target newer than the kubeadm package installed).
 *
 * The hosts are prepared hosts at 1.36.3 whose package repository prepare.sh has already switched to
 * v1.37, moving to the pin 1.37.1. Both repositories carry 1.36 and 1.37 packages; 1.37.12 starts like
 * 1.37.1, and Debian's 1.37.1 has the revision -1.2, so the exact pin and the repository's revision show.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { bootstrapCommand, Bundle, decodeBundle } from "../components/hosts/bundle";
import { prepareBundle } from "../components/hosts/nodeFiles";
import { NodeUpgrade } from "../components/hosts/NodeUpgrade";
import { packageRepository } from "../components/hosts/versions";
import { ClusterConfig, NodeConfig } from "../config";
import { AvailablePackage, cleanedUpAfterEach, CORDON_TOOLS, createSandbox, expectSuccess, fakeDearmor, fakeKey, LEAKS, RootEntry, RunResult, Sandbox, SandboxOptions, SCRIPT_TOOLS, UPGRADE_TOOLS, writeBundle } from "./sandbox";
import { debian12, debianKubePackages, elKubePackages, rocky9, vary } from "./sandbox/hosts";
import {
    cordonBundle, firstControlPlane, lines, nodeNamed, ownLines, stackCluster, unusedTools, upgradeBundle, UpgradeRole,
} from "./sandbox/joins";

const FROM = "1.36.3";
const TO = "1.37.1";
const KUBE = ["kubelet", "kubeadm", "kubectl"];
const ADMIN_CONF = "etc/kubernetes/admin.conf";
const KUBELET_CONF = "etc/kubernetes/kubelet.conf";
const MANIFESTS = "etc/kubernetes/manifests";
const CONTROL_PLANE_COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];
const MARK = "lsst-k8s.io/drained-for-upgrade";
/** The annotation's jsonpath as the real kubectl needs it: the dot in the key escaped. */
const MARK_PATH = String.raw`jsonpath={.metadata.annotations.lsst-k8s\.io/drained-for-upgrade}`;

const TEST = stackCluster("test");
const DEV = stackCluster("dev");
const FIRST = firstControlPlane(TEST);
const CONTROL_PLANE = nodeNamed(DEV, "dev-cp02");
const WORKER = nodeNamed(TEST, "test-node001");

/** Each role upgrade.sh plays, with the node of the stack files that plays it (for the test titles). */
const ROLES: readonly [UpgradeRole, string][] = [
    ["first-control-plane", FIRST.name],
    ["control-plane", CONTROL_PLANE.name],
    ["worker", WORKER.name],
];

const live = cleanedUpAfterEach();


/** Paths of the root tree whose kind, mode or content differ between two snapshots. */
function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
    return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** A static pod manifest as kubeadm writes it (only the parts the scripts and stand-ins read matter). */
function manifest(component: string, version: string): string {
    return [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        `  name: ${component}`,
        "  namespace: kube-system",
        "spec:",
        "  containers:",
        "  - command:",
        `    - ${component}`,
        `    image: registry.k8s.io/${component}:v${version}`,
        "    imagePullPolicy: IfNotPresent",
        `    name: ${component}`,
        "",
    ].join("\n");
}

const ETCD_MANIFEST = manifest("etcd", FROM).replace(`registry.k8s.io/etcd:v${FROM}`, "registry.k8s.io/etcd:3.6.4-0");

// ---- the two families ---------------------------------------------------------------------------------

/** The X.Y.Z versions both fake repositories carry by default, newest first. */
const REPOSITORY = ["1.37.12", "1.37.2", "1.37.1", "1.37.0", "1.36.4", "1.36.3"];

interface Family {
    readonly title: string;
    readonly host: () => SandboxOptions;
    /** What upgrade.sh runs on such a host, nothing more. */
    readonly standIns: readonly string[];
    /** The package version the repository has for X.Y.Z. */
    readonly pkg: (version: string) => string;
    readonly repository: (versions: readonly string[]) => AvailablePackage[];
    /** The repository files prepare.sh left, switched to v1.37. */
    readonly repoFiles: () => Record<string, RootEntry>;
    /** The version query upgrade.sh makes for a package. */
    readonly query: (pkg: string) => string;
    /** The calls that move packages to TO. */
    readonly install: (pkgs: readonly string[]) => string[];
    /** What those calls print on stdout. */
    readonly installOutput: (pkgs: readonly string[]) => string;
}

const DEB_REVISIONS: Readonly<Record<string, string>> = { "1.37.1": "1.2" };

const DEBIAN: Family = {
    title: "Debian 12",
    host: debian12,
    standIns: ["id", "apt-get", "apt-cache", "apt-mark", "dpkg-query", "systemctl", "kubeadm"],
    pkg: (v) => `${v}-${DEB_REVISIONS[v] ?? "1.1"}`,
    repository: (versions) => debianKubePackages(versions.map((v) => DEBIAN.pkg(v))),
    repoFiles: () => ({
        "etc/apt/sources.list.d/kubernetes.list": prepareBundle(TEST, FIRST).files["kubernetes.list"].content,
        "etc/apt/keyrings/kubernetes-apt-keyring.gpg": fakeDearmor(fakeKey(packageRepository(TEST.kubernetesVersion).debKey)),
    }),
    query: (p) => `dpkg-query -W -f=\${Version} ${p}`,
    install: (pkgs) => [
        "apt-get update -q",
        ...pkgs.map((p) => `apt-cache madison ${p}`),
        `apt-get install -y -q --allow-change-held-packages ${pkgs.map((p) => `${p}=${DEBIAN.pkg(TO)}`).join(" ")}`,
        `apt-mark hold ${pkgs.join(" ")}`,
    ],
    installOutput: (pkgs) => "Reading package lists... Done\n" + pkgs.map((p) => `Setting up ${p} (${DEBIAN.pkg(TO)}) ...\n`).join(""),
};

const EL: Family = {
    title: "Rocky Linux 9",
    host: rocky9,
    standIns: ["id", "dnf", "rpm", "systemctl", "kubeadm"],
    pkg: (v) => `${v}-150500.1.1`,
    repository: (versions) => elKubePackages(versions.map((v) => EL.pkg(v))),
    repoFiles: () => ({ "etc/yum.repos.d/kubernetes.repo": prepareBundle(TEST, FIRST).files["kubernetes.repo"].content }),
    query: (p) => `rpm -q --qf %{VERSION} ${p}`,
    install: (pkgs) => [`dnf install -y --disableexcludes=kubernetes ${pkgs.map((p) => `${p}-${TO}`).join(" ")}`],
    installOutput: (pkgs) => pkgs.map((p) => `Installed: ${p}-${EL.pkg(TO)}\n`).join(""),
};

interface UpgradeSetup {
    /** X.Y.Z of kubelet, kubeadm and kubectl (FROM), or each its own. */
    readonly installed?: string | Readonly<Record<string, string>>;
    /** X.Y.Z the control plane's static pods run (FROM); control planes only. */
    readonly controlPlaneAt?: string;
    /** The X.Y.Z versions the repository carries (REPOSITORY). */
    readonly repository?: readonly string[];
    /** kubeadm upgrade fails: before changing anything (true), or (apply) after moving the manifests. */
    readonly upgradeFails?: boolean | "after-control-plane";
    readonly uid?: number;
    readonly bundle?: Bundle;
}

/** A prepared, joined host of family F as NodeUpgrade finds it, with upgrade.sh's bundle for ROLE unpacked. */
function upgradeHost(f: Family, role: UpgradeRole, setup: UpgradeSetup = {}): Sandbox {
    const host = f.host();
    const version = (p: string): string => typeof setup.installed === "object" ? setup.installed[p] : setup.installed ?? FROM;
    const controlPlane = role !== "worker";
    const at = setup.controlPlaneAt ?? FROM;
    const files: Record<string, RootEntry> = {
        ...f.repoFiles(),
        [KUBELET_CONF]: { content: "apiVersion: v1\nkind: Config\n# kubelet\n", mode: "0600" },
        "var/lib/kubelet/config.yaml": "kind: KubeletConfiguration\n",
    };
    if (controlPlane) {
        files[ADMIN_CONF] = { content: "apiVersion: v1\nkind: Config\n# admin\n", mode: "0600" };
        for (const c of CONTROL_PLANE_COMPONENTS) {
            files[`${MANIFESTS}/${c}.yaml`] = { content: manifest(c, at), mode: "0600" };
        }
        files[`${MANIFESTS}/etcd.yaml`] = { content: ETCD_MANIFEST, mode: "0600" };
    }
    const sb = createSandbox({
        ...vary(host, {
            files,
            state: {
                uid: setup.uid,
                packages: [
                    ...host.state?.packages ?? [],
                    ...KUBE.map((name) => ({ name, version: f.pkg(version(name)) })),
                ],
                available: [
                    ...(host.state?.available ?? []).filter((p) => !KUBE.includes(p.name)),
                    ...f.repository(setup.repository ?? REPOSITORY),
                ],
                units: { ...host.state?.units, kubelet: { enabled: true, active: true } },
                ...(f === DEBIAN ? { holds: KUBE } : {}),
            },
        }),
        standIns: f.standIns,
        tools: UPGRADE_TOOLS,
    });
    live.push(sb);
    writeBundle(setup.bundle ?? upgradeBundle(TO, role), sb.workDir);
    if (setup.upgradeFails) {
        sb.writeState("kubeadm-upgrade-fail", setup.upgradeFails === true ? "yes\n" : `${setup.upgradeFails}\n`);
    }
    return sb;
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

// ---- upgrade.sh ---------------------------------------------------------------------------------------------

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

// ---- cordon.sh on the first control plane ---------------------------------------------------------------------

interface ClusterNode {
    /** "STATUS SCHEDULABLE PODS", as the kubectl stand-in keeps it. */
    readonly state: `${"Ready" | "NotReady"} ${"yes" | "no"} ${number}`;
    readonly kubelet: string;
    readonly annotations?: Readonly<Record<string, string>>;
}

interface CordonSetup {
    /** The cluster's nodes (default: test-node001, Ready, schedulable, 2 pods, kubelet v1.36.3). */
    readonly nodes?: Readonly<Record<string, ClusterNode>>;
    readonly noAdminConf?: boolean;
    readonly unreachable?: boolean;
}

const OLD_NODE: ClusterNode = { state: "Ready yes 2", kubelet: `v${FROM}` };

function cordonHost(bundle: Bundle, setup: CordonSetup = {}): Sandbox {
    const sb = createSandbox({
        standIns: ["kubectl"],
        tools: CORDON_TOOLS,
        files: setup.noAdminConf ? {} : { [ADMIN_CONF]: { content: "apiVersion: v1\nkind: Config\n# admin\n", mode: "0600" } },
    });
    live.push(sb);
    writeBundle(bundle, sb.workDir);
    for (const [name, n] of Object.entries(setup.nodes ?? { [WORKER.name]: OLD_NODE })) {
        sb.writeState(`nodes/${name}`, `${n.state} ${n.kubelet}\n`);
        const annotations = Object.entries(n.annotations ?? {});
        if (annotations.length > 0) {
            sb.writeState(`annotations/${name}`, annotations.map(([k, v]) => `${k}=${v}\n`).join(""));
        }
    }
    if (setup.unreachable) {
        sb.writeState("kubectl-unreachable", "yes\n");
    }
    return sb;
}

/** A node as the kubectl stand-in has it: its state line and its annotations. */
function nodeState(sb: Sandbox, name: string): { node: string | undefined; annotations: string[] } {
    return { node: sb.readState(`nodes/${name}`)?.trim(), annotations: lines(sb.readState(`annotations/${name}`) ?? "") };
}

function kubectl(sb: Sandbox, ...args: string[]): string[] {
    return ["kubectl", "--kubeconfig", `${sb.root}/${ADMIN_CONF}`, ...args];
}

/** Lets the test play the upgrade between drain and uncordon: the node's kubelet now reports VERSION. */
function kubeletNowAt(sb: Sandbox, name: string, version: string): void {
    const [status, schedulable, pods] = (sb.readState(`nodes/${name}`) ?? "").trim().split(" ");
    sb.writeState(`nodes/${name}`, `${status} ${schedulable} ${pods} v${version}\n`);
}

const drain = (node = WORKER, timeout?: string) => cordonBundle(node, "drain", TO, timeout);
const uncordon = (node = WORKER) => cordonBundle(node, "uncordon", TO);

describe("cordon.sh drain", () => {
    test("the bundle: cordon.sh, lib.sh and the action, node, pin and drain timeout", () => {
        expect(Object.keys(drain().files).sort()).toEqual(["cordon.sh", "lib.sh", "params.env"]);
        expect(drain().files["params.env"].content).toBe(`ACTION=drain\nNODE_NAME=test-node001\nK8S_VERSION=${TO}\nDRAIN_TIMEOUT=300s\n`);
        expect(uncordon().files["params.env"].content).toBe(`ACTION=uncordon\nNODE_NAME=test-node001\nK8S_VERSION=${TO}\nDRAIN_TIMEOUT=300s\n`);
    });

    test("a node on an older kubelet: marked with the pin (--overwrite), then drained; the other nodes and annotations untouched", () => {
        const sb = cordonHost(drain(), {
            nodes: {
                "test-cp01": { state: "Ready yes 1", kubelet: `v${TO}` },
                "test-node001": { ...OLD_NODE, annotations: { "node.alpha.kubernetes.io/ttl": "0" } },
                "test-node002": { state: "Ready yes 4", kubelet: `v${FROM}` },
            },
        });
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(sb.argv()).toEqual([
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}"),
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.spec.unschedulable}"),
            kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH),
            kubectl(sb, "annotate", "--overwrite", "node", "test-node001", `${MARK}=v${TO}`),
            kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout", "300s"),
        ]);
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step drain",
            "Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-sandbox, kube-system/weave-net-sandbox",
            `cordon.sh:   changed: drained test-node001 for the upgrade to v${TO}`,
            "cordon.sh: done: 1 change(s)",
        ]);
        // kubectl's report of the drain; the annotate's is discarded.
        expect(r.stdout).toBe([
            "node/test-node001 cordoned",
            "evicting pod default/app-1",
            "evicting pod default/app-2",
            "pod/app-1 evicted",
            "pod/app-2 evicted",
            "node/test-node001 drained",
            "",
        ].join("\n"));
        expect(nodeState(sb, "test-node001")).toEqual({
            node: `Ready no 0 v${FROM}`,
            annotations: ["node.alpha.kubernetes.io/ttl=0", `${MARK}=v${TO}`],
        });
        expect(nodeState(sb, "test-cp01")).toEqual({ node: `Ready yes 1 v${TO}`, annotations: [] });
        expect(nodeState(sb, "test-node002")).toEqual({ node: `Ready yes 4 v${FROM}`, annotations: [] });
    });

    test("the drain timeout comes from the bundle", () => {
        const sb = cordonHost(drain(WORKER, "90s"));
        expectSuccess(sb.run("cordon.sh"));
        expect(sb.argv()).toContainEqual(kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout", "90s"));
    });

    test("a node already on the pinned kubelet: no mark, no drain, 0 change(s)", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { state: "Ready yes 2", kubelet: `v${TO}` } } });
        const state = sb.stateSnapshot();
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(r.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}").join(" ")]);
        expect(r.stdout).toBe("");
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step drain",
            `cordon.sh:   test-node001 already runs kubelet v${TO}: no drain`,
            "cordon.sh: done: 0 change(s)",
        ]);
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("a node an admin cordoned by hand is drained without the mark, so the uncordon leaves it cordoned", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { state: "Ready no 2", kubelet: `v${FROM}` } } });
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(sb.argv()).toEqual([
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}"),
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.spec.unschedulable}"),
            kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH),
            kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout", "300s"),
        ]);
        expect(ownLines("cordon.sh", r.stderr)).toEqual([
            "cordon.sh: step drain",
            "cordon.sh:   test-node001 was cordoned by hand: drained without the mark, it stays cordoned after the upgrade",
            `cordon.sh:   changed: drained test-node001 for the upgrade to v${TO}`,
            "cordon.sh: done: 1 change(s)",
        ]);
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready no 0 v${FROM}`, annotations: [] });

        kubeletNowAt(sb, "test-node001", TO);
        writeBundle(uncordon(), sb.workDir);
        const after = sb.run("cordon.sh");
        expectSuccess(after);
        expect(after.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" ")]);
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready no 0 v${TO}`, annotations: [] });
    });

    test("a drain of ours that did not finish is taken up again: the node is cordoned and marked, so it is marked again and drained", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { state: "NotReady yes 2", kubelet: `v${FROM}` } } });
        const failed = sb.run("cordon.sh");
        expect(failed.stderr).not.toMatch(LEAKS);
        expect(failed.status).toBe(1);
        expect(failed.stderr).toMatch(/cordon\.sh: step 'drain' failed \(exit 1\) at line \d+: "\$\{kubectl\[@\]\}" drain "\$P_NODE_NAME"/);
        expect(failed.stderr).toContain("global timeout reached: 300s");
        expect(nodeState(sb, "test-node001")).toEqual({ node: `NotReady no 2 v${FROM}`, annotations: [`${MARK}=v${TO}`] });

        // The node came back; the next `pulumi up` runs the drain again.
        sb.writeState("nodes/test-node001", `Ready no 2 v${FROM}\n`);
        const retry = sb.run("cordon.sh");
        expectSuccess(retry);
        expect(retry.calls.slice(3)).toEqual([
            kubectl(sb, "annotate", "--overwrite", "node", "test-node001", `${MARK}=v${TO}`).join(" "),
            kubectl(sb, "drain", "test-node001", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout", "300s").join(" "),
        ]);
        expect(retry.stdout).toContain("node/test-node001 already cordoned\n");
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready no 0 v${FROM}`, annotations: [`${MARK}=v${TO}`] });
    });

    test("an API server that does not answer fails step 'drain' before anything is changed", () => {
        const sb = cordonHost(drain(), { unreachable: true });
        const state = sb.stateSnapshot();
        const r = sb.run("cordon.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}").join(" ")]);
        expect(r.stderr).toMatch(/cordon\.sh: step 'drain' failed \(exit 1\) at line \d+: kubelet=\$\("\$\{kubectl\[@\]\}" get node/);
        expect(sb.stateSnapshot()).toEqual(state);
    });
});

describe("cordon.sh uncordon", () => {
    const marked: ClusterNode = {
        state: "Ready no 0", kubelet: `v${TO}`, annotations: { "node.alpha.kubernetes.io/ttl": "0", [MARK]: `v${TO}` },
    };

    test("a node marked by the drain: uncordoned, then the mark removed; the other annotations kept", () => {
        const sb = cordonHost(uncordon(), { nodes: { "test-node001": marked } });
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(sb.argv()).toEqual([
            kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH),
            kubectl(sb, "uncordon", "test-node001"),
            kubectl(sb, "annotate", "node", "test-node001", `${MARK}-`),
        ]);
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step uncordon",
            "cordon.sh:   changed: uncordoned test-node001",
            "cordon.sh: done: 1 change(s)",
        ]);
        expect(r.stdout).toBe("node/test-node001 uncordoned\n");
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready yes 0 v${TO}`, annotations: ["node.alpha.kubernetes.io/ttl=0"] });

        const state = sb.stateSnapshot();
        const again = sb.run("cordon.sh");
        expectSuccess(again);
        expect(again.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" ")]);
        expect(again.stderr).toContain("cordon.sh: done: 0 change(s)");
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("a node without the mark (an admin cordoned it by hand): left cordoned, 0 change(s)", () => {
        const sb = cordonHost(uncordon(), { nodes: { "test-node001": { state: "Ready no 0", kubelet: `v${TO}` } } });
        const state = sb.stateSnapshot();
        const r = sb.run("cordon.sh");
        expectSuccess(r);
        expect(r.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" ")]);
        expect(lines(r.stderr)).toEqual([
            "cordon.sh: step uncordon",
            "cordon.sh:   test-node001 was not drained for an upgrade: left as it is",
            "cordon.sh: done: 0 change(s)",
        ]);
        expect(r.stdout).toBe("");
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("an API server that does not answer fails step 'uncordon' instead of taking the node for unmarked", () => {
        const sb = cordonHost(uncordon(), { nodes: { "test-node001": marked }, unreachable: true });
        const state = sb.stateSnapshot();
        const r = sb.run("cordon.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.calls).toEqual([kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" ")]);
        expect(r.stderr).toContain("The connection to the server 203.0.113.11:6443 was refused");
        expect(r.stderr).toMatch(/cordon\.sh: step 'uncordon' failed \(exit 1\) at line \d+: marked=\$\("\$\{kubectl\[@\]\}" get node/);
        expect(r.stderr).not.toContain("left as it is");
        expect(r.stderr).not.toContain("done:");
        expect(sb.stateSnapshot()).toEqual(state);
    });
});

describe("cordon.sh around an upgrade, and refusals", () => {
    test("drain, the node moves, uncordon: schedulable again without the mark; the same pin again does nothing", () => {
        const sb = cordonHost(drain());
        expectSuccess(sb.run("cordon.sh"));
        kubeletNowAt(sb, "test-node001", TO);
        writeBundle(uncordon(), sb.workDir);
        expectSuccess(sb.run("cordon.sh"));
        expect(nodeState(sb, "test-node001")).toEqual({ node: `Ready yes 0 v${TO}`, annotations: [] });

        const state = sb.stateSnapshot();
        writeBundle(drain(), sb.workDir);
        const d = sb.run("cordon.sh");
        writeBundle(uncordon(), sb.workDir);
        const u = sb.run("cordon.sh");
        expectSuccess(d);
        expectSuccess(u);
        expect([...d.calls, ...u.calls]).toEqual([
            kubectl(sb, "get", "node", "test-node001", "-o", "jsonpath={.status.nodeInfo.kubeletVersion}").join(" "),
            kubectl(sb, "get", "node", "test-node001", "-o", MARK_PATH).join(" "),
        ]);
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test.each(["drain", "uncordon"] as const)("%s without admin.conf: a clear failure, kubectl never called", (action) => {
        const sb = cordonHost(cordonBundle(WORKER, action, TO), { noAdminConf: true });
        const r = sb.run("cordon.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(lines(r.stderr)).toEqual([
            `cordon.sh: step ${action}`,
            `cordon.sh: step '${action}' failed: /etc/kubernetes/admin.conf is missing on the first control plane`,
        ]);
        expect(sb.calls()).toEqual([]);
    });

    test.each([
        ["ACTION=cordon", "ACTION", `ACTION=cordon\nNODE_NAME=test-node001\nK8S_VERSION=${TO}\nDRAIN_TIMEOUT=300s\n`],
        ["a version with a v", "K8S_VERSION", `ACTION=drain\nNODE_NAME=test-node001\nK8S_VERSION=v${TO}\nDRAIN_TIMEOUT=300s\n`],
        ["a timeout in minutes", "DRAIN_TIMEOUT", `ACTION=drain\nNODE_NAME=test-node001\nK8S_VERSION=${TO}\nDRAIN_TIMEOUT=5m\n`],
    ])("malformed parameters (%s) fail step 'setup' before kubectl", (_, key, params) => {
        const bundle = drain();
        const sb = cordonHost({ ...bundle, files: { ...bundle.files, "params.env": { content: params, mode: "0600" } } });
        const r = sb.run("cordon.sh");
        expect(r.stderr).toBe(`cordon.sh: step 'setup' failed: parameter ${key} is malformed\n`);
        expect(r.status).toBe(1);
        expect(sb.calls()).toEqual([]);
    });
});

// ---- the bundles are NodeUpgrade's ----------------------------------------------------------------------------

/** Strips Pulumi's secret wrapper from a mocked resource's input. */
function unwrapSecret(value: unknown): unknown {
    const SIG = "4dabf18193072939515e22adb298388d";
    return value && typeof value === "object" && SIG in value ? (value as Record<string, unknown>).value : value;
}

describe("the bundles these suites run are the ones NodeUpgrade sends", () => {
    test.each([
        ["the first control plane", TEST, FIRST, true, "first-control-plane"],
        ["another control plane", DEV, CONTROL_PLANE, false, "control-plane"],
        ["a worker", TEST, WORKER, false, "worker"],
    ] as [string, ClusterConfig, NodeConfig, boolean, UpgradeRole][])("%s: drain, run and uncordon, byte for byte, each the update of a no-op create", async (_, cluster, node, first, role) => {
        const inputs = new Map<string, Record<string, unknown>>();
        await pulumi.runtime.setMocks({
            newResource: (args) => {
                inputs.set(args.name, args.inputs);
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args) => args.inputs,
        }, "lsst-k8s", "test", false);

        const cp = firstControlPlane(cluster);
        new NodeUpgrade("sandbox", {
            node,
            first,
            connection: { host: node.address, user: "root", privateKey: "unused" },
            controlPlaneConnection: { host: cp.address, user: "root", privateKey: "unused" },
            version: TO,
        });
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

        const expected: Record<string, Bundle> = {
            "sandbox-drain": cordonBundle(node, "drain", TO),
            "sandbox-run": upgradeBundle(TO, role),
            "sandbox-uncordon": cordonBundle(node, "uncordon", TO),
        };
        for (const [name, bundle] of Object.entries(expected)) {
            const command = inputs.get(name);
            expect([name, typeof command?.stdin]).toEqual([name, "string"]);
            expect(decodeBundle(command?.stdin as string)).toEqual(bundle);
            expect([name, command?.create, command?.update]).toEqual([name, "cat >/dev/null", bootstrapCommand()]);
            // The connection is a secret (it carries the key): the drain and uncordon on the first control plane.
            expect([name, (unwrapSecret(command?.connection) as { host?: string } | undefined)?.host])
                .toEqual([name, name === "sandbox-run" ? node.address : cp.address]);
        }
    });
});

// ---- the stand-ins and the tool lists --------------------------------------------------------------------------

function call(sb: Sandbox, command: string): RunResult {
    fs.writeFileSync(path.join(sb.workDir, "call.sh"), `${command}\necho "rc=$?"\n`);
    return sb.run("call.sh");
}

describe("the kubectl stand-in's upgrade-time calls", () => {
    test("jsonpath: the kubelet version, the cordon and the mark, printed without a line break; a missing mark prints nothing", () => {
        const sb = cordonHost(drain(), {
            nodes: { "test-node001": { state: "Ready no 0", kubelet: `v${FROM}`, annotations: { [MARK]: `v${TO}` } }, "test-node002": OLD_NODE },
        });
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF} get node`;
        expect(call(sb, `${k} test-node001 -o 'jsonpath={.status.nodeInfo.kubeletVersion}'`).stdout).toBe(`v${FROM}rc=0\n`);
        expect(call(sb, `${k} test-node001 -o 'jsonpath={.spec.unschedulable}'`).stdout).toBe("truerc=0\n");
        expect(call(sb, `${k} test-node002 -o 'jsonpath={.spec.unschedulable}'`).stdout).toBe("rc=0\n");
        expect(call(sb, `${k} test-node001 -o '${MARK_PATH}'`).stdout).toBe(`v${TO}rc=0\n`);
        expect(call(sb, `${k} test-node002 -o '${MARK_PATH}'`).stdout).toBe("rc=0\n");
        expect(call(sb, `${k} nobody -o '${MARK_PATH}'`).stdout).toBe("rc=1\n");
    });

    test("jsonpath: refuses (exit 2) the mark's key with an unescaped dot, which the real kubectl answers with nothing", () => {
        const sb = cordonHost(drain());
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF} get node test-node001`;
        const unescaped = call(sb, `${k} -o 'jsonpath={.metadata.annotations.lsst-k8s.io/drained-for-upgrade}'`);
        expect(unescaped.stdout).toBe("rc=2\n");
        expect(unescaped.stderr).toContain(String.raw`write {.metadata.annotations.lsst-k8s\.io/drained-for-upgrade}`);
        // A backslash too many (what "\\\\." in double quotes makes), quotes kept in the argument, other forms.
        expect(call(sb, `${k} -o 'jsonpath={.metadata.annotations.lsst-k8s\\\\.io/drained-for-upgrade}'`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o "jsonpath='{.status.nodeInfo.kubeletVersion}'"`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o=jsonpath={.status.nodeInfo.kubeletVersion}`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o "jsonpath={.metadata.annotations['lsst-k8s.io/drained-for-upgrade']}"`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o 'jsonpath={.metadata.annotations}'`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o 'jsonpath={.status.nodeInfo}'`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o json`).stdout).toBe("rc=2\n");
    });

    test("annotate and uncordon: kubectl's errors, and refusals of what the scripts never do", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { ...OLD_NODE, annotations: { [MARK]: `v${FROM}` } } } });
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF}`;
        const state = sb.stateSnapshot();
        const clash = call(sb, `${k} annotate node test-node001 ${MARK}=v${TO}`);
        expect(clash.stdout).toBe("rc=1\n");
        expect(clash.stderr).toBe(`error: --overwrite is false but found the following declared annotation(s): '${MARK}' already has a value (v${FROM})\n`);
        expect(call(sb, `${k} annotate node test-node001 ${MARK}=v${FROM}`).stdout).toBe("node/test-node001 annotated\nrc=0\n");
        expect(call(sb, `${k} annotate node nobody ${MARK}=v${TO}`).stdout).toBe("rc=1\n");
        expect(call(sb, `${k} annotate pod test-node001 ${MARK}=v${TO}`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} annotate node test-node001`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} annotate node test-node001 'bad key=1'`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} annotate --all node ${MARK}-`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} uncordon nobody`).stdout).toBe("rc=1\n");
        expect(call(sb, `${k} uncordon test-node001 --dry-run=client`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} cordon test-node001`).stdout).toBe("rc=2\n");
        // None of it changed the cluster.
        expect(sb.stateSnapshot()).toEqual(state);
        expect(call(sb, `${k} uncordon test-node001`).stdout).toBe("node/test-node001 already uncordoned\nrc=0\n");
    });
});

describe("the kubeadm stand-in's upgrade subcommands", () => {
    test("refuses what it does not know (exit 2), a kubeadm older than the target, a skipped minor and a downgrade (exit 1)", () => {
        const sb = upgradeHost(DEBIAN, "first-control-plane");
        const tree = sb.snapshot({ identity: true });
        const kubeadm = (args: string) => call(sb, `kubeadm ${args}`);
        for (const args of [
            "upgrade plan", `upgrade plan ${TO}`, `upgrade apply --yes v${TO} --force`, `upgrade apply -f v${TO}`, "upgrade node --dry-run",
            `upgrade diff v${TO}`, `upgrade plan v${TO} v${TO}`, `upgrade plan --yes v${TO}`,
        ]) {
            expect([args, kubeadm(args).stdout]).toEqual([args, "rc=2\n"]);
        }
        // kubeadm is still at 1.36.3 here: the real one says to upgrade it first.
        const early = kubeadm(`upgrade plan v${TO}`);
        expect(early.stdout).toContain("rc=1\n");
        expect(early.stderr).toContain(`Specified version to upgrade to "v${TO}" is higher than the kubeadm version "v${FROM}". Upgrade kubeadm first`);
        expect(kubeadm(`upgrade apply --yes v${TO}`).stdout).toContain("rc=1\n");
        // A newer kubeadm does not skip a minor, nor go back.
        sb.writeState("packages", `kubeadm\t1.38.0-1.1\tinstalled\n`);
        expect(kubeadm("upgrade apply --yes v1.38.0").stderr).toContain("kubeadm can upgrade only 1 minor version at a time");
        expect(kubeadm("upgrade apply --yes v1.36.0").stderr).toContain('is lower than the cluster version "v1.36.3"');
        // Without --yes, apply asks, reads no answer and stops.
        sb.writeState("packages", `kubeadm\t${DEBIAN.pkg(TO)}\tinstalled\n`);
        const asked = kubeadm(`upgrade apply v${TO}`);
        expect(asked.stdout).toContain("Are you sure you want to proceed? [y/N]");
        expect(asked.stdout).toContain("rc=1\n");
        // None of it moved the control plane.
        expect(sb.snapshot({ identity: true })).toEqual(tree);
        expect(sb.readState("kubeadm/upgrades")).toBeUndefined();
        expect(kubeadm(`upgrade plan v${TO}`).stdout).toContain("rc=0\n");
    });

    test("plan and apply need admin.conf; upgrade node needs kubelet.conf on a worker", () => {
        const cp = upgradeHost(DEBIAN, "first-control-plane", { installed: TO });
        cp.removeRoot(ADMIN_CONF);
        const noAdmin = call(cp, `kubeadm upgrade apply --yes v${TO}`);
        expect(noAdmin.stdout).toBe("rc=1\n");
        expect(noAdmin.stderr).toContain("failed to load admin kubeconfig");
        expect(call(cp, "kubeadm upgrade node").stdout).toBe("rc=1\n");
        const worker = upgradeHost(EL, "worker", { installed: TO });
        worker.removeRoot(KUBELET_CONF);
        expect(call(worker, "kubeadm upgrade node").stdout).toBe("rc=1\n");
        expect(cp.readState("kubeadm/upgrades")).toBeUndefined();
        expect(worker.readState("kubeadm/upgrades")).toBeUndefined();
    });
});

describe("static checks on the upgrade tools", () => {
    test("every tool on the upgrade and cordon PATHs is one the scripts use", () => {
        expect(unusedTools(UPGRADE_TOOLS, ["upgrade.sh", "lib.sh"])).toEqual([]);
        expect(unusedTools(CORDON_TOOLS, ["cordon.sh", "lib.sh"])).toEqual([]);
    });

    test("the sandbox PATHs hold those tools and the stand-ins, nothing else, and upgrade.sh needs no more", () => {
        for (const f of [DEBIAN, EL]) {
            const sb = upgradeHost(f, "first-control-plane");
            expect(fs.readdirSync(sb.binDir).sort()).toEqual([...UPGRADE_TOOLS, ...f.standIns].sort());
            expectSuccess(sb.run("upgrade.sh"));
        }
        expect(fs.readdirSync(cordonHost(drain()).binDir).sort()).toEqual([...CORDON_TOOLS, "kubectl"].sort());
    });
});
