/**
 * The in-cluster image registry's files (technotes 000/001 "Docker Registry"): the distribution
 * (`registry` image, v2/v3) config file and htpasswd entries. Built as objects and serialised with
 * js-yaml, never string-templated. Pure functions, so tests serve exactly the file the cluster gets.
 */
import * as bcrypt from "bcryptjs";
import * as yaml from "js-yaml";

/** Options of {@link registryConfig}. Paths are as the registry process sees them (inside its container). */
export interface RegistryConfigOptions {
    /** Address the registry listens on, `HOST:PORT` or `:PORT`. Default `":5000"`. */
    listen?: string;
    /** Directory holding the images (the persistent volume's mount point). Default `"/var/lib/registry"`. */
    storageRoot?: string;
    /** Realm named in the Basic auth challenge (`WWW-Authenticate`). Default `"lsst-k8s registry"`. */
    realm?: string;
    /** Path of the htpasswd file (bcrypt entries, see {@link htpasswdLine}). Required, no default. */
    htpasswdPath: string;
    /** Path of the PEM server certificate (chain) served on `listen`. Required, no default. */
    tlsCertificate: string;
    /** Path of the PEM private key of `tlsCertificate`. Required, no default. */
    tlsKey: string;
    /**
     * Pull-through cache of an upstream registry (Docker Hub: `https://registry-1.docker.io`). Default
     * absent: a plain registry that accepts pushes. A proxying registry refuses pushes.
     */
    proxy?: {
        /** URL of the upstream registry. Required when `proxy` is given. */
        remoteUrl: string;
    };
    /** Whether the API may delete blobs and manifests (needed before garbage collection). Default `false`. */
    deleteEnabled?: boolean;
    /**
     * Secret signing upload state held by clients; must be the same on every replica behind one
     * service. Default absent: each registry process generates its own at start (fine for one replica).
     */
    httpSecret?: string;
    /**
     * Serve pulls only (distribution's `storage.maintenance.readonly`): every write method is refused
     * with 405 whoever asks, and the stale-upload purge, which deletes from storage, is off, so the
     * process needs no write access to the volume. Default `false`: pushes accepted, uploads purged.
     */
    readOnly?: boolean;
}

/** Default listen address of {@link registryConfig}: every interface, the registry's usual port. */
export const REGISTRY_DEFAULT_LISTEN = ":5000";
/** Default storage directory of {@link registryConfig}: the official `registry` image's volume. */
export const REGISTRY_DEFAULT_STORAGE_ROOT = "/var/lib/registry";
/** Default Basic auth realm of {@link registryConfig}. */
export const REGISTRY_DEFAULT_REALM = "lsst-k8s registry";
/**
 * The port of the registry's writer (the one instance that accepts pushes), on its container and on
 * the registry's Service; pulls go to the reader on 443. Only the mirror and admins dial it.
 */
export const REGISTRY_PUSH_PORT = 5001;

/** The port the reader listens on, behind the Service's 443: what containerd on every node dials. */
export const REGISTRY_PULL_PORT = 5000;

/**
 * The distribution registry's config (schema version 0.1, read by registry 2.x and 3.x): filesystem
 * storage under `storageRoot`, TLS on `listen`, htpasswd (bcrypt) Basic auth, the storage health
 * check, `X-Content-Type-Options: nosniff`, a pull-through cache of `proxy.remoteUrl` when given, and
 * read-only maintenance mode when `readOnly`. No blob descriptor cache: every lookup reads storage, so
 * what one process writes another sharing the storage serves at once.
 * Throws on an empty required path, an empty realm or secret, or a proxy URL that is not http(s).
 */
export function registryConfig(opts: RegistryConfigOptions): Record<string, unknown> {
    const listen = opts.listen ?? REGISTRY_DEFAULT_LISTEN;
    const storageRoot = opts.storageRoot ?? REGISTRY_DEFAULT_STORAGE_ROOT;
    const realm = opts.realm ?? REGISTRY_DEFAULT_REALM;
    const required: Record<string, string> = {
        listen,
        storageRoot,
        realm,
        htpasswdPath: opts.htpasswdPath,
        tlsCertificate: opts.tlsCertificate,
        tlsKey: opts.tlsKey,
    };
    for (const [name, value] of Object.entries(required)) {
        if (typeof value !== "string" || value.trim() === "") {
            throw new Error(`registryConfig: ${name} must be a non-empty string`);
        }
    }
    if (realm.includes('"')) {
        // The realm is echoed inside a quoted-string of the WWW-Authenticate challenge.
        throw new Error(`registryConfig: realm must not contain '"': ${realm}`);
    }
    if (opts.httpSecret !== undefined && opts.httpSecret === "") {
        throw new Error("registryConfig: httpSecret, when given, must not be empty");
    }
    if (opts.proxy !== undefined && !/^https?:\/\/[^\s/]+/.test(opts.proxy.remoteUrl)) {
        throw new Error(`registryConfig: proxy.remoteUrl must be an http(s) URL: ${opts.proxy.remoteUrl}`);
    }

    const http: Record<string, unknown> = {
        addr: listen,
        tls: { certificate: opts.tlsCertificate, key: opts.tlsKey },
        headers: { "X-Content-Type-Options": ["nosniff"] },
    };
    if (opts.httpSecret !== undefined) {
        http.secret = opts.httpSecret;
    }
    const storage: Record<string, unknown> = {
        filesystem: { rootdirectory: storageRoot },
        delete: { enabled: opts.deleteEnabled ?? false },
    };
    if (opts.readOnly === true) {
        // distribution 2.x keeps purging uploads in read-only mode unless told not to.
        storage.maintenance = { readonly: { enabled: true }, uploadpurging: { enabled: false } };
    }
    const config: Record<string, unknown> = {
        // A string: the registry parses "major.minor", and a YAML float would not round-trip 0.10 etc.
        version: "0.1",
        log: { level: "info", fields: { service: "registry" } },
        storage,
        http,
        auth: { htpasswd: { realm, path: opts.htpasswdPath } },
        health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    };
    if (opts.proxy !== undefined) {
        config.proxy = { remoteurl: opts.proxy.remoteUrl };
    }
    return config;
}

/** The registry config file's text: {@link registryConfig}'s object (or any object) dumped as YAML. */
export function renderRegistryConfig(obj: Record<string, unknown>): string {
    return yaml.dump(obj, { noRefs: true, lineWidth: -1, sortKeys: false });
}

/**
 * One htpasswd line, `user:$2y$<rounds>$...`, the password bcrypt-hashed with `rounds` (cost, 4..31,
 * default 10). The registry accepts only bcrypt entries; the `$2y$` prefix is what Apache's
 * `htpasswd -B` writes (bcryptjs writes `$2a$`, the same hash; the registry accepts either).
 * Throws on a user name that is empty or holds `:` or whitespace (they would break the line format),
 * and on a password longer than bcrypt's 72-byte limit (bcryptjs would silently ignore the rest).
 * `salt` (22 characters of bcrypt's alphabet) makes the line the same on every run, so a deploy that
 * changes nothing does not rewrite the registry's secret; default a fresh random salt.
 */
export function htpasswdLine(user: string, password: string, rounds = 10, salt?: string): string {
    if (user === "" || /[:\s]/.test(user)) {
        throw new Error(`htpasswdLine: user name must be non-empty, without ':' or whitespace: ${JSON.stringify(user)}`);
    }
    if (Buffer.byteLength(password, "utf8") > 72) {
        throw new Error("htpasswdLine: password longer than bcrypt's 72-byte limit");
    }
    if (!Number.isInteger(rounds) || rounds < 4 || rounds > 31) {
        throw new Error(`htpasswdLine: rounds must be an integer from 4 to 31: ${rounds}`);
    }
    if (salt !== undefined && !/^[./A-Za-z0-9]{22}$/.test(salt)) {
        throw new Error("htpasswdLine: a salt is 22 characters of [./A-Za-z0-9]");
    }
    const setting = salt === undefined ? bcrypt.genSaltSync(rounds) : `$2a$${String(rounds).padStart(2, "0")}$${salt}`;
    const hash = bcrypt.hashSync(password, setting);
    return `${user}:${hash.replace(/^\$2[aby]\$/, "$2y$")}`;
}
