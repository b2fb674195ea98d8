/**
 * The registry's two instances (reader and writer) as tests/registry.test.ts runs them: Debian's
 * docker-registry on 127.0.0.1, each serving its program Secret's config and htpasswd on one storage
 * directory, with a certificate of the test's for 127.0.0.1; an HTTPS client of the test's own and
 * skopeo with the test's auth files. Every process is stopped by its pid in `stop`.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { freePort } from "../../tools/e2e/processes";
import { ProgramRegistry } from "./registry";

export type Instance = "reader" | "writer";

export interface Reply {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
}

/** The absolute path of `cmd` on PATH, or undefined. */
export function onPath(cmd: string): string | undefined {
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

export class LocalRegistry {
    readonly ports: Record<Instance, number> = { reader: 0, writer: 0 };
    readonly logs: Record<Instance, string> = { reader: "", writer: "" };
    readonly pids: number[] = [];
    private readonly servers: { child: ChildProcess; exit: Promise<void>; exited: boolean }[] = [];
    private readonly ca: Buffer;

    /** PROGRAM's files served from DIR with CERT and KEY (for 127.0.0.1), the images under `storage`. */
    constructor(private readonly program: ProgramRegistry, private readonly dir: string, private readonly cert: string,
        private readonly key: string, private readonly skopeo: string) {
        this.ca = fs.readFileSync(cert);
        fs.mkdirSync(this.certDir, { recursive: true });
        fs.copyFileSync(cert, path.join(this.certDir, "ca.crt"));
        fs.writeFileSync(path.join(dir, "policy.json"), JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
    }

    get storage(): string {
        return path.join(this.dir, "storage");
    }

    get certDir(): string {
        return path.join(this.dir, "certs");
    }

    request(instance: Instance, method: string, target: string, opts: { auth?: string; body?: Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
        const port = this.ports[instance];
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
                { method, host: "127.0.0.1", port, path: url.pathname + url.search, ca: this.ca, headers, agent: false, timeout: 5000 },
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

    /** Starts INSTANCE from its program files; ready when it answers /v2/ over TLS, 15 s at most. */
    async start(binary: string, instance: Instance): Promise<void> {
        const files = this.program[instance];
        this.ports[instance] = await freePort();
        // Only where things are differs from the pod: the address, the certificate, the files' and the storage's paths.
        const env = {
            ...process.env,
            REGISTRY_HTTP_ADDR: `127.0.0.1:${this.ports[instance]}`,
            REGISTRY_HTTP_TLS_CERTIFICATE: this.cert,
            REGISTRY_HTTP_TLS_KEY: this.key,
            REGISTRY_AUTH_HTPASSWD_PATH: files.htpasswdFile,
            REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: this.storage,
        };
        const child = spawn(binary, ["serve", files.configFile], { stdio: ["ignore", "pipe", "pipe"], env });
        const server = { child, exit: Promise.resolve(), exited: false };
        server.exit = new Promise((resolve) => child.once("exit", () => { server.exited = true; resolve(); }));
        this.servers.push(server);
        this.pids.push(child.pid ?? 0);
        child.once("error", (e) => { this.logs[instance] += `spawn error: ${e.message}\n`; });
        child.stdout!.on("data", (c: Buffer) => { this.logs[instance] += c.toString(); });
        child.stderr!.on("data", (c: Buffer) => { this.logs[instance] += c.toString(); });
        const deadline = Date.now() + 15_000;
        for (;;) {
            if (server.exited) {
                throw new Error(`docker-registry (${instance}) exited before listening:\n${this.logs[instance]}`);
            }
            try {
                await this.request(instance, "GET", "/v2/");
                return;
            } catch (e) {
                if (Date.now() > deadline) {
                    throw new Error(`docker-registry (${instance}) did not answer within 15 s (${(e as Error).message}):\n${this.logs[instance]}`);
                }
                await new Promise((r) => setTimeout(r, 100));
            }
        }
    }

    /** Stops every instance started, by its pid (SIGKILL after 5 s). Safe to call twice. */
    async stop(): Promise<void> {
        for (const s of this.servers) {
            if (!s.exited) {
                s.child.kill("SIGTERM");
                const killer = setTimeout(() => s.child.kill("SIGKILL"), 5_000);
                await s.exit;
                clearTimeout(killer);
            }
        }
    }

    /** An auth file (0600) giving USER:PASSWORD to both instances. */
    authFile(name: string, user: string, password: string): string {
        const file = path.join(this.dir, `${name}.auth.json`);
        const auth = { auth: Buffer.from(`${user}:${password}`).toString("base64") };
        fs.writeFileSync(file, JSON.stringify({ auths: { [`127.0.0.1:${this.ports.reader}`]: auth, [`127.0.0.1:${this.ports.writer}`]: auth } }), { mode: 0o600 });
        return file;
    }

    /** skopeo with ARGS (credentials only in the auth files they name). */
    runSkopeo(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
        const r = spawnSync(this.skopeo, ["--policy", path.join(this.dir, "policy.json"), ...args],
            { env: { PATH: "/usr/bin:/bin", HOME: this.dir, TMPDIR: this.dir }, timeout: 30_000 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
    }

    at(instance: Instance, ref: string): string {
        return `docker://127.0.0.1:${this.ports[instance]}/${ref}`;
    }

    /** Pushes LAYOUT's image tagged 1 to REF at INSTANCE with the credentials in AUTH. */
    copyTo(auth: string, instance: Instance, layout: string, ref: string) {
        return this.runSkopeo(["copy", "--preserve-digests", "--dest-authfile", auth, "--dest-cert-dir", this.certDir, `oci:${layout}:1`, this.at(instance, ref)]);
    }

    /** The manifest at REF on INSTANCE, read with AUTH, as the registry serves its bytes. */
    inspect(auth: string, instance: Instance, ref: string) {
        return this.runSkopeo(["inspect", "--raw", "--authfile", auth, "--cert-dir", this.certDir, this.at(instance, ref)]);
    }
}
