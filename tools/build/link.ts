/**
 * The second half of `npm run build`, after tsc has written bin/: every source entry tsc did not compile
 * becomes a relative symlink in bin/ (see tree.ts), and a .js whose .ts is gone is removed, so nothing
 * in bin/ outlives its source.
 */
import * as fs from "fs";
import * as path from "path";
import { BIN, isCompiledDir, isTypeScript, repositoryOf, sourceEntries } from "./tree";

const repo = repositoryOf(path.resolve(__dirname, "..", ".."));
const bin = path.join(repo, BIN);

function holdsTypeScript(dir: string): boolean {
    return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).some(isTypeScript);
}

function mirror(rel: string): void {
    const names = new Set<string>();
    for (const { rel: entry, dirent } of sourceEntries(repo, rel)) {
        names.add(dirent.name);
        if (isTypeScript(dirent.name)) {
            names.add(dirent.name.replace(/\.ts$/, ".js"));
        }
        if (dirent.isDirectory() && (isCompiledDir(repo, entry) || holdsTypeScript(path.join(repo, entry)))) {
            // A directory with TypeScript is never one symlink, even when none of it is compiled: a later
            // tsc would write through the link into the sources.
            fs.mkdirSync(path.join(bin, entry), { recursive: true });
            mirror(entry);
            continue;
        }
        const target = path.join(bin, entry);
        fs.rmSync(target, { force: true });
        fs.symlinkSync(path.relative(path.dirname(target), path.join(repo, entry)), target);
    }
    for (const name of fs.readdirSync(path.join(bin, rel))) {
        if (!names.has(name)) {
            fs.rmSync(path.join(bin, rel, name), { recursive: true, force: true });
        }
    }
}

mirror("");
