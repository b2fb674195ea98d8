/**
 * The settings etcd-backup.sh refuses before it takes a snapshot, each by name and all of them at once.
 * ETCD_ENDPOINTS points at a live member, so a refusal is the script's and not an endpoint that fails to answer.
 */
import * as fs from "fs";
import * as path from "path";
import { backup, config, env, list, liveEtcd, newDir, pki, plain, work } from "./fixture";

liveEtcd({ secured: false });

describe("etcd-backup.sh against a live etcd", () => {
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
        ["CONFIG_DIR relative", (d) => env(d, { CONFIG_DIR: "lsst-k8s" }), /CONFIG_DIR='lsst-k8s' must be an absolute path/],
        ["CONFIG_DIR with ..", (d) => env(d, { CONFIG_DIR: `${config}/../lsst-k8s` }), /CONFIG_DIR='[^']*\/\.\.\/lsst-k8s' must be an absolute path/],
        ["CONFIG_DIR inside PKI_DIR", (d) => env(d, { CONFIG_DIR: path.join(pki, "etcd") }), /CONFIG_DIR='[^']*' and PKI_DIR='[^']*' overlap/],
        ["CONFIG_DIR named like PKI_DIR", (d) => env(d, { CONFIG_DIR: path.join(work, "other", "pki") }), /CONFIG_DIR='[^']*other\/pki' has the same name as PKI_DIR/],
        ["CONFIG_DIR a file", (d) => env(d, { CONFIG_DIR: path.join(config, "encryption.yaml") }), /CONFIG_DIR='[^']*encryption\.yaml' is not a readable directory/],
        ["BACKUP_DIR inside CONFIG_DIR", () => env(config), /BACKUP_DIR='[^']*' is inside CONFIG_DIR/],
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
        const r = await backup({ KEEP: "x", NODE_NAME: "UPPER", PKI_DIR: "relative", CONFIG_DIR: "also-relative" });
        expect(r.status).not.toBe(0);
        for (const v of ["KEEP=", "NODE_NAME=", "PKI_DIR=", "CONFIG_DIR=", "BACKUP_DIR is not set", "ETCD_CACERT=", "ETCD_CERT=", "ETCD_KEY="]) {
            expect(r.stderr).toContain(v);
        }
    });
});
