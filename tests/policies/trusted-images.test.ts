import { trustedImages } from "../../policies/trusted-images";
import { ImageRef, parseImageRef } from "../../policies/lib/imageRef";
import { KubeObject } from "../../policies/lib/kube";
import { messages } from "./helpers";

const SHA256 = "0123456789abcdef".repeat(4);
const SHA512 = "0123456789abcdef".repeat(8);
const TRUSTED = "registry.example.org:5000";
const IMAGE = `${TRUSTED}/lsst/hub:4.1.0`;

const config = (own: Record<string, unknown> = {}) => ({ "trusted-images": { registries: [TRUSTED], ...own } });

const container = (image: unknown, name = "hub") => ({ name, image });

/** A Deployment whose pod spec is given whole. */
const deployment = (spec: KubeObject, namespace = "jupyter-lsst") => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "hub", namespace },
    spec: { template: { metadata: { labels: { app: "hub" } }, spec } },
});

const withImage = (image: unknown) => deployment({ containers: [container(image)] });

describe("image references", () => {
    type Expected = ImageRef | { error: string };
    const table: [unknown, Expected][] = [
        // Docker Hub normalisation
        ["nginx", { registry: "docker.io", repository: "library/nginx" }],
        ["nginx:1.27", { registry: "docker.io", repository: "library/nginx", tag: "1.27" }],
        ["nginx:latest", { registry: "docker.io", repository: "library/nginx", tag: "latest" }],
        ["library/nginx:1.27", { registry: "docker.io", repository: "library/nginx", tag: "1.27" }],
        ["docker.io/nginx:1.27", { registry: "docker.io", repository: "library/nginx", tag: "1.27" }],
        ["docker.io/library/nginx", { registry: "docker.io", repository: "library/nginx" }],
        ["index.docker.io/nginx:1.27", { registry: "docker.io", repository: "library/nginx", tag: "1.27" }],
        ["index.docker.io/bitnami/redis:7.2", { registry: "docker.io", repository: "bitnami/redis", tag: "7.2" }],
        ["bitnami/redis:7.2", { registry: "docker.io", repository: "bitnami/redis", tag: "7.2" }],
        ["my_org/app:1", { registry: "docker.io", repository: "my_org/app", tag: "1" }],
        // registry hosts, ports, localhost, IP addresses
        [`${TRUSTED}/lsst/hub:4.1.0`, { registry: TRUSTED, repository: "lsst/hub", tag: "4.1.0" }],
        [`${TRUSTED}/hub`, { registry: TRUSTED, repository: "hub" }],
        ["registry.example.org/lsst/hub:4.1.0", { registry: "registry.example.org", repository: "lsst/hub", tag: "4.1.0" }],
        ["ghcr.io/lsst-sqre/nublado:8.1.0", { registry: "ghcr.io", repository: "lsst-sqre/nublado", tag: "8.1.0" }],
        ["quay.io/a/b/c:v1", { registry: "quay.io", repository: "a/b/c", tag: "v1" }],
        ["localhost/app:1", { registry: "localhost", repository: "app", tag: "1" }],
        ["localhost:5000/app:1", { registry: "localhost:5000", repository: "app", tag: "1" }],
        ["localhost", { registry: "docker.io", repository: "library/localhost" }],
        ["localhost:5000", { registry: "docker.io", repository: "library/localhost", tag: "5000" }],
        ["192.0.2.10:5000/app:1", { registry: "192.0.2.10:5000", repository: "app", tag: "1" }],
        ["[2001:db8::1]:5000/app:1", { registry: "[2001:db8::1]:5000", repository: "app", tag: "1" }],
        ["a__b/c-d--e.f:V1_x", { registry: "docker.io", repository: "a__b/c-d--e.f", tag: "V1_x" }],
        // digests
        [`nginx@sha256:${SHA256}`, { registry: "docker.io", repository: "library/nginx", digest: `sha256:${SHA256}` }],
        [`${TRUSTED}/lsst/hub:4.1.0@sha256:${SHA256}`, { registry: TRUSTED, repository: "lsst/hub", tag: "4.1.0", digest: `sha256:${SHA256}` }],
        [`gcr.io/distroless/static:nonroot@sha512:${SHA512}`, { registry: "gcr.io", repository: "distroless/static", tag: "nonroot", digest: `sha512:${SHA512}` }],
        // malformed
        ["", { error: "it is empty" }],
        [42, { error: "it is not a string" }],
        ["nginx 1.27", { error: "it contains whitespace" }],
        ["Nginx:1.27", { error: "the repository must be lowercase" }],
        ["registry.example.org/Lsst/hub:1", { error: "the repository must be lowercase" }],
        ["Registry.Example.org/app:1", { error: "the registry host must be lowercase" }],
        ["nginx:1.27@sha256:abc", { error: "the digest must be sha256: and 64 lowercase hex digits (or sha512: and 128)" }],
        [`nginx@sha256:${SHA256.toUpperCase()}`, { error: "the digest must be sha256: and 64 lowercase hex digits (or sha512: and 128)" }],
        [`nginx@md5:${SHA256}`, { error: "the digest must be sha256: and 64 lowercase hex digits (or sha512: and 128)" }],
        [`a@b@sha256:${SHA256}`, { error: "it has more than one \"@\"" }],
        ["nginx:", { error: "the tag must be 1 to 128 letters, digits, \"_\", \".\" or \"-\", not starting with \".\" or \"-\"" }],
        ["nginx:.hidden", { error: "the tag must be 1 to 128 letters, digits, \"_\", \".\" or \"-\", not starting with \".\" or \"-\"" }],
        [`nginx:${"a".repeat(129)}`, { error: "the tag must be 1 to 128 letters, digits, \"_\", \".\" or \"-\", not starting with \".\" or \"-\"" }],
        [":1.0", { error: "it names no repository" }],
        [`${TRUSTED}//hub:1`, { error: "the repository has an empty path component" }],
        ["app/:1", { error: "the repository has an empty path component" }],
        ["registry.example.org:99999/app:1", { error: "\"registry.example.org:99999\" has no valid port (1 to 65535)" }],
        ["registry.example.org:0/app:1", { error: "\"registry.example.org:0\" has no valid port (1 to 65535)" }],
        ["-bad.example.org/app:1", { error: "\"-bad.example.org\" is not a registry host (a DNS name, IPv4 or [IPv6] address, optionally :port)" }],
        ["https://registry.example.org/app:1", { error: "\"https:\" is not a registry host (a DNS name, IPv4 or [IPv6] address, optionally :port)" }],
        ["app-:1", { error: "the repository component \"app-\" is not lowercase letters and digits separated by \".\", \"_\", \"__\" or \"-\"" }],
        ["nginx:1.27:extra", { error: "the repository component \"nginx:1.27\" is not lowercase letters and digits separated by \".\", \"_\", \"__\" or \"-\"" }],
        [`${"a".repeat(256)}:1`, { error: "the name is longer than 255 characters" }],
    ];

    it.each(table)("parses %p", (text, expected) => {
        const parsed = parseImageRef(text);
        if ("error" in expected) {
            expect(parsed).toEqual({ ok: false, error: expected.error });
        } else {
            expect(parsed).toEqual({ ok: true, ref: expected });
        }
    });
});

describe("trusted-images", () => {
    it("passes a tagged image from a trusted registry", async () => {
        expect(await messages(trustedImages, withImage(IMAGE), config())).toEqual([]);
    });

    it("reports a reference that does not parse", async () => {
        expect(await messages(trustedImages, withImage("Registry.example.org:5000/lsst/hub:1"), config()))
            .toEqual(["containers[0] (hub): image \"Registry.example.org:5000/lsst/hub:1\" is not a valid image reference: the registry host must be lowercase"]);
    });

    it("reports an image from a registry that is not trusted", async () => {
        expect(await messages(trustedImages, withImage("ghcr.io/lsst/hub:4.1.0"), config()))
            .toEqual([`containers[0] (hub): image "ghcr.io/lsst/hub:4.1.0" is from ghcr.io, which is not a trusted registry (trusted: ${TRUSTED})`]);
    });

    it("matches registries exactly, never by prefix or without the port", async () => {
        const lookalikes: [string, string][] = [
            ["registry.example.org.evil.com/lsst/hub:4.1.0", "registry.example.org.evil.com"],
            ["registry.example.org:5001/lsst/hub:4.1.0", "registry.example.org:5001"],
            ["registry.example.org:50000/lsst/hub:4.1.0", "registry.example.org:50000"],
            ["registry.example.org/lsst/hub:4.1.0", "registry.example.org"],
            ["evil.com/registry.example.org/hub:4.1.0", "evil.com"],
            ["registry.example.org/5000/lsst/hub:4.1.0", "registry.example.org"],
        ];
        for (const [image, registry] of lookalikes) {
            expect(await messages(trustedImages, withImage(image), config()))
                .toEqual([`containers[0] (hub): image "${image}" is from ${registry}, which is not a trusted registry (trusted: ${TRUSTED})`]);
        }
    });

    it("trusts nothing by default", async () => {
        expect(await messages(trustedImages, withImage(IMAGE)))
            .toEqual([`containers[0] (hub): image "${IMAGE}" is from ${TRUSTED}, which is not a trusted registry (trusted: none)`]);
    });

    it("trusts Docker Hub's official images only when dockerHubOfficial is set", async () => {
        const official = config({ dockerHubOfficial: true });
        expect(await messages(trustedImages, withImage("nginx:1.27"), config()))
            .toEqual([`containers[0] (hub): image "nginx:1.27" is from docker.io, which is not a trusted registry (trusted: ${TRUSTED})`]);
        for (const image of ["nginx:1.27", "library/nginx:1.27", "docker.io/nginx:1.27", "index.docker.io/library/nginx:1.27"]) {
            expect(await messages(trustedImages, withImage(image), official)).toEqual([]);
        }
        expect(await messages(trustedImages, withImage("bitnami/redis:7.2"), official))
            .toEqual(["containers[0] (hub): image \"bitnami/redis:7.2\" is on Docker Hub outside docker.io/library; only official images are trusted there"]);
        expect(await messages(trustedImages, withImage("quay.io/library/nginx:1.27"), official))
            .toEqual([`containers[0] (hub): image "quay.io/library/nginx:1.27" is from quay.io, which is not a trusted registry (trusted: ${TRUSTED}, docker.io/library (official images))`]);
    });

    it("trusts all of Docker Hub when docker.io (or index.docker.io) is listed", async () => {
        for (const registries of [["docker.io"], ["index.docker.io"]]) {
            expect(await messages(trustedImages, withImage("bitnami/redis:7.2"), config({ registries }))).toEqual([]);
        }
    });

    it("refuses the tag latest, and no tag (which means latest)", async () => {
        expect(await messages(trustedImages, withImage(`${TRUSTED}/lsst/hub:latest`), config()))
            .toEqual([`containers[0] (hub): image "${TRUSTED}/lsst/hub:latest" uses the tag latest; name the release's tag`]);
        expect(await messages(trustedImages, withImage(`${TRUSTED}/lsst/hub`), config()))
            .toEqual([`containers[0] (hub): image "${TRUSTED}/lsst/hub" has no tag, so it pulls latest; name the release's tag`]);
        expect(await messages(trustedImages, withImage(`${TRUSTED}/lsst/hub:latest@sha256:${SHA256}`), config()))
            .toEqual([`containers[0] (hub): image "${TRUSTED}/lsst/hub:latest@sha256:${SHA256}" uses the tag latest; name the release's tag`]);
        expect(await messages(trustedImages, withImage(`${TRUSTED}/lsst/hub@sha256:${SHA256}`), config())).toEqual([]);
    });

    it("requires a digest when requireDigest is set", async () => {
        const digests = config({ requireDigest: true });
        expect(await messages(trustedImages, withImage(IMAGE), digests))
            .toEqual([`containers[0] (hub): image "${IMAGE}" has no digest; pin it with @sha256:<digest>`]);
        expect(await messages(trustedImages, withImage(`${IMAGE}@sha256:${SHA256}`), digests)).toEqual([]);
    });

    it("reports every problem of an image, and every container of all three lists", async () => {
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "debug", namespace: "jupyter-lsst" },
            spec: {
                containers: [container(IMAGE), container("busybox", "sidecar")],
                initContainers: [container("ghcr.io/x/init:1", "init")],
                ephemeralContainers: [container(`${TRUSTED}/tools:latest`, "debugger")],
            },
        };
        expect(await messages(trustedImages, pod, config({ requireDigest: true }))).toEqual([
            `containers[0] (hub): image "${IMAGE}" has no digest; pin it with @sha256:<digest>`,
            `containers[1] (sidecar): image "busybox" is from docker.io, which is not a trusted registry (trusted: ${TRUSTED})`,
            "containers[1] (sidecar): image \"busybox\" has no tag, so it pulls latest; name the release's tag",
            "containers[1] (sidecar): image \"busybox\" has no digest; pin it with @sha256:<digest>",
            `initContainers[0] (init): image "ghcr.io/x/init:1" is from ghcr.io, which is not a trusted registry (trusted: ${TRUSTED})`,
            "initContainers[0] (init): image \"ghcr.io/x/init:1\" has no digest; pin it with @sha256:<digest>",
            `ephemeralContainers[0] (debugger): image "${TRUSTED}/tools:latest" uses the tag latest; name the release's tag`,
            `ephemeralContainers[0] (debugger): image "${TRUSTED}/tools:latest" has no digest; pin it with @sha256:<digest>`,
        ]);
    });

    it("looks into every workload kind, patches included", async () => {
        const spec = { containers: [container("busybox:1.36")] };
        const expected = [`containers[0] (hub): image "busybox:1.36" is from docker.io, which is not a trusted registry (trusted: ${TRUSTED})`];
        const meta = { name: "job", namespace: "jupyter-lsst" };
        const cronJob = { apiVersion: "batch/v1", kind: "CronJob", metadata: meta, spec: { jobTemplate: { spec: { template: { spec } } } } };
        expect(await messages(trustedImages, cronJob, config())).toEqual(expected);
        const daemonSet = { apiVersion: "apps/v1", kind: "DaemonSet", metadata: meta, spec: { template: { spec } } };
        expect(await messages(trustedImages, daemonSet, config())).toEqual(expected);
        expect(await messages(trustedImages, deployment(spec), config(), "kubernetes:apps/v1:DeploymentPatch")).toEqual(expected);
    });

    it("does not crash on undefined fields, and skips an image it cannot know", async () => {
        const cases = [
            { apiVersion: "apps/v1", kind: "Deployment" },
            { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "hub" }, spec: {} },
            deployment({}),
            deployment({ containers: [null, undefined, {}, { name: "x", image: undefined }, { image: null }] }),
            deployment({ containers: "not a list" }),
        ];
        for (const obj of cases) {
            expect(await messages(trustedImages, obj, config())).toEqual([]);
        }
        expect(await messages(trustedImages, {} as never, config(), "kubernetes:core/v1:Pod")).toEqual([]);
        expect(await messages(trustedImages, deployment({ containers: [{ image: 7 }] }), config()))
            .toEqual(["containers[0]: image 7 is not a valid image reference: it is not a string"]);
    });

    it("honours exemptions by namespace and by object, each with a reason", async () => {
        const bad = withImage("busybox");
        expect(await messages(trustedImages, bad, config({ exemptions: [{ namespace: "jupyter-lsst", reason: "vendor chart, reviewed" }] }))).toEqual([]);
        expect(await messages(trustedImages, bad, config({ exemptions: [{ kind: "Deployment", namespace: "jupyter-lsst", name: "hub", reason: "vendor chart, reviewed" }] }))).toEqual([]);
        expect(await messages(trustedImages, bad, config({ exemptions: [{ kind: "Deployment", name: "other", reason: "another object" }] }))).toHaveLength(2);
        expect(await messages(trustedImages, bad, config({ exemptions: [{ namespace: "jupyter-lsst", reason: "" }] }))).toHaveLength(2);
    });

    it("does not apply to other resource types", async () => {
        const notWorkloads = [
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "x" }, data: { image: "busybox" } },
            { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "x" }, spec: { containers: [container("busybox")] } },
        ];
        for (const obj of notWorkloads) {
            expect(await messages(trustedImages, obj, config())).toEqual([]);
        }
        expect(await messages(trustedImages, withImage("busybox"), config(), "command:remote:Command")).toEqual([]);
    });
});
