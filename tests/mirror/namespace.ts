/**
 * A private network namespace standing for a node of the cluster, as far as the registry goes: its
 * loopback carries the registry's Service address, which a node reaches through kube-proxy.
 * Commands run in it with `ip netns exec`, which execs them, so each pid is the command's own and is
 * what the test stops; it also bind-mounts each entry of /etc/netns/<name>/ over the same name in
 * /etc, which is how the namespace gets files of its own there. The namespace and /etc/netns/<name>
 * are removed by `remove`, and on exit if the test dies first.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface Ran {
    readonly status: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** iproute2's `ip`, found once: commands in the namespace may run with a PATH that lacks it. */
function ipBinary(): string {
    const found = spawnSync("sh", ["-c", "command -v ip"], { encoding: "utf8" }).stdout.trim();
    if (!found) {
        throw new Error("iproute2's `ip` is not installed: install iproute2 (apt-get install iproute2)");
    }
    return found;
}

export interface RunOptions {
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
    readonly stdin?: string;
    /** Run in this process's own network namespace. */
    readonly outside?: boolean;
    /** Default 30 s. */
    readonly timeoutMs?: number;
}

export class Namespace {
    private readonly ip = ipBinary();
    private readonly children = new Set<ChildProcess>();
    private removed = false;
    private readonly onExit = () => this.remove();

    /** The namespace's own /etc entries. */
    readonly etc: string;

    /**
     * Creates namespace NAME with ADDRESS/32 on its loopback and ETC (paths relative to /etc → content)
     * in /etc/netns/NAME; fails, naming the command, when `ip` cannot.
     */
    constructor(readonly name: string, readonly address: string, etc: Readonly<Record<string, string>> = {}) {
        this.etc = path.join("/etc/netns", name);
        process.once("exit", this.onExit);
        spawnSync(this.ip, ["netns", "delete", name], { stdio: "ignore" }); // left by an earlier run with the same pid
        fs.rmSync(this.etc, { recursive: true, force: true });
        for (const [rel, content] of Object.entries(etc)) {
            fs.mkdirSync(path.dirname(path.join(this.etc, rel)), { recursive: true });
            fs.writeFileSync(path.join(this.etc, rel), content);
        }
        for (const args of [["netns", "add", name], ["-n", name, "link", "set", "lo", "up"], ["-n", name, "addr", "add", `${address}/32`, "dev", "lo"]]) {
            const r = spawnSync(this.ip, args, { encoding: "utf8" });
            if (r.error || r.status !== 0) {
                this.remove();
                throw new Error(`ip ${args.join(" ")} failed: ${r.error?.message ?? r.stderr}`);
            }
        }
    }

    /** Starts COMMAND in the namespace, its output appended to LOG (a file descriptor). */
    start(command: string, args: readonly string[], env: NodeJS.ProcessEnv, log: number): ChildProcess {
        const child = spawn(this.ip, ["netns", "exec", this.name, command, ...args], { env, stdio: ["ignore", log, log] });
        this.track(child);
        return child;
    }

    /** Runs COMMAND to its end (in the namespace unless `outside`), STDIN written to it; killed by its pid after `timeoutMs`. */
    run(command: string, args: readonly string[], opts: RunOptions): Promise<Ran> {
        return this.launch(command, args, opts).done;
    }

    /** Starts what run() runs, with its pid, to signal it before it ends. */
    launch(command: string, args: readonly string[], opts: RunOptions): { pid: number; done: Promise<Ran> } {
        const argv = opts.outside ? [command, ...args] : [this.ip, "netns", "exec", this.name, command, ...args];
        const child = spawn(argv[0], argv.slice(1), { env: opts.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
        this.track(child);
        let stdout = "";
        let stderr = "";
        child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.stdin!.on("error", () => undefined); // a command that exits before reading all of it
        child.stdin!.end(opts.stdin ?? "");
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
        const done = new Promise<Ran>((resolve, reject) => {
            child.once("error", (e) => {
                clearTimeout(timer);
                reject(e);
            });
            child.once("close", (status, signal) => {
                clearTimeout(timer);
                resolve({ status, signal, stdout, stderr });
            });
        });
        return { pid: child.pid ?? 0, done };
    }

    /** Stops every process started here by its pid, then deletes the namespace. Safe to call twice. */
    remove(): void {
        for (const c of this.children) {
            if (c.exitCode === null && c.signalCode === null) {
                c.kill("SIGKILL");
            }
        }
        this.children.clear();
        if (!this.removed) {
            this.removed = true;
            process.removeListener("exit", this.onExit);
            spawnSync(this.ip, ["netns", "delete", this.name], { stdio: "ignore" });
            fs.rmSync(this.etc, { recursive: true, force: true });
        }
    }

    private track(child: ChildProcess): void {
        this.children.add(child);
        child.once("exit", () => this.children.delete(child));
    }
}
