/**
 * One run at a time of each action on a host (lib.sh's lock_action): a run whose SSH session dropped
 * goes on, and the retry pulumi makes must be refused while it does, then succeed once it is over. Two
 * real runs of reset.sh overlap in one sandbox (the kubeadm stand-in holds the first halfway, until the
 * test lets it go); the lock is the real flock on a file under the sandbox's /run/lsst-k8s.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import { createSandbox, expectSuccess, JOIN_TOOLS, LEAKS, LOCK_DIR, RESET_TOOLS, RunResult, Sandbox, writeBundle } from "../sandbox";
import { drainBundle, joinBundle, lines, nodeNamed, resetBundle } from "../sandbox/joins";
import { addWeave, drainHost, live, nodesOf, PREPARED, TEST, WORKER } from "./fixtures";

/** A worker that joined for real, ran Weave, and is about to be reset. */
function joinedWorker(): Sandbox {
    const sb = createSandbox({ standIns: ["id", "ip", "kubeadm", "kubectl"], tools: [...new Set([...JOIN_TOOLS, ...RESET_TOOLS])], ...PREPARED });
    live.push(sb);
    writeBundle(joinBundle(TEST, WORKER), sb.workDir);
    writeBundle(resetBundle(TEST, WORKER), sb.workDir);
    expectSuccess(sb.run("join.sh"));
    addWeave(sb);
    return sb;
}

async function until(what: string, done: () => boolean): Promise<void> {
    for (let i = 0; i < 400; i++) {
        if (done()) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
}

/** Starts reset.sh and waits until it is inside `kubeadm reset`, holding its lock; `done` is its end. */
async function heldReset(sb: Sandbox): Promise<{ done: Promise<RunResult> }> {
    sb.writeState("kubeadm-reset-hold", "yes\n");
    const done = sb.start("reset.sh");
    await until("the first reset to reach kubeadm", () => sb.readState("kubeadm-reset-held") !== undefined);
    return { done };
}

/** Whether nothing holds the lock FILE, asked with the real flock from outside the sandbox. */
function free(file: string): boolean {
    return spawnSync("flock", ["-n", file, "true"]).status === 0;
}

function release(sb: Sandbox): void {
    fs.rmSync(`${sb.stateDir}/kubeadm-reset-hold`, { force: true });
}

/** Runs WHILST while the held reset goes on, then lets that reset finish, whatever WHILST did. */
function letGo<T>(sb: Sandbox, whilst: () => T): T {
    try {
        return whilst();
    } finally {
        release(sb);
    }
}

const HELD = /^reset\.sh: not started: another run of reset\.sh for test-node001 is still going on this host \(pid (\d+) holds \/run\/lsst-k8s\/reset\.sh@test-node001\.lock\)\.$/;

describe("one run of an action at a time on a host", () => {
    test("a second reset.sh while the first runs is refused (exit 75) naming the action and what to do; after the first, a run succeeds", async () => {
        const sb = joinedWorker();
        const first = await heldReset(sb);
        // Refused before it looked at anything: the host is as the first run found it.
        const [second, untouched] = letGo(sb, () => [sb.run("reset.sh"), sb.existsRoot("etc/kubernetes/kubelet.conf")] as const);
        const done = await first.done;
        expect(second.stderr).not.toMatch(LEAKS);
        expect(second.status).toBe(75);
        expect(second.calls).toEqual([]);
        expect(second.stdout).toBe("");
        const said = lines(second.stderr);
        expect(said).toHaveLength(2);
        const pid = HELD.exec(said[0])?.[1];
        expect(pid).toMatch(/^\d+$/);
        expect(said[1]).toBe("reset.sh: It is most likely a run whose SSH connection dropped: wait for it to end, then retry. "
            + `To see what it is doing: ps -o pid,etime,args -p ${pid} --ppid ${pid}`);
        expect(untouched).toBe(true);

        expectSuccess(done);
        expect(done.stderr).toContain("reset.sh:   changed: kubeadm reset");
        expect(sb.readState("kubeadm/resets")).toBe("reset\n");

        const later = sb.run("reset.sh");
        expectSuccess(later);
        expect(lines(later.stderr)).toEqual([
            "reset.sh: step reset", "reset.sh:   this host is not part of a cluster", "reset.sh: step cleanup", "reset.sh: done: 0 change(s)",
        ]);
    });

    test("another action on the same host is not held up by it", async () => {
        const sb = joinedWorker();
        const first = await heldReset(sb);
        const join = letGo(sb, () => sb.run("join.sh"));
        const done = await first.done;
        expectSuccess(join);
        expect(lines(join.stderr)).toContain("join.sh:   /etc/kubernetes/kubelet.conf exists: this host has already joined");
        expectSuccess(done);
    });

    test("the lock goes with the run: one killed halfway (with its children) leaves nothing that blocks the next", async () => {
        const sb = joinedWorker();
        sb.writeState("kubeadm-reset-hold", "yes\n");
        // The whole process group, as when the host kills a session's processes; bash directly, detached.
        const child = spawn("bash", ["-c", `exec ${JSON.stringify(sb.binDir)}/bash ${JSON.stringify(`${sb.workDir}/reset.sh`)}`], {
            detached: true, stdio: "ignore",
            env: { PATH: sb.binDir, HOME: sb.dir, LSST_K8S_ROOT: sb.root, LC_ALL: "C" },
            ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
        });
        const exited = new Promise((resolve) => child.on("exit", resolve));
        let during;
        try {
            await until("the reset to reach kubeadm", () => sb.readState("kubeadm-reset-held") !== undefined);
            during = sb.run("reset.sh").status;
        } finally {
            process.kill(-(child.pid as number), "SIGKILL");
            await exited;
        }
        expect(during).toBe(75);
        release(sb);
        await until("the lock to be free", () => free(sb.rootPath(`${LOCK_DIR}/reset.sh@test-node001.lock`)));
        const next = sb.run("reset.sh");
        expectSuccess(next);
        expect(next.calls).toContain("kubeadm reset --force");
    });

    test("the first control plane drains two leaving nodes at once: the lock is per node there", async () => {
        const sb = drainHost(WORKER, { nodes: { "test-node001": "Ready yes 2", "test-node002": "Ready yes 1" } });
        // A drain of test-node001 still going: its lock held by a process outside the sandbox.
        const lock = sb.rootPath(`${LOCK_DIR}/drain.sh@test-node001.lock`);
        fs.writeFileSync(lock, "");
        const holder = spawn("flock", [lock, "sleep", "20"], { stdio: "ignore" });
        try {
            await until("the holder to take the lock", () => !free(lock));
            const held = sb.run("drain.sh");
            expect(held.status).toBe(75);
            expect(held.calls).toEqual([]);
            expect(lines(held.stderr)[0]).toMatch(/^drain\.sh: not started: another run of drain\.sh for test-node001 is still going on this host/);

            writeBundle(drainBundle(nodeNamed(TEST, "test-node002")), sb.workDir);
            const other = sb.run("drain.sh");
            expectSuccess(other);
            expect(other.stderr).toContain("drain.sh:   changed: deleted node test-node002");
            expect(nodesOf(sb)).toEqual({ "test-node001": "Ready yes 2" });
        } finally {
            holder.kill("SIGKILL");
        }
    });
});
