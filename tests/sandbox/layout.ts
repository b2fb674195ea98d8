/** Where everything lives inside one sandbox directory. */
import * as fs from "fs";
import * as path from "path";

export interface SandboxLayout {
    readonly dir: string;
    /** The host's root tree (LSST_K8S_ROOT). */
    readonly root: string;
    /** The only directory on the scripts' PATH. */
    readonly binDir: string;
    /** Where bundles are unpacked. */
    readonly workDir: string;
    /** The stand-ins' state files. */
    readonly stateDir: string;
    /** HOME, and the working directory of every run. */
    readonly home: string;
    readonly tmp: string;
    /** The copies of the stand-ins' sources that the wrappers on PATH source. */
    readonly standinSrc: string;
    /** The stand-ins' own PATH, apart from the scripts'. */
    readonly standinTools: string;
    /** One line a stand-in call. */
    readonly callLog: string;
}

export function layoutIn(dir: string): SandboxLayout {
    return {
        dir,
        root: path.join(dir, "root"),
        binDir: path.join(dir, "bin"),
        workDir: path.join(dir, "work"),
        stateDir: path.join(dir, "state"),
        home: path.join(dir, "home"),
        tmp: path.join(dir, "tmp"),
        standinSrc: path.join(dir, "standins"),
        standinTools: path.join(dir, "standin-tools"),
        callLog: path.join(dir, "calls.log"),
    };
}

/**
 * Where lib.sh keeps the lock of each action (lock_action), relative to the root. It is there from the
 * start, so taking the first lock changes no directory of the host tree, and snapshots leave it out:
 * what it holds is the bookkeeping of runs (on a host, tmpfs emptied at boot), not host state a script
 * changed, so a run that was refused still leaves the tree as it found it. The lock tests read it.
 */
export const LOCK_DIR = "run/lsst-k8s";

/** Creates the layout's directories, the root's lock directory and its empty call log. */
export function createLayout(layout: SandboxLayout): void {
    const { root, binDir, workDir, stateDir, home, tmp, standinSrc, standinTools } = layout;
    for (const d of [root, binDir, workDir, stateDir, home, tmp, standinSrc, standinTools, path.join(root, LOCK_DIR)]) {
        fs.mkdirSync(d, { recursive: true });
    }
    fs.writeFileSync(layout.callLog, "");
}
