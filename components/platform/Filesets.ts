import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { FilesetName, FilesetsConfig } from "../../config";

/**
 * Technote 001 "Access to File Sets": where each fileset is mounted and whether it may be written.
 * /project/shared, /datasets and /software are read-only for everyone.
 */
export const FILESET_MOUNTS: Readonly<Record<FilesetName, { path: string; readOnly: boolean }>> = {
    project: { path: "/project", readOnly: false },
    projectShared: { path: "/project/shared", readOnly: true },
    datasets: { path: "/datasets", readOnly: true },
    scratch: { path: "/scratch", readOnly: false },
    jhome: { path: "/jhome", readOnly: false },
    software: { path: "/software", readOnly: true },
};

/**
 * Who sees which fileset (technote 001): science users have no /scratch, and /software is not offered
 * to notebooks yet; developers get all of them; batch jobs get what their pipelines read and write.
 */
export const FILESETS_FOR = {
    notebooks: ["project", "projectShared", "datasets", "jhome"],
    developers: ["project", "projectShared", "datasets", "scratch", "jhome", "software"],
    batch: ["project", "datasets", "scratch", "software"],
} as const satisfies Record<string, readonly FilesetName[]>;

export interface FilesetsArgs {
    /** The NFS server and export of each fileset; no default. */
    readonly config: FilesetsConfig;
    /** Which filesets each namespace gets; no default. */
    readonly claims: Readonly<Record<string, readonly FilesetName[]>>;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: the namespaces it goes into; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The nominal size of every fileset volume and claim. */
export const FILESET_CLAIM_SIZE = "1Gi";

/** The claim name of a fileset in every namespace that has it. */
export function claimName(fileset: FilesetName): string {
    return `fileset-${fileset.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The GPFS filesets, exported over NFS, as persistent volumes: one volume per namespace and fileset (a
 * volume binds one claim), each pre-bound to its claim, read-only ones read-only at every level: the
 * volume's access mode, the NFS mount and the claim.
 */
export class Filesets extends pulumi.ComponentResource {
    constructor(name: string, args: FilesetsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:Filesets", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        for (const [namespace, filesets] of Object.entries(args.claims)) {
            for (const fileset of filesets) {
                const { readOnly } = FILESET_MOUNTS[fileset];
                const accessModes = [readOnly ? "ReadOnlyMany" : "ReadWriteMany"];
                const claim = claimName(fileset);
                const volumeName = `${namespace}-${claim}`;
                // NFS does not enforce a size; a nominal one keeps the claims out of the way of storage quotas.
                const storage = FILESET_CLAIM_SIZE;
                new k8s.core.v1.PersistentVolume(`${name}-${volumeName}`, {
                    metadata: { name: volumeName, labels: { "lsst-k8s.io/fileset": claim } },
                    spec: {
                        capacity: { storage },
                        accessModes,
                        persistentVolumeReclaimPolicy: "Retain",
                        storageClassName: "",
                        nfs: { server: args.config.server, path: args.config.exports[fileset], readOnly },
                        claimRef: { namespace, name: claim },
                        mountOptions: ["hard", "nfsvers=4.1"],
                    },
                }, o);
                new k8s.core.v1.PersistentVolumeClaim(`${name}-${namespace}-${claim}`, {
                    metadata: { name: claim, namespace },
                    spec: { accessModes, storageClassName: "", volumeName, resources: { requests: { storage } } },
                }, o);
            }
        }
        this.registerOutputs({});
    }
}
