/**
 * etcd-backup.sh when something fails under it: an endpoint that does not answer (and one after it that
 * does), a TERM at the job's deadline, and an archive that cannot be written. Each failure leaves no
 * partial file behind.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freePorts, run } from "./etcd";
import { backup, config, env, list, liveEtcd, NODE, newDir, pki, plain, SCRIPT, SNAPSHOT_RE, work, wrote } from "./fixture";

liveEtcd({ secured: false });

describe("etcd-backup.sh against a live etcd", () => {
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
        expect(r.stderr).toContain(`step 'pki-archive' failed: cannot archive PKI_DIR=${pki} and CONFIG_DIR=${config}: tar: simulated write error`);
        expect(r.status).not.toBe(0);
        // The snapshot before it is complete and kept; nothing of the archive is.
        const left = list(dir);
        expect(left).toHaveLength(2);
        expect(left[0]).toMatch(SNAPSHOT_RE);
        expect(left[1]).toBe(`${left[0]}.sha256`);
    });
});
