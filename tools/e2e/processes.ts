/**
 * The processes and the temporary directory a tier starts, stopped by pid and removed on every exit
 * path: a normal end, a thrown error, Ctrl-C or a kill of the tier itself. Each process runs in a
 * process group of its own (detached), so a stop reaches whatever it started too.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

interface Started {
    readonly name: string;
    readonly child: ChildProcess;
    readonly log: string;
}

export class Processes {
    /** The tier's temporary directory; removed by stopAll. */
    readonly dir: string;
    private readonly started: Started[] = [];
    private stopped = false;
    private readonly onSignal = (signal: NodeJS.Signals) => {
        this.stopAll();
        process.exit(signal === "SIGINT" ? 130 : 143);
    };
    private readonly onExit = () => this.stopAll();

    constructor(prefix: string) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `lsst-k8s-${prefix}-`));
        process.once("SIGINT", this.onSignal);
        process.once("SIGTERM", this.onSignal);
        process.once("exit", this.onExit);
    }

    /** Starts COMMAND with ARGS, its output to DIR/logs/NAME.log; OPTIONS: its cwd and environment (default ours). */
    start(name: string, command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
        const logs = path.join(this.dir, "logs");
        fs.mkdirSync(logs, { recursive: true });
        const log = path.join(logs, `${name}.log`);
        const fd = fs.openSync(log, "a");
        const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", fd, fd] });
        fs.closeSync(fd);
        this.started.push({ name, child, log });
        return child;
    }

    /** Stops the process started as NAME (and its group) now, as stopAll does. */
    stop(name: string): void {
        stopGroups(this.started.filter((s) => s.name === name).map((s) => s.child));
        this.started.splice(0, this.started.length, ...this.started.filter((s) => s.name !== name));
    }

    /** The last lines a process logged, for a failure message. */
    tail(name: string, lines = 15): string {
        const s = this.started.find((p) => p.name === name);
        if (!s || !fs.existsSync(s.log)) {
            return "";
        }
        return fs.readFileSync(s.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    }

    /** Throws, with its log, when a process has already ended. */
    checkAlive(): void {
        for (const s of this.started) {
            if (s.child.exitCode !== null || s.child.signalCode !== null) {
                throw new Error(`${s.name} exited (${s.child.exitCode ?? s.child.signalCode}); its log ends:\n${this.tail(s.name)}`);
            }
        }
    }

    /**
     * Stops every process: SIGTERM to each one's group, then, after a grace period of 2 s for them all,
     * SIGKILL to whatever is left (the API server and etcd take longer to drain, and their data is
     * thrown away). Synchronous, so it also runs from the process's exit handler. Then
     * removes the directory, unless LSST_K8S_KEEP is set.
     */
    stopAll(): void {
        if (this.stopped) {
            return;
        }
        this.stopped = true;
        process.removeListener("SIGINT", this.onSignal);
        process.removeListener("SIGTERM", this.onSignal);
        process.removeListener("exit", this.onExit);
        stopGroups(this.started.map((s) => s.child));
        if (process.env.LSST_K8S_KEEP) {
            process.stderr.write(`e2e: kept ${this.dir}\n`);
        } else {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }
}

/** True while PID runs; a zombie (ended, not yet reaped: the event loop is blocked while stopping) has not. */
export function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
        return false;
    }
}

/** SIGTERM to each child's group, up to 2 s for them all to end, then SIGKILL to whatever is left. */
function stopGroups(children: readonly ChildProcess[]): void {
    const pids = children.map((c) => c.pid).filter((p): p is number => p !== undefined && alive(p));
    pids.forEach((p) => signalGroup(p, "SIGTERM"));
    const until = Date.now() + 2000;
    while (pids.some(alive) && Date.now() < until) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
    pids.forEach((p) => signalGroup(p, "SIGKILL"));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
        process.kill(-pid, signal);
    } catch {
        // Already gone.
    }
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** Polls CHECK every 250 ms until it returns true, or throws WHAT after TIMEOUT ms. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, alive?: () => void): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
        alive?.();
        if (await check()) {
            return;
        }
        if (Date.now() > end) {
            throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
        }
        await new Promise((done) => setTimeout(done, 250));
    }
}
