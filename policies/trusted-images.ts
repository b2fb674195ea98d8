import { kubePolicy, KubePolicyConfig } from "./lib/kubePolicy";
import { containersOf, podSpecOf, WORKLOAD_KINDS } from "./lib/kube";
import { DOCKER_HUB, isDockerHubOfficial, isImplicitLatest, normaliseRegistry, parseImageRef } from "./lib/imageRef";

export interface TrustedImagesConfig extends KubePolicyConfig {
    /** Exact registry hosts, port included ("registry.example.org:5000"), whose images are trusted. */
    readonly registries: readonly string[];
    /** Also trust Docker Hub's official images (docker.io/library/*), and nothing else from Docker Hub. */
    readonly dockerHubOfficial: boolean;
    /** Require every image to be pinned by digest (name:tag@sha256:…). */
    readonly requireDigest: boolean;
}

const LATEST = "latest";

/** "registry.example.org:5000, docker.io/library (official images)", or "none". */
function trustedText(registries: readonly string[], dockerHubOfficial: boolean): string {
    const all = [...registries, ...(dockerHubOfficial ? [`${DOCKER_HUB}/library (official images)`] : [])];
    return all.length ? all.join(", ") : "none";
}

/**
 * Technote 001 "Images and Libraries": images come only from trusted registries and name the release
 * they run; no image follows latest.
 */
export const trustedImages = kubePolicy<TrustedImagesConfig>({
    name: "trusted-images",
    description: "Every container image must come from a trusted registry and name a release tag other than latest (and a digest, when the stack requires one).",
    schema: {
        registries: { type: "array", items: { type: "string", minLength: 1 }, default: [] },
        dockerHubOfficial: { type: "boolean", default: false },
        requireDigest: { type: "boolean", default: false },
    },
    defaults: { registries: [], dockerHubOfficial: false, requireDigest: false },
    applies: (t) => WORKLOAD_KINDS.includes(t.kind),
    validate: (t, obj, config, report) => {
        const pod = podSpecOf(t, obj);
        if (!pod) {
            return;
        }
        const registries = (Array.isArray(config.registries) ? config.registries : []).filter((r): r is string => typeof r === "string");
        const trusted = new Set(registries.map(normaliseRegistry));
        for (const { container, label } of containersOf(pod.spec)) {
            const image: unknown = container.image;
            // Unknown during a preview, or left as it is by a patch; the API server requires it anyway.
            if (image === undefined || image === null) {
                continue;
            }
            const written = JSON.stringify(image);
            const parsed = parseImageRef(image);
            if (!parsed.ok) {
                report(`${label}: image ${written} is not a valid image reference: ${parsed.error}`);
                continue;
            }
            const ref = parsed.ref;
            if (!trusted.has(ref.registry)) {
                if (ref.registry === DOCKER_HUB && config.dockerHubOfficial) {
                    if (!isDockerHubOfficial(ref)) {
                        report(`${label}: image ${written} is on Docker Hub outside docker.io/library; only official images are trusted there`);
                    }
                } else {
                    report(`${label}: image ${written} is from ${ref.registry}, which is not a trusted registry (trusted: ${trustedText(registries, config.dockerHubOfficial === true)})`);
                }
            }
            if (ref.tag === LATEST) {
                report(`${label}: image ${written} uses the tag latest; name the release's tag`);
            } else if (isImplicitLatest(ref)) {
                report(`${label}: image ${written} has no tag, so it pulls latest; name the release's tag`);
            }
            if (config.requireDigest === true && ref.digest === undefined) {
                report(`${label}: image ${written} has no digest; pin it with @sha256:<digest>`);
            }
        }
    },
});
