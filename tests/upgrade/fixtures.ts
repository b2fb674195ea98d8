/**
 * The hosts the upgrade sandbox suites run upgrade.sh and cordon.sh on, shared so that every suite
 * starts from the same cluster (tests/sandbox/joins.ts's stack files) and the same pin.
 *
 * The upgrade hosts are prepared hosts at 1.36.3 whose package repository prepare.sh has already switched
 * to v1.37, moving to the pin 1.37.1: the package manager stand-ins of the prepare suite's Debian 12 and
 * Rocky Linux 9 hosts, and the kubeadm stand-in's `upgrade plan/apply/node`, which, like the real one,
 * refuses a target newer than the kubeadm package installed. Both repositories carry 1.36 and 1.37
 * packages; 1.37.12 starts like 1.37.1, and Debian's 1.37.1 has the revision -1.2, so the exact pin and
 * the repository's revision show.
 *
 * The cordon host is the first control plane, with the kubectl stand-in: the nodes, the kubelet version
 * each reports and its annotations are state files.
 *
 * Importing this module registers the afterEach that cleans up the sandboxes in `live`: jest loads it
 * afresh for each test file, so each file gets its own hook.
 */
import { Bundle } from "../../components/hosts/bundle";
import { prepareBundle } from "../../components/hosts/nodeFiles";
import { packageRepository } from "../../components/hosts/versions";
import { AvailablePackage, cleanedUpAfterEach, CORDON_TOOLS, createSandbox, fakeDearmor, fakeKey, RootEntry, Sandbox, SandboxOptions, UPGRADE_TOOLS, writeBundle } from "../sandbox";
import { debian12, debianKubePackages, elKubePackages, rocky9, vary } from "../sandbox/hosts";
import { cordonBundle, firstControlPlane, nodeNamed, stackCluster, upgradeBundle, UpgradeRole } from "../sandbox/joins";

export const FROM = "1.36.3";
export const TO = "1.37.1";
export const KUBE = ["kubelet", "kubeadm", "kubectl"];
export const ADMIN_CONF = "etc/kubernetes/admin.conf";
export const KUBELET_CONF = "etc/kubernetes/kubelet.conf";
export const MANIFESTS = "etc/kubernetes/manifests";
export const CONTROL_PLANE_COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];
export const MARK = "lsst-k8s.io/drained-for-upgrade";
/** The annotation's jsonpath as the real kubectl needs it: the dot in the key escaped. */
export const MARK_PATH = String.raw`jsonpath={.metadata.annotations.lsst-k8s\.io/drained-for-upgrade}`;
/** Every pod on a node with the kind of its controller (none for a bare pod), one a line. */
export const PODS_PATH = String.raw`jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.metadata.ownerReferences[?(@.controller==true)].kind}{"\n"}{end}`;

export const TEST = stackCluster("test");
export const DEV = stackCluster("dev");
export const FIRST = firstControlPlane(TEST);
export const CONTROL_PLANE = nodeNamed(DEV, "dev-cp02");
export const WORKER = nodeNamed(TEST, "test-node001");

/** The sandboxes to clean up after each test: the hosts below, and any a test creates itself. */
export const live = cleanedUpAfterEach();

/** A static pod manifest as kubeadm writes it (only the parts the scripts and stand-ins read matter). */
export function manifest(component: string, version: string): string {
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

export const ETCD_MANIFEST = manifest("etcd", FROM).replace(`registry.k8s.io/etcd:v${FROM}`, "registry.k8s.io/etcd:3.6.4-0");

// ---- the two families ---------------------------------------------------------------------------------

/** The X.Y.Z versions both fake repositories carry by default, newest first. */
export const REPOSITORY = ["1.37.12", "1.37.2", "1.37.1", "1.37.0", "1.36.4", "1.36.3"];

export interface Family {
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

export const DEBIAN: Family = {
    title: "Debian 12",
    host: debian12,
    standIns: ["id", "apt-get", "apt-cache", "apt-mark", "dpkg-query", "systemctl", "kubeadm", "containerd"],
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

export const EL: Family = {
    title: "Rocky Linux 9",
    host: rocky9,
    standIns: ["id", "dnf", "rpm", "systemctl", "kubeadm", "containerd"],
    pkg: (v) => `${v}-150500.1.1`,
    repository: (versions) => elKubePackages(versions.map((v) => EL.pkg(v))),
    repoFiles: () => ({ "etc/yum.repos.d/kubernetes.repo": prepareBundle(TEST, FIRST).files["kubernetes.repo"].content }),
    query: (p) => `rpm -q --qf %{VERSION} ${p}`,
    install: (pkgs) => [`dnf install -y --disableexcludes=kubernetes ${pkgs.map((p) => `${p}-${TO}`).join(" ")}`],
    installOutput: (pkgs) => pkgs.map((p) => `Installed: ${p}-${EL.pkg(TO)}\n`).join(""),
};

export interface UpgradeSetup {
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
export function upgradeHost(f: Family, role: UpgradeRole, setup: UpgradeSetup = {}): Sandbox {
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

// ---- cordon.sh on the first control plane ---------------------------------------------------------------------

export interface ClusterNode {
    /** "STATUS SCHEDULABLE PODS", as the kubectl stand-in keeps it. */
    readonly state: `${"Ready" | "NotReady"} ${"yes" | "no"} ${number}`;
    readonly kubelet: string;
    readonly annotations?: Readonly<Record<string, string>>;
    /** Pods that declare no controller ("NAMESPACE/POD"), as JupyterHub starts notebooks. */
    readonly barePods?: readonly string[];
}

export interface CordonSetup {
    /** The cluster's nodes (default: test-node001, Ready, schedulable, 2 pods, kubelet v1.36.3). */
    readonly nodes?: Readonly<Record<string, ClusterNode>>;
    readonly noAdminConf?: boolean;
    readonly unreachable?: boolean;
}

export const OLD_NODE: ClusterNode = { state: "Ready yes 2", kubelet: `v${FROM}` };

export function cordonHost(bundle: Bundle, setup: CordonSetup = {}): Sandbox {
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
        if (n.barePods?.length) {
            sb.writeState(`bare-pods/${name}`, n.barePods.map((p) => `${p}\n`).join(""));
        }
    }
    if (setup.unreachable) {
        sb.writeState("kubectl-unreachable", "yes\n");
    }
    return sb;
}

export const drain = (node = WORKER, timeout?: string) => cordonBundle(node, "drain", TO, timeout);
export const uncordon = (node = WORKER) => cordonBundle(node, "uncordon", TO);
