/**
 * A Pulumi workspace of the engine tier's own, in its temporary directory: a file backend, a
 * PULUMI_HOME holding exactly the plugins installed into it, a passphrase in a 0600 file, and a copy
 * of the project (Pulumi.yaml and the stack files) so that `pulumi config set` never writes to the
 * committed ones. No login, no prompt, no download: PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { freePort, Processes, until } from "../processes";

const ROOT = path.resolve(__dirname, "..", "..", "..");

export interface CliResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** One event of `--event-log` (engine events as JSON lines); only the fields the tier reads. */
export interface EngineEvent {
    readonly diagnosticEvent?: { readonly severity: string; readonly message: string; readonly urn?: string };
    readonly policyEvent?: { readonly policyName: string; readonly enforcementLevel: string; readonly message: string; readonly resourceUrn?: string };
    readonly resourcePreEvent?: { readonly metadata: { readonly urn: string; readonly op: string; readonly type: string } };
    readonly summaryEvent?: { readonly resourceChanges?: Record<string, number> };
}

export class Workspace {
    readonly project: string;
    readonly home: string;
    private readonly bin: string;
    private readonly backend: string;
    private readonly passphraseFile: string;
    private runs = 0;

    constructor(private readonly procs: Processes, private readonly pulumi: string) {
        const dir = path.join(procs.dir, "engine");
        this.project = path.join(dir, "project");
        this.home = path.join(dir, "home");
        this.bin = path.join(dir, "bin");
        this.backend = path.join(dir, "state");
        this.passphraseFile = path.join(dir, "passphrase");
        for (const d of [this.project, this.home, this.bin, this.backend]) {
            fs.mkdirSync(d, { recursive: true });
        }
        fs.writeFileSync(this.passphraseFile, crypto.randomBytes(24).toString("hex"), { mode: 0o600 });
        fs.symlinkSync(path.join(__dirname, "analyzer-policy.sh"), path.join(this.bin, "pulumi-analyzer-policy-nodejs"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(this.project, "Pulumi.yaml"));
    }

    /** Copies the committed Pulumi.STACK.yaml in as stack NAME's file, optionally edited. */
    addStack(stack: string, name = stack, edit?: (text: string) => string): void {
        const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
        fs.writeFileSync(path.join(this.project, `Pulumi.${name}.yaml`), edit ? edit(text) : text);
    }

    env(): NodeJS.ProcessEnv {
        return {
            PATH: `${this.bin}:${path.dirname(this.pulumi)}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
            HOME: this.home,
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.backend}`,
            PULUMI_CONFIG_PASSPHRASE_FILE: this.passphraseFile,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            // --event-log exists only with the debug commands on, as the Automation API runs the CLI.
            PULUMI_DEBUG_COMMANDS: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
            NODE_PATH: path.join(ROOT, "node_modules"),
        };
    }

    /** Runs the CLI in the project copy; INPUT goes to its stdin (secrets never go in argv). */
    cli(args: readonly string[], input?: string): CliResult {
        const r = spawnSync(this.pulumi, [...args, "--non-interactive"], {
            cwd: this.project, env: this.env(), input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
        });
        return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error?.message ?? "") };
    }

    /**
     * Runs a CLI command that executes the program (preview, up, destroy) with the program served by
     * serve.ts, and returns its result with the events of its --event-log.
     */
    async withProgram(args: readonly string[]): Promise<CliResult & { events: EngineEvent[] }> {
        const name = `program-${++this.runs}`;
        const port = await freePort();
        const log = path.join(this.procs.dir, "logs", `${name}.log`);
        this.procs.start(name, process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "serve.ts"), String(port)],
            { cwd: ROOT, env: { ...this.env(), HOME: process.env.HOME } });
        try {
            await until(`the program's language server (${log})`, 60_000,
                () => fs.existsSync(log) && fs.readFileSync(log, "utf8").includes("listening on"),
                () => this.procs.checkAlive());
            const eventLog = path.join(this.procs.dir, `${name}.events.jsonl`);
            const r = this.cli([...args, `--client=127.0.0.1:${port}`, "--event-log", eventLog]);
            const events = fs.existsSync(eventLog)
                ? fs.readFileSync(eventLog, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as EngineEvent)
                : [];
            return { ...r, events };
        } finally {
            this.procs.stop(name);
        }
    }

    /** The resource plugins installed in this PULUMI_HOME, as NAME@VERSION. */
    plugins(): string[] {
        const r = this.cli(["plugin", "ls", "--json"]);
        if (r.status !== 0) {
            throw new Error(`pulumi plugin ls failed: ${r.stderr.trim()}`);
        }
        const list = JSON.parse(r.stdout || "[]") as { name: string; kind: string; version: string }[];
        return list.filter((p) => p.kind === "resource").map((p) => `${p.name}@${p.version.replace(/^v/, "")}`);
    }
}
