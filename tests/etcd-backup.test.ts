/**
 * components/platform/scripts/etcd-backup.sh run for real under bash against Debian's etcd 3.4 (etcd-server) and
 * etcdctl (etcd-client) on 127.0.0.1: plain http the way the brief allows for tests, and https with
 * client-certificate authentication laid out the way kubeadm lays out /etc/kubernetes/pki/etcd. Every
 * snapshot it keeps is restored with `etcdctl snapshot restore` into a second etcd, which must serve the
 * keys written before the backup. tools/test.sh installs etcd-server, etcd-client and openssl; without
 * them this suite fails, it does not skip.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.join(__dirname, "..", "components", "platform", "scripts", "etcd-backup.sh");
const NODE = "cp-1";
const STAMP = "[0-9]{8}T[0-9]{6}Z";
const SNAPSHOT_RE = new RegExp(`^etcd-${NODE}-(${STAMP})\\.db$`);
const ARCHIVE_RE = new RegExp(`^pki-${NODE}-(${STAMP})\\.tar\\.gz$`);
const KEYS: Record<string, string> = {
    "/registry/secrets/default/db": "s3cret value with spaces",
    "/registry/configmaps/kube-system/kubeadm-config": "clusterName: lsst\nkubernetesVersion: v1.35.0\n",
    "/lsst/empty": "",
};

// ---- processes --------------------------------------------------------------------------------------

function onPath(cmd: string): boolean {
    return spawnSync("bash", ["-c", 'command -v "$1" >/dev/null', "_", cmd]).status === 0;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH, ...env }, cwd, encoding: "utf8", timeout: 30_000 });
    if (r.error) {
        throw r.error;
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function must(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): string {
    const r = run(cmd, args, env, cwd);
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
    }
    return r.stdout;
}

/** The script, with nothing of this process's environment but PATH. Asynchronous so slow runs can overlap. */
function backup(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", [SCRIPT], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.on("error", reject);
        child.on("close", (status) => {
            clearTimeout(timer);
            resolve({ status, stderr });
        });
    });
}

/** Free TCP ports on 127.0.0.1, all held open together so they differ. */
async function freePorts(n: number): Promise<number[]> {
    const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
        const s = net.createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(s));
    })));
    const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
}

interface Tls {
    ca: string;
    cert: string;
    key: string;
}

/** One etcd member on 127.0.0.1, logging to a file (a pipe nobody reads would stall it). */
class Etcd {
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

function etcdctl(endpoint: string, ...args: string[]): string {
    return must("etcdctl", ["--endpoints", endpoint, ...args], { ETCDCTL_API: "3" });
}

// ---- files ------------------------------------------------------------------------------------------

const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const mode = (p: string) => fs.statSync(p).mode & 0o777;
const list = (dir: string) => fs.readdirSync(dir).sort();

/** Every file under dir, by relative path, with its content and mode. */
function tree(dir: string): Record<string, { content: string; mode: number }> {
    const out: Record<string, { content: string; mode: number }> = {};
    for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (e.isFile()) {
            const full = path.join(e.parentPath ?? e.path, e.name);
            out[path.relative(dir, full)] = { content: fs.readFileSync(full, "utf8"), mode: mode(full) };
        }
    }
    return out;
}

function openssl(dir: string, ...args: string[]): void {
    must("openssl", args, {}, dir);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A self-signed CA as NAME.crt and NAME.key in dir. */
function makeCa(dir: string, name: string): Tls {
    openssl(dir, "req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", `/CN=${name}`, "-days", "2",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    return { ca: path.join(dir, `${name}.crt`), cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

/** A certificate NAME.crt/.key in dir signed by ca, with the given extensions; the CSR goes to scratch. */
function makeLeaf(dir: string, name: string, ca: Tls, scratch: string, ext: string): Tls {
    const csr = path.join(scratch, `${name}.csr`);
    const extFile = path.join(scratch, `${name}.ext`);
    fs.writeFileSync(extFile, ext);
    openssl(dir, "req", ...EC, "-keyout", `${name}.key`, "-out", csr, "-subj", `/CN=${name}`);
    openssl(dir, "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", `0x${crypto.randomBytes(8).toString("hex")}`,
        "-days", "2", "-out", `${name}.crt`, "-extfile", extFile);
    return { ca: ca.ca, cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

// ---- the fixture ------------------------------------------------------------------------------------

let work: string;
let pki: string; // <work>/kubernetes/pki, laid out like kubeadm's
let client: Tls; // pki/etcd/ca.crt and pki/etcd/healthcheck-client.{crt,key}
let plain: Etcd; // http, no authentication
let secured: Etcd; // https, client certificates signed by pki/etcd/ca required
const others: Etcd[] = []; // the restored members

let dirCount = 0;
function newDir(): string {
    const d = path.join(work, `backups-${++dirCount}`);
    fs.mkdirSync(d, { mode: 0o755 });
    fs.chmodSync(d, 0o755);
    return d;
}

function env(backupDir: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ETCD_ENDPOINTS: plain.url, PKI_DIR: pki, BACKUP_DIR: backupDir, NODE_NAME: NODE, ...extra };
}

beforeAll(async () => {
    const missing = [["etcd", "etcd-server"], ["etcdctl", "etcd-client"], ["openssl", "openssl"]].filter(([cmd]) => !onPath(cmd));
    if (missing.length > 0) {
        throw new Error(`this suite runs etcd for real and needs ${missing.map(([c, p]) => `${c} (Debian package ${p})`).join(", ")} on PATH; `
            + `tools/test.sh installs them, or: apt-get install -y ${missing.map(([, p]) => p).join(" ")}`);
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-backup-"));
    const scratch = path.join(work, "scratch");
    pki = path.join(work, "kubernetes", "pki");
    fs.mkdirSync(path.join(pki, "etcd"), { recursive: true });
    fs.mkdirSync(scratch);

    const etcdCa = makeCa(path.join(pki, "etcd"), "ca");
    const server = makeLeaf(path.join(pki, "etcd"), "server", etcdCa, scratch,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n");
    client = makeLeaf(path.join(pki, "etcd"), "healthcheck-client", etcdCa, scratch,
        "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n");
    // The rest of kubeadm's tree only has to come back byte for byte.
    for (const [file, content] of Object.entries({
        "ca.crt": "cluster CA\n", "ca.key": "cluster CA key\n", "sa.key": "service account key\n", "sa.pub": "service account public key\n",
        "front-proxy-ca.crt": "front proxy CA\n", "front-proxy-ca.key": "front proxy CA key\n", "apiserver.crt": "api server\n",
    })) {
        fs.writeFileSync(path.join(pki, file), content, { mode: file.endsWith(".key") ? 0o600 : 0o644 });
    }

    [plain, secured] = await Promise.all([
        Etcd.start("plain", path.join(work, "plain")),
        Etcd.start("secured", path.join(work, "secured"), { ...server, client }),
    ]);
    for (const [k, v] of Object.entries(KEYS)) {
        etcdctl(plain.url, "put", k, v);
    }
    etcdctl(secured.url, "--cacert", client.ca, "--cert", client.cert, "--key", client.key, "put", "/lsst/tls", "over https");
}, 40_000);

afterAll(async () => {
    await Promise.all([...running].map((e) => e.stop()));
    if (work) {
        fs.rmSync(work, { recursive: true, force: true });
    }
}, 20_000);

/** Restores a snapshot with `etcdctl snapshot restore` (3.4 syntax) and serves it from a new member. */
async function restore(snapshot: string): Promise<Etcd> {
    const name = `restored-${others.length + 1}`;
    const dataDir = path.join(work, name);
    const [peerPort] = await freePorts(1);
    const peer = `http://127.0.0.1:${peerPort}`;
    must("etcdctl", ["snapshot", "restore", snapshot, "--data-dir", dataDir,
        "--name", name, "--initial-cluster", `${name}=${peer}`, "--initial-advertise-peer-urls", peer], { ETCDCTL_API: "3" }, work);
    const etcd = await Etcd.start(name, dataDir);
    others.push(etcd);
    return etcd;
}

/** The value of a key, or undefined when it does not exist. */
function get(endpoint: string, key: string): string | undefined {
    // JSON leaves out an empty value.
    const out = JSON.parse(etcdctl(endpoint, "get", key, "-w", "json")) as { kvs?: { value?: string }[] };
    return out.kvs ? Buffer.from(out.kvs[0].value ?? "", "base64").toString("utf8") : undefined;
}

/** The files a successful run named in its log. */
function wrote(stderr: string): { snapshot: string; archive: string } {
    const names = [...stderr.matchAll(/wrote (\S+) \(sha256 [0-9a-f]{64}\)/g)].map((m) => m[1]);
    const snapshot = names.find((n) => SNAPSHOT_RE.test(n));
    const archive = names.find((n) => ARCHIVE_RE.test(n));
    if (!snapshot || !archive || names.length !== 2) {
        throw new Error(`the run did not report one snapshot and one archive:\n${stderr}`);
    }
    return { snapshot, archive };
}

// ---- the tests --------------------------------------------------------------------------------------

describe("etcd-backup.sh against a live etcd", () => {
    test("writes a verified snapshot and a PKI archive, 0600 each with a checksum, in a 0700 directory", async () => {
        const dir = newDir();
        const r = await backup(env(dir));
        expect(r.stderr).toMatch(/step snapshot\n/);
        expect(r.status).toBe(0);
        const { snapshot, archive } = wrote(r.stderr);
        expect(SNAPSHOT_RE.exec(snapshot)![1]).toBe(ARCHIVE_RE.exec(archive)![1]);
        expect(list(dir)).toEqual([snapshot, `${snapshot}.sha256`, archive, `${archive}.sha256`].sort());
        expect(mode(dir)).toBe(0o700);
        for (const f of list(dir)) {
            expect([f, mode(path.join(dir, f))]).toEqual([f, 0o600]);
        }
        for (const f of [snapshot, archive]) {
            expect(fs.readFileSync(path.join(dir, `${f}.sha256`), "utf8")).toBe(`${sha256(path.join(dir, f))}  ${f}\n`);
        }
        expect(must("sha256sum", ["-c", `${snapshot}.sha256`, `${archive}.sha256`], {}, dir)).toBe(`${snapshot}: OK\n${archive}: OK\n`);
        expect(r.stderr).toMatch(/revision \d+, \d+ keys, \d+ bytes/);

        // The archive is PKI_DIR under its own name, every file byte for byte with its mode.
        const out = path.join(work, "extracted");
        fs.mkdirSync(out);
        must("tar", ["-xzf", path.join(dir, archive), "-C", out]);
        expect(list(out)).toEqual(["pki"]);
        expect(tree(path.join(out, "pki"))).toEqual(tree(pki));
        expect(Object.keys(tree(pki))).toEqual(expect.arrayContaining(["etcd/ca.key", "etcd/healthcheck-client.key", "sa.key"]));

        // The snapshot restores into a new member that serves what was there, and nothing written since.
        etcdctl(plain.url, "put", "/lsst/after-the-backup", "x");
        const restored = await restore(path.join(dir, snapshot));
        for (const [k, v] of Object.entries(KEYS)) {
            expect([k, get(restored.url, k)]).toEqual([k, v]);
        }
        expect(get(restored.url, "/lsst/after-the-backup")).toBeUndefined();
        expect(get(plain.url, "/lsst/after-the-backup")).toBe("x");
    });

    test("over https with the kubeadm client-certificate layout, and refused with an untrusted certificate", async () => {
        const dir = newDir();
        const tlsEnv = { ETCD_ENDPOINTS: secured.url, ETCD_CACERT: client.ca, ETCD_CERT: client.cert, ETCD_KEY: client.key };
        const stranger = makeCa(path.join(work, "scratch"), "stranger");
        const denied = newDir();
        const [ok, refused] = await Promise.all([
            backup(env(dir, tlsEnv)),
            backup(env(denied, { ...tlsEnv, ETCD_CERT: stranger.cert, ETCD_KEY: stranger.key })),
        ]);
        expect(ok.stderr).toMatch(/snapshot from https:\/\/127\.0\.0\.1:\d+\n/);
        expect(ok.status).toBe(0);
        const { snapshot } = wrote(ok.stderr);
        const restored = await restore(path.join(dir, snapshot));
        expect(get(restored.url, "/lsst/tls")).toBe("over https");

        expect(refused.status).not.toBe(0);
        expect(refused.stderr).toContain(`${secured.url} does not answer`);
        expect(refused.stderr).toMatch(/step 'snapshot' failed: no endpoint in ETCD_ENDPOINTS=.*ETCD_CACERT, ETCD_CERT and ETCD_KEY/);
        expect(list(denied)).toEqual([]);
    });

    test("KEEP+2 runs keep exactly the newest KEEP snapshots and archives, and touch nothing else", async () => {
        const keep = 2;
        const dir = newDir();
        const old = "20200101T000000Z";
        const unrelated = [
            "notes.txt", "etcd-cp-2-20200101T000000Z.db", "etcd-cp-2-20200101T000000Z.db.sha256", "pki-cp-2-20200101T000000Z.tar.gz",
            "etcd-20200101T000000Z.db", `etcd-${NODE}-latest.db`, `etcd-${NODE}-${old}.db.bak`, `.etcd-backup-${NODE}.tmp.recent`,
        ];
        for (const f of [...unrelated, `etcd-${NODE}-${old}.db`, `etcd-${NODE}-${old}.db.sha256`, `pki-${NODE}-${old}.tar.gz`,
            `.etcd-backup-${NODE}.tmp.stale`]) {
            fs.writeFileSync(path.join(dir, f), `${f}\n`);
        }
        // A temporary file three hours old is what a killed run leaves; the next run removes it.
        const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
        fs.utimesSync(path.join(dir, `.etcd-backup-${NODE}.tmp.stale`), threeHoursAgo, threeHoursAgo);

        const runs: { snapshot: string; archive: string }[] = [];
        for (let i = 0; i < keep + 2; i++) {
            const r = await backup(env(dir, { KEEP: String(keep) }));
            expect(r.status).toBe(0);
            runs.push(wrote(r.stderr));
        }
        expect(new Set(runs.map((x) => x.snapshot)).size).toBe(keep + 2);
        const newest = runs.slice(-keep);
        expect(list(dir)).toEqual([
            ...unrelated,
            ...newest.flatMap((x) => [x.snapshot, `${x.snapshot}.sha256`, x.archive, `${x.archive}.sha256`]),
        ].sort());
        for (const f of unrelated) {
            expect(fs.readFileSync(path.join(dir, f), "utf8")).toBe(`${f}\n`);
        }
        expect(must("sha256sum", ["-c", ...newest.flatMap((x) => [`${x.snapshot}.sha256`, `${x.archive}.sha256`])], {}, dir)).not.toMatch(/FAILED/);
    });

    // Each case: the settings, what the message must say, whether BACKUP_DIR is given as an empty directory.
    const invalid: [string, (dir: string) => Record<string, string>, RegExp][] = [
        ["KEEP=0", (d) => env(d, { KEEP: "0" }), /KEEP='0' must be a whole number from 1/],
        ["KEEP=abc", (d) => env(d, { KEEP: "abc" }), /KEEP='abc' must be a whole number from 1/],
        ["KEEP=-1", (d) => env(d, { KEEP: "-1" }), /KEEP='-1' must be a whole number from 1/],
        ["KEEP=1.5", (d) => env(d, { KEEP: "1.5" }), /KEEP='1\.5' must be a whole number from 1/],
        ["BACKUP_DIR unset", (d) => { const e = env(d); delete e.BACKUP_DIR; return e; }, /BACKUP_DIR is not set/],
        ["BACKUP_DIR missing", (d) => env(path.join(d, "not-mounted")), /BACKUP_DIR='[^']*not-mounted' does not exist/],
        ["BACKUP_DIR relative", () => env("backups"), /BACKUP_DIR='backups' must be an absolute path/],
        ["BACKUP_DIR inside PKI_DIR", () => env(path.join(pki, "etcd")), /BACKUP_DIR='[^']*' is inside PKI_DIR/],
        ["PKI_DIR missing", (d) => env(d, { PKI_DIR: path.join(work, "no-pki") }), /PKI_DIR='[^']*no-pki' is not a readable directory/],
        ["ETCD_ENDPOINTS without a scheme", (d) => env(d, { ETCD_ENDPOINTS: "127.0.0.1:2379" }), /ETCD_ENDPOINTS entry '127\.0\.0\.1:2379' is not an http/],
        ["ETCD_ENDPOINTS with shell", (d) => env(d, { ETCD_ENDPOINTS: "http://x;touch /tmp/pwned" }), /ETCD_ENDPOINTS entry 'http:\/\/x;touch/],
        ["ETCD_ENDPOINTS with an empty entry", (d) => env(d, { ETCD_ENDPOINTS: `${plain.url},` }), /ETCD_ENDPOINTS='[^']*' has an empty entry/],
        ["https without its client certificate", (d) => env(d, { ETCD_ENDPOINTS: "https://127.0.0.1:2379", ETCD_CERT: path.join(work, "none.crt") }),
            /ETCD_CERT='[^']*none\.crt' is not a readable file/],
        ["NODE_NAME with a path", (d) => env(d, { NODE_NAME: "../evil" }), /NODE_NAME='\.\.\/evil' is not a Kubernetes node name/],
    ];
    test.each(invalid)("refuses %s, naming it, and writes nothing", async (_name, settings, message) => {
        const dir = newDir();
        const r = await backup(settings(dir));
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toMatch(/step 'config' failed: \d+ invalid setting/);
        expect(r.status).not.toBe(0);
        expect(list(dir)).toEqual([]);
        expect(fs.existsSync(path.join(dir, "not-mounted"))).toBe(false);
    });

    test("reports every invalid setting at once", async () => {
        const r = await backup({ KEEP: "x", NODE_NAME: "UPPER", PKI_DIR: "relative" });
        expect(r.status).not.toBe(0);
        for (const v of ["KEEP=", "NODE_NAME=", "PKI_DIR=", "BACKUP_DIR is not set", "ETCD_CACERT=", "ETCD_CERT=", "ETCD_KEY="]) {
            expect(r.stderr).toContain(v);
        }
    });

    // Both wait out the status timeout of the dead endpoint, so they run side by side.
    test("an unreachable endpoint fails, naming ETCD_ENDPOINTS and leaving nothing behind; a second endpoint that answers is used", async () => {
        const [dir, fallbackDir] = [newDir(), newDir()];
        const [port] = await freePorts(1);
        const dead = `http://127.0.0.1:${port}`;
        const started = Date.now();
        const [r, fallback] = await Promise.all([
            backup(env(dir, { ETCD_ENDPOINTS: dead })),
            backup(env(fallbackDir, { ETCD_ENDPOINTS: `${dead},${plain.url}` })),
        ]);
        expect(r.stderr).toContain(`${dead} does not answer`);
        expect(r.stderr).toContain(`step 'snapshot' failed: no endpoint in ETCD_ENDPOINTS=${dead} gave a snapshot (is etcd running there?)`);
        expect(r.status).not.toBe(0);
        expect(list(dir)).toEqual([]); // no snapshot, no etcdctl .part, no temporary file, no archive
        expect(Date.now() - started).toBeLessThan(20_000);

        expect(fallback.stderr).toContain(`${dead} does not answer`);
        expect(fallback.stderr).toContain(`snapshot from ${plain.url}\n`);
        expect(fallback.status).toBe(0);
        const { snapshot, archive } = wrote(fallback.stderr);
        expect(list(fallbackDir)).toEqual([snapshot, `${snapshot}.sha256`, archive, `${archive}.sha256`].sort());
    });

    test("a TERM during the snapshot (the job's deadline) stops etcdctl at once and leaves nothing behind", async () => {
        const dir = newDir();
        const [port] = await freePorts(1);
        // A dead endpoint keeps etcdctl waiting for its 5 s timeout.
        const child = spawn("bash", [SCRIPT], {
            env: { PATH: process.env.PATH, ...env(dir, { ETCD_ENDPOINTS: `http://127.0.0.1:${port}` }) }, stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
        await new Promise<void>((resolve) => child.stderr.setEncoding("utf8").on("data", (d: string) => {
            stderr += d;
            if (stderr.includes("step snapshot\n")) {
                resolve();
            }
        }));
        await new Promise((r) => setTimeout(r, 500));
        expect(list(dir).filter((f) => f.startsWith(`.etcd-backup-${NODE}.tmp.`)).length).toBeGreaterThan(0);
        const signalled = Date.now();
        child.kill("SIGTERM");
        expect(await closed).toBe(143);
        expect(Date.now() - signalled).toBeLessThan(2_000);
        expect(stderr).toContain("step 'snapshot' interrupted by SIGTERM");
        expect(list(dir)).toEqual([]);
        expect(run("pgrep", ["-f", dir]).stdout).toBe("");
    });

    test("a failing archive fails the run with its step named, and leaves no partial archive", async () => {
        const dir = newDir();
        const bin = path.join(work, "failing-tar");
        fs.mkdirSync(bin, { recursive: true });
        fs.writeFileSync(path.join(bin, "tar"), "#!/bin/sh\necho 'tar: simulated write error' >&2\nexit 2\n", { mode: 0o755 });
        const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
            const c = spawn("bash", [SCRIPT], { env: { ...env(dir), PATH: `${bin}:${process.env.PATH}` }, stdio: ["ignore", "ignore", "pipe"] });
            let stderr = "";
            c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
            c.on("close", (status) => resolve({ status, stderr }));
        });
        expect(r.stderr).toContain(`step 'pki-archive' failed: cannot archive PKI_DIR=${pki}: tar: simulated write error`);
        expect(r.status).not.toBe(0);
        // The snapshot before it is complete and kept; nothing of the archive is.
        const left = list(dir);
        expect(left).toHaveLength(2);
        expect(left[0]).toMatch(SNAPSHOT_RE);
        expect(left[1]).toBe(`${left[0]}.sha256`);
    });
});
