/**
 * What this code knows about Kubernetes releases. Technote 000 "Maintenance" keeps every cluster inside
 * the maintained window: the three newest minor releases. The window moves only when someone edits
 * NEWEST_MINOR here (after checking the release notes), never with the clock, so a build that passed
 * yesterday does not fail today on its own.
 */

/** The newest Kubernetes minor release (1.37 went GA in August 2026). */
export const NEWEST_MINOR = 37;

/** How many minor releases the community maintains at once (technote 000: "within three releases"). */
export const MAINTAINED_MINORS = 3;

export interface KubernetesVersion {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    /** "1.36.3": what kubeadm and the packages are pinned to. */
    readonly text: string;
    /** "v1.36": the pkgs.k8s.io repository that carries this release. */
    readonly minorTag: string;
}

const VERSION_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** Parses an exact "X.Y.Z" pin; anything looser (a "v" prefix, "1.36", "1.36.x") is refused. */
export function parseVersion(text: string): KubernetesVersion | undefined {
    const m = VERSION_RE.exec(text);
    if (!m) {
        return undefined;
    }
    const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return { major, minor, patch, text, minorTag: `v${major}.${minor}` };
}

/** The oldest minor still maintained. */
export const OLDEST_MINOR = NEWEST_MINOR - MAINTAINED_MINORS + 1;

/** Why a version is outside the window, or undefined when it is inside. */
export function windowProblem(v: KubernetesVersion): string | undefined {
    const window = `1.${OLDEST_MINOR}–1.${NEWEST_MINOR}`;
    if (v.major !== 1 || v.minor < OLDEST_MINOR) {
        return `${v.text} is outside the maintained window (${window})`;
    }
    if (v.minor > NEWEST_MINOR) {
        return `${v.text} is newer than the newest release this code knows (1.${NEWEST_MINOR}); ` +
            "raise NEWEST_MINOR in components/hosts/versions.ts after reading the release notes";
    }
    return undefined;
}

/**
 * The oldest containerd the kubelet accepts. Kubernetes 1.35 was the last release to run on
 * containerd 1.x; from 1.36 on the kubelet needs 2.0 or later.
 */
export function minimumContainerd(v: KubernetesVersion): string {
    return v.minor >= 36 ? "2.0" : "1.7";
}

/**
 * The community package repositories, one per minor release. They replace the frozen
 * packages.cloud.google.com repository that technote 003's prepare.sh used.
 */
export function packageRepository(v: KubernetesVersion): { deb: string; rpm: string; debKey: string; rpmKey: string } {
    const base = `https://pkgs.k8s.io/core:/stable:/${v.minorTag}`;
    return {
        deb: `${base}/deb/`,
        rpm: `${base}/rpm/`,
        debKey: `${base}/deb/Release.key`,
        rpmKey: `${base}/rpm/repodata/repomd.xml.key`,
    };
}

/**
 * Why moving a running cluster from `previous` to `next` is refused, or undefined when it is allowed.
 * kubeadm upgrades one minor release at a time and cannot go back (technote 000 "Maintenance").
 */
export function upgradeProblem(previous: string | undefined, next: KubernetesVersion): string | undefined {
    if (previous === undefined || previous === next.text) {
        return undefined;
    }
    const from = parseVersion(previous);
    if (!from) {
        return `the cluster reports version ${JSON.stringify(previous)}, which is not X.Y.Z`;
    }
    const order = (v: KubernetesVersion) => [v.major, v.minor, v.patch];
    const [a, b] = [order(from), order(next)];
    const i = a.findIndex((x, k) => x !== b[k]);
    if (a[i] > b[i]) {
        return `${from.text} → ${next.text} is a downgrade: kubeadm cannot take a cluster back; restore from an etcd backup instead`;
    }
    if (next.major !== from.major || next.minor > from.minor + 1) {
        return `${from.text} → ${next.text} skips a minor release: upgrade one minor at a time (first to 1.${from.minor + 1}.x)`;
    }
    return undefined;
}
