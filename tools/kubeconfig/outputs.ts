/**
 * The one thing a person's kubeconfig needs that the stack file does not hold: the API server's CA
 * certificate, read from the JSON `pulumi stack output --json` prints (on stdin). It is public, so it is
 * a plain output and no secret is needed to read it; the admin kubeconfig beside it is never read here.
 */
import { X509Certificate } from "crypto";
import { InputError } from "../inputs";

/** The stack output that holds the cluster's CA certificate (PEM). */
export const CA_OUTPUT = "certificateAuthority";

const WHERE = "stdin (the JSON of `pulumi stack output --json`)";
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END CERTIFICATE-----/g;

/** One or more PEM certificates and nothing else, each one that parses as X.509. */
function isCertificates(pem: string): boolean {
    const blocks = pem.match(PEM_BLOCK) ?? [];
    if (blocks.length === 0 || pem.replace(PEM_BLOCK, "").trim() !== "") {
        return false;
    }
    try {
        blocks.forEach((b) => new X509Certificate(b));
        return true;
    } catch {
        return false;
    }
}

/** The cluster's CA certificate in TEXT; an InputError naming the output when it is not there. */
export function clusterCertificate(text: string): string {
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch {
        throw new InputError(`${WHERE}: ${text.trim() === "" ? "is empty" : "not JSON"}: pipe \`pulumi stack output --json --stack <stack>\` into it`);
    }
    if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
        throw new InputError(`${WHERE}: not a JSON object of stack outputs`);
    }
    const ca = (outputs as Record<string, unknown>)[CA_OUTPUT];
    if (ca === undefined) {
        throw new InputError(`${WHERE}: ${CA_OUTPUT}: required: the stack exports no cluster CA certificate (not deployed yet?)`);
    }
    if (ca === "[secret]") {
        throw new InputError(`${WHERE}: ${CA_OUTPUT}: is "[secret]": the CA certificate is public and must be exported as a plain output`);
    }
    if (typeof ca !== "string" || !isCertificates(ca)) {
        throw new InputError(`${WHERE}: ${CA_OUTPUT}: is not a PEM certificate (-----BEGIN CERTIFICATE-----...)`);
    }
    return ca;
}
