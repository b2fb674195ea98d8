/**
 * skopeo as the mirror runs it: one process at a time, stopped by its pid when the mirror is stopped,
 * its errors cut to skopeo's own message with every secret replaced. Reading a manifest gives its
 * digest (the sha256 of the bytes the registry serves, which is what a pull by digest asks for).
 */
import { ChildProcess, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** skopeo's path on PATH, or undefined. */
export function findSkopeo(pathVar = process.env.PATH ?? ""): string | undefined {
    for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
        const candidate = path.join(dir, "skopeo");
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) {
                return candidate;
            }
        } catch {
            // Not in this directory.
        }
    }
    return undefined;
}

/** What reading a manifest found. */
export type Lookup = { readonly digest: string } | { readonly absent: true } | { readonly error: string };

/** A registry's answer for a manifest it does not hold (distribution's MANIFEST_UNKNOWN and NAME_UNKNOWN). */
const ABSENT = /manifest unknown|name unknown/i;

/** The credentials skopeo is given for the destination: an auth file and a certificate directory. */
export interface Destination {
    readonly authFile: string;
    readonly certDir: string;
}

export class Skopeo {
    private child?: ChildProcess;

    /** BINARY run with the environment it inherits; SECRETS never appear in what it reports. */
    constructor(private readonly binary: string, private readonly secrets: readonly string[]) {}

    /** The digest of the manifest at REF (read with the destination's credentials when given). */
    async digest(ref: string, destination?: Destination): Promise<Lookup> {
        const creds = destination ? ["--authfile", destination.authFile, "--cert-dir", destination.certDir] : [];
        const r = await this.run(["inspect", "--raw", ...creds, ref]);
        if (r.status === 0) {
            return { digest: `sha256:${createHash("sha256").update(r.stdout).digest("hex")}` };
        }
        const message = this.message(r.stderr);
        return ABSENT.test(message) ? { absent: true } : { error: message };
    }

    /**
     * Copies SOURCE to DESTINATION keeping every digest (a list with all its images), or says why not.
     * Blobs the registry already holds are not sent again.
     */
    async copy(source: string, destinationRef: string, destination: Destination): Promise<string | undefined> {
        const r = await this.run(["copy", "--all", "--preserve-digests", "--retry-times", "3",
            "--dest-authfile", destination.authFile, "--dest-cert-dir", destination.certDir, source, destinationRef]);
        return r.status === 0 ? undefined : this.message(r.stderr);
    }

    /** Stops the skopeo that is running, if any, by its pid. */
    stop(): void {
        if (this.child?.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
            this.child.kill("SIGTERM");
        }
    }

    private run(args: string[]): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
        return new Promise((resolve) => {
            const child = spawn(this.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
            this.child = child;
            const out: Buffer[] = [];
            const err: Buffer[] = [];
            child.stdout!.on("data", (c: Buffer) => out.push(c));
            child.stderr!.on("data", (c: Buffer) => err.push(c));
            child.once("error", (e) => resolve({ status: null, stdout: Buffer.alloc(0), stderr: `cannot run ${this.binary}: ${e.message}` }));
            child.once("close", (status, signal) => {
                this.child = undefined;
                const stderr = Buffer.concat(err).toString("utf8") + (signal ? `\nskopeo stopped by ${signal}` : "");
                resolve({ status, stdout: Buffer.concat(out), stderr });
            });
        });
    }

    /** skopeo's message (its last `msg="..."`, else its last line), on one line, secrets replaced. */
    private message(stderr: string): string {
        const quoted = [...stderr.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
        let text = stderr.trim().split("\n").filter((l) => l.trim() !== "").pop() ?? "skopeo failed without a message";
        if (quoted.length > 0) {
            try {
                text = JSON.parse(`"${quoted[quoted.length - 1]}"`) as string;
            } catch {
                text = quoted[quoted.length - 1];
            }
        }
        text = text.replace(/^Error parsing image name "(?:[^"\\]|\\.)*": /, "").replace(/\s+/g, " ").trim();
        for (const s of this.secrets) {
            text = text.split(s).join("<secret>");
        }
        return text;
    }
}
