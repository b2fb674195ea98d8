/**
 * Debian's etcd 3.4 (etcd-server) and etcdctl (etcd-client) on 127.0.0.1, for the etcd-backup.sh suites:
 * members started and stopped by pid, and the commands run next to them. tools/test.sh installs
 * etcd-server, etcd-client and openssl; without them these suites fail, they do not skip.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";

export function onPath(cmd: string): boolean {
    return spawnSync("bash", ["-c", 'command -v "$1" >/dev/null', "_", cmd]).status === 0;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH, ...env }, cwd, encoding: "utf8", timeout: 30_000 });
    if (r.error) {
        throw r.error;
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function must(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): string {
    const r = run(cmd, args, env, cwd);
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
    }
    return r.stdout;
}

/** Free TCP ports on 127.0.0.1, all held open together so they differ. */
export async function freePorts(n: number): Promise<number[]> {
    const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
        const s = net.createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(s));
    })));
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
}

export interface Tls {
    ca: string;
    cert: string;
    key: string;
}

/** One etcd member on 127.0.0.1, logging to a file (a pipe nobody reads would stall it). */
export class Etcd {
    readonly url: string;
    private readonly proc: ChildProcess;
    private readonly log: string;

    private constructor(name: string, dataDir: string, clientPort: number, peerPort: number, tls?: Tls) {
        const scheme = tls ? "https" : "http";
        this.url = `${scheme}://127.0.0.1:${clientPort}`;
        const peer = `http://127.0.0.1:${peerPort}`;
        this.log = `${dataDir}.log`;
        const args = [
            "--name", name, "--data-dir", dataDir,
            "--listen-client-urls", this.url, "--advertise-client-urls", this.url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", `${name}=${peer}`,
            ...(tls ? ["--client-cert-auth", "--trusted-ca-file", tls.ca, "--cert-file", tls.cert, "--key-file", tls.key] : []),
        ];
        const out = fs.openSync(this.log, "a");
        try {
            // No environment but PATH: etcd reads ETCD_* variables as flags.
            this.proc = spawn("etcd", args, { env: { PATH: process.env.PATH }, stdio: ["ignore", out, out] });
        } finally {
            fs.closeSync(out);
        }
        running.add(this);
    }

    static async start(name: string, dataDir: string, tls?: Tls & { client: Tls }): Promise<Etcd> {
        const [clientPort, peerPort] = await freePorts(2);
        const etcd = new Etcd(name, dataDir, clientPort, peerPort, tls);
        await etcd.waitHealthy(tls?.client);
        return etcd;
    }

    /** Polls /health until etcd says it is healthy, for at most 15 s. */
    private async waitHealthy(client?: Tls): Promise<void> {
        const deadline = Date.now() + 15_000;
        for (;;) {
            if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
                throw new Error(`etcd exited (${this.proc.exitCode ?? this.proc.signalCode}) before it was healthy:\n${this.logTail()}`);
            }
            if (await this.healthy(client)) {
                return;
            }
            if (Date.now() > deadline) {
                throw new Error(`etcd at ${this.url} was not healthy within 15 s:\n${this.logTail()}`);
            }
            await new Promise((r) => setTimeout(r, 100));
        }
    }

    private healthy(client?: Tls): Promise<boolean> {
        return new Promise((resolve) => {
            const done = (res: http.IncomingMessage) => {
                let body = "";
                res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve(/"health":\s*"true"/.test(body)));
            };
            const req = client
                ? https.get(`${this.url}/health`, { ca: fs.readFileSync(client.ca), cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key), timeout: 1000 }, done)
                : http.get(`${this.url}/health`, { timeout: 1000 }, done);
            req.on("error", () => resolve(false));
            req.on("timeout", () => req.destroy());
        });
    }

    logTail(): string {
        return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8").split("\n").slice(-20).join("\n") : "(no log)";
    }

    /** TERM, then KILL after 5 s; resolves once the process is gone. */
    async stop(): Promise<void> {
        running.delete(this);
        if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
            return;
        }
        const gone = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
        this.proc.kill("SIGTERM");
        const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5_000);
        await gone;
        clearTimeout(timer);
    }

    killNow(): void {
        if (this.proc.exitCode === null && this.proc.signalCode === null) {
            this.proc.kill("SIGKILL");
        }
    }
}

const running = new Set<Etcd>();
// afterAll stops them; this covers a worker that exits without running it.
process.on("exit", () => running.forEach((e) => e.killNow()));

export function etcdctl(endpoint: string, ...args: string[]): string {
    return must("etcdctl", ["--endpoints", endpoint, ...args], { ETCDCTL_API: "3" });
}

/** Stops every member of this test file that is still running; afterAll calls it. */
export async function stopAll(): Promise<void> {
    await Promise.all([...running].map((e) => e.stop()));
}
