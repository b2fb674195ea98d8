/**
 * What a successful etcd-backup.sh run over plain http leaves: a verified snapshot that restores into a new
 * member and a byte-for-byte archive of PKI_DIR and CONFIG_DIR (PKI_DIR alone where CONFIG_DIR is missing
 * or empty, as on a control plane set up before it), 0600 with checksums in a 0700 directory, and, run
 * after run, only the newest KEEP of them.
 */
import * as fs from "fs";
import * as path from "path";
import { etcdctl, must } from "./etcd";
import {
    ARCHIVE_RE, backup, config, env, get, KEYS, list, liveEtcd, mode, NODE, newDir, pki, plain, restore, sha256, SNAPSHOT_RE, tree, work, wrote,
} from "./fixture";

liveEtcd({ secured: false });

describe("etcd-backup.sh against a live etcd", () => {
    test("writes a verified snapshot and an archive of PKI_DIR and CONFIG_DIR, 0600 each with a checksum, in a 0700 directory", async () => {
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

        // The archive is PKI_DIR and CONFIG_DIR, each under its own name, every file byte for byte with its mode.
        const out = path.join(work, "extracted");
        fs.mkdirSync(out);
        must("tar", ["-xzf", path.join(dir, archive), "-C", out]);
        expect(list(out)).toEqual(["lsst-k8s", "pki"]);
        expect(tree(path.join(out, "pki"))).toEqual(tree(pki));
        expect(tree(path.join(out, "lsst-k8s"))).toEqual(tree(config));
        expect(Object.keys(tree(pki))).toEqual(expect.arrayContaining(["etcd/ca.key", "etcd/healthcheck-client.key", "sa.key"]));
        expect(Object.keys(tree(config))).toEqual(["audit-policy.yaml", "encryption.yaml"]);
        expect(r.stderr).toMatch(/ \d+ entries of PKI_DIR, 3 of CONFIG_DIR\n/);
        expect(r.stderr).not.toContain("the archive holds PKI_DIR only");

        // The snapshot restores into a new member that serves what was there, and nothing written since.
        etcdctl(plain.url, "put", "/lsst/after-the-backup", "x");
        const restored = await restore(path.join(dir, snapshot));
        for (const [k, v] of Object.entries(KEYS)) {
            expect([k, get(restored.url, k)]).toEqual([k, v]);
        }
        expect(get(restored.url, "/lsst/after-the-backup")).toBeUndefined();
        expect(get(plain.url, "/lsst/after-the-backup")).toBe("x");
    });

    test("without CONFIG_DIR, or with it empty (a control plane set up before it), the archive holds PKI_DIR alone and the run says so", async () => {
        const [missingDir, emptyDir] = [newDir(), newDir()];
        const missing = path.join(work, "no-lsst-k8s", "lsst-k8s");
        const empty = path.join(work, "empty", "lsst-k8s");
        fs.mkdirSync(empty, { recursive: true });
        const [withoutIt, withItEmpty] = await Promise.all([
            backup(env(missingDir, { CONFIG_DIR: missing })),
            backup(env(emptyDir, { CONFIG_DIR: empty })),
        ]);
        for (const [r, dir, message] of [
            [withoutIt, missingDir, `CONFIG_DIR=${missing} does not exist: the archive holds PKI_DIR only`],
            [withItEmpty, emptyDir, `CONFIG_DIR=${empty} is empty: the archive holds PKI_DIR only`],
        ] as const) {
            expect(r.stderr).toContain(message);
            expect(r.status).toBe(0);
            const { archive } = wrote(r.stderr);
            const out = fs.mkdtempSync(path.join(work, "extracted-"));
            must("tar", ["-xzf", path.join(dir, archive), "-C", out]);
            expect(list(out)).toEqual(["pki"]);
            expect(tree(path.join(out, "pki"))).toEqual(tree(pki));
        }
        expect(fs.existsSync(missing)).toBe(false);
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
});
