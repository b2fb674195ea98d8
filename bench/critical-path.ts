/**
 * The deploy's critical path at scale, read from what the synth writes (resources.json): the longest
 * chain of remote commands a first deploy runs one after another, for 10, 100 and 1 000 workers behind
 * one and three control planes, against the bound 2 + 2 × control planes.
 *   node bin/bench/critical-path.js [WORKERS...]
 * Last line: "critical path: 1 cp: 10 workers 4, ... (bound 2 + 2 × control planes)".
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { npmScript } from "../tools/build/scripts";
import { Chain, GraphResource, longestChain } from "../tools/criticalPath";
import { scaledStackFile, Size } from "../tools/scaledStack";
import { repositoryOf } from "../tools/build/tree";

const REPO = repositoryOf(path.resolve(__dirname, ".."));

/** The synth of the test stack grown to `size`, run as `npm run synth` runs it; its longest chain. */
export function synthChain(size: Size): Chain {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "critical-path-"));
    try {
        const file = path.join(work, "stack.yaml");
        fs.writeFileSync(file, scaledStackFile(REPO, "test", size));
        const run = spawnSync(process.execPath, [...npmScript("synth"), "test", "--config", file, "--out", work], { cwd: REPO, encoding: "utf8" });
        if (run.status !== 0) {
            throw new Error(`synth of ${size.controlPlanes} control planes and ${size.workers} workers exited ${run.status}: ${run.stderr}`);
        }
        const { resources } = JSON.parse(fs.readFileSync(path.join(work, "test", "resources.json"), "utf8")) as { resources: GraphResource[] };
        return longestChain(resources);
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

if (require.main === module) {
    const workers = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [10, 100, 1000];
    const figures: string[] = [];
    for (const controlPlanes of [1, 3]) {
        const lengths = workers.map((w) => {
            const chain = synthChain({ controlPlanes, workers: w });
            console.log(`${controlPlanes} control plane(s), ${w} workers: ${chain.length} steps: ${chain.steps.join(" → ")}`);
            return `${w} workers ${chain.length}`;
        });
        figures.push(`${controlPlanes} cp: ${lengths.join(", ")}`);
    }
    console.log(`critical path: ${figures.join("; ")} (bound 2 + 2 × control planes: 4 and 8)`);
}
