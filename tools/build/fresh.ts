/**
 * Compiled code must never run behind its source silently: a .ts edited after `npm run build` (or a
 * source file added since) makes the compiled tree stale, and this says which file and what to run.
 * One readdir per compiled directory and one stat per file, a few milliseconds, once per process.
 */
import * as fs from "fs";
import * as path from "path";
import { BIN, isCompiledDir, isCompiledTree, isTypeScript, repositoryOf, sourceEntries } from "./tree";

let verdict: string | null | undefined;

function mtime(file: string): number | undefined {
    try {
        return fs.lstatSync(file).mtimeMs;
    } catch {
        return undefined;
    }
}

function staleIn(repo: string, rel: string): string | null {
    for (const { rel: entry, dirent } of sourceEntries(repo, rel)) {
        const compiled = path.join(repo, BIN, entry);
        if (isTypeScript(dirent.name)) {
            const js = compiled.replace(/\.ts$/, ".js");
            // A .ts with no .js was never compiled (a test): code that needs a new module was edited to
            // import it, and that edit is what is caught.
            const built = mtime(js);
            if (built !== undefined && built < mtime(path.join(repo, entry))!) {
                return `${entry} is newer than its compiled ${path.relative(repo, js)}`;
            }
        } else if (rel !== "" && mtime(compiled) === undefined) {
            // Only below the top: files appear at the top at run time (preview stacks), never here.
            return `${entry} is not in ${BIN}/`;
        }
        if (dirent.isDirectory() && isCompiledDir(repo, entry)) {
            const found = staleIn(repo, entry);
            if (found) {
                return found;
            }
        }
    }
    return null;
}

/** Why the compiled tree is behind the sources, as one line; null when it is current or running from source. */
export function staleBuild(): string | null {
    if (verdict === undefined) {
        const tree = path.resolve(__dirname, "..", "..");
        const found = isCompiledTree(tree) ? staleIn(repositoryOf(tree), "") : null;
        verdict = found && `${found}: run npm run build`;
    }
    return verdict;
}
