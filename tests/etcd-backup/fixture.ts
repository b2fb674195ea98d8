/**
 * What each etcd-backup.sh suite runs against: components/platform/scripts/etcd-backup.sh under bash with
 * nothing of this process's environment but PATH, a PKI_DIR laid out the way kubeadm lays out
 * /etc/kubernetes/pki, a CONFIG_DIR holding what the hosts tier puts in /etc/kubernetes/lsst-k8s (the
 * encryption key among it), and etcd members (./etcd) on 127.0.0.1: plain http the way the brief allows for
 * tests, and https with client-certificate authentication by pki/etcd. Every snapshot a test keeps is
 * restored with `etcdctl snapshot restore` into another member, which must serve the keys written before
 * the backup.
 *
 * A test file calls liveEtcd once, at its top level, to get its own PKI and members for its own tests.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { auditPolicy, encryptionConfiguration } from "../../components/hosts/controlPlaneFiles";
import { Etcd, etcdctl, freePorts, must, onPath, stopAll, Tls } from "./etcd";

export const SCRIPT = path.join(__dirname, "..", "..", "components", "platform", "scripts", "etcd-backup.sh");
export const NODE = "cp-1";
const STAMP = "[0-9]{8}T[0-9]{6}Z";
export const SNAPSHOT_RE = new RegExp(`^etcd-${NODE}-(${STAMP})\\.db$`);
export const ARCHIVE_RE = new RegExp(`^pki-${NODE}-(${STAMP})\\.tar\\.gz$`);
export const KEYS: Record<string, string> = {
    "/registry/secrets/default/db": "s3cret value with spaces",
    "/registry/configmaps/kube-system/kubeadm-config": "clusterName: lsst\nkubernetesVersion: v1.35.0\n",
    "/lsst/empty": "",
};

/** The script, with nothing of this process's environment but PATH. Asynchronous so slow runs can overlap. */
export function backup(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
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

// ---- files ------------------------------------------------------------------------------------------

export const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
export const mode = (p: string) => fs.statSync(p).mode & 0o777;
export const list = (dir: string) => fs.readdirSync(dir).sort();

/** Every file under dir, by relative path, with its content and mode. */
export function tree(dir: string): Record<string, { content: string; mode: number }> {
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
export function makeCa(dir: string, name: string): Tls {
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

export let work: string;
export let pki: string; // <work>/kubernetes/pki, laid out like kubeadm's
export let config: string; // <work>/kubernetes/lsst-k8s, the API server's own files as the hosts tier writes them
export let client: Tls; // pki/etcd/ca.crt and pki/etcd/healthcheck-client.{crt,key}
export let plain: Etcd; // http, no authentication
export let secured: Etcd; // https, client certificates signed by pki/etcd/ca required; started only on request
const others: Etcd[] = []; // the restored members

let dirCount = 0;
export function newDir(): string {
    const d = path.join(work, `backups-${++dirCount}`);
    fs.mkdirSync(d, { mode: 0o755 });
    fs.chmodSync(d, 0o755);
    return d;
}

export function env(backupDir: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ETCD_ENDPOINTS: plain.url, PKI_DIR: pki, CONFIG_DIR: config, BACKUP_DIR: backupDir, NODE_NAME: NODE, ...extra };
}

/**
 * Registers this file's beforeAll and afterAll: the PKI, the plain member holding KEYS, and the secured
 * one holding /lsst/tls when MEMBERS asks for it. afterAll stops every member the file started, the
 * restored ones too, whether beforeAll got that far or not.
 */
export function liveEtcd(members: { secured: boolean }): void {
    beforeAll(async () => {
        const missing = [["etcd", "etcd-server"], ["etcdctl", "etcd-client"], ["openssl", "openssl"]].filter(([cmd]) => !onPath(cmd));
        if (missing.length > 0) {
            throw new Error(`this suite runs etcd for real and needs ${missing.map(([c, p]) => `${c} (Debian package ${p})`).join(", ")} on PATH; `
                + `tools/test.sh installs them, or: apt-get install -y ${missing.map(([, p]) => p).join(" ")}`);
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-backup-"));
        const scratch = path.join(work, "scratch");
        pki = path.join(work, "kubernetes", "pki");
        config = path.join(work, "kubernetes", "lsst-k8s");
        fs.mkdirSync(path.join(pki, "etcd"), { recursive: true });
        fs.mkdirSync(config, { mode: 0o700 });
        for (const [file, doc] of Object.entries({
            "encryption.yaml": encryptionConfiguration(crypto.randomBytes(32).toString("base64")), "audit-policy.yaml": auditPolicy(),
        })) {
            fs.writeFileSync(path.join(config, file), yaml.dump(doc), { mode: 0o600 });
        }
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
            ...(members.secured ? [Etcd.start("secured", path.join(work, "secured"), { ...server, client })] : []),
        ]);
        for (const [k, v] of Object.entries(KEYS)) {
            etcdctl(plain.url, "put", k, v);
        }
        if (members.secured) {
            etcdctl(secured.url, "--cacert", client.ca, "--cert", client.cert, "--key", client.key, "put", "/lsst/tls", "over https");
        }
    }, 40_000);

    afterAll(async () => {
        await stopAll();
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    }, 20_000);
}

/** Restores a snapshot with `etcdctl snapshot restore` (3.4 syntax) and serves it from a new member. */
export async function restore(snapshot: string): Promise<Etcd> {
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
export function get(endpoint: string, key: string): string | undefined {
    // JSON leaves out an empty value.
    const out = JSON.parse(etcdctl(endpoint, "get", key, "-w", "json")) as { kvs?: { value?: string }[] };
    return out.kvs ? Buffer.from(out.kvs[0].value ?? "", "base64").toString("utf8") : undefined;
}

/** The files a successful run named in its log. */
export function wrote(stderr: string): { snapshot: string; archive: string } {
    const names = [...stderr.matchAll(/wrote (\S+) \(sha256 [0-9a-f]{64}\)/g)].map((m) => m[1]);
    const snapshot = names.find((n) => SNAPSHOT_RE.test(n));
    const archive = names.find((n) => ARCHIVE_RE.test(n));
    if (!snapshot || !archive || names.length !== 2) {
        throw new Error(`the run did not report one snapshot and one archive:\n${stderr}`);
    }
    return { snapshot, archive };
}
