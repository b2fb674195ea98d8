/** Technote 001 "Access to File Sets": where the GPFS filesets are exported from over NFS. */
import { z } from "zod";
import { isHost, record, text } from "../values";

export const FILESETS = ["project", "projectShared", "datasets", "scratch", "jhome", "software"] as const;
export type FilesetName = (typeof FILESETS)[number];

const exportPath = (fileset: string) => text(/^\/[^\0]*$/, "is not an absolute path").meta({ description: `The export path of ${fileset}.` });

export const filesets = record({
    server: text(isHost, "is not a DNS name or IPv4 address").meta({ description: "The NFS server exporting the filesets." }),
    exports: record({
        project: exportPath("/project"),
        projectShared: exportPath("/project/shared (mounted read-only)"),
        datasets: exportPath("/datasets (mounted read-only)"),
        scratch: exportPath("/scratch (developers and batch only)"),
        jhome: exportPath("/jhome (mounted read-only)"),
        software: exportPath("/software (mounted read-only)"),
    }),
});

export type FilesetsConfig = z.output<typeof filesets>;
