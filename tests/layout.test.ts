/**
 * The layout's promises, checked on the files as they are: the two halves of the program meet only in
 * Cluster.ts, nothing imports in a circle, a folder's index.ts only re-exports, and no source file
 * grows past what a newcomer reads in one sitting.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO } from "./harness";

/** Every file git would see under these folders (node_modules and build output left out). */
function filesUnder(...dirs: string[]): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                if (!["node_modules", "out", "bin"].includes(entry.name)) {
                    walk(full);
                }
            } else {
                out.push(path.relative(REPO, full));
            }
        }
    };
    dirs.forEach((d) => walk(path.join(REPO, d)));
    return out.sort();
}

const SOURCES = [...filesUnder("components", "config", "tools", "policies").filter((f) => f.endsWith(".ts")), "index.ts"];

/** The repo-relative .ts files a file imports (relative imports only; packages are not ours). */
function importsOf(file: string): string[] {
    const text = fs.readFileSync(path.join(REPO, file), "utf8");
    const specs = [...text.matchAll(/^(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"/gms)].map((m) => m[1]);
    return specs.map((spec) => {
        const base = path.join(path.dirname(file), spec);
        const candidates = [`${base}.ts`, path.join(base, "index.ts")];
        const found = candidates.find((c) => fs.existsSync(path.join(REPO, c)));
        if (!found) {
            throw new Error(`${file} imports ${spec}, which is no .ts file`);
        }
        return path.normalize(found);
    });
}

const GRAPH = new Map(SOURCES.map((f) => [f, importsOf(f)]));

describe("the two halves of the program", () => {
    const under = (dir: string) => (f: string) => f.startsWith(`${dir}/`);

    it("hosts/ never imports platform/, nor platform/ hosts/", () => {
        const crossings = [...GRAPH].flatMap(([file, deps]) => deps
            .filter((d) => (under("components/hosts")(file) && under("components/platform")(d)) ||
                (under("components/platform")(file) && under("components/hosts")(d)))
            .map((d) => `${file} → ${d}`));
        expect(crossings).toEqual([]);
    });

    it("only components/Cluster.ts imports both", () => {
        const both = [...GRAPH].filter(([, deps]) => deps.some(under("components/hosts")) && deps.some(under("components/platform")));
        expect(both.map(([f]) => f)).toEqual(["components/Cluster.ts"]);
    });

    it("config/ takes only the version window from the components", () => {
        const used = [...GRAPH].filter(([f]) => under("config")(f)).flatMap(([, deps]) => deps.filter(under("components")));
        expect([...new Set(used)]).toEqual(["components/hosts/versions.ts"]);
    });
});

it("no module imports itself through others (tools/ included)", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, trail: string[]) => {
        if (state.get(file) === "done") {
            return;
        }
        if (state.get(file) === "open") {
            cycles.push([...trail.slice(trail.indexOf(file)), file].join(" → "));
            return;
        }
        state.set(file, "open");
        for (const dep of GRAPH.get(file) ?? []) {
            visit(dep, [...trail, file]);
        }
        state.set(file, "done");
    };
    SOURCES.forEach((f) => visit(f, []));
    expect(cycles).toEqual([]);
});

it("a folder's index.ts only re-exports", () => {
    const indexes = SOURCES.filter((f) => path.basename(f) === "index.ts" && f !== "index.ts" && !f.startsWith("policies/"));
    expect(indexes).toEqual(expect.arrayContaining(["components/hosts/index.ts", "components/platform/index.ts", "config/index.ts", "config/platform/index.ts"]));
    for (const file of indexes) {
        const code = fs.readFileSync(path.join(REPO, file), "utf8")
            .replace(/\/\*[\s\S]*?\*\//g, "")
            .split("\n")
            .map((l) => l.replace(/\/\/.*$/, "").trim())
            .filter((l) => l !== "");
        expect([file, code.filter((l) => !/^export (type )?(\*|\{[^}]*\}) from "[^"]+";$/.test(l))]).toEqual([file, []]);
    }
});

describe("file sizes", () => {
    const LIMIT = 400;
    const sources = filesUnder("components", "config", "tools", "policies", "tests", ".ci")
        .filter((f) => /\.(ts|sh|py|js)$/.test(f) || f.startsWith("tests/sandbox/standins/") || f === ".ci/run")
        .concat(["index.ts"]);

    it(`no source file, script or stand-in is over ${LIMIT} lines`, () => {
        const long = sources
            .map((f) => [f, fs.readFileSync(path.join(REPO, f), "utf8").split("\n").length - 1] as const)
            .filter(([, n]) => n > LIMIT)
            .map(([f, n]) => `${f}: ${n} lines`);
        expect(long).toEqual([]);
    });
});
