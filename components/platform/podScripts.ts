/**
 * The scripts that run inside the platform's pods (shipped to them in ConfigMaps), as opposed to the
 * host scripts in components/hosts/scripts that travel over SSH.
 */
import * as fs from "fs";
import * as path from "path";

export const POD_SCRIPTS_DIR = path.join(__dirname, "scripts");

/** Reads a script shipped in components/platform/scripts. */
export function podScript(name: string): string {
    return fs.readFileSync(path.join(POD_SCRIPTS_DIR, name), "utf8");
}
