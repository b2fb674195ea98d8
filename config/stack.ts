/**
 * One stack's config as a whole: its three keys, and the rules that join sections (the registry's
 * fixed address inside the cluster's service network).
 */
import { z } from "zod";
import { cluster } from "./cluster";
import { blockSize, contains, ipToInt, validCidr } from "./net";
import { platform } from "./platform";
import { ALWAYS, isIPv4, isRecord } from "./values";

export const PROJECT = "lsst-k8s";

/** The secret config key that holds the SSH private key (set with `pulumi config set --secret`). */
export const SSH_KEY = "sshPrivateKey";

const PRIVATE_KEY = /^-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----\r?\n[\s\S]*\S[\s\S]*\n-----END \1-----$/;

// Never echoes the value: it is a secret even when it is malformed.
const sshPrivateKey = z.string({
    error: (iss) => (iss.input === undefined
        ? `required: set it with \`pulumi config set --secret ${SSH_KEY} < ~/.ssh/id_ed25519\``
        : "is not a string"),
}).refine((key) => PRIVATE_KEY.test(key.trim()), {
    error: 'is not a PEM or OpenSSH private key (expected "-----BEGIN ... PRIVATE KEY-----" ... "-----END ... PRIVATE KEY-----")',
});

/** The keys of this project's config, in the order their problems are reported. */
export const stack = z.object({
    [SSH_KEY]: sshPrivateKey,
    cluster,
    platform: platform.optional(),
}).superRefine((value: unknown, ctx) => {
    const services = isRecord(value) && isRecord(value.cluster) && isRecord(value.cluster.networks)
        ? validCidr(value.cluster.networks.services) : undefined;
    const reg = isRecord(value) && isRecord(value.platform) && isRecord(value.platform.registry) ? value.platform.registry : undefined;
    const ip = reg?.clusterIP;
    if (!services || typeof ip !== "string" || !isIPv4(ip)) {
        return;
    }
    const offset = ipToInt(ip) - services.base;
    const path = ["platform", "registry", "clusterIP"];
    if (!contains(services, ip)) {
        ctx.addIssue({ code: "custom", path, message: `${ip} is outside the service network ${services.text}` });
    } else if (offset === 0 || offset === 1 || offset === 10 || offset === blockSize(services) - 1) {
        // .1 is the API server's Service, .10 kubeadm's DNS.
        ctx.addIssue({ code: "custom", path, message: `${ip} is reserved in ${services.text} (network, API server, DNS or broadcast)` });
    }
}, ALWAYS);

/** The keys of the stack file's `config:` block that belong to this project, in the order they are documented. */
export const STACK_KEYS = ["cluster", "platform", SSH_KEY] as const;
