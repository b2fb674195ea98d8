/**
 * A pod template annotation that follows the data of the ConfigMaps and Secrets its pods mount.
 * Kubernetes never restarts a pod when such data changes (and a subPath mount never even sees the new
 * data), so without it an edit reaches only the pods started after it; with it, the changed template
 * makes the controller roll its pods.
 *
 * Secrets: the annotation sits in clear on the Deployment, CronJob or Job, which more people may read
 * than may read Secrets (the security auditors, `view`). Marking the hash a Pulumi secret would hide it
 * from the stack's state and outputs only, not from them, and a bare SHA-256 of a secret lets whoever
 * reads it test guesses of a weak one offline. So data holding a secret is hashed with HMAC-SHA-256
 * under a key of the component's own (random, secret, kept in the state, so the hash stays the same
 * from one deploy to the next until the data changes): without the key the hash tells nothing about
 * the data, and it stays a plain value. Data with a secret and no key is refused rather than hashed bare.
 */
import { createHash, createHmac } from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** The pod template annotation that carries the hash. */
export const CONFIG_HASH_ANNOTATION = "lsst-k8s.io/config-hash";

/** JSON with every object's keys sorted, so the same data hashes the same whatever order it was built in. */
export function canonicalJson(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    return JSON.stringify(value) ?? "null";
}

/**
 * The hash of the canonical text of some data: HMAC-SHA-256 under `key`, else SHA-256, which data
 * holding a secret (`secret`) may not have. Throws on a secret without a key, or an empty key.
 */
export function digest(text: string, secret: boolean, key?: string): string {
    if (key !== undefined) {
        if (key === "") {
            throw new Error(`${CONFIG_HASH_ANNOTATION}: the HMAC key is empty`);
        }
        return createHmac("sha256", key).update(text).digest("hex");
    }
    if (secret) {
        throw new Error(`${CONFIG_HASH_ANNOTATION}: the data holds a secret and no key was given: a bare SHA-256 of it ` +
            "would let whoever reads the pod template test guesses of the secret");
    }
    return createHash("sha256").update(text).digest("hex");
}

/**
 * The annotation for pods that mount the objects in `data`, each named by what it is
 * ("configmap/condor-config": its data), so a renamed object changes the hash too. Values may be
 * plain, Inputs or Outputs, secret or not. `key` (secret, unpredictable, stable: a RandomBytes of the
 * component's) turns the hash into an HMAC; it is required when any value is secret, and the program
 * fails rather than hash a secret bare.
 */
export function configHash(
    data: Readonly<Record<string, pulumi.Input<unknown>>>,
    key?: pulumi.Input<string>,
): pulumi.Output<Record<string, string>> {
    const all = pulumi.output(data);
    const hash = pulumi.all([all, pulumi.output(pulumi.isSecret(all)), pulumi.output(key)])
        .apply(([value, secret, k]) => digest(canonicalJson(value), secret, k));
    // Under a secret key the HMAC reveals nothing of its inputs, and without one no input is secret.
    return pulumi.unsecret(hash).apply((h): Record<string, string> => ({ [CONFIG_HASH_ANNOTATION]: h }));
}
