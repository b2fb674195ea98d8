/**
 * loadManifests reads a manifest file the way kubectl 1.36 and the API server do (tools/manifests/ has
 * the rules and where each comes from). The expected values below were read from go.yaml.in/yaml/v2
 * v2.4.3's resolve.go and decode.go (identical there to gopkg.in/yaml.v2 v2.4.0), sigs.k8s.io/yaml
 * v1.6.0's yaml.go and apimachinery/cli-runtime v0.36.3, and checked against `kubectl create
 * --dry-run=client -o json` and a v1.36.3 API server.
 */
import { InputError } from "../tools/inputs";
import { loadKubectlDocuments, loadManifests } from "../tools/manifests";
import { YAML_CASES } from "../tools/e2e/yamlCases";

/** The JSON value kubectl sends for the plain scalar (or tagged/quoted text) `text`. */
function scalar(text: string): unknown {
    const docs = loadKubectlDocuments(`v: ${text}\n`, "t.yaml");
    return (docs[0].value as Record<string, unknown>).v;
}

/** The JSON object kubectl sends for a document. */
function doc(text: string): unknown {
    const docs = loadKubectlDocuments(text, "t.yaml");
    expect(docs).toHaveLength(1);
    return docs[0].value;
}

const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, ...extra });
const cmText = (name: string, extra = "") => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\n${extra}`;

describe("YAML 1.1 scalars as go-yaml v2 resolves them", () => {
    // resolve.go resolveMapList: exactly these spellings are booleans (y and n included); other cases are strings.
    it.each([
        ..."y Y yes Yes YES true True TRUE on On ON".split(" ").map((s) => [s, true]),
        ..."n N no No NO false False FALSE off Off OFF".split(" ").map((s) => [s, false]),
        ..."yEs tRUE oN nO Y0 yes!".split(" ").map((s) => [s, s]),
    ])("bool: %s → %p", (text, expected) => {
        expect(scalar(text as string)).toBe(expected);
    });

    // resolve.go resolveMapList: "" ~ null Null NULL are null; nULL is text.
    it.each([["", null], ["~", null], ["null", null], ["Null", null], ["NULL", null], ["nULL", "nULL"]])("null: %p → %p", (text, expected) => {
        expect(scalar(text as string)).toBe(expected);
    });

    // resolve.go, hint 'D'/'S': ParseInt(s without "_", 0, 64) (Go's base prefixes; a leading 0 is octal), then
    // ParseUint, then yamlStyleFloat, then a 0b retry; hint '.': ParseFloat.
    it.each([
        ["0755", 493], ["0o755", 493], ["0O17", 15], ["0x1F", 31], ["0X1f", 31], ["-0x10", -16], ["+0x10", 16],
        ["0b1010", 10], ["0B11", 3], ["-0b101", -5], ["0b-101", -5], ["1_000", 1000], ["1__0", 10], ["0x_1F", 31], ["+12", 12],
        ["-0", 0], ["0", 0], ["00", 0], ["9223372036854775807", 9223372036854775807], ["-9223372036854775808", -9223372036854775808],
        ["18446744073709551615", 18446744073709551615], ["99999999999999999999", 1e20],
        // Not octal (8, 9): a decimal float instead.
        ["08", 8], ["0009", 9], ["080", 80],
        ["1e3", 1000], ["1.", 1], [".5", 0.5], ["+.5", 0.5], ["-.5e2", -50], ["1.5E+3", 1500], [".5E3", 500], [".5_0", 0.5],
        ["1_000.5", 1000.5], ["0.1", 0.1], ["1e-400", 0],
        // Every "_" goes before the float syntax is checked.
        ["1_e3", 1000], ["1e_3", 1000],
    ])("number: %s → %p", (text, expected) => {
        expect(scalar(text as string)).toBe(expected);
    });

    // Whatever resolve.go does not turn into a number stays text: no sexagesimal (dropped on purpose, says
    // resolve.go), no hex floats, overflowing floats, and timestamps, which decode.go keeps as their text
    // when decoding into interface{}.
    it.each([
        "1:20", "190:20:30", "12:30:00", "0x1p-2", "1e400", "-1e400", ".5e999", "0x", "0b", "0o", "_1", "1e", ".", ".e5", "._5",
        "1,000", "Infinity", "NaN", "inf", "-Infinity", ".NaN2", "+", "-a", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5", "2001-12-14T21:59:43Z", "2001-13-01",
        "0b11111111111111111111111111111111111111111111111111111111111111111",
    ])("text: %s", (text) => {
        expect(scalar(text)).toBe(text);
    });

    // decode.go scalar: quoted and block scalars are text; a tag decides (!!str always text, !!int etc. must fit).
    it.each([
        ['"yes"', "yes"], ["'on'", "on"], ["|\n  yes", "yes\n"], [">\n  on", "on\n"], ["!!str yes", "yes"], ["! yes", "yes"],
        ["!!str 0755", "0755"], ['!!bool "yes"', true], ['!!bool "y"', true], ['!!int "0x10"', 16], ["!!float 1", 1], ["!!float 0x10", 16],
        ['!!null ""', null], ["!!null ~", null], ["!foo 12", "12"], ["!!binary aGVsbG8=", "hello"], ['!<tag:yaml.org,2002:int> "12"', 12],
        ["!!timestamp 2001-12-14", "2001-12-14"], ["!!timestamp 2001-12-14T21:59:43.5+05:30", "2001-12-14T21:59:43.5+05:30"],
        ["!!merge x", "x"], ["!!set {x, y}", { x: null, true: null }], ["!!seq {x: 1}", { x: 1 }],
    ])("tagged or quoted: %s → %p", (text, expected) => {
        expect(scalar(text as string)).toEqual(expected);
    });

    it.each([
        ["!!int abc", "cannot decode !!str `abc` as a !!int"],
        ["!!int 1.5", "cannot decode !!float `1.5` as a !!int"],
        ["!!bool 1", "cannot decode !!int `1` as a !!bool"],
        ["!!null abc", "cannot decode !!str `abc` as a !!null"],
        ["!!timestamp 2001-12-14 21:59:43.10 -5", "cannot decode !!str `2001-12-14 21:59:43.10 -5` as a !!timestamp"],
        ["!!int 2001-12-14", "cannot decode !!str `2001-12-14` as a !!int"],
        ["!!binary aGVsbG8", "!!binary value contains invalid base64 data"],
    ])("refuses %s as kubectl does", (text, message) => {
        expect(() => scalar(text)).toThrow(`t.yaml: line 1: ${message}`);
    });

    // sigs.k8s.io/yaml: json.Marshal cannot write NaN or ±Inf, so kubectl refuses the file.
    it.each([[".inf", "+Inf"], ["+.INF", "+Inf"], ["-.Inf", "-Inf"], [".nan", "NaN"], ["!!float .inf", "+Inf"]])("refuses the value %s", (text, shown) => {
        expect(() => scalar(text)).toThrow(new InputError(`t.yaml: v is ${shown} (from .nan or .inf), which JSON cannot hold: kubectl refuses it ` +
            `("json: unsupported value: ${shown}"); quote it if it is meant as text`));
    });
});

describe("mapping keys as sigs.k8s.io/yaml makes them strings", () => {
    it("resolves keys like values, then formats them: bools as true/false, floats as Go's %g of a float32", () => {
        const keys = ["1", "1.5", "0.1", "1e6", "123456789.0", "0x10", "-0", ".inf", "-.inf", "100000.0", "0.00001", "3.14159265358979",
            "1e21", "-1.5e-7", ".nan", "0.000123", "1234567.0", "-0.0", "yes", "Off", "2001-12-14", '"<<"', "9223372036854775807"];
        const value = doc(keys.map((k, i) => `${k}: ${i}\n`).join(""));
        // Each as kubectl create --dry-run=client printed it.
        expect(Object.keys(value as object).sort()).toEqual([
            "-.inf", "-0", "-1.5e-07", ".inf", ".nan", "0", "0.000123", "0.1", "1", "1.234567e+06", "1.2345679e+08", "1.5", "100000", "16",
            "1e+06", "1e+21", "1e-05", "2001-12-14", "3.1415927", "9223372036854775807", "<<", "false", "true",
        ].sort());
        expect(value).toMatchObject({ "1e+21": 12, ".inf": 7, "true": 18, "false": 19, "-0": 17, "0": 6 });
        // Beyond a float32: "+Inf", written .inf.
        expect(doc("1e39: x\n")).toEqual({ ".inf": "x" });
    });

    it("keeps the last of duplicate keys, as kubectl's non-strict decoding does", () => {
        expect(doc("a: 1\nb: 2\na: 3\n")).toEqual({ a: 3, b: 2 });
        expect(doc("yes: 1\non: 2\n")).toEqual({ true: 2 });
    });

    it("refuses two keys that only become the same string, which kubectl would keep either of at random", () => {
        expect(() => doc('true: a\n"true": b\n')).toThrow('t.yaml: line 2: the keys true (a boolean) (line 1) and "true" (line 2) both become "true"');
        expect(() => doc("x:\n  1: a\n  1.0: b\n")).toThrow('t.yaml: line 3: x: the keys 1 (an integer) (line 2) and 1 (a float) (line 3) both become "1"');
    });

    it.each([
        ["~: x\n", "line 1: unsupported map key of type: <nil>"],
        [": x\n", "unsupported map key of type: <nil>"],
        ["18446744073709551615: x\n", "line 1: unsupported map key of type: uint64 (18446744073709551615)"],
        ["[a]: x\n", "line 1: invalid map key: a mapping or a list cannot be a key"],
        ["? {a: 1}\n: x\n", "line 1: invalid map key"],
    ])("refuses the key in %p", (text, message) => {
        expect(() => doc(text)).toThrow(message);
    });

    it("keeps __proto__ as an ordinary key", () => {
        const v = doc("__proto__: {polluted: yes}\n") as Record<string, unknown>;
        expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
        expect(Object.keys(v)).toEqual(["__proto__"]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    // Mappings of string keys only take a shorter path (no key can collide); both keep __proto__ as data.
    it.each([
        ["a: 1\n__proto__: {x: z}\nb: 2\n", ["a", "__proto__", "b"]],
        ["1: a\n__proto__: {x: z}\n", ["1", "__proto__"]],
    ])("keeps __proto__ as an ordinary key among others in %p", (text, keys) => {
        const v = doc(text) as Record<string, unknown>;
        expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
        expect(Object.keys(v)).toEqual(keys);
        expect(Object.getOwnPropertyDescriptor(v, "__proto__")?.value).toEqual({ x: "z" });
    });
});

describe("<< merge keys in go-yaml v2's order", () => {
    it.each([
        ["a key after << wins", "b: &b {a: 1, b: 1}\nm:\n  <<: *b\n  a: 2\n", { a: 2, b: 1 }],
        ["a key before << loses to the merged one", "b: &b {a: 1, b: 1}\nm:\n  a: 2\n  <<: *b\n", { a: 1, b: 1 }],
        ["in a list the earlier mapping wins", "x: &x {a: 1}\ny: &y {a: 2, c: 2}\nm:\n  <<: [*x, *y]\n", { a: 1, c: 2 }],
        ["a list merge overwrites a key before it", "x: &x {a: 1}\nm:\n  c: 0\n  <<: [*x, {c: 3}]\n", { a: 1, c: 3 }],
        ["merges nest", "m:\n  <<: {a: 1, <<: {b: 2, a: x}}\n", { a: "x", b: 2 }],
        ["two merges: the later writes over", "m:\n  <<: {a: 1}\n  <<: {a: 2}\n", { a: 2 }],
        ["an empty list merges nothing", "m:\n  <<: []\n", {}],
        ["`! <<` is a merge key", "m:\n  ! <<: {a: 1}\n", { a: 1 }],
        ["`!!merge <<` is a merge key", "m:\n  !!merge <<: {a: 1}\n", { a: 1 }],
        ["a quoted << is a key", 'm:\n  "<<": {a: 1}\n', { "<<": { a: 1 } }],
        ["`!!str <<` is a key", "m:\n  !!str <<: {a: 1}\n", { "<<": { a: 1 } }],
    ])("%s", (_, text, m) => {
        expect((doc(text) as Record<string, unknown>).m).toEqual(m);
    });

    it.each([
        ["a string", 'm:\n  <<: "x"\n'], ["null", "m:\n  <<: ~\n"], ["nothing", "m:\n  <<:\n"], ["an alias of a string", 's: &s str\nm:\n  <<: *s\n'],
        ["an alias of a list", "l: &l [a]\nm:\n  <<: *l\n"], ["a list of lists", "m:\n  <<: [[{a: 1}]]\n"],
    ])("refuses a merge of %s", (_, text) => {
        expect(() => doc(text)).toThrow(/^t\.yaml: line \d+: map merge requires map or sequence of maps as the value$/);
    });

    it("merges the way the policy pack then judges: the explicit key before << is lost", () => {
        const [pod] = loadManifests(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    securityContext: &sc {allowPrivilegeEscalation: no}
  - name: b
    image: x
    securityContext:
      allowPrivilegeEscalation: yes
      <<: *sc
`, "p.yaml");
        expect(pod.spec.containers.map((c: { securityContext: unknown }) => c.securityContext)).toEqual([
            { allowPrivilegeEscalation: false }, { allowPrivilegeEscalation: false },
        ]);
    });
});

describe("aliases", () => {
    it("expands aliases as copies, an anchor redefined applying from there on", () => {
        const v = doc("a: &x 1\nb: *x\nc: &x 2\nd: *x\ne: &l [1]\nf: *l\n") as Record<string, unknown[]>;
        expect(v).toEqual({ a: 1, b: 1, c: 2, d: 2, e: [1], f: [1] });
        expect(v.e).not.toBe(v.f);
    });

    it("resolves an alias used as a key", () => {
        expect(doc("k: &k x\nm:\n  *k : 1\n")).toEqual({ k: "x", m: { x: 1 } });
    });

    it.each([
        ["a mapping", "m: &m\n  name: loop\n  again: *m\n"], ["a list", "l: &l [1, *l]\n"], ["a merge", "m: &m {<<: *m}\n"],
    ])("refuses an alias inside its own anchor's value, in %s", (_, text) => {
        expect(() => doc(text)).toThrow(new InputError("t.yaml: a YAML alias refers to the value that contains it, which has no end: remove the alias"));
    });

    it("refuses an alias with no anchor before it", () => {
        expect(() => doc("a: *nope\nb: &nope 1\n")).toThrow(`t.yaml: line 1: the YAML alias *nope names no anchor before it ("unknown anchor 'nope' referenced")`);
    });

    it("refuses an alias bomb, as go-yaml's excessive-aliasing check does, quickly", () => {
        const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
            .concat("bcdefghi".split("").map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`))
            .join("\n") + "\n";
        const start = Date.now();
        expect(() => loadManifests(bomb, "bomb.yaml")).toThrow(/^bomb\.yaml: its YAML aliases make up nearly all of what it expands to \(an alias bomb\?\)/);
        expect(Date.now() - start).toBeLessThan(5000);
    });

    it("reads aliases that expand a little", () => {
        const lines = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", ...Array.from({ length: 50 }, (_, i) => `k${i}: *a`)];
        expect(Object.keys(doc(lines.join("\n") + "\n") as object)).toHaveLength(51);
    });
});

describe("documents as kubectl frames them", () => {
    it("cuts at lines that start with ---, skipping empty, null and comment-only documents", () => {
        const text = `${cmText("a")}--- # comment\n\n---\n# only a comment\n---\nnull\n---\n~\n---\n${cmText("b")}`;
        expect(loadManifests(text, "m.yaml")).toEqual([cm("a"), cm("b")]);
        expect(loadManifests(`---\n${cmText("a")}---`, "m.yaml")).toEqual([cm("a")]);
        expect(loadManifests("", "m.yaml")).toEqual([]);
        expect(loadManifests("# nothing\n---\n---\n", "m.yaml")).toEqual([]);
    });

    it("reads only the first document of a piece: text after ... is ignored, even if malformed", () => {
        expect(loadManifests(`${cmText("a")}...\ngarbage: [\n`, "m.yaml")).toEqual([cm("a")]);
    });

    it("reads CRLF line ends and a byte order mark", () => {
        expect(loadManifests(`${cmText("a")}---\n${cmText("b")}`.replace(/\n/g, "\r\n"), "m.yaml")).toEqual([cm("a"), cm("b")]);
        expect(loadManifests(`\ufeff${cmText("a")}`, "m.yaml")).toEqual([cm("a")]);
    });

    it.each([
        [`${cmText("a")}--- x: 1\n`, 'm.yaml: line 4: kubectl ends a document at every line that starts with "---" and allows only a comment after it, not "x: 1"'],
        [`${cmText("a")}----\n`, 'not "-" ("invalid Yaml document separator")'],
        [`--- !!map\n${cmText("a")}`, 'm.yaml: line 1: kubectl ends a document'],
    ])("refuses text after a --- separator: %p", (text, message) => {
        expect(() => loadManifests(text, "m.yaml")).toThrow(message);
    });

    it.each([["%YAML 1.1"], ["%TAG !e! tag:example.com,2000:"]])("refuses a %s directive, which kubectl cannot read", (directive) => {
        expect(() => loadManifests(`${directive}\n---\n${cmText("a")}`, "m.yaml")).toThrow(
            `m.yaml: not valid YAML or JSON: line 1: kubectl reads no YAML directives (${directive.split(" ")[0]})`);
    });

    it("reads a stream of JSON objects, and YAML after the first one that is not JSON", () => {
        const j = (name: string, data = "") => `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "${name}"}${data}}`;
        expect(loadManifests(`${j("a", ', "data": {"k": "1", "k": "2"}')}\n${j("b")}`, "j.json")).toEqual([cm("a", { data: { k: "2" } }), cm("b")]);
        expect(loadManifests(`${j("a")}${j("b")}`, "j.json")).toEqual([cm("a"), cm("b")]);
        expect(loadManifests(`${j("a")}\n---\n${cmText("c", "data: {a: yes}\n")}`, "j.json")).toEqual([cm("a"), cm("c", { data: { a: true } })]);
        expect(loadManifests(`${j("a")}\nnull\n`, "j.json")).toEqual([cm("a")]);
        // Not JSON (unquoted, a trailing comma): read as YAML from the start.
        expect(loadManifests("{apiVersion: v1, kind: ConfigMap, metadata: {name: f}, data: {a: on,}}\n", "j.json")).toEqual([cm("f", { data: { a: true } })]);
        // After two JSON objects kubectl no longer switches to YAML.
        expect(() => loadManifests(`${j("a")}${j("b")}\n---\n`, "j.json")).toThrow(/^j\.json: not valid YAML or JSON: JSON value 3 \(line 2\)/);
    });

    it("names the file and the line of malformed YAML, in one line", () => {
        for (const [text, line] of [[`${cmText("a")}data:\n  a: b: c\n`, 5], ["apiVersion: v1\nmetadata: [unclosed\n", 3], [`${cmText("a")}x:\n- a\n-b\n`, 6]] as const) {
            let message = "";
            try {
                loadManifests(text, "bad.yaml");
            } catch (e) {
                expect(e).toBeInstanceOf(InputError);
                message = (e as Error).message;
            }
            expect(message).toMatch(new RegExp(`^bad\\.yaml: not valid YAML or JSON: .* at line ${line}, column \\d+$`));
        }
    });

    it('refuses the "\\/" escape, which libyaml does not know', () => {
        expect(() => loadManifests(cmText("a", 'data: {a: "x\\/y"}\n'), "e.yaml")).toThrow('e.yaml: not valid YAML or JSON: line 4: kubectl\'s YAML parser knows no "\\/" escape');
        expect(loadManifests(cmText("a", 'data: {a: "x\\\\/y", b: \'\\/\'}\n'), "e.yaml")).toEqual([cm("a", { data: { a: "x\\/y", b: "\\/" } })]);
    });

    it("refuses a document that is not a Kubernetes object, naming the document", () => {
        for (const text of ["- a\n", "hello\n", "kind: ConfigMap\n", "apiVersion: v1\n", "apiVersion: v1\nkind: 3\n"]) {
            expect(() => loadManifests(text, "x.yaml")).toThrow(new InputError("x.yaml: not a Kubernetes object (apiVersion and kind are required)"));
        }
        expect(() => loadManifests(`${cmText("a")}---\n- a\n`, "x.yaml")).toThrow("x.yaml: document 2: not a Kubernetes object");
    });
});

describe("lists as kubectl apply unpacks them", () => {
    it("unpacks a List, and any object with items, into its items", () => {
        const list = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: {k: on}}\n";
        expect(loadManifests(list, "l.yaml")).toEqual([cm("a"), cm("b", { data: { k: true } })]);
        expect(loadManifests("apiVersion: apps/v1\nkind: DeploymentList\nitems: []\n", "l.yaml")).toEqual([]);
        expect(loadManifests(`${cmText("outer")}items:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: inner}}\n`, "l.yaml")).toEqual([cm("inner")]);
    });

    it("gives an item with neither kind nor apiVersion the list's kind less List, and its apiVersion", () => {
        const text = "apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: a}\n- {kind: Secret, apiVersion: v1, metadata: {name: b}}\n";
        expect(loadManifests(text, "l.yaml")).toEqual([cm("a"), { kind: "Secret", apiVersion: "v1", metadata: { name: "b" } }]);
        expect(() => loadManifests("apiVersion: v1\nkind: ConfigMapList\nitems:\n- {kind: ConfigMap, metadata: {name: a}}\n", "l.yaml"))
            .toThrow("l.yaml: items[0]: not a Kubernetes object (apiVersion and kind are required)");
    });

    it("keeps an item whose items is not a list as an object", () => {
        const text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: example.org/v1, kind: Thing, metadata: {name: a}, items: null}\n";
        expect(loadManifests(text, "l.yaml")).toEqual([{ apiVersion: "example.org/v1", kind: "Thing", metadata: { name: "a" }, items: null }]);
    });

    it("refuses a list inside a list, as kubectl apply does", () => {
        const text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- apiVersion: v1\n  kind: List\n  items: []\n";
        expect(() => loadManifests(text, "l.yaml")).toThrow(new InputError("l.yaml: items[1]: List is itself a list (it has items), and kubectl apply " +
            "refuses a list inside a list (\"*unstructured.Unstructured is not a list: no Items field in this object\"): put its items in the outer list"));
    });

    it.each([["null", "null"], ["x", "string"], ["{a: 1}", "object"]])("refuses items: %s", (items, shown) => {
        expect(() => loadManifests(`apiVersion: v1\nkind: List\nitems: ${items}\n`, "l.yaml")).toThrow(`l.yaml: List has items that is not a list (${shown})`);
    });

    it("refuses an item that is not an object", () => {
        expect(() => loadManifests("apiVersion: v1\nkind: List\nitems: [1]\n", "l.yaml")).toThrow("l.yaml: items[0]: not a Kubernetes object");
        expect(() => loadManifests(`${cmText("a")}---\napiVersion: v1\nkind: List\nitems: [null]\n`, "l.yaml")).toThrow("l.yaml: document 2: items[0]: not a Kubernetes object");
    });
});

describe("the e2e tier's cases (tools/e2e/yamlCases.ts)", () => {
    it("have unique names, and objects named after them", () => {
        expect(new Set(YAML_CASES.map((c) => c.name)).size).toBe(YAML_CASES.length);
        for (const c of YAML_CASES) {
            for (const o of c.expected) {
                expect(o.metadata.name.startsWith(`yaml11-${c.name}`)).toBe(true);
                expect(o.metadata.namespace).toBeUndefined();
            }
        }
    });

    it.each(YAML_CASES.map((c) => [c.name, c]))("%s: loadManifests reads what the case says", (_, c) => {
        if (c.loadError) {
            expect(() => loadManifests(c.yaml, "case.yaml")).toThrow(c.loadError);
            expect(c.expected).toEqual([]);
            return;
        }
        const objects = loadManifests(c.yaml, "case.yaml");
        expect(objects).toEqual(c.expected);
        for (const s of c.stored ?? []) {
            const o = objects.find((x) => x.kind === s.kind && x.metadata.name === s.name);
            expect(s.path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], o)).toEqual(s.value);
        }
        expect(Boolean(c.expectRejected)).toBe(c.rejectedBy !== undefined);
    });
});
