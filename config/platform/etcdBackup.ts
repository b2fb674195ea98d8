/** Technote 004 "Storage", 000 "Preparing for disaster recovery": etcd snapshots and the PKI on each control plane. */
import { z } from "zod";
import { cronProblem } from "../cron";
import { quote } from "../problems";
import { record, text, whole } from "../values";
import { image } from "./images";

/** Directories a host's own system lives in: never the backups' home, whose old files the job deletes. */
const SYSTEM_DIRS = ["/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media", "/mnt", "/opt", "/proc", "/root",
    "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/log", "/var/run", "/var/tmp"];
/** What the backups must neither sit inside nor contain: the host's config, etcd's data, the kubelet's, the kernel's. */
const PROTECTED = ["/etc", "/etc/kubernetes", "/var/lib/etcd", "/var/lib/kubelet", "/boot", "/dev", "/proc", "/sys", "/usr", "/bin", "/sbin", "/lib"];

const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/** Why a backup directory is refused, or undefined. */
function hostPathProblem(raw: string): string | undefined {
    if (!/^\/[^\0]+$/.test(raw) || /(^|\/)\.\.?(\/|$)/.test(raw) || raw === "/") {
        return "is not an absolute directory";
    }
    const path = raw.replace(/\/+$/, "").replace(/\/{2,}/g, "/");
    if (SYSTEM_DIRS.includes(path)) {
        return "is a system directory: give the backups a directory of their own, such as /var/backups/etcd";
    }
    const clash = PROTECTED.find((p) => within(path, p) || within(p, path));
    return clash ? `overlaps ${clash}: give the backups a directory of their own, such as /var/backups/etcd` : undefined;
}

export const etcdBackup = record({
    image: image("An image with bash, coreutils, tar, gzip and etcdctl, pinned, from a trusted registry."),
    schedule: text().superRefine((s, ctx) => {
        const p = s === "" ? undefined : cronProblem(s);
        if (p !== undefined) {
            ctx.addIssue({ code: "custom", input: s, message: `${quote(s)} is not a five-field cron schedule${p ? ` (${p})` : ""}` });
        }
    }).default("0 */6 * * *")
        .meta({ description: 'Cron schedule (five fields, or @daily and the like); default every six hours, on the hour ("0 */6 * * *").' }),
    hostPath: text().superRefine((s, ctx) => {
        const p = s === "" ? undefined : hostPathProblem(s);
        if (p) {
            ctx.addIssue({ code: "custom", input: s, message: `${quote(s)} ${p}` });
        }
    }).default("/var/backups/etcd")
        .meta({ description: 'Directory on each control plane that keeps the backups, of their own; default "/var/backups/etcd".' }),
    keep: whole(1, 1000).default(14).meta({ description: "How many snapshots (and PKI archives) each control plane keeps; default 14." }),
});

export type EtcdBackupConfig = z.output<typeof etcdBackup>;
