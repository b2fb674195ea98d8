/**
 * The registry's credentials as the mirror gets and hands them on: read from the JSON that
 * `pulumi stack output --json --show-secrets` prints (on stdin, never argv), and written for skopeo
 * into a private temporary directory, an auth file (0600, containers-auth.json) and a certificate
 * directory, which the mirror removes on every way out.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../inputs";
import { Destination } from "./skopeo";

export interface RegistryCredentials {
    readonly user: string;
    readonly password: string;
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
    const user = o.registryUser;
    const password = o.registryPassword;
    const certificate = o.registryCertificate;
    if (typeof user !== "string" || !/^[^:\s]+$/.test(user)) {
        throw new InputError(`${WHERE}: registryUser: ${user === undefined ? "required: the stack has no registry deployed yet?" : "is not a user name"}`);
    }
    if (password === "[secret]") {
        throw new InputError(`${WHERE}: registryPassword: is "[secret]": add --show-secrets`);
    }
    if (typeof password !== "string" || password === "") {
        throw new InputError(`${WHERE}: registryPassword: ${password === undefined ? "required" : "is not a non-empty string"}`);
    }
    if (typeof certificate !== "string" || !certificate.includes("-----BEGIN CERTIFICATE-----")) {
        throw new InputError(`${WHERE}: registryCertificate: ${certificate === undefined ? "required" : "is not a PEM certificate"}`);
    }
    return { user, password, certificate };
}

/** A private directory holding skopeo's credentials for registry HOST; `remove` deletes it (safe to call twice). */
export function writeDestination(host: string, creds: RegistryCredentials): Destination & { readonly dir: string; remove(): void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-mirror-"));
    const remove = () => fs.rmSync(dir, { recursive: true, force: true });
    try {
        fs.chmodSync(dir, 0o700);
        const authFile = path.join(dir, "auth.json");
        const auth = Buffer.from(`${creds.user}:${creds.password}`).toString("base64");
        fs.writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
        const certDir = path.join(dir, "certs");
        fs.mkdirSync(certDir, { mode: 0o700 });
        fs.writeFileSync(path.join(certDir, "ca.crt"), creds.certificate, { mode: 0o600 });
        return { dir, authFile, certDir, remove };
    } catch (e) {
        remove();
        throw e;
    }
}
