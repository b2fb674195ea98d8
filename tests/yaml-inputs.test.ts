/**
 * YAML an operator hands the tools that js-yaml parses but nothing after it survives: an alias bomb
 * (aliases of aliases, a few lines that stand for millions of values) and an anchor used inside its own
 * value (a cycle). The synth and `policy check` refuse both with exit 2 and a message naming the file,
 * never a crash or an out-of-memory.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { npmScript } from "../tools/build/scripts";
import { InputError, loadYamlDocuments, YAML_VALUE_LIMIT } from "../tools/inputs";
import { REPO } from "./harness";

/** Nine levels of nine aliases each: 9^9 (387 million) values from ten lines. */
const BOMB = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    .concat("bcdefghi".split("").map((k, i) => {
        const prev = "abcdefghi"[i];
        return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(", ")}]`;
    }))
    .join("\n") + "\n";

const SELF = "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: loop\n  again: *m\n";

/** Runs `npm run SCRIPT -- ARGS` minus npm: the compiled tool, as the operator runs it. */
function run(script: "synth" | "policy", ...args: string[]) {
    return spawnSync(process.execPath, [...npmScript(script), ...args], {
        cwd: REPO,
        encoding: "utf8",
        timeout: 60_000,
    });
}

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "yaml-inputs-"));
});
afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("loadYamlDocuments", () => {
    it("reads ordinary documents, aliases that expand a little included", () => {
        const docs = loadYamlDocuments("a: &x {k: 1}\nb: *x\n---\n- 1\n", "f.yaml");
        expect(docs).toEqual([{ a: { k: 1 }, b: { k: 1 } }, [1]]);
    });

    it("refuses an alias bomb, naming the file and the limit", () => {
        expect(() => loadYamlDocuments(BOMB, "bomb.yaml")).toThrow(InputError);
        expect(() => loadYamlDocuments(BOMB, "bomb.yaml")).toThrow(
            `bomb.yaml: its YAML aliases expand to more than ${YAML_VALUE_LIMIT.toLocaleString("en")} values (an alias bomb?)`,
        );
    });

    it.each([["a list", "a: &x [1, *x]\n"], ["a mapping", SELF]])("refuses an anchor used inside its own value, in %s", (_, text) => {
        expect(() => loadYamlDocuments(text, "loop.yaml")).toThrow("loop.yaml: a YAML alias refers to the value that contains it");
    });

    it("names the format it was asked to read", () => {
        expect(() => loadYamlDocuments("a: [unclosed\n", "m.json", "YAML or JSON")).toThrow(/^m\.json: not valid YAML or JSON: /);
    });
});

describe("the tools refuse such files with exit 2", () => {
    it("synth: an alias bomb in a stack file's config", () => {
        const file = path.join(dir, "Pulumi.bomb.yaml");
        // The config mapping is the file's last: these lines join it as one more key of another namespace.
        const bomb = BOMB.trimEnd().replace(/^/gm, "    ");
        fs.writeFileSync(file, `${fs.readFileSync(path.join(REPO, "Pulumi.test.yaml"), "utf8")}  other:bomb:\n${bomb}\n`);
        const r = run("synth", "test", "--config", file, "--out", path.join(dir, "out"));
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^synth: ${file}: its YAML aliases expand to more than`));
        expect(fs.existsSync(path.join(dir, "out"))).toBe(false);
    });

    it("policy check: a manifest whose anchor is used inside itself", () => {
        const file = path.join(dir, "loop.yaml");
        fs.writeFileSync(file, SELF);
        const r = run("policy", "check", file);
        expect(r).toMatchObject({ status: 2, stdout: "" });
        expect(r.stderr).toBe(`policy: ${file}: a YAML alias refers to the value that contains it, which has no end: remove the alias\n`);
    });
});
