/** `platform`: what the cluster carries beyond Kubernetes itself; absent, the cluster gets only its overlay. */
import { z } from "zod";
import { quote, ref } from "../problems";
import { ALWAYS, flag, isRecord, record } from "../values";
import { checkIdRanges, developerAccess, developerGroups, groups } from "./access";
import { etcdBackup } from "./etcdBackup";
import { filesets } from "./filesets";
import { htcondor } from "./htcondor";
import { lacksDigest } from "./images";
import { jupyter } from "./jupyter";
import { registry } from "./registry";
import { storage } from "./storage";

/** Switches whose images come from the local registry (technote 001 "Images and Libraries"). */
const PULLS_FROM_REGISTRY = ["dashboard", "multicastCheck", "kubeBench"] as const;

export const platform = record({
    groups,
    developerAccess,
    developerGroups,
    dashboard: flag().default(true).meta({ description: "Headlamp, the read-only web UI: users sign in with their own token, through kubectl port-forward only; default true." }),
    multicastCheck: flag().default(false).meta({ description: "Technote 003's multicast test as a check the operator switches on; default false." }),
    kubeBench: flag().default(false).meta({ description: "kube-bench as a Job for the CIS results (technote 000 \"Security\"); default false." }),
    requireDigests: flag().default(false).meta({
        description: "Images pulled through the local registry (htcondor, etcdBackup) are named by digest, as the stack's " +
            "trusted-images policy requires (pre-production); default false.",
    }),
    jupyter: jupyter.optional().meta({ description: "Notebook namespace quotas and spawner profiles; absent, none are declared." }),
    filesets: filesets.optional().meta({ description: "The filesets as persistent volumes; absent, none are declared." }),
    htcondor: htcondor.optional().meta({ description: "HTCondor worker pools; absent, none are declared." }),
    etcdBackup: etcdBackup.optional().meta({ description: "Scheduled etcd backups on every control plane; absent, none." }),
    registry: registry.optional().meta({ description: "The local image registry; absent, none." }),
    storage: storage.optional().meta({ description: "Storage classes the platform provisions (technote 004 \"Storage\"); absent, none." }),
}).superRefine((value: unknown, ctx) => {
    if (!isRecord(value)) {
        return;
    }
    checkIdRanges(value, ctx);
    if (value.registry === undefined) {
        for (const key of PULLS_FROM_REGISTRY) {
            if (value[key] === true) {
                ctx.addIssue({ code: "custom", path: [key], message: "needs platform.registry: its images are pulled from the local registry" });
            }
        }
    }
    // The registry's volume needs a class: one named, or the NFS provisioner's.
    const nfs = isRecord(value.storage) ? value.storage.nfs : undefined;
    if (isRecord(value.registry) && value.registry.storageClass === undefined && nfs === undefined) {
        ctx.addIssue({
            code: "custom", path: ["registry", "storageClass"], params: ref(2, "storage", "nfs"),
            message: "required unless {ref} is set: the registry's volume needs a storage class, named here or the NFS provisioner's",
        });
    }
    if (value.requireDigests !== true) {
        return;
    }
    for (const section of ["htcondor", "etcdBackup"]) {
        const s = value[section];
        const ref = isRecord(s) ? s.image : undefined;
        if (typeof ref === "string" && lacksDigest(ref)) {
            ctx.addIssue({
                code: "custom", path: [section, "image"],
                message: `${quote(ref)} has no digest, and platform.requireDigests pulls by digest only: name it as host/name:tag@sha256:…`,
            });
        }
    }
}, ALWAYS);

export type PlatformConfig = z.output<typeof platform>;
