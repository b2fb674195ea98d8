/**
 * What `npm run mirror` does for a stack, decided from its config alone: for each image registryImages
 * lists, the skopeo reference it is read from and the one it is written to. Pure, so --dry-run prints
 * exactly what a real run would copy.
 *
 * The registry is reached by its one name, platform.registry.host, as the images name it: the
 * certificate is that name's, and each node's /etc/hosts maps it to the Service address
 * (trust-registry.sh), so on a node the name reaches the registry. Images are written to its writer
 * (that name, port REGISTRY_PUSH_PORT) and looked for at its reader (the name alone, where the nodes
 * pull), so an image counts as there only once what pulls it can.
 */
import { PlatformConfig } from "../../config";
import { registryImages, RegistryImage } from "../../components/platform/images";
import { REGISTRY_PUSH_PORT } from "../../components/platform/registryConfig";

/** One image's copy. */
export interface MirrorStep {
    readonly image: RegistryImage;
    /** skopeo's source reference (tag or digest appended), or undefined when nothing names a source. */
    readonly source?: string;
    /** skopeo's destination: the registry's writer and the image's tag, else its digest. */
    readonly destination: string;
    /** Where the image is looked for before and after the copy, at the reader: its digest when pinned, else its tag. */
    readonly check: string;
}

export interface MirrorPlan {
    /** The registry's host name: the reader's, which the pull credential is keyed on. */
    readonly host: string;
    /** `host:port` of the registry's writer, which the push credential is keyed on. */
    readonly pushHost: string;
    readonly steps: readonly MirrorStep[];
    /** Config the mirror refuses: "field: why" lines. */
    readonly problems: readonly string[];
}

/** skopeo's reference of IMAGE at SOURCE: a docker source takes the digest (the stronger pin) or the tag, an OCI layout the tag. */
export function sourceReference(source: string, image: RegistryImage): string {
    if (source.startsWith("oci:")) {
        // Without a tag skopeo takes the layout's only image; its digest is checked against the pin.
        return image.tag !== undefined ? `${source}:${image.tag}` : source;
    }
    return image.digest !== undefined ? `${source}@${image.digest}` : `${source}:${image.tag}`;
}

export function planMirror(platform: PlatformConfig | undefined): MirrorPlan {
    const registry = platform?.registry;
    if (platform === undefined || registry === undefined) {
        return { host: "", pushHost: "", steps: [], problems: ["platform.registry: required: the mirror copies into the stack's local registry"] };
    }
    const images = registryImages(platform);
    const paths = new Set(images.map((i) => i.path));
    const problems = Object.keys(registry.sources).filter((p) => !paths.has(p)).map((p) =>
        `platform.registry.sources.${p}: the platform pulls no image at this path through the registry ` +
        `(it pulls ${[...paths].map((x) => JSON.stringify(x)).join(", ") || "none"})`);
    const pushHost = `${registry.host}:${REGISTRY_PUSH_PORT}`;
    const steps = images.map((image): MirrorStep => ({
        image,
        ...(image.source !== undefined ? { source: sourceReference(image.source, image) } : {}),
        destination: `docker://${pushHost}/${image.path}${image.tag !== undefined ? `:${image.tag}` : `@${image.digest}`}`,
        check: `docker://${registry.host}/${image.path}${image.digest !== undefined ? `@${image.digest}` : `:${image.tag}`}`,
    }));
    return { host: registry.host, pushHost, steps, problems };
}

/** What a step does, as --dry-run prints it. */
export function planLine(step: MirrorStep): string {
    const from = step.source ?? `no source (set ${JSON.stringify(step.image.path)} in platform.registry.sources, or push it yourself)`;
    return `${from} → ${step.destination}`;
}
