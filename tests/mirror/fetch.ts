/**
 * Asks a registry for manifests the way a pull does, as a client of its own (not skopeo, which the
 * mirror uses): `GET /v2/<path>/manifests/<reference>` over TLS checked against the given certificate,
 * with Basic auth, accepting OCI and Docker manifests and lists. The mirror test runs it inside its
 * network namespace, where the registry is. Reads on stdin
 *   { "address", "certificate", "user", "password", "requests": [{ "path", "reference" }] }
 * and prints one { "status", "digest" } per request as a JSON array (digest: Docker-Content-Digest).
 */
import * as fs from "fs";
import * as https from "https";

const ACCEPT = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

interface Query {
    address: string;
    certificate: string;
    user: string;
    password: string;
    requests: { path: string; reference: string }[];
}

function get(q: Query, path: string, reference: string): Promise<{ status: number; digest: string | null }> {
    return new Promise((resolve, reject) => {
        const req = https.request({
            method: "GET", host: q.address, port: 443, path: `/v2/${path}/manifests/${reference}`, ca: q.certificate, agent: false, timeout: 5000,
            headers: { Accept: ACCEPT, Authorization: `Basic ${Buffer.from(`${q.user}:${q.password}`).toString("base64")}` },
        }, (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, digest: (res.headers["docker-content-digest"] as string | undefined) ?? null }));
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${path}/manifests/${reference} timed out`)));
        req.on("error", reject);
        req.end();
    });
}

async function main(): Promise<void> {
    const q = JSON.parse(fs.readFileSync(0, "utf8")) as Query;
    const answers = [];
    for (const r of q.requests) {
        answers.push(await get(q, r.path, r.reference));
    }
    process.stdout.write(JSON.stringify(answers));
}

main().catch((e) => {
    process.stderr.write(`fetch: ${(e as Error).message}\n`);
    process.exit(1);
});
