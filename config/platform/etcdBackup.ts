/** Technote 004 "Storage", 000 "Preparing for disaster recovery": etcd snapshots and the PKI on each control plane. */
import { z } from "zod";
import { PINNED_IMAGE, record, text, whole } from "../values";

export const etcdBackup = record({
    image: text(PINNED_IMAGE, "is not pinned (name a tag or a digest)")
        .meta({ description: "An image with bash, coreutils, tar, gzip and etcdctl, pinned, from a trusted registry." }),
    schedule: text((s) => s.trim().split(/\s+/).length === 5, "is not a five-field cron schedule").default("0 */6 * * *")
        .meta({ description: 'Cron schedule; default every six hours, on the hour ("0 */6 * * *").' }),
    hostPath: text((s) => /^\/[^\0]+$/.test(s) && !/(^|\/)\.\.?(\/|$)/.test(s) && s !== "/", "is not an absolute directory")
        .default("/var/backups/etcd")
        .meta({ description: 'Directory on each control plane that keeps the backups; default "/var/backups/etcd".' }),
    keep: whole(1, 1000).default(14).meta({ description: "How many snapshots (and PKI archives) each control plane keeps; default 14." }),
});

export type EtcdBackupConfig = z.output<typeof etcdBackup>;
