/**
 * One stack's config as a whole: its keys, and the rules that join them (the registry's fixed address
 * inside the cluster's service network, the HTCondor token wherever there are pools).
 */
import { z } from "zod";
import { cluster } from "./cluster";
import { blockSize, contains, ipToInt, validCidr } from "./net";
import { platform } from "./platform";
import { CONDOR_TOKEN, condorToken, condorTokenRequired } from "./platform/htcondor";
import { OIDC_GROUPS_PREFIX } from "./oidc";
import { quote } from "./problems";
import { ALWAYS, GROUP_NAME, isIPv4, isRecord } from "./values";

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
    [CONDOR_TOKEN]: condorToken.optional(),
}).superRefine((value: unknown, ctx) => {
    cronJobNames(value, ctx);
    oidcGroups(value, ctx);
    condorTokenRequired(value, ctx);
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

/**
 * With OIDC, every group the API server sees from a person carries cluster.oidc.groupsPrefix: a group
 * RBAC binds without it would never be asserted, and its people would silently have no access.
 */
function oidcGroups(value: unknown, ctx: z.RefinementCtx): void {
    const o = isRecord(value) && isRecord(value.cluster) && isRecord(value.cluster.oidc) ? value.cluster.oidc : undefined;
    const p = isRecord(value) && isRecord(value.platform) ? value.platform : undefined;
    if (!o || !p) {
        return;
    }
    const prefix = typeof o.groupsPrefix === "string" ? o.groupsPrefix : OIDC_GROUPS_PREFIX;
    const check = (group: unknown, path: (string | number)[]) => {
        // A name that is not a group name has its own problem already.
        if (typeof group === "string" && GROUP_NAME.test(group) && !group.startsWith(prefix)) {
            ctx.addIssue({
                code: "custom", path,
                message: `${quote(group)} is never asserted: cluster.oidc gives every group the prefix ${quote(prefix)} (the provider's group "x" is "${prefix}x")`,
            });
        }
    };
    if (isRecord(p.groups)) {
        for (const [k, g] of Object.entries(p.groups)) {
            check(g, ["platform", "groups", k]);
        }
    }
    if (Array.isArray(p.developerGroups)) {
        p.developerGroups.forEach((d: unknown, i: number) => check(isRecord(d) ? d.group : undefined, ["platform", "developerGroups", i, "group"]));
    }
}

/** The Job controller appends 11 characters to a CronJob's name, so the API caps it at 52. */
const CRONJOB_NAME_LIMIT = 52;
export const ETCD_BACKUP_PREFIX = "etcd-backup-";

/** Each control plane gets a CronJob named after it (components/platform/EtcdBackup.ts): its name must fit. */
function cronJobNames(value: unknown, ctx: z.RefinementCtx): void {
    if (!isRecord(value) || !isRecord(value.platform) || value.platform.etcdBackup === undefined) {
        return;
    }
    const nodes = isRecord(value.cluster) && Array.isArray(value.cluster.nodes) ? value.cluster.nodes : [];
    nodes.forEach((n: unknown, i: number) => {
        if (!isRecord(n) || n.role !== "control-plane" || typeof n.name !== "string") {
            return;
        }
        const name = `${ETCD_BACKUP_PREFIX}${n.name}`;
        if (name.length > CRONJOB_NAME_LIMIT) {
            ctx.addIssue({
                code: "custom", path: ["cluster", "nodes", i, "name"],
                message: `makes the etcd backup CronJob name ${quote(name)} ${name.length} characters long; the API allows ` +
                    `${CRONJOB_NAME_LIMIT}: shorten the node name to ${CRONJOB_NAME_LIMIT - ETCD_BACKUP_PREFIX.length} characters or fewer`,
            });
        }
    });
}

/** The keys of the stack file's `config:` block that belong to this project, in the order they are documented. */
export const STACK_KEYS = ["cluster", "platform", SSH_KEY, CONDOR_TOKEN] as const;
