/**
 * Static checks on the text of prepare.sh and lib.sh: every host path they touch goes through $ROOT, so
 * the sandbox runs them against its root tree and never against the host, and SCRIPT_TOOLS does not
 * outgrow what they call.
 */
import * as fs from "fs";
import * as path from "path";
import { SCRIPTS_DIR } from "../../components/hosts/bundle";
import { SCRIPT_TOOLS } from "../sandbox";

/** A line without its comment (a # that starts a word outside quotes). */
function stripComment(line: string): string {
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (c === "\\" && quote !== "'") {
            i++;
        } else if (quote) {
            if (c === quote) {
                quote = undefined;
            }
        } else if (c === "'" || c === '"') {
            quote = c;
        } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
            return line.slice(0, i);
        }
    }
    return line;
}

/** Top-level directories of a host; a literal path into one of them must be written $ROOT/... */
const HOST_PATH = /\/(etc|proc|sys|run|var|usr|bin|sbin|lib|lib64|opt|boot|home|root|srv|mnt)(?=[/\s"';)|&<>]|$)/g;

/** Unprefixed host paths the scripts may hold, each for a reason; a stale entry fails the test too. */
const ALLOWED_UNPREFIXED = [
    {
        file: "prepare.sh",
        line: "keyring=/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
        why: "a name, used only as $ROOT$keyring and as update_file's destination (checked below)",
    },
    {
        file: "prepare.sh",
        line: String.raw`printf 'deb [signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/%s %s stable\n' \ `.trimEnd(),
        why: "the text of an apt source: apt on the node reads the path",
    },
];

/**
 * Text just before a path that makes it safe: update_file prefixes $ROOT itself; a message is text
 * (unless a command substitution in it runs something on the path).
 */
const SAFE_BEFORE = [
    /\bupdate_file\s+\S+\s+"?$/,
    /\b(log|die|changed)\s+"(?:[^"$]|\$(?!\())*$/,
];

interface Finding {
    file: string;
    line: number;
    text: string;
    path: string;
}

function unprefixedPaths(file: string, text: string): Finding[] {
    const found: Finding[] = [];
    text.split("\n").forEach((raw, i) => {
        if (i === 0 && raw.startsWith("#!")) {
            return;
        }
        const code = stripComment(raw).replace(/https?:\/\/[^\s"']+/g, "URL");
        for (const m of code.matchAll(HOST_PATH)) {
            const before = code.slice(0, m.index);
            const prev = before.slice(-1);
            if (before.endsWith("$ROOT") || before.endsWith("${ROOT}")) {
                continue;
            }
            if (prev !== "" && !/[\s"'=<>(\[,;|&]/.test(prev)) {
                continue; // inside a longer word: "$HERE/etc", "a/etc"
            }
            if (SAFE_BEFORE.some((re) => re.test(before))) {
                continue;
            }
            const rest = code.slice(m.index).match(/^[^\s"';)|&<>]*/)?.[0] ?? m[0];
            found.push({ file, line: i + 1, text: raw.trim(), path: rest });
        }
    });
    return found;
}

describe("static checks on prepare.sh and lib.sh", () => {
    const scripts = ["prepare.sh", "lib.sh"].map((f) => ({ file: f, text: fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8") }));

    test("the path scan finds what it must and only that", () => {
        const sample = [
            "#!/usr/bin/env bash",
            "cat /etc/hosts",
            "echo 1 >/proc/sys/net/ipv4/ip_forward",
            'mkdir -p "/var/lib/kubelet"',
            "if [[ -f /run/flag ]]; then x=/sys/fs/cgroup; fi",
            "/usr/bin/apt-get install -y x",
            'log "x" >/etc/y',
            'die "bad: $(cat /etc/z)"',
            'cat "$ROOT/etc/hosts" "${ROOT}/proc/swaps"',
            'log "  /etc/resolv.conf is fine"',
            'die "it\'s /etc/x"',
            "update_file a /etc/b 0644",
            "# a comment about /etc/c",
            'echo x >/dev/null # and /etc/d',
            "curl -fsSL https://example.org/etc/e",
            'cp "$HERE/etc/f" "$HERE/g"',
        ].join("\n");
        expect(unprefixedPaths("sample", sample).map((f) => `${f.line}:${f.path}`)).toEqual([
            "2:/etc/hosts", "3:/proc/sys/net/ipv4/ip_forward", "4:/var/lib/kubelet", "5:/run/flag", "5:/sys/fs/cgroup",
            "6:/usr/bin/apt-get", "7:/etc/y", "8:/etc/z",
        ]);
    });

    test("every literal host path in a file operation is under $ROOT", () => {
        const findings = scripts.flatMap(({ file, text }) => unprefixedPaths(file, text));
        const unexpected = findings.filter((f) => !ALLOWED_UNPREFIXED.some((a) => a.file === f.file && a.line === f.text));
        expect(unexpected).toEqual([]);
        // Every allow-list entry is still needed (and still reads as written).
        for (const a of ALLOWED_UNPREFIXED) {
            expect([a.line, findings.some((f) => f.file === a.file && f.text === a.line)]).toEqual([a.line, true]);
        }
    });

    test("a host path kept in a variable is only used under $ROOT or through update_file", () => {
        const names = ALLOWED_UNPREFIXED.map((a) => /^([a-z_][a-z0-9_]*)=/.exec(a.line)?.[1]).filter((n): n is string => !!n);
        expect(names).toEqual(["keyring"]);
        for (const name of names) {
            const uses: string[] = [];
            for (const { text } of scripts) {
                for (const raw of text.split("\n")) {
                    const code = stripComment(raw);
                    for (const m of code.matchAll(new RegExp(String.raw`\$\{?${name}\b\}?`, "g"))) {
                        const before = code.slice(0, m.index);
                        const ok = before.endsWith("$ROOT") || /\bupdate_file\s+\S+\s+"?$/.test(before);
                        uses.push(`${ok ? "ok" : "UNPREFIXED"}: ${raw.trim()}`);
                    }
                }
            }
            expect(uses.length).toBeGreaterThanOrEqual(2);
            expect(uses.filter((u) => !u.startsWith("ok"))).toEqual([]);
        }
    });

    test("update_file writes under $ROOT", () => {
        const lib = scripts.find((s) => s.file === "lib.sh")?.text ?? "";
        expect(lib).toMatch(/^ROOT="\$\{LSST_K8S_ROOT:-\}"$/m);
        expect(lib).toMatch(/^update_file\(\) \{\n\s+local src="\$HERE\/\$1" dest="\$ROOT\$2" mode=\$3 tmp$/m);
    });

    test("every tool on the sandbox PATH is one the scripts use", () => {
        const code = scripts.map(({ text }) => text.split("\n").map(stripComment).join("\n")).join("\n");
        const unused = SCRIPT_TOOLS.filter((t) => t !== "bash" && !new RegExp(String.raw`(^|[\s|;&(!{])${t}(?=[\s)]|$)`, "m").test(code));
        expect(unused).toEqual([]);
    });
});
