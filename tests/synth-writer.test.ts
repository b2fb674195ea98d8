import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OutFile, writeAtomically } from "../tools/synthWriter";

let root: string;
let target: string;
beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "synth-writer-"));
    target = path.join(root, "out", "dev");
});
afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
});

const script = "#!/usr/bin/env bash\nset -euo pipefail\necho shared\n";
/** What a synth writes for a few nodes: one script shared by all, one file of each node's own. */
function nodes(count: number): OutFile[] {
    return Array.from({ length: count }, (_, i) => [
        { path: `nodes/n${i}/lib.sh`, content: script, mode: 0o755 },
        { path: `nodes/n${i}/params.env`, content: `NODE=n${i}\n` },
    ]).flat();
}

function entries(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
        .sort();
}

it("writes every file with its content and mode, a repeated content as one inode", async () => {
    // The same text as the script but another mode is its own file: a link would share the mode.
    const files = [...nodes(200), { path: "copy.txt", content: script }];
    await writeAtomically(target, files, ["s3cr3t"]);
    expect(entries(target)).toEqual(files.map((f) => f.path).sort());
    for (const f of files) {
        expect(fs.readFileSync(path.join(target, f.path), "utf8")).toBe(f.content);
        expect(fs.statSync(path.join(target, f.path)).mode & 0o777).toBe(f.mode ?? 0o644);
    }
    const inode = (p: string) => fs.statSync(path.join(target, p)).ino;
    expect(new Set(files.filter((f) => f.path.endsWith("lib.sh")).map((f) => inode(f.path))).size).toBe(1);
    expect(fs.statSync(path.join(target, "nodes/n0/lib.sh")).nlink).toBe(200);
    expect(inode("copy.txt")).not.toBe(inode("nodes/n0/lib.sh"));
    expect(new Set(files.filter((f) => f.path.endsWith(".env")).map((f) => inode(f.path))).size).toBe(200);
    expect(fs.readdirSync(path.dirname(target))).toEqual(["dev"]);
});

it("replaces the whole previous output, so a file edited by hand does not survive or spread", async () => {
    await writeAtomically(target, nodes(3), []);
    fs.writeFileSync(path.join(target, "stale.txt"), "left over\n");
    await writeAtomically(target, nodes(2), []);
    expect(entries(target)).toEqual(nodes(2).map((f) => f.path).sort());
});

it.each([
    ["a secret in a file", [...nodes(3), { path: "leak.env", content: "TOKEN=s3cr3t\n" }], /refusing to write leak\.env: it contains a secret value/],
    ["two contents for one path", [...nodes(3), { path: "nodes/n1/params.env", content: "NODE=other\n" }], /two different contents for nodes\/n1\/params\.env/],
])("refuses %s and leaves the previous output whole, with no staging behind", async (_, files, message) => {
    await writeAtomically(target, nodes(1), ["s3cr3t"]);
    await expect(writeAtomically(target, files, ["s3cr3t"])).rejects.toThrow(message);
    expect(entries(target)).toEqual(nodes(1).map((f) => f.path).sort());
    expect(fs.readdirSync(path.dirname(target))).toEqual(["dev"]);
});

it("writes a second copy of a path once, when both say the same", async () => {
    await writeAtomically(target, [...nodes(2), ...nodes(2)], []);
    expect(entries(target)).toEqual(nodes(2).map((f) => f.path).sort());
});
