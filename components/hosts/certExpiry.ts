/**
 * When each control plane's kubeadm certificates expire. kubeadm signs them for a year and renews them
 * in every `kubeadm upgrade apply` / `upgrade node` (upgrade.sh keeps kubeadm's default,
 * --certificate-renewal=true), so a cluster that moves to each patch release never sees one expire; a
 * cluster left alone for a year would see its API server, etcd and components stop. cert-expiry.sh reads
 * them (read-only) on every control plane; whether a deploy runs it again is decided, like the admin
 * kubeconfig's readback (credentials.ts), from the stack's own last `certificatesExpire` output, so it
 * does not run on every preview, and the operator is warned a month ahead.
 */
import { ClusterConfig, NodeConfig } from "../../config";
import { Bundle, renderParams, script } from "./bundle";
import { RENEW_DAYS } from "./credentials";
import { renderDocuments, renewConfiguration } from "./kubeadm";
import { lastLineObject } from "./remote";

const DAY_MS = 24 * 60 * 60 * 1000;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** One certificate kubeadm manages on a control plane. */
export interface CertificateExpiry {
    /** kubeadm's name for it ("apiserver", "admin.conf", "etcd-peer"...). */
    readonly name: string;
    /** Its notAfter, RFC 3339 in UTC. */
    readonly expires: string;
}

/** What cert-expiry.sh prints on its last line of stdout. */
export interface CertificateReport {
    readonly node: string;
    /** The earliest expiry among its certificates. */
    readonly earliest: string;
    readonly certificates: readonly CertificateExpiry[];
}

/** cert-expiry.sh with lib.sh, the cluster's kubeadm configuration (so no API server is asked) and the node's name. */
export function certExpiryBundle(cluster: ClusterConfig, node: NodeConfig): Bundle {
    return {
        entry: "cert-expiry.sh",
        files: {
            "cert-expiry.sh": { content: script("cert-expiry.sh"), mode: "0755" },
            "lib.sh": { content: script("lib.sh"), mode: "0644" },
            "kubeadm.yaml": { content: renderDocuments(renewConfiguration(cluster)), mode: "0600" },
            "params.env": { content: renderParams({ NODE: node.name }), mode: "0600" },
        },
    };
}

function isTime(value: unknown): value is string {
    return typeof value === "string" && RFC3339_UTC.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * Reads cert-expiry.sh's last line of stdout for `node`; throws naming the node when it is not the
 * report for that node, or when its earliest is not the earliest of its certificates.
 */
export function parseCertificateReport(stdout: string, node: string): CertificateReport {
    const { node: reported, earliest, certificates } = lastLineObject(stdout);
    const certs = Array.isArray(certificates) ? certificates : [];
    const valid = certs.length > 0 && certs.every((c: unknown) => typeof c === "object" && c !== null &&
        typeof (c as CertificateExpiry).name === "string" && isTime((c as CertificateExpiry).expires));
    if (reported !== node || !isTime(earliest) || !valid) {
        throw new Error(`cert-expiry.sh on ${node} did not print the node's certificates and their expiry on its last line of stdout`);
    }
    const list = (certs as CertificateExpiry[]).map(({ name, expires }) => ({ name, expires }));
    const first = list.map((c) => c.expires).sort()[0];
    if (first !== earliest) {
        throw new Error(`cert-expiry.sh on ${node} printed ${earliest} as the earliest expiry, but a certificate expires at ${first}`);
    }
    return { node, earliest, certificates: list };
}

function dueDate(earliest: unknown): number | undefined {
    return isTime(earliest) ? Date.parse(earliest) - RENEW_DAYS * DAY_MS : undefined;
}

/** Whether certificates expiring at `earliest` are within the month's warning window at `now`. */
export function expiryDue(earliest: unknown, now: Date): boolean {
    const due = dueDate(earliest);
    return due !== undefined && due <= now.getTime();
}

/**
 * The trigger of the check on one control plane: "current" while the last deploy's earliest expiry is
 * more than a month away, "due <date>" once it is (so the check runs again and reads what the operator
 * renewed), and "unknown" before a first reading. The pin joins it in the component: an upgrade renews
 * the certificates, so the check reads them again after one.
 */
export function certificateCheckTrigger(previousEarliest: unknown, now: Date): string {
    if (!isTime(previousEarliest)) {
        return "unknown";
    }
    return expiryDue(previousEarliest, now) ? `due ${previousEarliest}` : "current";
}

/** The operator's warning once a control plane's certificates expire within a month, or undefined. */
export function certificateWarning(earliest: unknown, now: Date, node: string): string | undefined {
    if (!isTime(earliest) || !expiryDue(earliest, now)) {
        return undefined;
    }
    const days = Math.floor((Date.parse(earliest) - now.getTime()) / DAY_MS);
    const when = days >= 0 ? `expires in ${days} day${days === 1 ? "" : "s"} (${earliest})` : `expired on ${earliest}`;
    return `the earliest kubeadm certificate on control plane ${node} ${when}: renew them with the next upgrade (a new patch ` +
        `release pin renews them), or on ${node} run \`kubeadm certs renew all\` and restart its control-plane static pods ` +
        "(move each manifest out of /etc/kubernetes/manifests and back, waiting for the pod to stop in between); " +
        `\`kubeadm certs check-expiration\` on ${node} lists them`;
}

/** The `certificatesExpire` output: per control plane, its earliest expiry, in the inventory's order. */
export function certificatesExpire(reports: readonly CertificateReport[]): Record<string, string> {
    return Object.fromEntries(reports.map((r) => [r.node, r.earliest]));
}

/** One control plane's earliest expiry in the last deploy's certificatesExpire output, when it reads as one. */
export function previousCertificateExpiry(previous: unknown, node: string): string | undefined {
    const value = typeof previous === "object" && previous !== null ? (previous as Record<string, unknown>)[node] : undefined;
    return isTime(value) ? value : undefined;
}
