/**
 * Nodes: the yaml package's nodes decoded into the Go values go-yaml v2 makes (go.yaml.in/yaml/v2 decode.go),
 * scalars by scalars.ts. Here because mappings are where go-yaml v2 and YAML 1.2 part ways most.
 *
 * Mappings (decode.go `mapping`, `merge`; sigs.k8s.io/yaml yaml.go `convertToJSONableObject`):
 *    - duplicate keys: the last one wins, silently. kubectl uses the non-strict yaml.Unmarshal (not
 *      UnmarshalStrict) and sends the server JSON built from the decoded map, so even
 *      `--validate=strict` never sees the duplicate (checked against the API server). We do the same.
 *    - keys are resolved like values (json.ts says how they are then made strings).
 *    - `<<` merge keys, in go-yaml v2's order: pairs are applied in order, and a merge writes its keys over
 *      what the mapping has so far, so an explicit key *before* `<<` loses to the merged one and one after it
 *      wins; in `<<: [*a, *b]` the earlier mapping wins. A merge of anything but a mapping or a list of
 *      mappings is an error. `<<` is a merge key only as an untagged plain scalar, `! <<` or `!!merge <<`.
 *    - aliases are expanded as copies; an alias inside its own anchor's value is refused, and so is an
 *      expansion past go-yaml's "excessive aliasing" ratio or YAML_VALUE_LIMIT values (alias bombs).
 */
import { Alias, isAlias, isMap, isPair, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { aliasBombError, aliasCycleError, InputError, YAML_VALUE_LIMIT } from "../inputs";
import { DecodeError, GoMapEntry, GoScalar, GoValue, MERGE, STR } from "./goValues";
import { decodeScalar } from "./scalars";

export type YNode = Scalar | YAMLMap | YAMLSeq | Alias;

/** decode.go's allowedAliasRatio: the share of decodes that alias expansion may account for. */
function allowedAliasRatio(decodeCount: number): number {
    if (decodeCount <= 400_000) {
        return 0.99;
    }
    if (decodeCount >= 4_000_000) {
        return 0.1;
    }
    return 0.99 - 0.89 * ((decodeCount - 400_000) / 3_600_000);
}

/** The most nested mappings and sequences go-yaml's scanner allows (scannerc.go max_flow_level, max_indents). */
const MAX_DEPTH = 10_000;

export class Decoder {
    private decodeCount = 1; // the document node
    private aliasCount = 0;
    private aliasDepth = 0;
    private depth = 0;
    private readonly expanding = new Set<Alias>();

    constructor(private readonly anchors: Map<Alias, YNode>, private readonly where: string, private readonly lineOf: (n: YNode | null) => number) {}

    decode(n: YNode | null, into?: Map<string, GoMapEntry>): GoValue {
        this.decodeCount++;
        if (this.aliasDepth > 0) {
            this.aliasCount++;
        }
        if (this.aliasCount > 100 && this.decodeCount > 1000 && this.aliasCount / this.decodeCount > allowedAliasRatio(this.decodeCount)) {
            throw new InputError(`${this.where}: its YAML aliases make up nearly all of what it expands to (an alias bomb?), and kubectl ` +
                "refuses it (\"document contains excessive aliasing\"): write the values out, or use fewer nested aliases");
        }
        if (this.decodeCount > YAML_VALUE_LIMIT) {
            throw aliasBombError(this.where);
        }
        if (n === null) {
            return decodeScalar("", ""); // an empty node is an empty plain scalar: null
        }
        if (isAlias(n)) {
            if (this.expanding.has(n)) {
                throw aliasCycleError(this.where);
            }
            this.expanding.add(n);
            this.aliasDepth++;
            const v = this.decode(this.anchors.get(n)!, into);
            this.aliasDepth--;
            this.expanding.delete(n);
            return v;
        }
        if (isScalar(n)) {
            // decode.go: an untagged quoted or block scalar is a string; an untagged plain one is resolved.
            const tag = n.tag || (n.type === Scalar.PLAIN ? "" : STR);
            try {
                return decodeScalar(tag, String(n.source ?? n.value ?? ""));
            } catch (e) {
                throw e instanceof DecodeError ? new DecodeError(e.message, this.lineOf(n)) : e;
            }
        }
        if (++this.depth > MAX_DEPTH) {
            throw new DecodeError(`exceeded max depth of ${MAX_DEPTH}`, this.lineOf(n));
        }
        let v: GoValue;
        if (isSeq(n)) {
            v = { t: "seq", items: n.items.map((item) => this.decode(item as YNode | null)) };
        } else {
            const entries = into ?? new Map<string, GoMapEntry>();
            this.mapping(n as YAMLMap, entries);
            v = { t: "map", entries };
        }
        this.depth--;
        return v;
    }

    private mapping(n: YAMLMap, out: Map<string, GoMapEntry>): void {
        for (const pair of n.items) {
            if (!isPair(pair)) {
                continue;
            }
            const keyNode = pair.key as YNode | null;
            const valueNode = pair.value as YNode | null;
            if (isMergeKey(keyNode)) {
                this.merge(valueNode, out, keyNode);
                continue;
            }
            const key = this.decode(keyNode);
            if (key.t === "map" || key.t === "seq") {
                throw new DecodeError("invalid map key: a mapping or a list cannot be a key", this.lineOf(keyNode));
            }
            const value = this.decode(valueNode);
            out.set(identity(key), { key, value, line: this.lineOf(keyNode ?? n) });
        }
    }

    /** decode.go `merge`: the merged mappings' keys are written over what `out` has so far. */
    private merge(n: YNode | null, out: Map<string, GoMapEntry>, at: YNode): void {
        const isMapping = (x: YNode | null) => x !== null && (isMap(x) || (isAlias(x) && isMap(this.anchors.get(x))));
        const fail = () => {
            throw new DecodeError("map merge requires map or sequence of maps as the value", this.lineOf(at));
        };
        if (n !== null && isSeq(n)) {
            // Backwards: the earlier mappings take precedence.
            for (let i = n.items.length - 1; i >= 0; i--) {
                const item = n.items[i] as YNode | null;
                if (!isMapping(item)) {
                    fail();
                }
                this.decode(item, out);
            }
        } else if (isMapping(n)) {
            this.decode(n, out);
        } else {
            fail();
        }
    }
}

/** decode.go `isMerge`: a `<<` scalar that is implicit (plain and untagged, or tagged `!`) or tagged !!merge. */
function isMergeKey(n: YNode | null): n is Scalar {
    if (n === null || !isScalar(n) || n.source !== "<<") {
        return false;
    }
    const tag = n.tag ?? "";
    return (tag === "" && n.type === Scalar.PLAIN) || tag === "!" || tag === MERGE;
}

let nanKeys = 0;
/** The Go map key a scalar is: values of different Go types are different keys. */
function identity(k: GoScalar): string {
    switch (k.t) {
        case "null":
            return "null";
        case "float":
            return Number.isNaN(k.v) ? `NaN#${++nanKeys}` : `float:${k.v}`; // NaN != NaN; -0 == 0 (String(-0) is "0")
        default:
            return `${k.t}:${String(k.v)}`;
    }
}
