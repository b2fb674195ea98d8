/**
 * A bundle is what one remote action sends over SSH stdin: its scripts, the config files the program
 * rendered, and a params.env of values. Nothing of it is in the command line, so secrets inside stay
 * out of process lists and logs, and the command line itself never changes (bootstrap.sh).
 */
import * as fs from "fs";
import * as path from "path";

export const SCRIPTS_DIR = path.join(__dirname, "scripts");
const MAGIC = "lsst-k8s-bundle/1";
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PARAM_KEY_RE = /^[A-Z][A-Z0-9_]*$/;

export interface BundleFile {
    readonly content: string;
    /** Octal mode as a string ("0644"). */
    readonly mode: string;
}

export interface Bundle {
    /** The script bootstrap.sh runs as root. */
    readonly entry: string;
    readonly files: Readonly<Record<string, BundleFile>>;
}

/**
 * Each script's text, read once per process: every node's every action ships the same few files, and a
 * 1 000-node stack asked for them 20 000 times. One string per script also lets the bundles share its
 * base64 (below) instead of encoding the same text once per action.
 */
const scripts = new Map<string, string>();
/** The base64 of each script's text, keyed by that text, and the way back. */
const encodedScripts = new Map<string, string>();
const decodedScripts = new Map<string, string>();

/** Reads a host script shipped in components/hosts/scripts. */
export function script(name: string): string {
    let text = scripts.get(name);
    if (text === undefined) {
        text = fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8");
        scripts.set(name, text);
        const encoded = base64(text);
        encodedScripts.set(text, encoded);
        decodedScripts.set(encoded, text);
    }
    return text;
}

function base64(content: string): string {
    return Buffer.from(content, "utf8").toString("base64");
}

/**
 * Renders params.env. Values are read by lib.sh's load_params with `printf -v`, never evaluated, so
 * the only characters that matter are the line break and NUL, which are refused here.
 */
export function renderParams(params: Readonly<Record<string, string>>): string {
    return Object.entries(params)
        .map(([key, value]) => {
            if (!PARAM_KEY_RE.test(key)) {
                throw new Error(`bundle parameter name ${JSON.stringify(key)} is not UPPER_SNAKE_CASE`);
            }
            if (/[\n\r\0]/.test(value)) {
                throw new Error(`bundle parameter ${key} contains a line break or NUL`);
            }
            return `${key}=${value}\n`;
        })
        .join("");
}

/** Serialises a bundle for stdin, in the format bootstrap.sh reads. */
export function encodeBundle(bundle: Bundle): string {
    if (!bundle.files[bundle.entry]) {
        throw new Error(`bundle entry ${bundle.entry} is not among its files`);
    }
    const lines = [`${MAGIC} ${bundle.entry}`];
    for (const [name, file] of Object.entries(bundle.files).sort(([a], [b]) => a.localeCompare(b))) {
        if (!NAME_RE.test(name) || !/^0[0-7]{3}$/.test(file.mode)) {
            throw new Error(`bundle file ${JSON.stringify(name)} (mode ${file.mode}) has a name or mode bootstrap.sh refuses`);
        }
        lines.push(`${name} ${file.mode} ${encodedScripts.get(file.content) ?? base64(file.content)}`);
    }
    return lines.join("\n") + "\n";
}

/** The inverse of encodeBundle, for the synth and the tests. */
export function decodeBundle(text: string): Bundle {
    const [header, ...records] = text.trimEnd().split("\n");
    const [magic, entry] = header.split(" ");
    if (magic !== MAGIC || !entry) {
        throw new Error("not a bundle");
    }
    const files: Record<string, BundleFile> = {};
    for (const record of records) {
        const [name, mode, data = ""] = record.split(" ");
        files[name] = { mode, content: decodedScripts.get(data) ?? Buffer.from(data, "base64").toString("utf8") };
    }
    return { entry, files };
}

/** True when a string is an encoded bundle. */
export function isBundle(text: unknown): text is string {
    return typeof text === "string" && text.startsWith(`${MAGIC} `);
}

/**
 * The command line of every remote action: bootstrap.sh's code inside single quotes, run by bash
 * whatever the login shell is. It is the same for every action and every node; what differs travels on
 * stdin. `entry` runs another script of the same bundle (for a delete command).
 */
export function bootstrapCommand(entry?: string): string {
    const key = entry === undefined ? "" : ` ${entry}`;
    let line = commandLines.get(key);
    if (line === undefined) {
        line = commandLine(entry);
        commandLines.set(key, line);
    }
    return line;
}

/** One command line per entry (key: "" for none): every action of every node has one of a few. */
const commandLines = new Map<string, string>();

function commandLine(entry: string | undefined): string {
    if (entry !== undefined && !NAME_RE.test(entry)) {
        throw new Error(`bundle entry ${JSON.stringify(entry)} has a name bootstrap.sh refuses`);
    }
    const text = script("bootstrap.sh");
    if (text.includes("'")) {
        throw new Error("components/scripts/bootstrap.sh must not contain a single quote: it is sent inside one");
    }
    // Comment lines are for readers of the file; the command line carries only the code.
    const code = text.split("\n").filter((line) => !/^\s*#/.test(line)).join("\n").trim();
    return `bash -c '${code}\n' lsst-k8s-bootstrap${entry ? ` ${entry}` : ""}`;
}
