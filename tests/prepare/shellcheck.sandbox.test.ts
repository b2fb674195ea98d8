/**
 * shellcheck over every shell script the program ships (components/hosts/scripts, components/platform/scripts)
 * and over the sandbox's stand-ins.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SCRIPTS_DIR } from "../../components/hosts/bundle";
import { POD_SCRIPTS_DIR } from "../../components/platform/podScripts";
import { STANDINS_DIR } from "../sandbox";
import { REPO } from "./fixtures";

describe("shellcheck", () => {
    function shellcheck(args: string[]): { status: number | null; output: string } {
        const r = spawnSync("shellcheck", args, { cwd: REPO, encoding: "utf8" });
        if (r.error) {
            const code = (r.error as NodeJS.ErrnoException).code;
            throw new Error(code === "ENOENT"
                ? "shellcheck is not installed; install it (apt-get install shellcheck): CI runs it, and so must this test"
                : `shellcheck did not run: ${r.error.message}`);
        }
        return { status: r.status, output: r.stdout + r.stderr };
    }

    test("every components/hosts/scripts/*.sh and components/platform/scripts/*.sh is clean", () => {
        const list = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith(".sh")).sort();
        expect(list(SCRIPTS_DIR)).toEqual(expect.arrayContaining(["bootstrap.sh", "lib.sh", "prepare.sh"]));
        expect(list(POD_SCRIPTS_DIR)).toEqual(["etcd-backup.sh"]);
        const scripts = [SCRIPTS_DIR, POD_SCRIPTS_DIR].flatMap((dir) => list(dir).map((f) => path.relative(REPO, path.join(dir, f))));
        const r = shellcheck(scripts);
        expect(r.output).toBe("");
        expect(r.status).toBe(0);
    });

    test("the sandbox stand-ins are clean", () => {
        const files = fs.readdirSync(STANDINS_DIR).sort().map((f) => path.relative(REPO, path.join(STANDINS_DIR, f)));
        const r = shellcheck(["-s", "bash", ...files]);
        expect(r.output).toBe("");
        expect(r.status).toBe(0);
    });
});
