/**
 * trusted-images in CEL: every image parsed as policies/lib/imageRef.ts parses it (the digest after
 * the one "@", the tag after the last ":" past the last "/", the registry as the first component
 * when it has "." or ":" or is localhost and more follow, Docker Hub otherwise), then trusted,
 * tagged and, where the stack asks, pinned. The grammar's regular expressions are the pack's, in RE2.
 */
import { normaliseRegistry } from "../../../policies/lib/imageRef";
import { TrustedImagesConfig } from "../../../policies/trusted-images";
import { AdmissionRule, conditions, POD_VARIABLES, PolicySpec, str, strs, Validation, WORKLOAD_RULES } from "./cel";

const DOMAIN_COMPONENT = "(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])";
/** 1 to 65535 without a leading zero: the pack's /^[1-9]\d{0,4}$/ and <= 65535 in one expression. */
const PORT = "(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
const HOST = `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-f0-9:.]+\\])(?::${PORT})?$`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const PATH = `^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`;
const TAG = "^[\\w][\\w.-]{0,127}$";
const DIGEST = "^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$";
const NAME_MAX = 255;

/** A CEL map of ENTRIES; dyn() since a map literal's values must share one type. */
function record(entries: Record<string, string>): string {
    return `{${Object.entries(entries).map(([k, v]) => `${str(k)}: dyn(${v})`).join(", ")}}`;
}

/** The same fields of R again, for the next step. */
const keep = (...fields: string[]) => Object.fromEntries(fields.map((f) => [f, `r.${f}`]));

const HAS_TAG = "r.nameTag.lastIndexOf(':') > r.nameTag.lastIndexOf('/')";
const FIRST = "r.name.split('/')[0]";

/** The references, in steps, since a CEL map cannot read its own entries: split at "@", at the tag, at the host, then judged. */
const VARIABLES = [
    ...POD_VARIABLES,
    {
        name: "images",
        expression: `variables.containers.filter(c, has(c.image)).map(c, ${record({
            image: "c.image", ats: "size(c.image.split('@')) - 1",
            nameTag: "c.image.contains('@') ? c.image.split('@')[0] : c.image", digest: "c.image.contains('@') ? c.image.split('@')[1] : ''",
        })})`,
    },
    {
        name: "tagged",
        expression: `variables.images.map(r, ${record({
            ...keep("image", "ats", "digest"), hasTag: HAS_TAG,
            tag: `${HAS_TAG} ? r.nameTag.substring(r.nameTag.lastIndexOf(':') + 1) : ''`,
            name: `${HAS_TAG} ? r.nameTag.substring(0, r.nameTag.lastIndexOf(':')) : r.nameTag`,
        })})`,
    },
    {
        name: "refs",
        expression: `variables.tagged.map(r, ${record({
            ...keep("image", "ats", "digest", "hasTag", "tag", "name"), first: FIRST,
            hasHost: `r.name.contains('/') && (${FIRST}.contains('.') || ${FIRST}.contains(':') || ${FIRST} == 'localhost')`,
        })})`,
    },
    {
        name: "split",
        expression: `variables.refs.map(r, ${record({
            ...keep("image", "ats", "digest", "hasTag", "tag", "name", "first", "hasHost"),
            registry: "r.hasHost ? (r.first == 'index.docker.io' ? 'docker.io' : r.first) : 'docker.io'",
            path: "r.hasHost ? r.name.substring(size(r.first) + 1) : r.name",
        })})`,
    },
    {
        name: "parsed",
        expression: `variables.split.map(r, ${record({
            ...keep("image", "digest", "hasTag", "tag", "registry", "path"),
            valid: `r.ats <= 1 && !r.image.matches('\\\\s') && (r.ats == 0 || r.digest.matches(${str(DIGEST)}))` +
                ` && (!r.hasTag || r.tag.matches(${str(TAG)})) && r.name != '' && size(r.name) <= ${NAME_MAX}` +
                ` && (!r.hasHost || r.first.matches(${str(HOST)})) && r.path.matches(${str(PATH)})`,
        })})`,
    },
];

/** The images failing CHECK (an expression over r), for a message. */
function failing(check: string): string {
    return `variables.parsed.filter(r, !(${check})).map(r, r.image).join(', ')`;
}

function validation(check: string, message: string, says: string): Validation {
    return {
        expression: `variables.parsed.all(r, ${check})`,
        message,
        messageExpression: `'image ' + ${failing(check)} + ${str(` ${says}`)}`,
        reason: "Forbidden",
    };
}

export function trustedImagesRule(config: TrustedImagesConfig): AdmissionRule {
    const registries = (Array.isArray(config.registries) ? config.registries : []).filter((r): r is string => typeof r === "string");
    const trusted = [...new Set(registries.map(normaliseRegistry))];
    const official = config.dockerHubOfficial === true
        ? " || (r.registry == 'docker.io' && (size(r.path.split('/')) == 1 || (size(r.path.split('/')) == 2 && r.path.split('/')[0] == 'library')))"
        : "";
    const trustedText = [...registries, ...(config.dockerHubOfficial === true ? ["docker.io/library (official images)"] : [])].join(", ") || "none";
    const validations: Validation[] = [
        validation("r.valid", "an image is not a valid image reference", "is not a valid image reference"),
        validation(`!r.valid || r.registry in ${strs(trusted)}${official}`, `an image is not from a trusted registry (trusted: ${trustedText})`,
            `is not from a trusted registry (trusted: ${trustedText})`),
        validation("!r.valid || (r.tag != 'latest' && (r.hasTag || r.digest != ''))", "an image uses latest, by its tag or by having none; name the release's tag",
            "uses latest, by its tag or by having none; name the release's tag"),
        ...(config.requireDigest === true
            ? [validation("!r.valid || r.digest != ''", "an image has no digest; pin it with @sha256:<digest>", "has no digest; pin it with @sha256:<digest>")]
            : []),
    ];
    const spec: PolicySpec = {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: WORKLOAD_RULES },
        matchConditions: conditions(config.exemptions),
        variables: VARIABLES,
        validations,
    };
    return { policy: "trusted-images", spec };
}
