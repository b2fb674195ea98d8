/**
 * Container image references parsed the way the container runtime reads them (the distribution
 * project's reference grammar, with Docker Hub's normalisation), so that a policy compares what is
 * actually pulled and never a prefix of the text.
 */

/** An image reference, normalised: "nginx" is docker.io/library/nginx with the implicit tag latest. */
export interface ImageRef {
    /** The registry host, port included: "docker.io", "registry.example.org:5000", "localhost". */
    readonly registry: string;
    /** The repository inside the registry: "library/nginx", "lsst/jupyterlab". */
    readonly repository: string;
    /** The tag as written, or undefined when the reference has none. */
    readonly tag?: string;
    /** "sha256:<64 hex>", or undefined when the reference has none. */
    readonly digest?: string;
}

export type ParsedImageRef = { readonly ok: true; readonly ref: ImageRef } | { readonly ok: false; readonly error: string };

/** Docker Hub, as the runtime names it whatever the reference says. */
export const DOCKER_HUB = "docker.io";
/** The repository namespace of Docker Hub's official images. */
export const DOCKER_HUB_OFFICIAL = "library";

/** Docker Hub's legacy host, which the runtime treats as docker.io. */
const LEGACY_DOCKER_HUB = "index.docker.io";
const DOMAIN_COMPONENT = "(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])";
const HOST_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-f0-9:.]+\\])(?::([0-9]+))?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
/** The digests the runtime accepts: the OCI image spec's registered algorithms, lowercase hex. */
const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const NAME_MAX = 255;

/** Docker Hub's one normalisation of a host: index.docker.io is docker.io. */
export function normaliseRegistry(host: string): string {
    return host === LEGACY_DOCKER_HUB ? DOCKER_HUB : host;
}

/**
 * The first path component names a registry iff it contains "." or ":" or is "localhost" (and more
 * components follow); otherwise the image is on Docker Hub.
 */
function isRegistryHost(component: string): boolean {
    return component.includes(".") || component.includes(":") || component === "localhost";
}

function fail(error: string): ParsedImageRef {
    return { ok: false, error };
}

/** Parses one image reference; the error says what is wrong with it, for a message. */
export function parseImageRef(text: unknown): ParsedImageRef {
    if (typeof text !== "string") {
        return fail("it is not a string");
    }
    if (text === "") {
        return fail("it is empty");
    }
    if (/\s/.test(text)) {
        return fail("it contains whitespace");
    }
    const at = text.indexOf("@");
    if (at !== text.lastIndexOf("@")) {
        return fail("it has more than one \"@\"");
    }
    const digest = at === -1 ? undefined : text.slice(at + 1);
    if (digest !== undefined && !DIGEST_RE.test(digest)) {
        return fail("the digest must be sha256: and 64 lowercase hex digits (or sha512: and 128)");
    }
    const nameAndTag = at === -1 ? text : text.slice(0, at);
    const colon = nameAndTag.lastIndexOf(":");
    const hasTag = colon > nameAndTag.lastIndexOf("/");
    const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;
    const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
    if (tag !== undefined && !TAG_RE.test(tag)) {
        return fail("the tag must be 1 to 128 letters, digits, \"_\", \".\" or \"-\", not starting with \".\" or \"-\"");
    }
    if (name === "") {
        return fail("it names no repository");
    }
    if (name.length > NAME_MAX) {
        return fail(`the name is longer than ${NAME_MAX} characters`);
    }
    const components = name.split("/");
    const host = components.length > 1 && isRegistryHost(components[0]) ? components[0] : undefined;
    const path = host === undefined ? components : components.slice(1);
    if (host !== undefined) {
        if (/[A-Z]/.test(host)) {
            return fail("the registry host must be lowercase");
        }
        const m = HOST_RE.exec(host);
        if (!m) {
            return fail(`"${host}" is not a registry host (a DNS name, IPv4 or [IPv6] address, optionally :port)`);
        }
        if (m[1] !== undefined && !(/^[1-9]\d{0,4}$/.test(m[1]) && Number(m[1]) <= 65535)) {
            return fail(`"${host}" has no valid port (1 to 65535)`);
        }
    }
    if (path.some((c) => c === "")) {
        return fail("the repository has an empty path component");
    }
    if (path.some((c) => /[A-Z]/.test(c))) {
        return fail("the repository must be lowercase");
    }
    const bad = path.find((c) => !PATH_COMPONENT_RE.test(c));
    if (bad !== undefined) {
        return fail(`the repository component "${bad}" is not lowercase letters and digits separated by ".", "_", "__" or "-"`);
    }
    const registry = host === undefined ? DOCKER_HUB : normaliseRegistry(host);
    const repository = registry === DOCKER_HUB && path.length === 1 ? `${DOCKER_HUB_OFFICIAL}/${path[0]}` : path.join("/");
    return { ok: true, ref: { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) } };
}

/** The full normalised name without tag or digest: "docker.io/library/nginx". */
export function fullName(ref: ImageRef): string {
    return `${ref.registry}/${ref.repository}`;
}

/** A Docker Hub official image (docker.io/library/NAME). */
export function isDockerHubOfficial(ref: ImageRef): boolean {
    const path = ref.repository.split("/");
    return ref.registry === DOCKER_HUB && path.length === 2 && path[0] === DOCKER_HUB_OFFICIAL;
}

/** Neither tag nor digest: the runtime pulls whatever latest points at. */
export function isImplicitLatest(ref: ImageRef): boolean {
    return ref.tag === undefined && ref.digest === undefined;
}
