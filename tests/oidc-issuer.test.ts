/**
 * The control-plane tier's OIDC issuer, checked against the real openssl and node's TLS verifier
 * before the tier trusts it to prove anything about the API server: if the chain or the signatures
 * were wrong here, kube-apiserver refusing a token would say nothing about the program.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { DEFAULT_CLIENT_ID, DISCOVERY_PATH, OidcIssuer, startOidcIssuer } from "../tools/e2e/oidcIssuer";

interface Fetched {
    status: number;
    body: string;
}

/** GET URL over https; CA undefined means node's default trust store, which does not know the test CA. */
function get(url: string, ca: string | undefined): Promise<Fetched> {
    return new Promise((resolve, reject) => {
        const req = https.get(url, { ca, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("error", reject);
    });
}

function decodePart(part: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

let dir: string | undefined;
let issuer: OidcIssuer | undefined;

beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "oidc-issuer-test-"));
    issuer = await startOidcIssuer(dir);
});

afterAll(async () => {
    try {
        await issuer?.close();
    } finally {
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
});

function started(): OidcIssuer {
    if (!issuer) {
        throw new Error("the issuer did not start");
    }
    return issuer;
}

async function jwksKey(): Promise<{ jwk: crypto.JsonWebKey & { kid?: string; alg?: string; use?: string }; key: crypto.KeyObject }> {
    const discovery = JSON.parse((await get(`${started().url}${DISCOVERY_PATH}`, started().caPem)).body);
    const jwks = JSON.parse((await get(discovery.jwks_uri, started().caPem)).body);
    expect(jwks.keys).toHaveLength(1);
    const jwk = jwks.keys[0];
    return { jwk, key: crypto.createPublicKey({ key: jwk, format: "jwk" }) };
}

function verifies(token: string, key: crypto.KeyObject): boolean {
    const [header, payload, signature] = token.split(".");
    return crypto.verify("sha256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url"));
}

describe("certificates", () => {
    test("the server certificate chains to the CA, says openssl", () => {
        const out = execFileSync("openssl", ["verify", "-CAfile", started().caFile, started().certFile], { encoding: "utf8" });
        expect(out.trim()).toBe(`${started().certFile}: OK`);
    });

    test("the server certificate names IP 127.0.0.1 and is no CA", () => {
        const ext = (name: string) => execFileSync("openssl", ["x509", "-in", started().certFile, "-noout", "-ext", name], { encoding: "utf8" });
        expect(ext("subjectAltName")).toMatch(/IP Address:127\.0\.0\.1\b/);
        expect(ext("basicConstraints")).toMatch(/CA:FALSE/);
        expect(ext("extendedKeyUsage")).toMatch(/TLS Web Server Authentication/);
    });

    test("the CA is a critical CA:TRUE that may sign certificates", () => {
        const ext = execFileSync("openssl", ["x509", "-in", started().caFile, "-noout", "-ext", "basicConstraints,keyUsage"], { encoding: "utf8" });
        expect(ext).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
        expect(ext).toMatch(/Certificate Sign/);
        expect(started().caPem).toBe(fs.readFileSync(started().caFile, "utf8"));
    });

    test("private keys are 0600", () => {
        for (const key of ["ca.key", "server.key"]) {
            expect(fs.statSync(path.join(dir as string, key)).mode & 0o777).toBe(0o600);
        }
    });
});

describe("serving", () => {
    test("the url is https on 127.0.0.1 with no trailing slash", () => {
        expect(started().url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    });

    test("discovery is served over https verified with caPem", async () => {
        const res = await get(`${started().url}${DISCOVERY_PATH}`, started().caPem);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body)).toEqual({
            issuer: started().url,
            jwks_uri: expect.stringMatching(new RegExp(`^${started().url.replace(/\./g, "\\.")}/`)),
            id_token_signing_alg_values_supported: ["RS256"],
            response_types_supported: ["id_token"],
            subject_types_supported: ["public"],
        });
    });

    test("the JWKS publishes one RS256 signing key under the issuer's kid", async () => {
        const { jwk } = await jwksKey();
        expect(jwk).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", kid: started().kid });
        expect(typeof jwk.n).toBe("string");
        expect(jwk.e).toBe("AQAB");
    });

    test("without the CA the certificate fails verification", async () => {
        await expect(get(`${started().url}${DISCOVERY_PATH}`, undefined)).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    });

    test("anything else is 404", async () => {
        expect((await get(`${started().url}/`, started().caPem)).status).toBe(404);
        expect((await get(`${started().url}/.well-known/other`, started().caPem)).status).toBe(404);
    });
});

describe("mint", () => {
    test("a token verifies with the published key and carries iss, aud and exp as asked", async () => {
        const { key } = await jwksKey();
        const before = Math.floor(Date.now() / 1000);
        const token = started().mint({ sub: "alice", groups: ["rubin-admins"] }, { audience: "the-cluster", expiresInSeconds: 120 });
        const after = Math.floor(Date.now() / 1000);
        const [header, payload] = token.split(".").slice(0, 2).map(decodePart);
        expect(verifies(token, key)).toBe(true);
        expect(header).toEqual({ alg: "RS256", kid: started().kid, typ: "JWT" });
        expect(payload).toMatchObject({ iss: started().url, aud: "the-cluster", sub: "alice", groups: ["rubin-admins"] });
        expect(payload.exp).toBeGreaterThanOrEqual(before + 120);
        expect(payload.exp).toBeLessThanOrEqual(after + 120);
        expect(payload.nbf).toBe((payload.iat as number) - 5);
    });

    test("by default the audience is the client id and the token lives 600 s", () => {
        const payload = decodePart(started().mint({ sub: "bob" }).split(".")[1]);
        expect(started().clientId).toBe(DEFAULT_CLIENT_ID);
        expect(payload.aud).toBe(DEFAULT_CLIENT_ID);
        expect(payload.exp).toBe((payload.iat as number) + 600);
    });

    test("a tampered payload no longer verifies", async () => {
        const { key } = await jwksKey();
        const [header, , signature] = started().mint({ sub: "alice" }).split(".");
        const forged = Buffer.from(JSON.stringify({ sub: "root", iss: started().url })).toString("base64url");
        expect(verifies(`${header}.${forged}.${signature}`, key)).toBe(false);
    });

    test("a negative lifetime mints an expired token", () => {
        const payload = decodePart(started().mint({ sub: "alice" }, { expiresInSeconds: -60 }).split(".")[1]);
        expect(payload.exp).toBeLessThan(Math.floor(Date.now() / 1000));
    });

    test("the issuer can be overridden, for a token from a provider the cluster does not trust", () => {
        const payload = decodePart(started().mint({ sub: "alice" }, { issuer: "https://elsewhere.example" }).split(".")[1]);
        expect(payload.iss).toBe("https://elsewhere.example");
    });

    test("a lifetime that is not a number is refused", () => {
        expect(() => started().mint({}, { expiresInSeconds: Number.NaN })).toThrow(/expiresInSeconds/);
    });
});
