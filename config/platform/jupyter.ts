/** Technote 000 "JupyterLab Requirements": quotas sized for the users, and spawner profiles inside the bounds. */
import { z } from "zod";
import { idRangesOf } from "./access";
import { ALWAYS, DNS_LABEL, isRecord, list, QUANTITY, quantity, quantityText, record, size, text, whole } from "../values";

/** Technote 000: 0.5 to 4 cores and 512MB to 8GB per user. */
export const NOTEBOOK_BOUNDS = { cpu: { min: "500m", max: "4" }, memory: { min: "512Mi", max: "8Gi" } } as const;

const profile = record({
    name: text(DNS_LABEL, "is not a DNS-1123 label").meta({ description: "The choice's name in the spawner." }),
    cpu: quantityText("is not a cpu quantity").meta({ description: "Cores, 0.5 to 4 (\"2\", \"500m\")." }),
    memory: text(QUANTITY, "is not a memory quantity").meta({ description: "Memory, 512Mi to 8Gi (\"4Gi\")." }),
}).superRefine((value: unknown, ctx) => {
    if (!isRecord(value) || typeof value.name !== "string" || !DNS_LABEL.test(value.name)) {
        return;
    }
    const { cpu, memory } = value;
    if (typeof cpu !== "string" || !QUANTITY.test(cpu) || typeof memory !== "string" || !QUANTITY.test(memory)) {
        return;
    }
    const { cpu: c, memory: m } = NOTEBOOK_BOUNDS;
    if (!(quantity(cpu) >= quantity(c.min) && quantity(cpu) <= quantity(c.max))) {
        ctx.addIssue({ code: "custom", path: ["cpu"], message: `${cpu} is outside 0.5 to 4 cores` });
    } else if (!(quantity(memory) >= quantity(m.min) && quantity(memory) <= quantity(m.max))) {
        ctx.addIssue({ code: "custom", path: ["memory"], message: `${memory} is outside 512Mi to 8Gi` });
    }
}, ALWAYS);

const DEFAULT_PROFILES = [
    { name: "small", cpu: "1", memory: "2Gi" },
    { name: "medium", cpu: "2", memory: "4Gi" },
    { name: "large", cpu: "4", memory: "8Gi" },
];

export const jupyter = record({
    concurrentUsers: whole(1, 10000).meta({ description: "Concurrent users the namespace quota is sized for." }),
    homeSize: size("is not a storage size like 100Gi").default("100Gi")
        .meta({ description: 'Each user\'s home volume; default "100Gi" (technote 000 "User Storage").' }),
    profiles: list(profile, { nonEmpty: true }).default(DEFAULT_PROFILES)
        .meta({ description: "Spawner choices; default small (1 core, 2Gi), medium (2, 4Gi), large (4, 8Gi)." }),
    // The hub and its proxy run in the namespace too, so their ids come from these ranges as well.
    ids: idRangesOf("the notebook namespace").optional(),
});

export type JupyterConfig = z.output<typeof jupyter>;
export type NotebookProfile = JupyterConfig["profiles"][number];
