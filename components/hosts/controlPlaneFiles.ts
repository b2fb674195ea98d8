/**
 * The files each control plane's API server reads beside kubeadm's own: who may log in (structured
 * authentication, OIDC), what it audits, and the key Secrets are encrypted with in etcd. Built as
 * objects and dumped; pure functions of the validated config and the key, so the tier, the tests and the
 * synth see what a control plane gets. The flags that point the API server at them go into kubeadm's
 * ClusterConfiguration (kubeadm.ts), so `kubeadm upgrade` and every later join keep them.
 */
import { createHash } from "crypto";
import * as yaml from "js-yaml";
import { ClusterConfig, OidcConfig } from "../../config";
import { BundleFile } from "./bundle";

/** Where the files live on a control plane, mounted read-only into the API server's static Pod. */
export const CONTROL_PLANE_CONFIG_DIR = "/etc/kubernetes/lsst-k8s";

/** The audit log's directory: root-only, mounted read-write into the API server's static Pod. */
export const AUDIT_LOG_DIR = "/var/log/kubernetes/audit";

/** The audit log's rotation (the API server rotates it itself): size per file, files kept, days kept. */
export const AUDIT_ROTATION = { maxSizeMB: 100, maxBackups: 10, maxAgeDays: 30 } as const;

export const AUTHENTICATION_FILE = "authentication.yaml";
export const AUDIT_POLICY_FILE = "audit-policy.yaml";
export const ENCRYPTION_FILE = "encryption.yaml";

/**
 * The API server's structured authentication configuration (apiserver.config.k8s.io/v1, GA in 1.34;
 * every release in the window reads it), today's form of the 2018 `--oidc-*` flags: the API server
 * reloads this file when it changes, so a changed provider needs no restart, and it takes the
 * provider's CA as data rather than as a path.
 */
export function authenticationConfiguration(oidc: OidcConfig): Record<string, unknown> {
    return {
        apiVersion: "apiserver.config.k8s.io/v1",
        kind: "AuthenticationConfiguration",
        jwt: [{
            issuer: {
                url: oidc.issuer,
                audiences: [oidc.clientId],
                ...(oidc.certificateAuthority ? { certificateAuthority: oidc.certificateAuthority } : {}),
            },
            claimMappings: {
                username: { claim: oidc.usernameClaim, prefix: oidc.usernamePrefix },
                groups: { claim: oidc.groupsClaim, prefix: oidc.groupsPrefix },
            },
        }],
    };
}

const RBAC = { group: "rbac.authorization.k8s.io", resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"] };
const WRITES = ["create", "update", "patch", "delete", "deletecollection"];

/**
 * The audit policy (audit.k8s.io/v1). The first matching rule wins:
 *  - health probes and the nodes' lease renewals are not logged: thousands an hour, nothing to audit;
 *  - Secrets, ConfigMaps, token requests and reviews: metadata only, never a body, which would put the
 *    credential itself in the log;
 *  - RBAC changes: with the request body, so the log says what access was granted, not just that
 *    something changed (a Role or binding holds no secret);
 *  - everything else: metadata (who, what, when, the answer).
 */
export function auditPolicy(): Record<string, unknown> {
    return {
        apiVersion: "audit.k8s.io/v1",
        kind: "Policy",
        omitStages: ["RequestReceived"],
        rules: [
            { level: "None", nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version"] },
            { level: "None", verbs: ["get", "update"], resources: [{ group: "coordination.k8s.io", resources: ["leases"] }] },
            {
                level: "Metadata",
                resources: [
                    { group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"] },
                    { group: "authentication.k8s.io", resources: ["tokenreviews"] },
                ],
            },
            { level: "Request", verbs: WRITES, resources: [RBAC] },
            { level: "Metadata" },
        ],
    };
}

/** The key's name in the configuration: it tells which key a backup needs without showing the key. */
export function encryptionKeyName(key: string): string {
    return `lsst-k8s-${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
}

/**
 * Encryption at rest (apiserver.config.k8s.io/v1 EncryptionConfiguration): Secrets written with
 * secretbox (XSalsa20-Poly1305) under KEY, 32 random bytes in base64. `identity` stays last so Secrets
 * written before encryption was turned on can still be read; the API server reloads this file itself
 * (--encryption-provider-config-automatic-reload).
 */
export function encryptionConfiguration(key: string): Record<string, unknown> {
    if (Buffer.from(key, "base64").length !== 32 || Buffer.from(key, "base64").toString("base64") !== key) {
        throw new Error("the encryption key must be 32 bytes in base64");
    }
    return {
        apiVersion: "apiserver.config.k8s.io/v1",
        kind: "EncryptionConfiguration",
        resources: [{
            resources: ["secrets"],
            providers: [{ secretbox: { keys: [{ name: encryptionKeyName(key), secret: key }] } }, { identity: {} }],
        }],
    };
}

/** The API server's flags for the files, as kubeadm's extraArgs name them (no leading dashes). */
export function apiServerArgs(cluster: ClusterConfig): Record<string, string> {
    return {
        ...(cluster.oidc ? { "authentication-config": `${CONTROL_PLANE_CONFIG_DIR}/${AUTHENTICATION_FILE}` } : {}),
        "audit-policy-file": `${CONTROL_PLANE_CONFIG_DIR}/${AUDIT_POLICY_FILE}`,
        "audit-log-path": `${AUDIT_LOG_DIR}/audit.log`,
        "audit-log-maxsize": String(AUDIT_ROTATION.maxSizeMB),
        "audit-log-maxbackup": String(AUDIT_ROTATION.maxBackups),
        "audit-log-maxage": String(AUDIT_ROTATION.maxAgeDays),
        "encryption-provider-config": `${CONTROL_PLANE_CONFIG_DIR}/${ENCRYPTION_FILE}`,
        "encryption-provider-config-automatic-reload": "true",
    };
}

/** The host directories the API server's static Pod mounts for them (kubeadm's extraVolumes). */
export function apiServerVolumes(): Record<string, unknown>[] {
    return [
        { name: "lsst-k8s-config", hostPath: CONTROL_PLANE_CONFIG_DIR, mountPath: CONTROL_PLANE_CONFIG_DIR, readOnly: true, pathType: "Directory" },
        { name: "lsst-k8s-audit", hostPath: AUDIT_LOG_DIR, mountPath: AUDIT_LOG_DIR, readOnly: false, pathType: "DirectoryOrCreate" },
    ];
}

const HEADER = "# Written by lsst-k8s; changes here are overwritten.\n";

function dump(doc: Record<string, unknown>): string {
    return HEADER + yaml.dump(doc, { noRefs: true, lineWidth: -1 });
}

/**
 * The files as bundle files, to be put in CONTROL_PLANE_CONFIG_DIR by lib.sh's install_control_plane_files
 * before kubeadm starts the API server. Root-only: the encryption key is among them, and the API server
 * runs as root.
 */
export function controlPlaneFiles(cluster: ClusterConfig, encryptionKey: string): Record<string, BundleFile> {
    return {
        ...(cluster.oidc ? { [AUTHENTICATION_FILE]: { content: dump(authenticationConfiguration(cluster.oidc)), mode: "0600" } } : {}),
        [AUDIT_POLICY_FILE]: { content: dump(auditPolicy()), mode: "0600" },
        [ENCRYPTION_FILE]: { content: dump(encryptionConfiguration(encryptionKey)), mode: "0600" },
    };
}
