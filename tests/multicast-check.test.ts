/**
 * components/platform/scripts/multicast-check.py run for real, the way technote 003 "Multicast Testing" ran
 * msend/mreceive between containers on two nodes. Two private network namespaces stand for the two
 * nodes: "a" (10.213.0.1) and "b" (10.213.0.2) are joined by a veth pair and nothing else, each with
 * its own multicast route (224.0.0.0/4 on the veth, as a pod has on the overlay's interface) and its
 * loopback up with the MULTICAST flag. The sender always runs in "a" and the receiver in "b", so a
 * datagram the receiver counts has crossed the link; its report names the sender's address to prove it.
 *
 * The suite needs root (to create namespaces), iproute2's `ip` and python3; without any of them it
 * fails, it does not skip. Namespaces are deleted in afterAll, and on exit if a worker dies first.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.join(__dirname, "..", "components", "platform", "scripts", "multicast-check.py");
const NS_A = `mcast-check-${process.pid}-a`;
const NS_B = `mcast-check-${process.pid}-b`;
const ADDR_A = "10.213.0.1";
const ADDR_B = "10.213.0.2";
const DEFAULT_GROUP = "239.255.42.99";
const DEFAULT_PORT = 4446;

/** The real interpreter behind `python3` (not a pyenv shim), found in beforeAll. */
let python = "";
const children: ChildProcess[] = [];

// ---- processes --------------------------------------------------------------------------------------

function run(cmd: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH, ...env }, encoding: "utf8", timeout: 10_000 });
    if (r.error) {
        throw r.error;
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ip(...args: string[]): void {
    const r = run("ip", args);
    if (r.status !== 0) {
        throw new Error(`ip ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
    }
}

function deleteNamespaces(): void {
    for (const ns of [NS_A, NS_B]) {
        spawnSync("ip", ["netns", "delete", ns], { stdio: "ignore" });
    }
}

class Script {
    readonly child: ChildProcess;
    stdout = "";
    stderr = "";
    readonly exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>;

    /** multicast-check.py with `args`, inside namespace `ns`, with nothing of this process's environment but PATH. */
    constructor(ns: string, args: string[], env: Record<string, string> = {}) {
        this.child = spawn("ip", ["netns", "exec", ns, python, SCRIPT, ...args], {
            env: { PATH: process.env.PATH, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        children.push(this.child);
        this.child.stdout!.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
        this.child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
        this.exited = new Promise((resolve, reject) => {
            this.child.on("error", reject);
            this.child.on("close", (status, signal) => resolve({ status, signal }));
        });
    }

    /** Resolves once `test` holds, polling; rejects with what the script printed after `ms`. */
    async until(what: string, test: () => boolean, ms = 5_000): Promise<void> {
        const end = Date.now() + ms;
        while (!test()) {
            if (Date.now() > end || this.child.exitCode !== null) {
                throw new Error(`multicast-check.py: ${what} did not happen within ${ms} ms (exit ${this.child.exitCode}):\n` +
                    `stdout:\n${this.stdout}stderr:\n${this.stderr}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
    }

    /** The receiver logs this on stderr once it has joined the group: only then may a sender start. */
    joined(port: number, group = DEFAULT_GROUP): Promise<void> {
        return this.until(`joining ${group}:${port}`, () => this.stderr.includes(`joined ${group}:${port} on all interfaces`));
    }
}

/** Runs the script to its end outside the namespaces: configuration errors come before any socket. */
function configRun(mode: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
    return run(python, [SCRIPT, mode], env);
}

// ---- the two "nodes" --------------------------------------------------------------------------------

process.on("exit", () => {
    for (const c of children) {
        c.kill("SIGKILL");
    }
    deleteNamespaces();
});

beforeAll(() => {
    if (process.getuid?.() !== 0) {
        throw new Error("multicast-check.test.ts must run as root: it creates network namespaces with `ip netns add`");
    }
    const iproute = spawnSync("ip", ["-V"], { encoding: "utf8" });
    if (iproute.error || iproute.status !== 0) {
        throw new Error(`iproute2's \`ip\` is needed to build the test's network namespaces and could not be run ` +
            `(${iproute.error?.message ?? `exit ${iproute.status}`}); install iproute2`);
    }
    const py = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
    if (py.error || py.status !== 0 || !py.stdout.trim()) {
        throw new Error(`python3 is needed to run components/platform/scripts/multicast-check.py and could not be run ` +
            `(${py.error?.message ?? `exit ${py.status}: ${py.stderr}`}); install python3`);
    }
    python = py.stdout.trim();

    deleteNamespaces(); // left over by an earlier run with the same pid
    ip("netns", "add", NS_A);
    ip("netns", "add", NS_B);
    ip("-n", NS_A, "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", NS_B);
    for (const [ns, dev, addr] of [[NS_A, "veth-a", ADDR_A], [NS_B, "veth-b", ADDR_B]]) {
        ip("-n", ns, "link", "set", "lo", "up");
        ip("-n", ns, "link", "set", "lo", "multicast", "on");
        ip("-n", ns, "addr", "add", `${addr}/24`, "dev", dev);
        ip("-n", ns, "link", "set", dev, "up");
        ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", dev);
    }
}, 15_000);

afterAll(async () => {
    for (const c of children) {
        if (c.exitCode === null && c.signalCode === null) {
            c.kill("SIGKILL");
        }
    }
    deleteNamespaces();
    const left = run("ip", ["netns", "list"]).stdout;
    expect(left).not.toContain(NS_A);
    expect(left).not.toContain(NS_B);
});

// ---- multicast across the link ----------------------------------------------------------------------

const OK_LINE = /^multicast: OK received (\d+) datagram\(s\) from (\S+) in 1s$/;

test("with the defaults, a receiver on node b hears every datagram a sender on node a sends across the link", async () => {
    const receiver = new Script(NS_B, ["receive", "--once"], { WINDOW: "2" });
    await receiver.joined(DEFAULT_PORT);
    const sender = new Script(NS_A, ["send", "--count", "5"], { INTERVAL: "0.1" });

    expect(await sender.exited).toEqual({ status: 0, signal: null });
    expect(sender.stderr).toBe("");
    expect(sender.stdout).toContain(`sending to ${DEFAULT_GROUP}:${DEFAULT_PORT} from ${os.hostname()} every 0.1s, ttl 2, 5 datagram(s)\n`);
    expect(sender.stdout).toContain(`sent seq=1 to ${DEFAULT_GROUP}:${DEFAULT_PORT}\n`);
    expect(sender.stdout).toContain("done, sent 5 of 5 datagram(s)\n");

    expect(await receiver.exited).toEqual({ status: 0, signal: null });
    // One line, and the source address is node a's end of the veth: the datagrams crossed the link.
    expect(receiver.stdout).toBe(`multicast: OK received 5 datagram(s) from ${os.hostname()}@${ADDR_A} in 2s\n`);
}, 10_000);

test("with no sender, the receiver reports FAILED for its window and exits 1", async () => {
    const receiver = new Script(NS_B, ["receive", "--once"], { WINDOW: "1", PORT: "4447" });
    expect(await receiver.exited).toEqual({ status: 1, signal: null });
    expect(receiver.stdout).toBe(`multicast: FAILED no datagram in 1s (group ${DEFAULT_GROUP}:4447)\n`);
}, 10_000);

test("datagrams to another group on the same port do not count", async () => {
    const group = "239.255.42.100";
    const receiver = new Script(NS_B, ["receive", "--once"], { WINDOW: "1", PORT: "4448" });
    await receiver.joined(4448);
    const sender = new Script(NS_A, ["send", "--count", "5"], { GROUP: group, PORT: "4448", INTERVAL: "0.1" });

    expect(await sender.exited).toEqual({ status: 0, signal: null });
    expect(sender.stdout).toContain(`sending to ${group}:4448 `);
    expect(await receiver.exited).toEqual({ status: 1, signal: null });
    expect(receiver.stdout).toBe(`multicast: FAILED no datagram in 1s (group ${DEFAULT_GROUP}:4448)\n`);
}, 10_000);

test("without --once both run until SIGTERM, the receiver reporting every window, and both exit 0", async () => {
    const env = { GROUP: "239.1.2.3", PORT: "4449", TTL: "1" };
    const receiver = new Script(NS_B, ["receive"], { ...env, WINDOW: "1" });
    await receiver.joined(4449, "239.1.2.3");
    const sender = new Script(NS_A, ["send"], { ...env, INTERVAL: "0.1" });

    const reports = (): string[] => receiver.stdout.split("\n").filter((l) => l !== "");
    await receiver.until("two reports", () => reports().length >= 2);
    await sender.until("the 10th send logged", () => sender.stdout.includes("sent seq=10 to 239.1.2.3:4449\n"));
    sender.child.kill("SIGTERM");
    receiver.child.kill("SIGTERM");

    expect(await sender.exited).toEqual({ status: 0, signal: null });
    expect(await receiver.exited).toEqual({ status: 0, signal: null });
    expect(sender.stdout).toContain("sending to 239.1.2.3:4449 ");
    expect(sender.stdout).toContain("ttl 1, forever\n");
    expect(sender.stdout).not.toContain("sent seq=2 ");  // the first and every 10th only
    expect(sender.stderr).toBe("multicast-check: stopped by SIGTERM\n");
    expect(receiver.stderr).toContain("multicast-check: stopped by SIGTERM\n");

    // The first window may have started before the sender did, but each has some datagrams, all from node a.
    const lines = reports();
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
        const m = OK_LINE.exec(line);
        expect(m).not.toBeNull();
        expect(Number(m![1])).toBeGreaterThan(0);
        expect(m![2]).toBe(`${os.hostname()}@${ADDR_A}`);
    }
    // Windows follow one another: a full second at INTERVAL 0.1 carries about ten datagrams.
    expect(Number(OK_LINE.exec(lines[1])![1])).toBeGreaterThanOrEqual(8);
}, 15_000);

// ---- configuration ----------------------------------------------------------------------------------

describe("a bad environment variable exits 2 and names the variable", () => {
    const cases: [string, string][] = [
        ["GROUP", "10.0.0.1"],
        ["GROUP", "240.0.0.1"],
        ["GROUP", "ff02::1"],
        ["GROUP", "multicast"],
        ["PORT", "0"],
        ["PORT", "65536"],
        ["PORT", "http"],
        ["INTERVAL", "0"],
        ["WINDOW", "-5"],
        ["WINDOW", "nan"],
        ["TTL", "0"],
        ["TTL", "256"],
    ];
    test.each(cases)("%s=%s", (name, value) => {
        for (const mode of ["send", "receive"]) {
            const r = configRun(mode, { [name]: value });
            expect(r.status).toBe(2);
            expect(r.stdout).toBe("");
            expect(r.stderr).toMatch(new RegExp(`^multicast-check: ${name} must be .*, got '${value.replace(/[.]/g, "\\.")}'\\n$`));
        }
    });

    test("send --count must be a positive integer, and a mode is required", () => {
        for (const args of [["send", "--count", "0"], ["send", "--count", "x"], [], ["listen"]]) {
            const r = run(python, [SCRIPT, ...args]);
            expect(r.status).toBe(2);
            expect(r.stderr).toContain("usage: multicast-check");
        }
    });
});
