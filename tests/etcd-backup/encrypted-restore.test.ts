/**
 * A restore of an encrypted etcd, for real (technote 004: the backup must work "even when etcd is
 * encrypted"): Debian's etcd 3.4 and etcdctl, and the kube-apiserver tools/upstream/build.sh makes, with
 * the encryption configuration the hosts tier installs (components/hosts/controlPlaneFiles.ts). A Secret
 * written through the API is stored encrypted under the configured key; etcd-backup.sh takes its snapshot
 * and its archive; everything of the first control plane is then removed, and a new etcd on the restored
 * snapshot with a new API server, given only what came out of the archive, serves the Secret again. An API
 * server with another key cannot read it: the key in the archive is what makes the restore work.
 *
 * The whole chain is etcd 3.4 because etcdctl 3.4's `snapshot restore` writes a data directory only a 3.4
 * member serves, and no etcdutl is on this machine; the encryption is the API server's, whatever etcd holds it.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import * as yaml from "js-yaml";
import { encryptionConfiguration, encryptionKeyName } from "../../components/hosts/controlPlaneFiles";
import { ApiServer, request } from "../../tools/e2e/api";
import { builtPaths } from "../../tools/e2e/controlPlane";
import { freePort, Processes, until } from "../../tools/e2e/processes";
import { must, onPath } from "./etcd";
import { backup, list, mode, NODE, wrote } from "./fixture";

const NAMESPACE = "restore-check";
const SECRET = "db-password";
const VALUE = `the value only the key unlocks ${crypto.randomBytes(12).toString("hex")}`;
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

let procs: Processes | undefined;
let apiServerBinary: string;

beforeAll(() => {
    const missing = [["etcd", "etcd-server"], ["etcdctl", "etcd-client"]].filter(([cmd]) => !onPath(cmd));
    if (missing.length > 0) {
        throw new Error(`this suite runs etcd for real and needs ${missing.map(([c, p]) => `${c} (Debian package ${p})`).join(", ")} on PATH; `
            + `tools/test.sh installs them, or: apt-get install -y ${missing.map(([, p]) => p).join(" ")}`);
    }
    // The first run on a machine builds it (minutes); later runs find it in the cache.
    [apiServerBinary] = builtPaths(["kube-apiserver"]);
    procs = new Processes("encrypted-restore");
}, 900_000);

afterAll(() => procs?.stopAll());

function processes(): Processes {
    if (!procs) {
        throw new Error("beforeAll did not start");
    }
    return procs;
}

/** A one-member etcd on DATA_DIR (the restored one gives the peer port its restore was made for). */
async function startEtcd(name: string, dataDir: string, peerPort?: number): Promise<string> {
    const p = processes();
    const [client, peer] = [await freePort(), peerPort ?? await freePort()];
    const url = `http://127.0.0.1:${client}`;
    p.start(name, "etcd", [
        "--name", name, "--data-dir", dataDir, "--listen-client-urls", url, "--advertise-client-urls", url,
        "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
        "--initial-cluster", `${name}=http://127.0.0.1:${peer}`,
    ], { env: { PATH: process.env.PATH } }); // etcd reads ETCD_* variables as flags
    await until(`etcd ${name} to be healthy`, 15_000, () => healthy(url), () => p.checkAlive());
    return url;
}

function healthy(url: string): Promise<boolean> {
    return new Promise((resolve) => {
        const req = http.get(`${url}/health`, { timeout: 1000 }, (res) => {
            let body = "";
            res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve(/"health":\s*"true"/.test(body)));
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => req.destroy());
    });
}

/**
 * An API server on ETCD with the service-account keys of PKI (kubeadm's sa.key and sa.pub) and the
 * encryption configuration ENCRYPTION; its admin token and serving certificate in a directory of its own.
 * Returned once READY says it serves (default: /readyz answers 200).
 */
async function startApiServer(name: string, etcd: string, pki: string, encryption: string,
    ready: (api: ApiServer) => Promise<boolean> = async (api) => (await request(api, "GET", "/readyz")).status === 200): Promise<ApiServer> {
    const p = processes();
    const dir = path.join(p.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    const token = crypto.randomBytes(24).toString("hex");
    const tokens = path.join(dir, "tokens.csv");
    fs.writeFileSync(tokens, `${token},restore-admin,restore-admin,"system:masters"\n`, { mode: 0o600 });
    const port = await freePort();
    const certDir = path.join(dir, "certs");
    p.start(name, apiServerBinary, [
        `--etcd-servers=${etcd}`, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${port}`,
        `--cert-dir=${certDir}`, `--token-auth-file=${tokens}`, "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${path.join(pki, "sa.pub")}`, `--service-account-signing-key-file=${path.join(pki, "sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/12", `--encryption-provider-config=${encryption}`, "--profiling=false",
    ]);
    const crt = path.join(certDir, "apiserver.crt");
    await until(`${name}'s serving certificate`, 30_000, () => fs.existsSync(crt), () => p.checkAlive());
    // No kubeconfig: nothing here runs kubectl.
    const api: ApiServer = { url: `https://127.0.0.1:${port}`, ca: fs.readFileSync(crt, "utf8"), token, kubeconfig: "" };
    await until(`${name} to be ready`, 30_000, async () => {
        try {
            return await ready(api);
        } catch {
            return false;
        }
    }, () => p.checkAlive());
    return api;
}

/** The bytes etcd holds under KEY (etcdctl's JSON gives them in base64, so binary values come through whole). */
function raw(etcd: string, key: string): Buffer {
    const out = JSON.parse(must("etcdctl", ["--endpoints", etcd, "get", key, "-w", "json"], { ETCDCTL_API: "3" })) as { kvs?: { value?: string }[] };
    if (!out.kvs) {
        throw new Error(`etcd at ${etcd} holds no ${key}`);
    }
    return Buffer.from(out.kvs[0].value ?? "", "base64");
}

/** An encryption configuration with a fresh key, as controlPlaneFiles.ts renders it, in FILE (0600); returns the key. */
function writeEncryption(file: string): string {
    const key = crypto.randomBytes(32).toString("base64");
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, yaml.dump(encryptionConfiguration(key)), { mode: 0o600 });
    return key;
}

describe("an etcd with encrypted Secrets", () => {
    test("comes back from etcd-backup.sh's snapshot and archive alone, and only with the key the archive holds", async () => {
        const p = processes();
        // ---- the control plane before the disaster: /etc/kubernetes as NODE/kubernetes ----------------
        const node = path.join(p.dir, "node");
        const pki = path.join(node, "kubernetes", "pki");
        const config = path.join(node, "kubernetes", "lsst-k8s");
        fs.mkdirSync(pki, { recursive: true });
        const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
        fs.writeFileSync(path.join(pki, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
        fs.writeFileSync(path.join(pki, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
        const key = writeEncryption(path.join(config, "encryption.yaml"));
        const encryptionFile = fs.readFileSync(path.join(config, "encryption.yaml"));

        const etcd = await startEtcd("etcd", path.join(node, "etcd"));
        const api = await startApiServer("kube-apiserver", etcd, pki, path.join(config, "encryption.yaml"));
        expect((await request(api, "POST", "/api/v1/namespaces", { metadata: { name: NAMESPACE } })).status).toBe(201);
        const created = await request(api, "POST", `/api/v1/namespaces/${NAMESPACE}/secrets`, { metadata: { name: SECRET }, data: { value: b64(VALUE) } });
        expect([created.status, created.body.message]).toEqual([201, undefined]);
        // The same value in a ConfigMap, which is not encrypted: etcd shows it in the clear, so the check
        // below that the Secret's bytes do not hold it can fail.
        const cm = await request(api, "POST", `/api/v1/namespaces/${NAMESPACE}/configmaps`, { metadata: { name: SECRET }, data: { value: VALUE } });
        expect(cm.status).toBe(201);

        const stored = raw(etcd, `/registry/secrets/${NAMESPACE}/${SECRET}`);
        const prefix = `k8s:enc:secretbox:v1:${encryptionKeyName(key)}:`;
        expect(stored.subarray(0, prefix.length).toString("latin1")).toBe(prefix);
        expect(stored.includes(VALUE)).toBe(false);
        expect(stored.includes(b64(VALUE))).toBe(false);
        expect(raw(etcd, `/registry/configmaps/${NAMESPACE}/${SECRET}`).includes(VALUE)).toBe(true);

        // ---- the backup, as the CronJob runs it -------------------------------------------------------
        const backups = path.join(p.dir, "backups");
        fs.mkdirSync(backups);
        const run = await backup({ ETCD_ENDPOINTS: etcd, PKI_DIR: pki, CONFIG_DIR: config, BACKUP_DIR: backups, NODE_NAME: NODE });
        expect(run.stderr).toMatch(/ \d+ entries of PKI_DIR, 2 of CONFIG_DIR\n/);
        expect(run.status).toBe(0);
        const { snapshot, archive } = wrote(run.stderr);

        // ---- the disaster: the control plane and everything on it are gone ------------------------------
        p.stop("kube-apiserver");
        p.stop("etcd");
        fs.rmSync(node, { recursive: true, force: true });

        // ---- the restore: README's procedure, from the backup directory alone -------------------------
        expect(must("sha256sum", ["-c", `${snapshot}.sha256`, `${archive}.sha256`], {}, backups)).toBe(`${snapshot}: OK\n${archive}: OK\n`);
        const restored = path.join(p.dir, "restored");
        const etcKubernetes = path.join(restored, "kubernetes");
        fs.mkdirSync(etcKubernetes, { recursive: true });
        must("tar", ["-C", etcKubernetes, "-xzf", path.join(backups, archive)]);
        expect(list(etcKubernetes)).toEqual(["lsst-k8s", "pki"]);
        const restoredEncryption = path.join(etcKubernetes, "lsst-k8s", "encryption.yaml");
        expect(fs.readFileSync(restoredEncryption).equals(encryptionFile)).toBe(true);
        expect(mode(restoredEncryption)).toBe(0o600);

        const peer = await freePort();
        must("etcdctl", ["snapshot", "restore", path.join(backups, snapshot), "--data-dir", path.join(restored, "etcd"), "--name", "restored",
            "--initial-cluster", `restored=http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`],
        { ETCDCTL_API: "3" }, restored);
        const restoredEtcd = await startEtcd("restored", path.join(restored, "etcd"), peer);
        expect(raw(restoredEtcd, `/registry/secrets/${NAMESPACE}/${SECRET}`).equals(stored)).toBe(true);

        const strangerEncryption = path.join(p.dir, "stranger", "encryption.yaml");
        const strangerKey = writeEncryption(strangerEncryption);
        expect(encryptionKeyName(strangerKey)).not.toBe(encryptionKeyName(key));
        const restoredPki = path.join(etcKubernetes, "pki");
        const [withArchivedKey, withOtherKey] = await Promise.all([
            startApiServer("restored-kube-apiserver", restoredEtcd, restoredPki, restoredEncryption),
            // It never becomes ready (below): it is started once it reads what is not encrypted.
            startApiServer("other-key-kube-apiserver", restoredEtcd, restoredPki, strangerEncryption, async (api) =>
                (await request(api, "GET", `/api/v1/namespaces/${NAMESPACE}/configmaps/${SECRET}`)).status === 200),
        ]);

        const secretPath = `/api/v1/namespaces/${NAMESPACE}/secrets/${SECRET}`;
        const back = await request(withArchivedKey, "GET", secretPath);
        expect(back.status).toBe(200);
        expect(Buffer.from(String((back.body.data as Record<string, string>).value), "base64").toString("utf8")).toBe(VALUE);

        // With another key the same data is there (the ConfigMap reads, as startApiServer waited for), but
        // the Secret is not: its prefix names a key this configuration does not have. Nor does that API
        // server ever become ready: it cannot list the Secrets its own informers need.
        const refused = await request(withOtherKey, "GET", secretPath);
        expect([refused.status, refused.body.reason]).toEqual([500, "InternalError"]);
        expect(String(refused.body.message)).toMatch(/no matching key was found for the provided Secretbox transformer/);
        expect(JSON.stringify(refused.body)).not.toContain(b64(VALUE));
        const notReady = await request(withOtherKey, "GET", "/readyz?verbose");
        expect(notReady.status).toBe(500);
        expect(String(notReady.body.message)).toContain("[-]informer-sync failed");
        // Nothing the other API server did changed the Secret: the same bytes, which the archived key still reads.
        expect(raw(restoredEtcd, `/registry/secrets/${NAMESPACE}/${SECRET}`).equals(stored)).toBe(true);
        expect((await request(withArchivedKey, "GET", secretPath)).status).toBe(200);
    }, 120_000);
});
