/** Images named in config: pinned, never to a moving tag, and by digest where the stack pulls by digest only. */
import { PINNED_IMAGE, text } from "../values";

const LATEST = /:latest(@|$)/;
const DIGEST = /@sha256:[0-9a-f]{64}$/;

/** An image reference pinned by tag or digest; `latest` is refused, it moves under the same name. */
export function image(description: string) {
    return text(PINNED_IMAGE, "is not pinned (name a tag or a digest)")
        .refine((s) => !LATEST.test(s), { error: (iss) => `${JSON.stringify(iss.input)} is pinned to latest, which moves: name a version tag or a digest` })
        .meta({ description });
}

/** A reference image() accepts that names no digest: what requireDigests refuses. */
export function lacksDigest(s: string): boolean {
    return PINNED_IMAGE.test(s) && !LATEST.test(s) && !DIGEST.test(s);
}
