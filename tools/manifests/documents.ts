/**
 * Framing: how kubectl cuts a file into documents and JSON values (apimachinery pkg/util/yaml/decoder.go),
 * and each YAML document decoded into the JSON kubectl sends (decoder.ts, json.ts). Here because kubectl
 * frames a file before any YAML parser sees it, so a YAML parser's own idea of documents is not used.
 *
 * Framing (apimachinery pkg/util/yaml/decoder.go, YAMLOrJSONDecoder): a file whose first non-space
 *    character is `{` is read as a stream of JSON values (`{...}{...}`); when a value fails to decode
 *    while at most one has been read, the rest is read as YAML. YAML is cut into documents by YAMLReader:
 *    every line that starts with `---` ends a document and is dropped; anything after the `---` other than
 *    spaces or a `#` comment is an error ("invalid Yaml document separator"). Each piece is then decoded on
 *    its own, and only its first YAML document counts (go-yaml's Unmarshal reads one document, so text after
 *    a `...` end marker is ignored). A `%YAML`/`%TAG` directive therefore always fails (its `---` line was
 *    cut away: "did not find expected <document start>"). Empty and `null` documents are skipped
 *    (cli-runtime pkg/resource/visitor.go, StreamVisitor).
 */
import { Alias, Composer, isAlias, isMap, isScalar, isSeq, Parser, Scalar } from "yaml";
import { InputError } from "../inputs";
import { Decoder, YNode } from "./decoder";
import { DecodeError } from "./goValues";
import { toJson } from "./json";

interface Piece { text: string; line: number } // line: the file line the piece starts on (1-based)

/** One document as kubectl decodes it: its JSON value, and how errors name it ("FILE" or "FILE: document N"). */
export interface KubectlDocument { value: unknown; where: string }

/** The 1-based line of each offset in `text`, counted from `firstLine`. */
function lineCounter(text: string, firstLine: number): (offset: number) => number {
    const starts = [0];
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
        starts.push(i + 1);
    }
    return (offset) => {
        let lo = 0;
        let hi = starts.length - 1;
        while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (starts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return firstLine + lo;
    };
}

/** YAMLReader: documents split at every line that starts with `---` (the line itself dropped). */
function splitDocuments(text: string, firstLine: number, file: string): Piece[] {
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") {
        lines.pop();
    }
    const pieces: Piece[] = [];
    let buf: string[] = [];
    let start = firstLine;
    lines.forEach((raw, i) => {
        // bufio.Reader.ReadLine drops the "\r" of "\r\n"; LineReader ends every line with "\n".
        const terminated = i < lines.length - 1 || text.endsWith("\n");
        const line = terminated && raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        if (line.startsWith("---")) {
            const rest = line.slice(3).trim();
            if (rest !== "" && rest[0] !== "#") {
                throw new InputError(`${file}: line ${firstLine + i}: kubectl ends a document at every line that starts with "---" and allows ` +
                    `only a comment after it, not ${JSON.stringify(rest)} ("invalid Yaml document separator"): move it to the next line`);
            }
            if (buf.length > 0) {
                pieces.push({ text: buf.join(""), line: start });
            }
            buf = [];
            start = firstLine + i + 1;
            return;
        }
        buf.push(`${line}\n`);
    });
    if (buf.length > 0) {
        pieces.push({ text: buf.join(""), line: start });
    }
    return pieces;
}

const JSON_SPACE = new Set([" ", "\t", "\n", "\r"]);

/** The end of the JSON value at `pos` (brackets matched, strings skipped), or -1 if the text ends first. */
function jsonValueEnd(text: string, pos: number): number {
    let depth = 0;
    for (let i = pos; i < text.length; i++) {
        const c = text[i];
        if (c === '"') {
            for (i++; i < text.length && text[i] !== '"'; i++) {
                if (text[i] === "\\") {
                    i++;
                }
            }
            if (i >= text.length) {
                return -1;
            }
            if (depth === 0) {
                return i + 1;
            }
        } else if (c === "{" || c === "[") {
            depth++;
        } else if (c === "}" || c === "]") {
            depth--;
            if (depth <= 0) {
                return i + 1;
            }
        } else if (depth === 0 && (JSON_SPACE.has(c) || c === "," || c === ":")) {
            return i;
        }
    }
    return depth === 0 ? text.length : -1;
}

/** YAMLOrJSONDecoder on a text that starts with `{`: JSON values, then YAML from the first value that fails, if any. */
function readJsonStream(text: string, file: string): { values: unknown[]; yamlFrom?: number } {
    const values: unknown[] = [];
    let pos = 0;
    const lineAt = lineCounter(text, 1);
    for (;;) {
        let start = pos;
        while (start < text.length && JSON_SPACE.has(text[start])) {
            start++;
        }
        if (start >= text.length) {
            return { values };
        }
        const end = jsonValueEnd(text, start);
        let value: unknown;
        let error: string | undefined;
        try {
            if (end < 0) {
                throw new Error("unexpected end of JSON input");
            }
            value = JSON.parse(text.slice(start, end));
        } catch (e) {
            error = (e as Error).message;
        }
        if (error !== undefined) {
            if (values.length > 1) {
                throw new InputError(`${file}: not valid YAML or JSON: JSON value ${values.length + 1} (line ${lineAt(start)}): ${error}`);
            }
            // consumeWhitespace: spaces up to and including the first newline after the last value read.
            let from = pos;
            while (from < text.length && /\s/.test(text[from])) {
                from++;
                if (text[from - 1] === "\n") {
                    break;
                }
            }
            return { values, yamlFrom: from };
        }
        values.push(value);
        pos = end;
    }
}

const PARSE_OPTIONS = {
    version: "1.1" as const,
    schema: "failsafe", // every scalar kept as text, resolved here by go-yaml v2's rules
    merge: false, // `<<` handled here, in go-yaml v2's order
    uniqueKeys: false, // duplicate keys: the last wins
    resolveKnownTags: false,
    prettyErrors: false,
};

/** The first YAML document of one piece, decoded as go-yaml v2 + sigs.k8s.io/yaml's YAMLToJSON do; undefined if empty. */
function decodePiece(piece: Piece, file: string, where: string): unknown {
    const lineOfOffset = lineCounter(piece.text, piece.line);
    const at = (offset: number) => `line ${lineOfOffset(offset)}, column ${offset - piece.text.lastIndexOf("\n", offset - 1)}`;
    const tokens = Array.from(new Parser().parse(piece.text));
    const directive = tokens.find((t) => t.type === "directive");
    if (directive) {
        throw new InputError(`${file}: not valid YAML or JSON: line ${lineOfOffset(directive.offset)}: kubectl reads no YAML directives ` +
            `(${(directive as { source: string }).source.split(/\s/)[0]}): it cuts the file at the "---" line that must follow one, so the ` +
            "directive is left without its document (\"did not find expected <document start>\"): remove the line");
    }
    const composer = new Composer(PARSE_OPTIONS);
    const docs = Array.from(composer.compose(tokens, false, piece.text.length));
    const errors = docs.length > 0 ? docs[0].errors : composer.streamInfo().errors;
    if (errors.length > 0) {
        const e = errors[0];
        const message = e.code === "RESOURCE_EXHAUSTION" ? "it nests mappings and lists too deeply to read" : e.message.split("\n")[0];
        throw new InputError(`${file}: not valid YAML or JSON: ${message} at ${at(e.pos[0])}`);
    }
    const doc = docs[0];
    if (!doc || doc.contents === null) {
        return undefined;
    }
    const lineOf = (n: YNode | null) => (n?.range ? lineOfOffset(n.range[0]) : piece.line);
    // Anchors as go-yaml v2's parser sees them: in document order, a collection's anchor defined before its
    // contents (so an alias inside it refers to it), a later anchor of the same name replacing an earlier one.
    const anchors = new Map<Alias, YNode>();
    const defined = new Map<string, YNode>();
    const visit = (n: YNode | null): void => {
        if (n === null) {
            return;
        }
        if (isAlias(n)) {
            const target = defined.get(n.source);
            if (!target) {
                throw new InputError(`${where}: line ${lineOf(n)}: the YAML alias *${n.source} names no anchor before it ("unknown anchor '${n.source}' referenced")`);
            }
            anchors.set(n, target);
            return;
        }
        if (n.anchor) {
            defined.set(n.anchor, n);
        }
        // libyaml knows every YAML 1.2 escape but "\/" (scannerc.go: "found unknown escape character").
        if (isScalar(n) && n.type === Scalar.QUOTE_DOUBLE && n.range && /(^|[^\\])(\\\\)*\\\//.test(piece.text.slice(n.range[0], n.range[1]))) {
            throw new InputError(`${file}: not valid YAML or JSON: line ${lineOf(n)}: kubectl's YAML parser knows no "\\/" escape ` +
                '("found unknown escape character"): write "/" alone');
        }
        if (isSeq(n)) {
            n.items.forEach((item) => visit(item as YNode | null));
        } else if (isMap(n)) {
            for (const pair of n.items) {
                visit(pair.key as YNode | null);
                visit(pair.value as YNode | null);
            }
        }
    };
    try {
        visit(doc.contents as YNode);
        return toJson(new Decoder(anchors, where, lineOf).decode(doc.contents as YNode), "");
    } catch (e) {
        if (e instanceof DecodeError) {
            throw new InputError(`${where}: ${e.line !== undefined ? `line ${e.line}: ` : ""}${e.message}`);
        }
        if (e instanceof RangeError) {
            throw new InputError(`${where}: it nests mappings and lists too deeply to read`);
        }
        throw e;
    }
}

/** Every document of a file as kubectl decodes it into JSON, `null` and empty ones left out. */
export function loadKubectlDocuments(text: string, file: string): KubectlDocument[] {
    let json: unknown[] = [];
    let yamlText = text;
    let yamlLine = 1;
    // GuessJSONStream: JSON if the first non-space character of the first 4 KiB is "{".
    if (/^\s*\{/.test(text.slice(0, 4096))) {
        const stream = readJsonStream(text, file);
        json = stream.values;
        yamlText = stream.yamlFrom === undefined ? "" : text.slice(stream.yamlFrom);
        yamlLine = stream.yamlFrom === undefined ? 1 : lineCounter(text, 1)(stream.yamlFrom);
    }
    const pieces = splitDocuments(yamlText, yamlLine, file);
    const many = json.length + pieces.length > 1;
    const name = (i: number) => (many ? `${file}: document ${i + 1}` : file);
    const docs: KubectlDocument[] = json.map((value, i) => ({ value, where: name(i) }));
    pieces.forEach((piece, i) => {
        const where = name(json.length + i);
        docs.push({ value: decodePiece(piece, file, where), where });
    });
    return docs.filter((d) => d.value !== null && d.value !== undefined);
}
