/**
 * The compiled tree's guards, run as the npm scripts run them: a source edited after `npm run build`
 * stops a tool with one line and exit 2, and a synth that runs out of memory exits 3 with one line and
 * writes nothing (never V8's abort).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { npmScript } from "../tools/build/scripts";
import { scaledStackFile } from "../tools/scaledStack";
import { REPO } from "./harness";

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-build-"));
});
afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("a synth that runs out of memory", () => {
    it("exits 3 with one line naming the heap to ask for, and writes nothing", () => {
        const file = path.join(dir, "stack.yaml");
        fs.writeFileSync(file, scaledStackFile(REPO, "test", { controlPlanes: 3, workers: 300 }));
        const r = spawnSync(process.execPath, [...npmScript("synth"), "test", "--config", file, "--out", path.join(dir, "out")], {
            cwd: REPO, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=100" },
        });
        expect(r.status).toBe(3);
        expect(r.stderr).not.toContain("Last few GCs");
        expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^synth: out of memory: it needs more than node's \d+ MB heap; run it with NODE_OPTIONS=--max-old-space-size=\d+ \(MB\)$/);
        expect(fs.existsSync(path.join(dir, "out", "test"))).toBe(false);
    }, 300_000);
});

describe("the stale-build check", () => {
    /** A repository of one source, a.ts, with the compiled check copied into its bin/. */
    function tree(): string {
        fs.writeFileSync(path.join(dir, "tsconfig.build.json"), "{}\n");
        fs.writeFileSync(path.join(dir, "a.ts"), "export const a = 1;\n");
        fs.mkdirSync(path.join(dir, "bin", "tools", "build"), { recursive: true });
        for (const f of ["check.js", "fresh.js", "tree.js"]) {
            fs.copyFileSync(path.join(REPO, "bin", "tools", "build", f), path.join(dir, "bin", "tools", "build", f));
        }
        fs.writeFileSync(path.join(dir, "bin", "a.js"), "exports.a = 1;\n");
        return path.join(dir, "bin", "tools", "build", "check.js");
    }
    const at = (file: string, seconds: number) => fs.utimesSync(path.join(dir, file), seconds, seconds);

    it("stops a tool whose source is newer than what was compiled from it, naming the file", () => {
        const check = tree();
        at("bin/a.js", 1_000_000);
        at("a.ts", 2_000_000);
        const r = spawnSync(process.execPath, ["-r", check, "-e", "console.log('ran')"], { encoding: "utf8" });
        expect(r).toMatchObject({ status: 2, stdout: "", stderr: "a.ts is newer than its compiled bin/a.js: run npm run build\n" });
    });

    it("lets it run once the build is newer", () => {
        const check = tree();
        at("a.ts", 1_000_000);
        at("bin/a.js", 2_000_000);
        const r = spawnSync(process.execPath, ["-r", check, "-e", "console.log('ran')"], { encoding: "utf8" });
        expect(r).toMatchObject({ status: 0, stdout: "ran\n", stderr: "" });
    });
});
