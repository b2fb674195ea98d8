import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Bundle, bootstrapCommand, decodeBundle, encodeBundle, renderParams, script } from "../components/hosts/bundle";

/** Runs the real bootstrap command line the way sshd would: through a login shell, bundle on stdin. */
function runBootstrap(stdin: string, env: Record<string, string> = {}) {
    return spawnSync("sh", ["-c", bootstrapCommand()], {
        input: stdin,
        encoding: "utf8",
        // HOME is the test dir: bash reads ~/.bashrc when stdin is a socket, as it is under sshd and here.
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir(), ...env },
    });
}

describe("bundles", () => {
    const bundle: Bundle = {
        entry: "probe.sh",
        files: {
            "probe.sh": { mode: "0755", content: "#!/usr/bin/env bash\nset -euo pipefail\nd=$(dirname \"$0\")\nprintf 'dir=%s\\n' \"$d\" >\"$OUT\"\nstat -c '%n %a' \"$d\"/* >>\"$OUT\"\ncat \"$d/params.env\" >>\"$OUT\"\n" },
            "params.env": { mode: "0600", content: renderParams({ TOKEN: "abc.def", LIST: "a b 'c' $(x)" }) },
            "empty.txt": { mode: "0644", content: "" },
        },
    };

    it("round-trips through encode and decode", () => {
        expect(decodeBundle(encodeBundle(bundle))).toEqual(bundle);
    });

    it("refuses names, modes and parameters that bootstrap.sh would not accept", () => {
        expect(() => encodeBundle({ entry: "x.sh", files: { "x.sh": { mode: "0755", content: "" }, "../evil": { mode: "0644", content: "" } } }))
            .toThrow(/bundle file "\.\.\/evil"/);
        expect(() => encodeBundle({ entry: "x.sh", files: { "x.sh": { mode: "755", content: "" } } })).toThrow(/mode 755/);
        expect(() => encodeBundle({ entry: "missing.sh", files: {} })).toThrow(/entry missing\.sh/);
        expect(() => renderParams({ A: "one\ntwo" })).toThrow(/A contains a line break/);
        expect(() => renderParams({ "lower": "x" })).toThrow(/"lower" is not UPPER_SNAKE_CASE/);
    });

    it("is unpacked and run for real by the bootstrap command, which then removes it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-"));
        try {
            const out = path.join(dir, "out.txt");
            const r = runBootstrap(encodeBundle(bundle), { OUT: out, TMPDIR: dir });
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
            const lines = fs.readFileSync(out, "utf8").trim().split("\n");
            const workdir = lines[0].slice("dir=".length);
            expect(path.dirname(workdir)).toBe(dir);
            expect(lines.slice(1, 4).map((l) => l.slice(workdir.length + 1)).sort()).toEqual(["empty.txt 644", "params.env 600", "probe.sh 755"]);
            // Values arrive verbatim, quotes and $(...) included: nothing evaluates them.
            expect(lines.slice(4)).toEqual(["TOKEN=abc.def", "LIST=a b 'c' $(x)"]);
            expect(fs.existsSync(workdir)).toBe(false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("fails with exit 2 on anything that is not a well-formed bundle", () => {
        expect(runBootstrap("hello\n")).toMatchObject({ status: 2, stderr: expect.stringMatching(/stdin is not a bundle/) });
        expect(runBootstrap("lsst-k8s-bundle/1 ../x.sh\n")).toMatchObject({ status: 2 });
        expect(runBootstrap("lsst-k8s-bundle/1 x.sh\n../x.sh 0755 ZWNobwo=\n")).toMatchObject({ status: 2, stderr: expect.stringMatching(/malformed bundle record/) });
        expect(runBootstrap("lsst-k8s-bundle/1 x.sh\ny.sh 0755 ZWNobwo=\n")).toMatchObject({ status: 2, stderr: expect.stringMatching(/no entry script x\.sh/) });
    });

    it("sends bootstrap.sh without its comments and without any single quote inside", () => {
        const command = bootstrapCommand();
        expect(command.startsWith("bash -c 'set -euo pipefail\n")).toBe(true);
        expect(command.endsWith("' lsst-k8s-bootstrap")).toBe(true);
        expect(command.slice("bash -c '".length, -"' lsst-k8s-bootstrap".length)).not.toContain("'");
        expect(script("bootstrap.sh")).not.toContain("'");
    });
});
