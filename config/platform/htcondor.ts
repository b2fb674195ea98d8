/** Technote 000 "Batch Services" (use cases BCS 1-5): HTCondor worker pools that join a central manager. */
import { z } from "zod";
import { ALWAYS, isHost, isPort, list, quantityText, record, repeats, size, text, whole } from "../values";
import { image } from "./images";

const POOL_NAME = /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/;

const pool = record({
    name: text(POOL_NAME, "is not a short DNS-1123 label").meta({ description: "prompt, nightly, yearly, l3...: also its namespace suffix." }),
    replicas: whole(0, 10000).meta({ description: "Worker pods; capacity moves by changing it." }),
    processingType: text(/^[A-Za-z0-9_-]+$/, "is not a ClassAd value").optional()
        .meta({ description: "What its startds advertise in the LSSTProcessingType ClassAd; default the pool's name." }),
    cpu: quantityText("is not a cpu quantity", { aboveZero: true }).default("4").meta({ description: 'Cores per worker pod; default "4".' }),
    memory: size("is not a memory quantity").default("16Gi")
        .meta({ description: 'Memory per worker pod; default "16Gi".' }),
}).transform(({ processingType, ...rest }) => ({ ...rest, processingType: processingType ?? rest.name }));

export const htcondor = record({
    centralManager: text((s) => { const [h, port] = s.split(":"); return isHost(h) && (port === undefined || isPort(Number(port))); }, "is not host or host:port")
        .meta({ description: "The central manager outside the cluster (technote 000: it keeps a fixed address)." }),
    image: image("The execute-node image, pinned, from a trusted registry (by digest where platform.requireDigests)."),
    pools: list(pool, { nonEmpty: true }).superRefine((items: unknown, ctx) => {
        if (!Array.isArray(items)) {
            return;
        }
        for (const { at, value } of repeats(items, "name", (n) => POOL_NAME.test(n))) {
            ctx.addIssue({ code: "custom", path: [at, "name"], message: `${JSON.stringify(value)} is already a pool` });
        }
    }, ALWAYS).meta({ description: "The pools, each in its own namespace htcondor-<name>." }),
});

export type CondorConfig = z.output<typeof htcondor>;
export type CondorPool = CondorConfig["pools"][number];
