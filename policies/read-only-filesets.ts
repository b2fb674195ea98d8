import { kubePolicy, KubePolicyConfig } from "./lib/kubePolicy";
import { containersOf, KubeObject, podSpecOf, WORKLOAD_KINDS } from "./lib/kube";

export interface ReadOnlyFilesetsConfig extends KubePolicyConfig {
    /** Absolute paths of the shared, read-only filesets; everything at or under each is read-only. */
    readonly paths: readonly string[];
}

/**
 * Technote 000/001: the shared datasets and software filesets are read-only to every pod, however the
 * volume is reached: a mount at (or under) a fileset path, a hostPath or NFS volume whose source is in a
 * fileset (or contains one), and any other mount of a volume that is also mounted at a fileset path.
 */

function record(value: unknown): KubeObject | undefined {
    return value && typeof value === "object" && !Array.isArray(value) ? (value as KubeObject) : undefined;
}

function list(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

/** "/datasets//hsc/./x/" → "/datasets/hsc/x"; ".." segments are resolved, a relative path is taken from "/". */
export function normalizePath(path: string): string {
    const segments: string[] = [];
    for (const s of path.split("/")) {
        if (s === "" || s === ".") {
            continue;
        }
        if (s === "..") {
            segments.pop();
        } else {
            segments.push(s);
        }
    }
    return `/${segments.join("/")}`;
}

/** Whether path is base or below it, segment by segment ("/datasets2" is not under "/datasets"). */
export function isWithin(path: string, base: string): boolean {
    const p = normalizePath(path);
    const b = normalizePath(base);
    return b === "/" || p === b || p.startsWith(`${b}/`);
}

/** A mount's subPath as a path inside the volume ("" for the whole volume, or for a subPathExpr, which may name any of it). */
function subPathOf(mount: KubeObject): string {
    return typeof mount.subPath === "string" ? normalizePath(mount.subPath).slice(1) : "";
}

/** Whether two parts of one volume (subPaths) share any file. */
function overlaps(a: string, b: string): boolean {
    return a === "" || b === "" || isWithin(a, b) || isWithin(b, a);
}

/** Volumes whose files are the pod's own: mounting one at a fileset path is wrong, but it is no fileset. */
const POD_LOCAL_VOLUMES = ["emptyDir", "configMap", "secret", "downwardAPI", "projected"];

interface MountAt {
    readonly label: string;
    readonly j: number;
    readonly mount: KubeObject;
}

export const readOnlyFilesets = kubePolicy<ReadOnlyFilesetsConfig>({
    name: "read-only-filesets",
    description: "The shared filesets (/datasets and /software by default) must be mounted read-only in every container, whether at their own paths, through a hostPath or NFS volume, or through another mount of the same volume.",
    schema: {
        paths: { type: "array", items: { type: "string", pattern: "^/" }, default: ["/datasets", "/software"] },
    },
    defaults: { paths: ["/datasets", "/software"] },
    applies: (t) => WORKLOAD_KINDS.includes(t.kind),
    validate: (t, obj, config, report) => {
        const pod = podSpecOf(t, obj);
        if (!pod) {
            return;
        }
        const filesets = list(config.paths).filter((p): p is string => typeof p === "string" && p !== "").map(normalizePath);
        const filesetOf = (path: string) => filesets.find((f) => isWithin(path, f));
        const volumes = new Map<string, { volume: KubeObject; i: number }>();
        list(pod.spec.volumes).forEach((v, i) => {
            const volume = record(v);
            if (volume && typeof volume.name === "string" && !volumes.has(volume.name)) {
                volumes.set(volume.name, { volume, i });
            }
        });

        // An NFS volume exporting a fileset is read-only on the volume itself.
        for (const [name, { volume, i }] of volumes) {
            const nfs = record(volume.nfs);
            const fileset = typeof nfs?.path === "string" ? filesetOf(nfs.path) : undefined;
            if (nfs && fileset && nfs.readOnly !== true) {
                report(`${pod.path}.volumes[${i}] (${name}): nfs.path ${nfs.path} is under ${fileset}, but nfs.readOnly is not true; set readOnly: true on the volume`);
            }
        }

        const mounts: MountAt[] = [];
        for (const { container, label } of containersOf(pod.spec)) {
            list(container.volumeMounts).forEach((m, j) => {
                const mount = record(m);
                if (mount) {
                    mounts.push({ label, j, mount });
                }
            });
        }
        const atFileset = (m: MountAt) => (typeof m.mount.mountPath === "string" ? filesetOf(m.mount.mountPath) : undefined);

        for (const m of mounts) {
            const { mount, label, j } = m;
            if (mount.readOnly === true) {
                continue;
            }
            const where = `${label}: volumeMounts[${j}]${mount.name ? ` (${mount.name})` : ""} at ${mount.mountPath ?? "<no mountPath>"} is not readOnly`;

            // At a fileset path.
            const fileset = atFileset(m);
            if (fileset) {
                report(`${where}; mounts at or under ${fileset} must set readOnly: true`);
                continue;
            }

            // Through a hostPath or NFS volume whose source is in a fileset, or contains one.
            const volume = typeof mount.name === "string" ? volumes.get(mount.name)?.volume : undefined;
            const source = (["hostPath", "nfs"] as const)
                .map((kind) => ({ kind, path: record(volume?.[kind])?.path }))
                .find((s): s is { kind: "hostPath" | "nfs"; path: string } => typeof s.path === "string");
            if (source) {
                const reached = normalizePath(`${source.path}/${subPathOf(mount)}`);
                const reaches = filesetOf(reached) ? [reached] : filesets.filter((f) => isWithin(f, reached));
                if (reaches.length) {
                    report(`${where}, but its ${source.kind} volume reaches ${reaches.join(", ")}; set readOnly: true`);
                    continue;
                }
            }

            // Through another mount of the same volume at a fileset path, unless the volume only holds the pod's own
            // files (an emptyDir or generated content), which no fileset is.
            const podLocal = !!volume && POD_LOCAL_VOLUMES.some((kind) => volume[kind] !== undefined && volume[kind] !== null);
            const twin = typeof mount.name !== "string" || podLocal ? undefined : mounts.find((o) => o !== m && o.mount.name === mount.name && atFileset(o) && overlaps(subPathOf(o.mount), subPathOf(mount)));
            if (twin) {
                report(`${where}, but ${twin.label} mounts the same volume at ${twin.mount.mountPath}, under ${atFileset(twin)}; set readOnly: true`);
            }
        }
    },
});
