/**
 * The compiled tree, bin/: `tsc -p tsconfig.build.json` writes a .js for every .ts of the program and
 * tools, and link.ts fills in the rest as symlinks to the sources (scripts, policy configs, stack files,
 * the .ts files some tools hand to ts-node), so code that finds its files from `__dirname` finds the same
 * ones compiled as it does from source. A directory tsc wrote into is a real directory in bin/; any other
 * entry is one symlink, which is never stale because it is the source itself.
 */
import * as fs from "fs";
import * as path from "path";

/** The folder the compiled tree is written to, relative to the repository. */
export const BIN = "bin";

/** Never mirrored: what is not source, and the compiled tree itself. */
const SKIPPED = new Set(["node_modules", ".git", BIN, "out"]);

/** The repository, given the root of the tree the caller runs from: the repository itself or its bin/. */
export function repositoryOf(treeRoot: string): string {
    return isCompiledTree(treeRoot) ? path.dirname(treeRoot) : treeRoot;
}

/** Whether that root is the compiled tree. */
export function isCompiledTree(treeRoot: string): boolean {
    return path.basename(treeRoot) === BIN && fs.existsSync(path.join(treeRoot, "..", "tsconfig.build.json"));
}

/** A path as it is in the sources: one inside bin/ is the source it mirrors, anything else itself. */
export function sourcePath(repo: string, file: string): string {
    const rel = path.relative(path.join(repo, BIN), file);
    return rel.startsWith("..") || path.isAbsolute(rel) ? file : path.join(repo, rel);
}

export interface Entry {
    /** Path relative to the repository (and to bin/). */
    readonly rel: string;
    readonly dirent: fs.Dirent;
}

/** The source entries of one directory that bin/ mirrors (rel "" is the repository itself). */
export function sourceEntries(repo: string, rel: string): Entry[] {
    return fs.readdirSync(path.join(repo, rel), { withFileTypes: true })
        .filter((d) => !(rel === "" && SKIPPED.has(d.name)))
        .map((dirent) => ({ rel: path.join(rel, dirent.name), dirent }));
}

/** Whether tsc wrote into this directory of bin/ (so it is mirrored entry by entry, not linked whole). */
export function isCompiledDir(repo: string, rel: string): boolean {
    try {
        return fs.lstatSync(path.join(repo, BIN, rel)).isDirectory();
    } catch {
        return false;
    }
}

export function isTypeScript(name: string): boolean {
    return name.endsWith(".ts") && !name.endsWith(".d.ts");
}
