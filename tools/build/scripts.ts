/**
 * An npm script of package.json as node arguments, so a test runs a tool exactly as `npm run NAME` does,
 * compiled tree and preloads included, without npm's own start-up.
 */
import * as fs from "fs";
import * as path from "path";
import { repositoryOf } from "./tree";

export function npmScript(name: string): string[] {
    const repo = repositoryOf(path.resolve(__dirname, "..", ".."));
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const [command, ...args] = (pkg.scripts[name] ?? "").split(/\s+/);
    if (command !== "node") {
        throw new Error(`package.json: script ${JSON.stringify(name)} is not one node command`);
    }
    return args;
}
