/**
 * The values go-yaml v2 decodes YAML into, as Go sees them (interface{}: nil, bool, int, uint64, float64,
 * string, []interface{}, map[interface{}]interface{}), and the YAML tag names it resolves scalars
 * against. Shared by scalars.ts, decoder.ts and json.ts, because a key's Go type decides which keys are the
 * same (decoder.ts) and how each becomes a JSON string (json.ts); DecodeError is what they throw, turned into
 * an InputError naming the file by documents.ts.
 */
export const TAG = "tag:yaml.org,2002:";
export const STR = `${TAG}str`;
export const BOOL = `${TAG}bool`;
export const INT = `${TAG}int`;
export const FLOAT = `${TAG}float`;
export const NULL = `${TAG}null`;
export const TIMESTAMP = `${TAG}timestamp`;
export const BINARY = `${TAG}binary`;
export const MERGE = `${TAG}merge`;

/** A scalar as go-yaml v2 decodes it into interface{}: the Go type matters for map keys. */
export type GoScalar =
    | { t: "null" }
    | { t: "bool"; v: boolean }
    | { t: "int"; v: bigint }
    | { t: "uint"; v: bigint }
    | { t: "float"; v: number }
    | { t: "str"; v: string };
export interface GoMapEntry { key: GoScalar; value: GoValue; line: number }
export type GoValue = GoScalar | { t: "seq"; items: GoValue[] } | { t: "map"; entries: Map<string, GoMapEntry> };

/** A failure to decode, with the line it is at; made an InputError naming the file by the caller. */
export class DecodeError extends Error {
    constructor(message: string, readonly line?: number) {
        super(message);
    }
}
