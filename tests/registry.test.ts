import * as bcrypt from "bcryptjs";
import { ChildProcess, spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as yaml from "js-yaml";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { runStack } from "./harness";
import {
    REGISTRY_DEFAULT_REALM,
    htpasswdLine,
    registryConfig,
    renderRegistryConfig,
} from "../components/platform/registryConfig";

const paths = { htpasswdPath: "/auth/htpasswd", tlsCertificate: "/certs/tls.crt", tlsKey: "/certs/tls.key" };

describe("registryConfig", () => {
    it("defaults: :5000, /var/lib/registry, the lsst-k8s realm, delete off, no proxy, no secret", () => {
        expect(registryConfig(paths)).toEqual({
            version: "0.1",
            log: { level: "info", fields: { service: "registry" } },
            storage: {
                filesystem: { rootdirectory: "/var/lib/registry" },
                delete: { enabled: false },
            },
            http: {
                addr: ":5000",
                tls: { certificate: "/certs/tls.crt", key: "/certs/tls.key" },
                headers: { "X-Content-Type-Options": ["nosniff"] },
            },
            auth: { htpasswd: { realm: "lsst-k8s registry", path: "/auth/htpasswd" } },
            health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
        });
    });

    it("takes every option, and a pull-through cache only when asked", () => {
        const c = registryConfig({
            ...paths,
            listen: "0.0.0.0:443",
            storageRoot: "/data",
            realm: "Rubin",
            deleteEnabled: true,
            httpSecret: "s3cret",
            proxy: { remoteUrl: "https://registry-1.docker.io" },
        }) as any;
        expect(c.http.addr).toBe("0.0.0.0:443");
        expect(c.http.secret).toBe("s3cret");
        expect(c.storage).toEqual({ filesystem: { rootdirectory: "/data" }, delete: { enabled: true } });
        expect(c.auth.htpasswd.realm).toBe("Rubin");
        expect(c.proxy).toEqual({ remoteurl: "https://registry-1.docker.io" });
        expect(registryConfig(paths)).not.toHaveProperty("proxy");
        expect(registryConfig({ ...paths, deleteEnabled: false }).storage).toEqual({
            filesystem: { rootdirectory: "/var/lib/registry" },
            delete: { enabled: false },
        });
    });

    it("refuses empty paths, an unusable realm or secret and a non-http proxy URL", () => {
        expect(() => registryConfig({ ...paths, htpasswdPath: "" })).toThrow(/htpasswdPath/);
        expect(() => registryConfig({ ...paths, tlsKey: " " })).toThrow(/tlsKey/);
        expect(() => registryConfig({ ...paths, realm: 'a"b' })).toThrow(/realm/);
        expect(() => registryConfig({ ...paths, httpSecret: "" })).toThrow(/httpSecret/);
        expect(() => registryConfig({ ...paths, proxy: { remoteUrl: "registry-1.docker.io" } })).toThrow(/remoteUrl/);
    });

    it("renders YAML that loads back to the same object, version as the string 0.1", () => {
        const c = registryConfig({ ...paths, proxy: { remoteUrl: "https://registry-1.docker.io" } });
        const text = renderRegistryConfig(c);
        expect(yaml.load(text)).toEqual(c);
        expect(text).toMatch(/^version: '0\.1'$/m);
    });
});

describe("htpasswdLine", () => {
    it("writes user:$2y$<rounds>$... that bcrypt verifies, and only for the right password", () => {
        const line = htpasswdLine("alice", "correct horse", 4);
        expect(line).toMatch(/^alice:\$2y\$04\$[./A-Za-z0-9]{53}$/);
        const hash = line.slice("alice:".length);
        expect(bcrypt.compareSync("correct horse", hash)).toBe(true);
        expect(bcrypt.compareSync("wrong horse", hash)).toBe(false);
        expect(htpasswdLine("bob", "x")).toMatch(/^bob:\$2y\$10\$/); // default cost 10
    });

    it("salts: two lines for one password differ", () => {
        expect(htpasswdLine("a", "pw", 4)).not.toBe(htpasswdLine("a", "pw", 4));
    });

    it("refuses user names with ':' or whitespace, empty names, bad rounds and over-long passwords", () => {
        for (const bad of ["", "a:b", "a b", "a\tb", "a\nb", " a", "a\r"]) {
            expect(() => htpasswdLine(bad, "pw", 4)).toThrow(/user name/);
        }
        expect(() => htpasswdLine("a", "pw", 3)).toThrow(/rounds/);
        expect(() => htpasswdLine("a", "pw", 10.5)).toThrow(/rounds/);
        expect(() => htpasswdLine("a", "x".repeat(73), 4)).toThrow(/72/);
        expect(htpasswdLine("a", "x".repeat(72), 4)).toMatch(/^a:\$2y\$/);
    });
});

/** The absolute path of `cmd` on PATH, or undefined. */
function onPath(cmd: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const p = path.join(dir || ".", cmd);
        try {
            fs.accessSync(p, fs.constants.X_OK);
            return p;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

interface Reply {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
}

describe("Debian's docker-registry serving the exact config and htpasswd the program puts in the registry's Secret", () => {
    // Filled from the test stack's evaluation: the registry's own user and (offline, placeholder) password.
    let user = "";
    let password = "";
    let programFiles: Record<string, string> = {};
    const realm = REGISTRY_DEFAULT_REALM;
    let dir = "";
    let port = 0;
    let ca: Buffer;
    let server: ChildProcess | undefined;
    let serverExit: Promise<void> = Promise.resolve();
    let exited = false;
    let log = "";

    function request(method: string, target: string, opts: { auth?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
        const url = new URL(target, `https://127.0.0.1:${port}`);
        const headers: Record<string, string> = { ...opts.headers };
        if (opts.auth !== undefined) {
            headers.Authorization = "Basic " + Buffer.from(opts.auth).toString("base64");
        }
        if (opts.body !== undefined) {
            headers["Content-Length"] = String(opts.body.length);
        }
        return new Promise((resolve, reject) => {
            const req = https.request(
                { method, host: "127.0.0.1", port: Number(url.port), path: url.pathname + url.search, ca, headers, agent: false, timeout: 5000 },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
                    res.on("error", reject);
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${target} timed out`)));
            req.on("error", reject);
            req.end(opts.body);
        });
    }

    beforeAll(async () => {
        const registryBin = onPath("docker-registry");
        if (registryBin === undefined) {
            throw new Error(
                "docker-registry is not installed: install Debian's docker-registry package (apt-get install docker-registry); " +
                    "tools/test.sh installs it, CI runs this test and so must you",
            );
        }
        if (onPath("openssl") === undefined) {
            throw new Error("openssl is not installed: install it (apt-get install openssl)");
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-test-"));
        const cert = path.join(dir, "tls.crt");
        const key = path.join(dir, "tls.key");
        const gen = spawnSync(
            "openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
            { encoding: "utf8" },
        );
        if (gen.status !== 0) {
            throw new Error(`openssl req failed (${gen.status}): ${gen.stderr}`);
        }
        ca = fs.readFileSync(cert);
        const evaluation = await runStack("test");
        const secret = evaluation.resources.find((r) => r.type === "kubernetes:core/v1:Secret" &&
            (r.inputs.metadata as Record<string, string>).namespace === "registry" && (r.inputs.metadata as Record<string, string>).name === "registry")!;
        programFiles = secret.inputs.stringData as Record<string, string>;
        user = String(evaluation.outputs.registryUser.value);
        password = String(evaluation.outputs.registryPassword.value);
        const htpasswd = path.join(dir, "htpasswd");
        fs.writeFileSync(htpasswd, programFiles.htpasswd, { mode: 0o600 });
        port = await freePort();
        const configPath = path.join(dir, "config.yml");
        fs.writeFileSync(configPath, programFiles["config.yml"]);
        // Only where things are differs from a node: the address, the certificate (the program's is made
        // by @pulumi/tls at deploy time) and the storage directory, through distribution's REGISTRY_* overrides.
        const overrides = {
            REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
            REGISTRY_HTTP_TLS_CERTIFICATE: cert,
            REGISTRY_HTTP_TLS_KEY: key,
            REGISTRY_AUTH_HTPASSWD_PATH: htpasswd,
            REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: path.join(dir, "storage"),
        };

        const child = spawn(registryBin, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...overrides } });
        server = child;
        serverExit = new Promise((resolve) => child.once("exit", () => { exited = true; resolve(); }));
        child.once("error", (e) => { log += `spawn error: ${e.message}\n`; });
        child.stdout!.on("data", (c: Buffer) => { log += c.toString(); });
        child.stderr!.on("data", (c: Buffer) => { log += c.toString(); });

        // Ready when it answers /v2/ over TLS (any status); bounded at 15 s, and fails at once if it exits.
        const deadline = Date.now() + 15_000;
        for (;;) {
            if (exited) {
                throw new Error(`docker-registry exited before listening:\n${log}`);
            }
            try {
                await request("GET", "/v2/");
                return;
            } catch (e) {
                if (Date.now() > deadline) {
                    throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 15 s (${(e as Error).message}):\n${log}`);
                }
                await new Promise((r) => setTimeout(r, 100));
            }
        }
    }, 30_000);

    afterAll(async () => {
        if (server !== undefined && !exited) {
            server.kill("SIGTERM");
            const killer = setTimeout(() => server?.kill("SIGKILL"), 5_000);
            await serverExit;
            clearTimeout(killer);
        }
        if (dir !== "") {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }, 15_000);

    it("serves the program's file as it is, with the registry's user and a bcrypt entry", () => {
        expect(programFiles["config.yml"]).toBe(renderRegistryConfig(registryConfig({
            listen: ":5000",
            htpasswdPath: "/etc/registry/htpasswd",
            tlsCertificate: "/etc/registry/tls.crt",
            tlsKey: "/etc/registry/tls.key",
        })));
        expect(programFiles.htpasswd).toMatch(/^lsst-k8s:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
        expect(user).toBe("lsst-k8s");
        expect(password).toHaveLength(32);
    });

    it("runs the docker-registry binary from Debian", () => {
        const v = spawnSync("docker-registry", ["--version"], { encoding: "utf8" });
        expect(v.error).toBeUndefined();
        expect(v.stdout).toMatch(/^docker-registry github\.com\/docker\/distribution v?\d+\.\d+/);
        expect(server?.pid).toBeGreaterThan(0);
        expect(log).toMatch(/listening on 127\.0\.0\.1:\d+, tls/);
    });

    it("challenges an anonymous client with Basic auth naming the realm", async () => {
        const r = await request("GET", "/v2/");
        expect(r.status).toBe(401);
        expect(r.headers["www-authenticate"]).toBe(`Basic realm="${realm}"`);
        expect(r.headers["x-content-type-options"]).toBe("nosniff");
    });

    it("lets the htpasswd user in with the right password, and not with a wrong one or an unknown user", async () => {
        expect((await request("GET", "/v2/", { auth: `${user}:${password}` })).status).toBe(200);
        expect((await request("GET", "/v2/", { auth: `${user}:${password}x` })).status).toBe(401);
        expect((await request("GET", "/v2/", { auth: `someone:${password}` })).status).toBe(401);
    });

    it("stores a pushed blob in storageRoot and serves it back, to authenticated clients only", async () => {
        const auth = `${user}:${password}`;
        const blob = Buffer.from(`lsst-k8s registry test blob ${Date.now()}\n`);
        const digest = "sha256:" + createHash("sha256").update(blob).digest("hex");
        const repo = "lsst-k8s/registry-test";

        expect((await request("POST", `/v2/${repo}/blobs/uploads/`)).status).toBe(401);
        const start = await request("POST", `/v2/${repo}/blobs/uploads/`, { auth, body: Buffer.alloc(0) });
        expect(start.status).toBe(202);
        const location = start.headers.location as string;
        expect(location).toBeTruthy();
        const put = new URL(location, `https://127.0.0.1:${port}`);
        put.searchParams.set("digest", digest);
        const done = await request("PUT", put.pathname + put.search, {
            auth,
            body: blob,
            headers: { "Content-Type": "application/octet-stream" },
        });
        expect(done.status).toBe(201);
        expect(done.headers["docker-content-digest"]).toBe(digest);

        const head = await request("HEAD", `/v2/${repo}/blobs/${digest}`, { auth });
        expect(head.status).toBe(200);
        expect(head.headers["docker-content-digest"]).toBe(digest);
        expect(head.headers["content-length"]).toBe(String(blob.length));
        expect((await request("HEAD", `/v2/${repo}/blobs/${digest}`)).status).toBe(401);
        const get = await request("GET", `/v2/${repo}/blobs/${digest}`, { auth });
        expect(get.status).toBe(200);
        expect(get.body.equals(blob)).toBe(true);

        // On disk under the configured root, in distribution's filesystem layout.
        const hex = digest.slice("sha256:".length);
        const onDisk = path.join(dir, "storage", "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
        expect(fs.readFileSync(onDisk).equals(blob)).toBe(true);
    });

    it("refuses deletes, as delete is off by default", async () => {
        const r = await request("DELETE", `/v2/lsst-k8s/registry-test/blobs/sha256:${"0".repeat(64)}`, { auth: `${user}:${password}` });
        expect(r.status).toBe(405);
    });
});
