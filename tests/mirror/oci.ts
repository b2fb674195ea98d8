/**
 * OCI image layouts (image-spec v1.1 "image-layout") built in-process, so the mirror test has a source
 * it made itself: `oci-layout`, `index.json` and `blobs/sha256/` holding a small config, one gzipped tar
 * layer and the manifest of each image, every digest computed here. An image's tag is its
 * `org.opencontainers.image.ref.name` annotation, which is how skopeo's `oci:DIR:TAG` finds it.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
const REF_NAME = "org.opencontainers.image.ref.name";

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** One file as a ustar archive: a 512-byte header, the content padded to 512, two empty blocks. */
export function tarOf(name: string, content: Buffer): Buffer {
    const header = Buffer.alloc(512);
    const field = (at: number, len: number, value: string) => header.write(value, at, len, "ascii");
    const octal = (at: number, len: number, n: number) => field(at, len, n.toString(8).padStart(len - 1, "0") + "\0");
    field(0, 100, name);
    octal(100, 8, 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, content.length);
    octal(136, 12, 0);
    field(148, 8, " ".repeat(8));
    field(156, 1, "0");
    field(257, 6, "ustar\0");
    field(263, 2, "00");
    let sum = 0;
    for (const byte of header) {
        sum += byte;
    }
    field(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
    return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** What an image of a layout is: the manifest's digest and size, as a registry reports them. */
export interface LayoutImage {
    readonly tag: string;
    readonly digest: string;
    readonly size: number;
}

/**
 * Writes an OCI layout into DIR (created) with one image per tag, each with a layer holding one file
 * whose text names `label` and the tag, so every image (and so every digest) differs.
 */
export function writeLayout(dir: string, label: string, tags: readonly string[]): LayoutImage[] {
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    const blob = (content: Buffer): { digest: string; size: number } => {
        const digest = sha256(content);
        fs.writeFileSync(path.join(blobs, digest.slice("sha256:".length)), content);
        return { digest, size: content.length };
    };
    const images = tags.map((tag) => {
        const tar = tarOf("hello.txt", Buffer.from(`mirror test image ${label}:${tag}\n`));
        // mtime 0 in the gzip header: the same image gives the same digests on every run.
        const layer = blob(zlib.gzipSync(tar, { level: 9 }));
        const config = blob(Buffer.from(JSON.stringify({
            architecture: "amd64",
            os: "linux",
            config: { Cmd: ["/bin/true"] },
            rootfs: { type: "layers", diff_ids: [sha256(tar)] },
        })));
        const manifest = blob(Buffer.from(JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { mediaType: OCI_CONFIG, ...config },
            layers: [{ mediaType: OCI_LAYER, ...layer }],
        })));
        return { tag, ...manifest };
    });
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify({
        schemaVersion: 2,
        manifests: images.map((i) => ({ mediaType: OCI_MANIFEST, digest: i.digest, size: i.size, annotations: { [REF_NAME]: i.tag } })),
    }));
    return images;
}
