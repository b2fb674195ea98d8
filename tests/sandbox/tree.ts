/** Files in the sandbox's trees: the host's root tree, the stand-ins' state and the work directory. */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Bundle } from "../../components/hosts/bundle";
import { PLAIN_NAME } from "./commands";

/** A file in the root tree: its content (mode 0644), content and mode, or a symlink. */
export type RootEntry = string | { readonly content: string; readonly mode?: string } | { readonly symlink: string };

/** A path relative to a tree, without "..", absolute parts or empty segments. */
export function checkRelative(rel: string): string {
    const parts = rel.split("/");
    if (rel === "" || rel.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
        throw new Error(`sandbox: ${JSON.stringify(rel)} is not a plain relative path`);
    }
    return rel;
}

export function inside(base: string, rel: string): string {
    return path.join(base, checkRelative(rel));
}

export function writeEntry(file: string, entry: RootEntry): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.rmSync(file, { recursive: true, force: true });
    if (typeof entry === "string") {
        fs.writeFileSync(file, entry);
        fs.chmodSync(file, 0o644);
    } else if ("symlink" in entry) {
        fs.symlinkSync(entry.symlink, file);
    } else {
        fs.writeFileSync(file, entry.content);
        fs.chmodSync(file, parseInt(entry.mode ?? "0644", 8));
    }
}

/**
 * The tree under BASE as Sandbox.snapshot() describes it, without SKIP (a relative directory) and what
 * is below it, and without SKIP's parent when nothing else is in it.
 */
export function walk(base: string, identity: boolean, skip?: string): Map<string, string> {
    const out = new Map<string, string>();
    const visit = (rel: string): void => {
        const abs = rel ? path.join(base, rel) : base;
        for (const name of fs.readdirSync(abs).sort()) {
            const r = rel ? `${rel}/${name}` : name;
            if (r === skip) {
                continue;
            }
            const p = path.join(abs, name);
            const st = fs.lstatSync(p);
            const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
            if (st.isSymbolicLink()) {
                out.set(r, `link -> ${fs.readlinkSync(p)}`);
            } else if (st.isDirectory()) {
                out.set(r, `dir ${mode}` + (identity ? ` mtime:${st.mtimeMs}` : ""));
                visit(r);
            } else if (st.isFile()) {
                const sha = createHash("sha256").update(fs.readFileSync(p)).digest("hex");
                out.set(r, `file ${mode} sha256:${sha}` + (identity ? ` ino:${st.ino} mtime:${st.mtimeMs}` : ""));
            } else {
                out.set(r, `other ${mode}`);
            }
        }
    };
    visit("");
    const parent = skip?.includes("/") ? path.posix.dirname(skip) : undefined;
    if (parent && out.has(parent) && ![...out.keys()].some((k) => k.startsWith(`${parent}/`))) {
        out.delete(parent);
    }
    return out;
}

export function chownTree(dir: string, uid: number, gid: number): void {
    fs.lchownSync(dir, uid, gid);
    for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        if (fs.lstatSync(p).isDirectory()) {
            chownTree(p, uid, gid);
        } else {
            fs.lchownSync(p, uid, gid);
        }
    }
}

/** Writes a bundle's files into DIR with their modes, as bootstrap.sh unpacks it on a node. */
export function writeBundle(bundle: Bundle, dir: string): void {
    if (!bundle.files[bundle.entry]) {
        throw new Error(`sandbox: bundle entry ${bundle.entry} is not among its files`);
    }
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, file] of Object.entries(bundle.files)) {
        if (!PLAIN_NAME.test(name) || !/^0[0-7]{3}$/.test(file.mode)) {
            throw new Error(`sandbox: bundle file ${JSON.stringify(name)} (mode ${file.mode}) is not valid`);
        }
        const p = path.join(dir, name);
        fs.writeFileSync(p, file.content);
        fs.chmodSync(p, parseInt(file.mode, 8));
    }
}
