/**
 * The admin kubeconfig the program's Kubernetes provider uses. kubeadm signs its client certificate for
 * one year; the program reads it back through kubeconfig.sh, which renews it on the first control plane
 * once it is due (RENEW_DAYS before it expires), so a cluster left alone for a year does not lock the
 * program out. Whether a deploy must run kubeconfig.sh again is decided from the stack's own last
 * `kubeconfigExpires` output, so a deploy runs it only when a renewal is due, never on every preview.
 */
import * as yaml from "js-yaml";
import { ClusterConfig } from "../../config";
import { Bundle, renderParams, script } from "./bundle";
import { renderDocuments, renewConfiguration } from "./kubeadm";
import { lastLineObject } from "./remote";

/** How long before its expiry the admin certificate is renewed, and the operator warned: a month. */
export const RENEW_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface KubeconfigReadback {
    /** base64 of admin.conf. */
    readonly kubeconfig: string;
    /** When its client certificate expires (RFC 3339, UTC). */
    readonly notAfter: string;
}

/** kubeconfig.sh with lib.sh, the cluster's kubeadm configuration and the renewal window. */
export function kubeconfigBundle(cluster: ClusterConfig): Bundle {
    return {
        entry: "kubeconfig.sh",
        files: {
            "kubeconfig.sh": { content: script("kubeconfig.sh"), mode: "0755" },
            "lib.sh": { content: script("lib.sh"), mode: "0644" },
            "kubeadm.yaml": { content: renderDocuments(renewConfiguration(cluster)), mode: "0600" },
            "params.env": { content: renderParams({ RENEW_DAYS: String(RENEW_DAYS) }), mode: "0600" },
        },
    };
}

/** Reads kubeconfig.sh's last line of stdout; throws without echoing it (it holds the kubeconfig). */
export function parseKubeconfigReadback(stdout: string): KubeconfigReadback {
    const { kubeconfig, notAfter } = lastLineObject(stdout);
    if (typeof kubeconfig !== "string" || typeof notAfter !== "string" || Number.isNaN(Date.parse(notAfter))) {
        throw new Error("kubeconfig.sh did not print the kubeconfig and its expiry on its last line of stdout");
    }
    return { kubeconfig, notAfter };
}

/**
 * The cluster CA (PEM) from the admin kubeconfig's one cluster entry, as kubeadm embeds it; throws
 * without echoing the kubeconfig, which holds the admin's key.
 */
export function kubeconfigCertificateAuthority(kubeconfig: string): string {
    let doc: unknown;
    try {
        doc = yaml.load(kubeconfig);
    } catch {
        doc = undefined;
    }
    const clusters = (doc as { clusters?: { cluster?: Record<string, unknown> }[] } | undefined)?.clusters;
    const data = Array.isArray(clusters) && clusters.length === 1 ? clusters[0].cluster?.["certificate-authority-data"] : undefined;
    const pem = typeof data === "string" ? Buffer.from(data, "base64").toString("utf8") : "";
    if (!/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n?$/.test(pem)) {
        throw new Error("the admin kubeconfig read back does not embed the cluster CA (certificate-authority-data of its one cluster)");
    }
    return pem;
}

/**
 * The trigger of the readback: "current" while the last deploy's certificate is not due (or unknown: a
 * first deploy reads it back anyway), "renew before <date>" once it is, which runs kubeconfig.sh again.
 * The deploy after a renewal is back at "current", and runs it once more to read what it renewed.
 */
export function renewalTrigger(previousNotAfter: unknown, now: Date): string {
    const due = dueDate(previousNotAfter);
    return due !== undefined && due <= now.getTime() ? `renew before ${previousNotAfter}` : "current";
}

/** A warning for the operator once the certificate is due, or undefined. */
export function renewalWarning(previousNotAfter: unknown, now: Date, host: string): string | undefined {
    const due = dueDate(previousNotAfter);
    if (due === undefined || due > now.getTime()) {
        return undefined;
    }
    const days = Math.floor((Date.parse(String(previousNotAfter)) - now.getTime()) / DAY_MS);
    const when = days >= 0 ? `expires in ${days} day${days === 1 ? "" : "s"} (${previousNotAfter})` : `expired on ${previousNotAfter}`;
    return `the admin kubeconfig's client certificate ${when}: this deploy renews it on ${host} (kubeadm certs renew admin.conf); ` +
        "copies of the old kubeconfig stop working when it expires: read the new one with `pulumi stack output kubeconfig --show-secrets`";
}

function dueDate(notAfter: unknown): number | undefined {
    const t = typeof notAfter === "string" ? Date.parse(notAfter) : NaN;
    return Number.isNaN(t) ? undefined : t - RENEW_DAYS * DAY_MS;
}
