/**
 * Preloaded by every npm script (`node -r ./bin/tools/build/check.js bin/tools/...`): a stale compiled
 * tree stops the tool before it loads anything, with one line and exit 2.
 */
import { staleBuild } from "./fresh";

const stale = staleBuild();
if (stale) {
    process.stderr.write(`${stale}\n`);
    process.exit(2);
}
