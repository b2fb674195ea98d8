/**
 * What the world would answer, offline: placeholder values for what random generates and what hosts
 * print. They are recognisably fake (never real secrets) yet well-formed, so the program's parsing and
 * kubeadm-format checks run exactly as they would on a real deploy.
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import * as yaml from "js-yaml";
import { decodeBundle, isBundle } from "../components/hosts/bundle";

/** What a mocked resource returns beyond its inputs, by type token (the harness in tools/evaluate.ts takes one). */
export type MockOutputs = (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown>;

const FILLER = "placeholder";

/** A lower-case alphanumeric placeholder of the requested length. */
function filler(length: number): string {
    return FILLER.repeat(Math.ceil(length / FILLER.length)).slice(0, length);
}

function plain(value: unknown): unknown {
    const o = value as Record<string, unknown> | undefined;
    return o && typeof o === "object" && o[specialSigKey] === specialSecretSig ? o.value : value;
}

/** The cluster CA of the placeholder kubeconfig: PEM-shaped, its body plainly not a certificate. */
export const PLACEHOLDER_CA = "-----BEGIN CERTIFICATE-----\nUExBQ0VIT0xERVI=\n-----END CERTIFICATE-----\n";

/** The kubeconfig init.sh would read back, pointing at the configured endpoint. */
export function placeholderKubeconfig(server: string): string {
    return yaml.dump({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "kubernetes", cluster: { server: `https://${server}`, "certificate-authority-data": Buffer.from(PLACEHOLDER_CA).toString("base64") } }],
        users: [{ name: "kubernetes-admin", user: { "client-certificate-data": "PLACEHOLDER", "client-key-data": "PLACEHOLDER" } }],
        contexts: [{ name: "kubernetes-admin@kubernetes", context: { cluster: "kubernetes", user: "kubernetes-admin" } }],
        "current-context": "kubernetes-admin@kubernetes",
    });
}

export const PLACEHOLDER_CA_HASH = `sha256:${"0".repeat(64)}`;

/** The expiry of the placeholder kubeconfig's certificate: plainly not a real one. */
export const PLACEHOLDER_NOT_AFTER = "9999-12-31T23:59:59Z";

/** A certificate in PEM form that is plainly not a real one. */
export const PLACEHOLDER_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n";

/** A token in kubeadm's format that is plainly not a real one. */
export const PLACEHOLDER_TOKEN = `${filler(6)}.${filler(16)}`;

const base64url = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/**
 * An HTCondor IDTOKEN (a JWT as condor_token_create prints it) that is plainly not a real one: issued by
 * a reserved name, signed by nothing, for the condorToken secret when the stack file has none.
 */
export const PLACEHOLDER_CONDOR_TOKEN = [
    base64url({ alg: "HS256", kid: "POOL" }),
    base64url({
        iat: 0, iss: "placeholder.invalid", sub: "placeholder@placeholder.invalid",
        scope: "condor:/READ condor:/ADVERTISE_MASTER condor:/ADVERTISE_STARTD condor:/DAEMON",
    }),
    base64url(filler(32)),
].join(".");

/** A bundle's first line names its entry (components/hosts/bundle.ts); these entries print what the program parses. */
const ANSWERED = / (init|kubeconfig|cert-expiry|mint-token)\.sh$/;

export const offlineOutputs: MockOutputs = (type, _name, inputs) => {
    switch (type) {
        case "random:index/randomString:RandomString":
            return { result: filler(Number(inputs.length)) };
        case "random:index/randomPassword:RandomPassword":
            return { result: filler(Number(inputs.length)) };
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: "-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----\n" };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { certPem: PLACEHOLDER_CERTIFICATE };
        case "random:index/randomBytes:RandomBytes": {
            const bytes = Buffer.alloc(Number(inputs.length), 0x5e);
            return { hex: bytes.toString("hex"), base64: bytes.toString("base64") };
        }
        case "command:remote:Command": {
            const stdin = plain(inputs.stdin);
            // Most actions print nothing that is parsed: only those below decode their bundle.
            if (!isBundle(stdin) || !ANSWERED.test(stdin.slice(0, stdin.indexOf("\n")))) {
                return { stdout: "", stderr: "" };
            }
            const bundle = decodeBundle(stdin);
            if (bundle.entry === "init.sh") {
                const config = yaml.loadAll(bundle.files["kubeadm.yaml"].content) as Record<string, unknown>[];
                const endpoint = String(config.find((d) => d.kind === "ClusterConfiguration")?.controlPlaneEndpoint);
                const kubeconfig = Buffer.from(placeholderKubeconfig(endpoint)).toString("base64");
                return { stdout: `{"caCertHash": "${PLACEHOLDER_CA_HASH}", "kubeconfig": "${kubeconfig}"}\n`, stderr: "" };
            }
            if (bundle.entry === "kubeconfig.sh") {
                const config = yaml.loadAll(bundle.files["kubeadm.yaml"].content) as Record<string, unknown>[];
                const endpoint = String(config.find((d) => d.kind === "ClusterConfiguration")?.controlPlaneEndpoint);
                const kubeconfig = Buffer.from(placeholderKubeconfig(endpoint)).toString("base64");
                return { stdout: `{"kubeconfig": "${kubeconfig}", "notAfter": "${PLACEHOLDER_NOT_AFTER}"}\n`, stderr: "" };
            }
            if (bundle.entry === "cert-expiry.sh") {
                const node = /^NODE=(.*)$/m.exec(bundle.files["params.env"].content)?.[1];
                const certificates = [{ name: "apiserver", expires: PLACEHOLDER_NOT_AFTER }];
                return { stdout: `${JSON.stringify({ node, earliest: PLACEHOLDER_NOT_AFTER, certificates })}\n`, stderr: "" };
            }
            if (bundle.entry === "mint-token.sh") {
                return { stdout: `{"token": "${PLACEHOLDER_TOKEN}"}\n`, stderr: "" };
            }
            return { stdout: "", stderr: "" };
        }
        default:
            return {};
    }
};
