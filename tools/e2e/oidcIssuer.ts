/**
 * A small, real OpenID Connect issuer for the control-plane tier. The program writes an
 * AuthenticationConfiguration that makes the API server trust one provider; the only proof that it
 * is right is the real kube-apiserver accepting a person's ID token and refusing a bad one. The API
 * server fetches the issuer's discovery document and keys itself, over https, and verifies the
 * server certificate against the CA the configuration names, so a stub that merely answers JSON is
 * not enough: this serves both documents over TLS with a certificate chain Go's verifier accepts,
 * and mints RS256 tokens signed by the key it publishes.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo, Socket } from "net";
import * as path from "path";

/** The audience tokens carry when startOidcIssuer is given none: the tier's stacks name this client. */
export const DEFAULT_CLIENT_ID = "lsst-k8s-e2e";

export const DISCOVERY_PATH = "/.well-known/openid-configuration";
export const JWKS_PATH = "/jwks";

export interface MintOptions {
    /** The token's "aud"; default the issuer's clientId. */
    audience?: string;
    /** Seconds from now until "exp"; default 600. A negative number mints an already expired token. */
    expiresInSeconds?: number;
    /** The token's "iss"; default the issuer's url, so a test can mint one from a provider the cluster does not trust. */
    issuer?: string;
}

export interface OidcIssuer {
    /** https://127.0.0.1:PORT, no trailing slash: exactly what tokens carry in "iss" and what the configuration must name. */
    readonly url: string;
    /** The CA certificate PEM that signs the server certificate, for the configuration's certificateAuthority. */
    readonly caPem: string;
    /** The same CA certificate as a file in the issuer's directory. */
    readonly caFile: string;
    /** The server certificate PEM file (IP SAN 127.0.0.1), signed by the CA. */
    readonly certFile: string;
    /** The audience tokens carry by default. */
    readonly clientId: string;
    /** The key id published in the JWKS and put in every token's header. */
    readonly kid: string;
    /**
     * A compact RS256 JWT: iat, nbf (now - 5s), exp, iss and aud as OPTS says, then CLAIMS, which win
     * over those, so a test can also forge any registered claim or drop one by giving it undefined.
     */
    mint(claims: Record<string, unknown>, opts?: MintOptions): string;
    /** Stops the server, destroying open connections so it stops now rather than after keep-alive timeouts. */
    close(): Promise<void>;
}

type ConfigSections = Record<string, Record<string, string>>;

/** An openssl configuration file from SECTIONS, so nothing depends on the host's openssl.cnf. */
function dumpOpensslConfig(sections: ConfigSections): string {
    return Object.entries(sections)
        .map(([name, entries]) => [`[${name}]`, ...Object.entries(entries).map(([k, v]) => `${k} = ${v}`)].join("\n"))
        .join("\n\n") + "\n";
}

const OPENSSL_CONFIG: ConfigSections = {
    // -subj gives every name, so the distinguished-name section stays empty and openssl never prompts.
    req: { distinguished_name: "dn", prompt: "no" },
    dn: {},
    // Go refuses a chain whose root lacks CA:TRUE or certificate signing.
    ca_ext: {
        basicConstraints: "critical,CA:TRUE",
        keyUsage: "critical,keyCertSign,cRLSign",
        subjectKeyIdentifier: "hash",
    },
    // Go matches the dialled IP only against IP SANs, never the common name, and wants serverAuth.
    server_ext: {
        basicConstraints: "critical,CA:FALSE",
        keyUsage: "critical,digitalSignature,keyEncipherment",
        extendedKeyUsage: "serverAuth",
        subjectAltName: "IP:127.0.0.1",
        subjectKeyIdentifier: "hash",
        authorityKeyIdentifier: "keyid",
    },
};

function openssl(args: readonly string[]): void {
    try {
        execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
        const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
        if (err.code === "ENOENT") {
            throw new Error("openssl is not installed: install it (apt-get install openssl)");
        }
        throw new Error(`openssl ${args[0]} failed: ${err.stderr?.toString("utf8").trim() ?? err.message}`);
    }
}

/** Creates FILE empty with mode 0600 before openssl writes a key into it, so the key is never readable by others. */
function privateFile(file: string): string {
    fs.writeFileSync(file, "", { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    return file;
}

interface Pki {
    caFile: string;
    certFile: string;
    keyFile: string;
}

/** A fresh CA and a server certificate for 127.0.0.1 in DIR; rerunning replaces them. */
function makePki(dir: string): Pki {
    const config = path.join(dir, "openssl.cnf");
    fs.writeFileSync(config, dumpOpensslConfig(OPENSSL_CONFIG));
    const caKey = privateFile(path.join(dir, "ca.key"));
    const caFile = path.join(dir, "ca.pem");
    const keyFile = privateFile(path.join(dir, "server.key"));
    const csr = path.join(dir, "server.csr");
    const certFile = path.join(dir, "server.pem");
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", caFile, "-days", "1",
        "-subj", "/CN=lsst-k8s e2e OIDC CA", "-config", config, "-extensions", "ca_ext"]);
    openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", csr,
        "-subj", "/CN=127.0.0.1", "-config", config]);
    openssl(["x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial",
        "-CAserial", path.join(dir, "ca.srl"), "-out", certFile, "-days", "1", "-sha256",
        "-extfile", config, "-extensions", "server_ext"]);
    return { caFile, certFile, keyFile };
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

/** The RFC 7638 thumbprint, so the kid names the key itself rather than a counter. */
function thumbprint(jwk: crypto.JsonWebKey): string {
    const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
    return base64url(crypto.createHash("sha256").update(canonical).digest());
}

function listen(server: https.Server): Promise<number> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            server.off("error", reject);
            resolve((server.address() as AddressInfo).port);
        });
    });
}

/**
 * Starts an issuer whose certificates live in DIR (which the caller owns and removes). CLIENT_ID is
 * the audience mint puts in tokens unless told otherwise; default DEFAULT_CLIENT_ID.
 */
export async function startOidcIssuer(dir: string, clientId: string = DEFAULT_CLIENT_ID): Promise<OidcIssuer> {
    const pki = makePki(dir);
    const caPem = fs.readFileSync(pki.caFile, "utf8");
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = publicKey.export({ format: "jwk" });
    const kid = thumbprint(jwk);

    let url = "";
    const documents = new Map<string, () => unknown>([
        [DISCOVERY_PATH, () => ({
            issuer: url,
            jwks_uri: `${url}${JWKS_PATH}`,
            id_token_signing_alg_values_supported: ["RS256"],
            response_types_supported: ["id_token"],
            subject_types_supported: ["public"],
        })],
        [JWKS_PATH, () => ({ keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: "RS256", use: "sig" }] })],
    ]);

    const server = https.createServer({ key: fs.readFileSync(pki.keyFile), cert: fs.readFileSync(pki.certFile) }, (req, res) => {
        const document = req.method === "GET" ? documents.get(new URL(req.url ?? "/", url).pathname) : undefined;
        if (!document) {
            res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
            return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document()));
    });
    // Raw TCP sockets, so even a connection stuck before its TLS handshake is destroyed on close.
    const sockets = new Set<Socket>();
    server.on("connection", (socket: Socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
    });

    const port = await listen(server);
    url = `https://127.0.0.1:${port}`;

    const mint = (claims: Record<string, unknown>, opts: MintOptions = {}): string => {
        const expiresIn = opts.expiresInSeconds ?? 600;
        if (!Number.isFinite(expiresIn)) {
            throw new Error(`mint: expiresInSeconds ${String(expiresIn)} is not a finite number`);
        }
        const now = Math.floor(Date.now() / 1000);
        const header = { alg: "RS256", kid, typ: "JWT" };
        const payload = {
            iss: opts.issuer ?? url,
            aud: opts.audience ?? clientId,
            iat: now,
            nbf: now - 5,
            exp: now + Math.trunc(expiresIn),
            ...claims,
        };
        const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
        const signature = crypto.sign("sha256", Buffer.from(signingInput), privateKey);
        return `${signingInput}.${base64url(signature)}`;
    };

    // Safe to call twice, so every exit path of a test or tier can call it.
    const close = (): Promise<void> => new Promise((resolve, reject) => {
        if (!server.listening) {
            resolve();
            return;
        }
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) {
            socket.destroy();
        }
    });

    return { url, caPem, caFile: pki.caFile, certFile: pki.certFile, clientId, kid, mint, close };
}
