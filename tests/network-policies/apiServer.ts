/**
 * A bare etcd and kube-apiserver of the pinned version (tools/upstream/build.sh, cached after the
 * first build), for the NetworkPolicy suite to create its objects on: the API server's own validation
 * of networking.k8s.io/v1, with no controller and no dataplane. Processes are tracked by the tier's
 * Processes, which stops them by their group ids and removes the directory.
 */
import { generateKeyPairSync, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ApiServer, request } from "../../tools/e2e/api";
import { freePort, Processes, until } from "../../tools/e2e/processes";

export async function startApiServer(p: Processes, etcdBin: string, apiBin: string): Promise<ApiServer> {
    const [client, peer, secure] = [await freePort(), await freePort(), await freePort()];
    const etcd = `http://127.0.0.1:${client}`;
    // etcd reads ETCD_* variables as flags: it gets PATH only.
    p.start("etcd", etcdBin, [
        "--data-dir", path.join(p.dir, "etcd"), "--name", "netpol",
        "--listen-client-urls", etcd, "--advertise-client-urls", etcd,
        "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
        "--initial-cluster", `netpol=http://127.0.0.1:${peer}`, "--log-level", "warn",
    ], { env: { PATH: process.env.PATH } });
    const token = randomBytes(24).toString("hex");
    const tokens = path.join(p.dir, "tokens.csv");
    fs.writeFileSync(tokens, `${token},netpol-admin,netpol-admin,"system:masters"\n`, { mode: 0o600 });
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(p.dir, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
    fs.writeFileSync(path.join(p.dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    const certDir = path.join(p.dir, "certs");
    p.start("kube-apiserver", apiBin, [
        `--etcd-servers=${etcd}`, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${secure}`,
        `--cert-dir=${certDir}`, `--token-auth-file=${tokens}`, "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${path.join(p.dir, "sa.pub")}`, `--service-account-signing-key-file=${path.join(p.dir, "sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/12", "--profiling=false",
    ]);
    const crt = path.join(certDir, "apiserver.crt");
    await until("the API server's serving certificate", 30_000, () => fs.existsSync(crt), () => p.checkAlive());
    const server: ApiServer = { url: `https://127.0.0.1:${secure}`, ca: fs.readFileSync(crt, "utf8"), token, kubeconfig: "" };
    await until("the API server to be ready", 60_000, async () => {
        try {
            return (await request(server, "GET", "/readyz")).status === 200;
        } catch {
            return false;
        }
    }, () => p.checkAlive());
    return server;
}
