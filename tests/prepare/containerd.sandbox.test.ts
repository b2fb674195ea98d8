/**
 * prepare.sh and a containerd older than the pin needs (2.0 from Kubernetes 1.36), on Debian 12 and Rocky
 * Linux 9: a host not in the cluster yet gets containerd.io upgraded in place; a member, whose pods run on
 * it, is left for its own upgrade window (tests/upgrade/containerd moves it there) with the minimum
 * written down for upgrade.sh; a member no upgrade will reach, and a repository with nothing new enough,
 * are refused.
 */
import { expectSuccess, SandboxOptions } from "../sandbox";
import { debian12, debianKubePackages, elKubePackages, PACKAGED_CONTAINERD_CONFIG, rocky9, vary } from "../sandbox/hosts";
import { callsOf, changes, expectDied, expectIdempotent, prepared, testCluster } from "./fixtures";

const STAGED = "var/lib/lsst-k8s/containerd-upgrade";
const CONFIG = "etc/containerd/config.toml";
const KUBELET_CONF = "etc/kubernetes/kubelet.conf";

interface Family {
    readonly host: () => SandboxOptions;
    readonly old: string;
    readonly new: string;
    readonly repo: string;
    /** prepare.sh's call that moves containerd.io. */
    readonly upgrade: string;
    /** The kubelet package at X.Y.Z. */
    readonly kubelet: (version: string) => string;
}

const DEBIAN: Family = {
    host: debian12, old: "1.7.27-1", new: "2.1.4-1~debian.12~bookworm", repo: "docker.list",
    upgrade: "apt-get install -y -q -o Dpkg::Options::=--force-confold containerd.io", kubelet: (v) => `${v}-1.1`,
};
const EL: Family = {
    host: rocky9, old: "1.7.27-3.1.el9", new: "2.1.4-1.el9", repo: "docker-ce.repo",
    upgrade: "dnf upgrade -y containerd.io", kubelet: (v) => `${v}-150500.1.1`,
};

/** F's host with containerd.io 1.7 installed and running; Docker's repository has VERSIONS (2.1.4 and 1.7.27). */
function withOldContainerd(f: Family, change: { versions?: readonly string[]; member?: string } = {}): SandboxOptions {
    const host = f.host();
    const versions = change.versions ?? [f.new, f.old];
    return vary(host, {
        state: {
            packages: [
                ...host.state?.packages ?? [],
                { name: "containerd.io", version: f.old },
                ...(change.member ? ["kubelet", "kubeadm", "kubectl"].map((name) => ({ name, version: f.kubelet(change.member!) })) : []),
            ],
            available: [
                ...(host.state?.available ?? []).filter((p) => p.name !== "containerd.io"),
                ...versions.map((version) => ({ name: "containerd.io", version, repo: f.repo })),
                ...(f === DEBIAN ? debianKubePackages(["1.35.5-1.1"]) : elKubePackages(["1.35.5-150500.1.1"])),
            ],
            units: {
                ...host.state?.units,
                containerd: { enabled: true, active: true },
                ...(change.member ? { kubelet: { enabled: true, active: true } } : {}),
            },
            ...(change.member && f === DEBIAN ? { holds: ["kubelet", "kubeadm", "kubectl"] } : {}),
        },
        files: {
            [CONFIG]: PACKAGED_CONTAINERD_CONFIG,
            ...(change.member ? { [KUBELET_CONF]: { content: "kind: Config\n", mode: "0600" } } : {}),
        },
    });
}

describe.each([
    ["Debian 12", DEBIAN],
    ["Rocky Linux 9", EL],
])("prepare.sh and containerd 1.7 on %s, pinned to 1.37.1 (2.0 needed)", (_, f) => {
    test("a host not in the cluster yet: containerd.io upgraded in place, the program's config.toml, containerd restarted once; a second run changes nothing", () => {
        const { sb, bundle } = prepared(withOldContainerd(f));
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        const runtime = changes(r).slice(changes(r).indexOf("containerd.io upgraded from 1.7.27 to 2.1.4"));
        expect(runtime.slice(0, 4)).toEqual([
            "containerd.io upgraded from 1.7.27 to 2.1.4",
            "/etc/containerd/config.toml",
            "/etc/crictl.yaml",
            "containerd restarted",
        ]);
        expect(changes(r)).not.toContain("installed containerd.io");
        expect(r.calls.filter((c) => c === f.upgrade || c === "systemctl restart containerd")).toEqual([f.upgrade, "systemctl restart containerd"]);
        expect(sb.packages().get("containerd.io")?.version).toBe(f.new);
        expect(sb.readRoot(CONFIG)).toBe(bundle.files["containerd-config.toml"].content);
        expect(sb.unit("containerd")).toEqual({ enabled: true, active: true, restarts: 1 });
        expect(sb.existsRoot(STAGED)).toBe(false);
        expectIdempotent(sb);
    });

    test("a pin containerd 1.7 still serves (1.35.5): containerd.io left as it is", () => {
        const { sb } = prepared(withOldContainerd(f), testCluster((raw) => { raw.kubernetesVersion = "1.35.5"; }));
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(r.calls.filter((c) => c.endsWith(" containerd.io") && !/^(rpm|dpkg-query) /.test(c))).toEqual([]);
        expect(sb.packages().get("containerd.io")?.version).toBe(f.old);
        expect(sb.existsRoot(STAGED)).toBe(false);
    });

    test("a member of the cluster (kubelet.conf, kubelet at 1.36.3): containerd left to its upgrade, the minimum written for upgrade.sh; a second run changes nothing", () => {
        const { sb, bundle } = prepared(withOldContainerd(f, { member: "1.36.3" }));
        // What the preparation at its earlier pin left.
        sb.writeRoot(CONFIG, bundle.files["containerd-config.toml"].content);
        const r = sb.run("prepare.sh");
        expectSuccess(r);
        expect(r.stderr).toContain("prepare.sh:   containerd 1.7.27 is older than 2.0, the oldest Kubernetes 1.37.1 runs on: " +
            "this node's pods run on it, so the node's upgrade moves it, once the node is drained\n");
        expect(changes(r)).toContain("/var/lib/lsst-k8s/containerd-upgrade");
        expect(sb.readRoot(STAGED)).toBe("2.0\n");
        expect(sb.modeOf(STAGED)).toBe("0644");
        expect(r.calls.filter((c) => c === f.upgrade)).toEqual([]);
        expect(sb.packages().get("containerd.io")?.version).toBe(f.old);
        // Not restarted under its pods.
        expect(callsOf(r, "systemctl restart")).toEqual([]);
        expect(sb.unit("containerd")?.restarts).toBe(0);
        expectIdempotent(sb);
    });

    test("a member whose kubelet is already at the pin, which no upgrade will reach: refused, containerd untouched", () => {
        const { sb } = prepared(withOldContainerd(f, { member: "1.37.1" }));
        const r = sb.run("prepare.sh");
        expectDied(r, "runtime", "containerd 1.7.27 is older than 2.0, the oldest Kubernetes 1.37.1 runs on, and this node's kubelet is " +
            "already at 1.37.1, so no upgrade will move it: drain the node, upgrade containerd.io, then run this again");
        expect(sb.packages().get("containerd.io")?.version).toBe(f.old);
        expect(callsOf(r, "systemctl restart")).toEqual([]);
        expect(sb.existsRoot(STAGED)).toBe(false);
        expect(sb.readRoot(CONFIG)).toBe(PACKAGED_CONTAINERD_CONFIG);
    });

    test("Docker's repository has nothing new enough: refused after the attempt, containerd not restarted, no kube packages", () => {
        const newest = f === DEBIAN ? "1.7.28-1" : "1.7.28-3.1.el9";
        const { sb } = prepared(withOldContainerd(f, { versions: [newest, f.old] }));
        const r = sb.run("prepare.sh");
        expectDied(r, "runtime", "containerd 1.7.27 is older than 2.0, the oldest Kubernetes 1.37.1 runs on, and Docker's repository has nothing newer than 1.7.28");
        expect(sb.packages().get("containerd.io")?.version).toBe(newest);
        expect(callsOf(r, "systemctl restart")).toEqual([]);
        expect(sb.readRoot(CONFIG)).toBe(PACKAGED_CONTAINERD_CONFIG);
        expect([...sb.packages().keys()].filter((n) => n.startsWith("kube"))).toEqual([]);
    });
});
