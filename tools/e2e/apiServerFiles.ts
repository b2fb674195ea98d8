/**
 * Step 7 of the control-plane tier: the API server's own files (components/hosts/controlPlaneFiles.ts),
 * as the program renders them, on the real API server. The tier's API server starts with the program's
 * flags and files, its OIDC provider swapped for a real one on 127.0.0.1 (oidcIssuer.ts), and then:
 *   identity    every RBAC question of step 2 asked again as the person: a token from the provider with
 *               the actor's group (without its prefix, as the provider says it) through a
 *               SelfSubjectAccessReview, answered as the technotes say; the username and groups the
 *               API server derives carry the configured prefixes; an expired token, one for another
 *               audience and one from another issuer are refused (401); a person removed from the
 *               group keeps nothing of what the group could do.
 *   audit       the log exists, root-only; a Secret written through the API leaves only metadata (its
 *               value nowhere in the log), an RBAC change leaves its request body.
 *   encryption  the same Secret is in etcd encrypted with the stack's provider and key name, its value
 *               nowhere in what etcd holds.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ClusterConfig, OidcConfig } from "../../config";
import {
    apiServerArgs, AUDIT_LOG_DIR, CONTROL_PLANE_CONFIG_DIR, controlPlaneFiles, encryptionKeyName,
} from "../../components/hosts/controlPlaneFiles";
import { ApiServer, pool, request } from "./api";
import { OidcIssuer, startOidcIssuer } from "./oidcIssuer";
import { RbacQuestion } from "./rbac";

/** The program's files in the tier's directory, and the flags that name them there. */
export interface TierFiles {
    readonly issuer: OidcIssuer;
    /** The stack's OIDC settings with the tier's provider in place of the real one. */
    readonly oidc: OidcConfig;
    readonly flags: string[];
    readonly auditLog: string;
    readonly encryptionKey: string;
}

export interface StepResult {
    readonly checked: number;
    readonly passed: number;
    readonly problems: string[];
}

/** What the tier's stacks use when a stack has no cluster.oidc: the schema's defaults. */
const FALLBACK_OIDC = { clientId: "lsst-k8s-e2e", usernameClaim: "sub", usernamePrefix: "oidc:", groupsClaim: "groups", groupsPrefix: "oidc:" };

/** Starts the provider and writes the program's files for CLUSTER under DIR; the caller closes the issuer. */
export async function prepareApiServerFiles(cluster: ClusterConfig, dir: string): Promise<TierFiles> {
    const base = cluster.oidc ?? FALLBACK_OIDC;
    fs.mkdirSync(path.join(dir, "oidc"), { mode: 0o700 });
    const issuer = await startOidcIssuer(path.join(dir, "oidc"), base.clientId);
    const oidc: OidcConfig = { ...base, issuer: issuer.url, certificateAuthority: issuer.caPem };
    const encryptionKey = randomBytes(32).toString("base64");
    const configDir = path.join(dir, "lsst-k8s");
    const auditDir = path.join(dir, "audit");
    fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(auditDir, { recursive: true, mode: 0o700 });
    const tierCluster = { ...cluster, oidc } as ClusterConfig;
    for (const [name, file] of Object.entries(controlPlaneFiles(tierCluster, encryptionKey))) {
        fs.writeFileSync(path.join(configDir, name), file.content, { mode: Number.parseInt(file.mode, 8) });
    }
    const flags = Object.entries(apiServerArgs(tierCluster)).map(([k, v]) =>
        `--${k}=${v.replace(CONTROL_PLANE_CONFIG_DIR, configDir).replace(AUDIT_LOG_DIR, auditDir)}`);
    return { issuer, oidc, flags, auditLog: path.join(auditDir, "audit.log"), encryptionKey };
}

/** The API group of each resource the RBAC table asks about, as a SelfSubjectAccessReview needs it. */
const GROUPS: Readonly<Record<string, string>> = {
    deployments: "apps", networkpolicies: "networking.k8s.io",
    roles: "rbac.authorization.k8s.io", rolebindings: "rbac.authorization.k8s.io",
    clusterroles: "rbac.authorization.k8s.io", clusterrolebindings: "rbac.authorization.k8s.io",
    configmaps: "", groups: "", namespaces: "", nodes: "", persistentvolumeclaims: "", persistentvolumes: "",
    pods: "", secrets: "", users: "",
};

function accessReview(q: RbacQuestion): Record<string, unknown> {
    const [resource, subresource] = q.resource.split("/");
    const group = GROUPS[resource];
    if (group === undefined) {
        throw new Error(`apiServerFiles.ts knows no API group for ${resource}: add it to GROUPS`);
    }
    return {
        apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview",
        spec: {
            resourceAttributes: {
                verb: q.verb, group, resource, ...(subresource ? { subresource } : {}),
                ...(q.namespace === "*" ? { namespace: "" } : q.namespace ? { namespace: q.namespace } : {}),
            },
        },
    };
}

/** The answer the API server gives the holder of TOKEN, or a line saying why it could not be asked. */
async function allowed(api: ApiServer, token: string, q: RbacQuestion): Promise<boolean | string> {
    const r = await request({ ...api, token }, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", accessReview(q));
    if (r.status !== 201) {
        return `HTTP ${r.status}: ${String(r.body.message ?? "")}`;
    }
    return (r.body.status as { allowed?: boolean } | undefined)?.allowed === true;
}

/** A person's token: SUB, with GROUPS as the provider names them (no prefix). */
function personToken(files: TierFiles, sub: string, groups: string[], opts: Parameters<OidcIssuer["mint"]>[1] = {}): string {
    return files.issuer.mint({ [files.oidc.usernameClaim]: sub, [files.oidc.groupsClaim]: groups }, opts);
}

export async function identityChecks(api: ApiServer, files: TierFiles, questions: readonly RbacQuestion[]): Promise<StepResult> {
    const problems: string[] = [];
    let checked = 0;
    const { groupsPrefix, usernamePrefix } = files.oidc;
    const asserted = (group: string) => group.slice(groupsPrefix.length);
    const tokens = new Map<string, string>();
    const tokenFor = (q: RbacQuestion) => {
        if (!tokens.has(q.group)) {
            tokens.set(q.group, personToken(files, `e2e-${tokens.size}`, [asserted(q.group)]));
        }
        return tokens.get(q.group)!;
    };
    const answers = await pool(questions, 8, (q) => allowed(api, tokenFor(q), q));
    for (const [i, q] of questions.entries()) {
        checked += 1;
        const a = answers[i];
        if (typeof a === "string") {
            problems.push(`identity: ${q.actor} (token with ${asserted(q.group)}) ${q.verb} ${q.resource}: could not ask: ${a}`);
        } else if (a !== q.expected) {
            problems.push(`identity: ${q.actor} ${q.verb} ${q.resource}${q.namespace ? ` in ${q.namespace}` : ""} with an OIDC token: ` +
                `the API server says ${a ? "yes" : "no"}, the technotes ${q.expected ? "yes" : "no"}`);
        }
    }

    const sample = questions.find((q) => q.expected && q.actor.startsWith("developer")) ?? questions.find((q) => q.expected)!;
    const group = asserted(sample.group);
    checked += 1;
    const review = await request({ ...api, token: personToken(files, "alice", [group]) }, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
    const user = (review.body.status as { userInfo?: { username?: string; groups?: string[] } } | undefined)?.userInfo;
    if (review.status !== 201 || user?.username !== `${usernamePrefix}alice` || !user.groups?.includes(`${groupsPrefix}${group}`)) {
        problems.push(`identity: a token for alice in ${group} is seen as ${JSON.stringify(user ?? review.body.message)}, ` +
            `not ${usernamePrefix}alice in ${groupsPrefix}${group}`);
    }
    const refusals: [string, string][] = [
        ["an expired token", personToken(files, "alice", [group], { expiresInSeconds: -120 })],
        ["a token for another client", personToken(files, "alice", [group], { audience: "another-client" })],
        ["a token from another issuer", personToken(files, "alice", [group], { issuer: "https://127.0.0.1:1" })],
    ];
    for (const [what, token] of refusals) {
        checked += 1;
        const r = await request({ ...api, token }, "GET", "/api/v1/namespaces/default/pods");
        if (r.status !== 401) {
            problems.push(`identity: ${what} got HTTP ${r.status}, not 401`);
        }
    }
    // Removed from the provider's group: the same person, the same valid token otherwise.
    checked += 1;
    const removed = questions.filter((q) => q.group === sample.group && q.expected);
    const left = await pool(removed, 8, (q) => allowed(api, personToken(files, "alice", []), q));
    const kept = removed.filter((_, i) => left[i] !== false);
    if (kept.length > 0) {
        problems.push(`identity: removed from ${group}, a person may still ${kept.map((q) => `${q.verb} ${q.resource}`).join(", ")}`);
    }
    return { checked, passed: checked - problems.length, problems };
}

interface AuditEvent {
    level?: string;
    verb?: string;
    objectRef?: { resource?: string; namespace?: string; name?: string };
    requestObject?: unknown;
}

/** Reads the audit log until PREDICATE finds an event, for up to 10 s (the API server writes it behind). */
async function findEvent(log: string, predicate: (e: AuditEvent) => boolean): Promise<AuditEvent | undefined> {
    const end = Date.now() + 10_000;
    for (;;) {
        const events = fs.existsSync(log)
            ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditEvent) : [];
        const found = events.find(predicate);
        if (found || Date.now() > end) {
            return found;
        }
        await new Promise((done) => setTimeout(done, 250));
    }
}

/** Writes a Secret and a RoleBinding through the API, then reads the audit log and etcd. */
export async function auditAndEncryptionChecks(api: ApiServer & { etcd: string }, files: TierFiles, namespace: string): Promise<StepResult> {
    const problems: string[] = [];
    const value = randomBytes(18).toString("hex");
    const name = `lsst-k8s-e2e-${randomBytes(4).toString("hex")}`;
    const created = await request(api, "POST", `/api/v1/namespaces/${namespace}/secrets`,
        { apiVersion: "v1", kind: "Secret", metadata: { name }, stringData: { value } });
    if (created.status !== 201) {
        return { checked: 1, passed: 0, problems: [`audit: could not create a Secret in ${namespace}: HTTP ${created.status} ${String(created.body.message ?? "")}`] };
    }
    const binding = await request(api, "POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
        apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: `${files.oidc.groupsPrefix}e2e` }],
    });
    if (binding.status !== 201) {
        problems.push(`audit: could not create a RoleBinding in ${namespace}: HTTP ${binding.status}`);
    }
    const secretEvent = await findEvent(files.auditLog, (e) => e.verb === "create" && e.objectRef?.resource === "secrets" && e.objectRef.name === name);
    const bindingEvent = await findEvent(files.auditLog, (e) => e.verb === "create" && e.objectRef?.resource === "rolebindings" && e.objectRef.name === name);
    const log = fs.existsSync(files.auditLog) ? fs.readFileSync(files.auditLog, "utf8") : "";
    const mode = fs.existsSync(files.auditLog) ? (fs.statSync(files.auditLog).mode & 0o777).toString(8) : "missing";
    const checks: [boolean, string][] = [
        [mode === "600", `audit: the log ${files.auditLog} is ${mode}, not root-only 600`],
        [secretEvent?.level === "Metadata" && secretEvent.requestObject === undefined,
            `audit: the Secret's create is logged ${secretEvent ? `at level ${secretEvent.level}` : "nowhere"}, not at Metadata without its body`],
        [!log.includes(value) && !log.includes(Buffer.from(value).toString("base64")), "audit: the Secret's value is in the audit log"],
        [bindingEvent?.level === "Request" && bindingEvent.requestObject !== undefined,
            `audit: the RoleBinding's create is logged ${bindingEvent ? `at level ${bindingEvent.level}` : "nowhere"}, not with its request body`],
    ];
    const stored = await etcdValue(api.etcd, `/registry/secrets/${namespace}/${name}`);
    const prefix = `k8s:enc:secretbox:v1:${encryptionKeyName(files.encryptionKey)}:`;
    checks.push(
        [stored.startsWith(prefix), `encryption: etcd holds the Secret as ${JSON.stringify(stored.slice(0, 40))}, not under ${prefix}`],
        [stored !== "" && !stored.includes(value), "encryption: the Secret's value is in etcd in clear"],
    );
    const back = await request(api, "GET", `/api/v1/namespaces/${namespace}/secrets/${name}`);
    const data = (back.body.data as Record<string, string> | undefined)?.value;
    checks.push([data !== undefined && Buffer.from(data, "base64").toString("utf8") === value, "encryption: the Secret does not read back through the API server"]);
    for (const [ok, problem] of checks) {
        if (!ok) {
            problems.push(problem);
        }
    }
    await request(api, "DELETE", `/api/v1/namespaces/${namespace}/secrets/${name}`);
    await request(api, "DELETE", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings/${name}`);
    return { checked: checks.length + 1, passed: checks.length + 1 - problems.length, problems };
}

/** One key's value as etcd stores it, through etcd's own JSON gateway (latin1: it is bytes). */
async function etcdValue(etcd: string, key: string): Promise<string> {
    const r = await fetch(`${etcd}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from(key).toString("base64") }) });
    const body = (await r.json()) as { kvs?: { value?: string }[] };
    const v = body.kvs?.[0]?.value;
    return v ? Buffer.from(v, "base64").toString("latin1") : "";
}
