/**
 * The registry's credentials as the mirror gets and hands them on: read from the JSON that
 * `pulumi stack output --json --show-secrets` prints (on stdin, never argv), and written for skopeo
 * into a private temporary directory, an auth file (0600, containers-auth.json) and a certificate
 * directory, which the mirror removes on every way out. The auth file holds the pull credential for
 * the reader (the host alone, what nodes pull from) and the push credential for the writer (the host
 * and its push port): containers-auth.json keys a registry by host and port, so each goes to its own.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../inputs";
import { Destination } from "./skopeo";

export interface RegistryCredentials {
    /** The pull user and password (registryUser, registryPassword): the reader's. */
    readonly user: string;
    readonly password: string;
    /** The push user and password (registryPushUser, registryPushPassword): the writer's. */
    readonly pushUser: string;
    readonly pushPassword: string;
    readonly certificate: string;
}

const WHERE = "stdin (the JSON of `pulumi stack output --json --show-secrets`)";

/** The credentials in TEXT; an InputError, never quoting the password, when they are not there. */
export function parseStackOutputs(text: string): RegistryCredentials {
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch {
        throw new InputError(`${WHERE}: not JSON`);
    }
    if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
        throw new InputError(`${WHERE}: not a JSON object`);
    }
    const o = outputs as Record<string, unknown>;
    const login = (userKey: string, passwordKey: string, absent: string): { user: string; password: string } => {
        const user = o[userKey];
        const password = o[passwordKey];
        if (typeof user !== "string" || !/^[^:\s]+$/.test(user)) {
            throw new InputError(`${WHERE}: ${userKey}: ${user === undefined ? `required: ${absent}` : "is not a user name"}`);
        }
        if (password === "[secret]") {
            throw new InputError(`${WHERE}: ${passwordKey}: is "[secret]": add --show-secrets`);
        }
        if (typeof password !== "string" || password === "") {
            throw new InputError(`${WHERE}: ${passwordKey}: ${password === undefined ? "required" : "is not a non-empty string"}`);
        }
        return { user, password };
    };
    const pull = login("registryUser", "registryPassword", "the stack has no registry deployed yet?");
    const push = login("registryPushUser", "registryPushPassword", "the stack's registry has no writer yet: pulumi up first");
    if (push.user === pull.user) {
        throw new InputError(`${WHERE}: registryPushUser: is registryUser's name: the push credential must be the writer's own`);
    }
    const certificate = o.registryCertificate;
    if (typeof certificate !== "string" || !certificate.includes("-----BEGIN CERTIFICATE-----")) {
        throw new InputError(`${WHERE}: registryCertificate: ${certificate === undefined ? "required" : "is not a PEM certificate"}`);
    }
    return { ...pull, pushUser: push.user, pushPassword: push.password, certificate };
}

/** What of CREDS must never be printed: each password, and each user:password as an auth file holds it. */
export function credentialSecrets(creds: RegistryCredentials): string[] {
    const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");
    return [creds.password, creds.pushPassword, basic(creds.user, creds.password), basic(creds.pushUser, creds.pushPassword)];
}

/**
 * A private directory holding skopeo's credentials for the reader at HOST and the writer at PUSH_HOST
 * (`HOST:PORT`); `remove` deletes it (safe to call twice).
 */
export function writeDestination(host: string, pushHost: string, creds: RegistryCredentials): Destination & { readonly dir: string; remove(): void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-mirror-"));
    const remove = () => fs.rmSync(dir, { recursive: true, force: true });
    try {
        fs.chmodSync(dir, 0o700);
        const authFile = path.join(dir, "auth.json");
        const auth = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString("base64") });
        const auths = { [host]: auth(creds.user, creds.password), [pushHost]: auth(creds.pushUser, creds.pushPassword) };
        fs.writeFileSync(authFile, JSON.stringify({ auths }), { mode: 0o600 });
        const certDir = path.join(dir, "certs");
        fs.mkdirSync(certDir, { mode: 0o700 });
        fs.writeFileSync(path.join(certDir, "ca.crt"), creds.certificate, { mode: 0o600 });
        return { dir, authFile, certDir, remove };
    } catch (e) {
        remove();
        throw e;
    }
}
