/**
 * etcd-backup.sh over https with client-certificate authentication laid out the way kubeadm lays out
 * /etc/kubernetes/pki/etcd, and refused by etcd with a certificate its CA did not sign.
 */
import * as path from "path";
import { backup, client, env, get, list, liveEtcd, makeCa, newDir, restore, secured, work, wrote } from "./fixture";

liveEtcd({ secured: true });

describe("etcd-backup.sh against a live etcd", () => {
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
});
