/** Technote 000 "Batch Services" (use cases BCS 1-5): HTCondor worker pools that join a central manager. */
import { z } from "zod";
import { ALWAYS, isHost, isPort, isRecord, list, quantityText, record, repeats, size, text, whole } from "../values";
import { image } from "./images";

const POOL_NAME = /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/;
/** An HTCondor accounting group, dotted for subgroups ("group_prompt", "group_l3.survey"). */
const ACCOUNTING_GROUP = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const pool = record({
    name: text(POOL_NAME, "is not a short DNS-1123 label").meta({ description: "prompt, nightly, yearly, l3...: also its namespace suffix." }),
    replicas: whole(0, 10000).meta({ description: "Worker pods; capacity moves by changing it." }),
    processingType: text(/^[A-Za-z0-9_-]+$/, "is not a ClassAd value").optional()
        .meta({ description: "What its startds advertise in the LSSTProcessingType ClassAd; default the pool's name." }),
    accountingGroups: list(text(ACCOUNTING_GROUP, "is not an HTCondor accounting group name"), { nonEmpty: true }).optional().meta({
        description: "The accounting groups whose jobs its startds start (the job's AcctGroup, which the access points set from " +
            "the authenticated owner, never what the job asks for); default [\"group_<processingType>\"].",
    }),
    cpu: quantityText("is not a cpu quantity", { aboveZero: true }).default("4").meta({ description: 'Cores per worker pod; default "4".' }),
    memory: size("is not a memory quantity").default("16Gi")
        .meta({ description: 'Memory per worker pod; default "16Gi".' }),
}).transform(({ processingType, accountingGroups, ...rest }) => {
    const type = processingType ?? rest.name;
    // Derived from the type, so rededicating a pool (BCS 1, 2) is one edit: its jobs' group follows.
    return { ...rest, processingType: type, accountingGroups: accountingGroups ?? [`group_${type}`] };
});

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

/** The secret config key that holds the startds' IDTOKEN (set with `pulumi config set --secret`). */
export const CONDOR_TOKEN = "condorToken";

/** What creates the token on the central manager and stores it, never through a command line or a file. */
export const CONDOR_TOKEN_COMMAND = "condor_token_create -identity <identity> -authz READ -authz ADVERTISE_MASTER " +
    `-authz ADVERTISE_STARTD -authz DAEMON | pulumi config set --secret ${CONDOR_TOKEN}`;

function base64urlJson(part: string): unknown {
    try {
        return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    } catch {
        return undefined;
    }
}

/**
 * An IDTOKEN as condor_token_create prints it: a signed JWT whose header names its algorithm and
 * signing key and whose payload names the identity (sub) and the trust domain that issued it (iss).
 */
export function isIdToken(value: string): boolean {
    const parts = value.trim().split(".");
    if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) {
        return false;
    }
    const [header, payload] = parts.map(base64urlJson);
    return isRecord(header) && typeof header.alg === "string" && typeof header.kid === "string" &&
        isRecord(payload) && typeof payload.sub === "string" && typeof payload.iss === "string";
}

// Never echoes the value: it is a credential even when it is malformed.
export const condorToken = z.string({ error: "is not a string" }).refine(isIdToken, {
    error: "is not an HTCondor IDTOKEN (a JWT with alg and kid in its header, sub and iss in its payload, as condor_token_create prints it)",
});

/** For the stack's cross-key rules: the pools cannot join without the token, so a stack with pools needs it. */
export function condorTokenRequired(value: unknown, ctx: z.RefinementCtx): void {
    if (isRecord(value) && isRecord(value.platform) && value.platform.htcondor !== undefined && value[CONDOR_TOKEN] === undefined) {
        ctx.addIssue({
            code: "custom", path: [CONDOR_TOKEN],
            message: `required with platform.htcondor: the startds authenticate to the central manager with it; create and set it with \`${CONDOR_TOKEN_COMMAND}\``,
        });
    }
}
