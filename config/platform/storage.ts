/**
 * Technote 004 "Storage" and "NFS": an NFS server already runs on site, so the cluster needs only the
 * dynamic provisioner half: the NFS subdir external provisioner, one directory per claim on an export.
 */
import { z } from "zod";
import { DNS_SUBDOMAIN, flag, isHost, list, oneOf, record, text } from "../values";
import { image } from "./images";

/**
 * Pulled straight from registry.k8s.io, never through the local registry: the local registry's own
 * volume is provisioned by it, so it has to run before the registry exists. v4.0.2 is the latest tag
 * registry.k8s.io serves (kubernetes/k8s.io's promotion manifest for sig-storage promotes v4.0.0-v4.0.2).
 */
export const NFS_PROVISIONER_IMAGE = "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2";

/** The user and group the provisioner runs as: what an export's root_squash maps root to (anonuid, anongid). */
export const NFS_PROVISIONER_UID = 65534;

/** Absolute, and free of "." and ".." segments: the provisioner joins each claim's directory onto it. */
const isExportPath = (s: string) => /^\/[^\0]*$/.test(s) && !/(^|\/)\.\.?(\/|$)/.test(s);

/** One option per item: kubelet joins them with commas, so a comma inside one would smuggle in more. */
const mountOption = text(/^[^\s,]+$/, "is not a single mount option (no spaces or commas)");

export const nfs = record({
    server: text(isHost, "is not a DNS name or IPv4 address")
        .meta({ description: "The NFS server the volumes live on (a DNS name or IPv4 address); no default." }),
    path: text(isExportPath, "is not an absolute path").meta({
        description: "The export the provisioner mounts and makes one directory per claim in (<namespace>-<claim>-<volume>); " +
            `its top directory must be writable by uid/gid ${NFS_PROVISIONER_UID}, which the provisioner runs as ` +
            "(what root_squash maps root to); no default.",
    }),
    className: text(DNS_SUBDOMAIN, "is not a storage class name").default("nfs")
        .meta({ description: 'The StorageClass\'s name; default "nfs".' }),
    default: flag().default(true).meta({
        description: "Mark the class the cluster's default, so claims that name no class get it; default true.",
    }),
    reclaimPolicy: oneOf(["Retain", "Delete"] as const).default("Retain").meta({
        description: 'What happens to a volume when its claim is deleted: "Retain" keeps the volume and its directory ' +
            'for an admin to reclaim, "Delete" hands it back to the provisioner (see archiveOnDelete); default "Retain", keep the data.',
    }),
    archiveOnDelete: flag().default(true).meta({
        description: "With reclaimPolicy Delete, rename a deleted volume's directory to archived-<name> instead of " +
            "removing it; default true, keep the data.",
    }),
    mountOptions: list(mountOption).default(["hard"]).meta({
        description: 'Options of every NFS mount of the class\'s volumes and of the provisioner\'s own; default ["hard"]: ' +
            "hard, so a slow server stalls writes instead of failing them, and no nfsvers, so the client negotiates " +
            "the highest version the server speaks (today's clients try 4.2 first). Technote 004 \"NFS errors\" saw a " +
            'pinned nfsvers the server did not serve fail as "access denied by server"; pin one ("nfsvers=4.2") ' +
            "only once the server is known to serve it.",
    }),
    image: image("The NFS subdir external provisioner image, pulled straight from registry.k8s.io (the local registry's " +
        `volume needs it first); default "${NFS_PROVISIONER_IMAGE}", its latest release.`)
        .default(NFS_PROVISIONER_IMAGE),
});

export const storage = record({
    nfs: nfs.optional().meta({
        description: "Dynamic volumes on the site's NFS server (technote 004 \"NFS\"); absent, the cluster provisions none.",
    }),
});

export type StorageConfig = z.output<typeof storage>;
export type NfsConfig = z.output<typeof nfs>;

/** The class a claim uses: the one config names, else the NFS provisioner's when there is one. */
export function storageClassFor(named: string | undefined, nfs: { readonly className: string } | undefined): string | undefined {
    return named ?? nfs?.className;
}
