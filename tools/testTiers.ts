/**
 * tools/test.sh's summary of one jest run over several tiers (jest.config.js's projects): per tier, its
 * tests, its failures and the time its files took, summed (two workers run files side by side, so the
 * tiers' times add up to about twice the run's wall time).
 *   node bin/tools/testTiers.js RESULTS.json TIER...
 */
import * as fs from "fs";
import * as path from "path";

interface Project {
    displayName: string;
    testRegex: string | string[];
    testPathIgnorePatterns: string[];
}

interface FileResult {
    name: string;
    startTime: number;
    endTime: number;
    assertionResults: { status: string }[];
}

/** The tier of a test file, as jest.config.js's projects assign it. */
export function tierOf(projects: readonly Project[], file: string): string | undefined {
    return projects.find((p) => [p.testRegex].flat().some((r) => new RegExp(r).test(file))
        && !p.testPathIgnorePatterns.some((r) => new RegExp(r).test(file)))?.displayName;
}

export function summary(projects: readonly Project[], results: readonly FileResult[], tiers: readonly string[]): string[] {
    return tiers.map((tier) => {
        const files = results.filter((r) => tierOf(projects, r.name) === tier);
        const tests = files.flatMap((f) => f.assertionResults);
        const seconds = files.reduce((s, f) => s + (f.endTime - f.startTime) / 1000, 0);
        const failed = tests.filter((t) => t.status === "failed").length;
        return `${`${tier}:`.padEnd(14)} ${tests.length} tests (${failed} failed) in ${files.length} files, ${Math.round(seconds)} s of file time`;
    });
}

if (require.main === module) {
    const [file, ...tiers] = process.argv.slice(2);
    const config = require(path.resolve(__dirname, "..", "..", "jest.config.js")) as { projects: Project[] };
    let results: FileResult[] = [];
    try {
        results = (JSON.parse(fs.readFileSync(file, "utf8")) as { testResults: FileResult[] }).testResults;
    } catch (e) {
        console.log(`(no jest results in ${file}: ${(e as Error).message})`);
    }
    console.log(summary(config.projects, results, tiers).join("\n"));
}
