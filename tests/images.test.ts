/**
 * registryImages (components/platform/images.ts), what `npm run mirror` copies, against the evaluated
 * program: on every stack, and on variants that switch pieces on and off, the list is exactly the
 * images with the registry's host that the containers and init containers of every workload name.
 * The stacks are evaluated with platform.registry.mirrored set, so whatever waits for the mirror is there.
 */
import { PROJECT, PlatformConfig, validateConfig } from "../config";
import { quote } from "../config/problems";
import { parseRegistryRef, registryImages, UPSTREAM_SOURCES } from "../components/platform/images";
import { declaredPods, rawConfig, runStack, STACKS, StackName } from "./harness";

type Json = Record<string, any>;

/** The stack's platform object, edited by `edit`, with the mirror done. */
function platformOf(stack: StackName, edit: (p: Json) => void = () => undefined): Json {
    const p = JSON.parse(rawConfig(stack).config[`${PROJECT}:platform`]);
    edit(p);
    p.registry.mirrored = true;
    return p;
}

/** The validated platform config of a stack whose platform key is `platform`. */
function validated(stack: StackName, platform: Json): PlatformConfig {
    const { config, problems } = validateConfig({ ...rawConfig(stack).config, [`${PROJECT}:platform`]: JSON.stringify(platform) });
    expect(problems).toEqual([]);
    return config!.platform!;
}

/** Every image with the registry's host that a workload of the evaluated program names, each once. */
async function pulledThroughRegistry(stack: StackName, platform: Json): Promise<string[]> {
    const e = await runStack(stack, { platformOverride: JSON.stringify(platform) });
    const images = declaredPods(e).flatMap((p) => p.images).filter((image) => image.startsWith(`${platform.registry.host}/`));
    return [...new Set(images)].sort();
}

const variants: [string, StackName, (p: Json) => void][] = [
    ...STACKS.map((s): [string, StackName, (p: Json) => void] => [`stack ${s} as committed`, s, () => undefined]),
    ["test with HTCondor's image from another registry", "test", (p) => (p.htcondor.image = "docker.io/htcondor/execute:24.0.4-el9")],
    ["test with kube-bench alone of the switches", "test", (p) => Object.assign(p, { kubeBench: true, dashboard: false, multicastCheck: false })],
    ["test with the etcd backups and HTCondor on one image", "test", (p) => (p.etcdBackup.image = p.htcondor.image)],
];

describe.each(variants)("registryImages on %s", (_name, stack, edit) => {
    it("lists exactly the images with the registry's host that the program's workloads pull, each once", async () => {
        const platform = platformOf(stack, edit);
        const listed = registryImages(validated(stack, platform)).map((i) => i.ref);
        expect(new Set(listed).size).toBe(listed.length);
        expect([...listed].sort()).toEqual(await pulledThroughRegistry(stack, platform));
    });
});

describe("registryImages", () => {
    const test = (edit: (p: Json) => void = () => undefined) => validated("test", platformOf("test", edit));

    it("names each image's path, tag, digest and what pulls it, and the program's own images their upstream source", () => {
        const host = "registry.lsst-test.example.org";
        expect(registryImages(test())).toEqual([
            { ref: `${host}/headlamp-k8s/headlamp:v0.45.0`, path: "headlamp-k8s/headlamp", tag: "v0.45.0", source: "docker://ghcr.io/headlamp-k8s/headlamp", pulledBy: "platform.dashboard" },
            { ref: `${host}/aquasec/kube-bench:v0.10.6`, path: "aquasec/kube-bench", tag: "v0.10.6", source: "docker://docker.io/aquasec/kube-bench", pulledBy: "platform.kubeBench" },
            { ref: `${host}/library/python:3.13-alpine`, path: "library/python", tag: "3.13-alpine", source: "docker://docker.io/library/python", pulledBy: "platform.multicastCheck" },
            { ref: `${host}/lsst-k8s/etcd-backup:3.5.21-1`, path: "lsst-k8s/etcd-backup", tag: "3.5.21-1", pulledBy: "platform.etcdBackup.image" },
            { ref: `${host}/htcondor/execute:24.0.4-el9`, path: "htcondor/execute", tag: "24.0.4-el9", pulledBy: "platform.htcondor.image" },
        ]);
    });

    it("takes a configured source over the upstream one, and gives a digest-pinned image its digest", () => {
        const digest = `sha256:${"ab".repeat(32)}`;
        const images = registryImages(test((p) => {
            p.registry.sources = { "library/python": "oci:/srv/mirror/python", "htcondor/execute": "docker://quay.io/lsst/execute" };
            p.htcondor.image = `registry.lsst-test.example.org/htcondor/execute@${digest}`;
            p.etcdBackup.image = `registry.lsst-test.example.org/lsst-k8s/etcd-backup:3.5.21-1@${digest}`;
        }));
        const byPath = new Map(images.map((i) => [i.path, i]));
        expect(byPath.get("library/python")!.source).toBe("oci:/srv/mirror/python");
        expect(byPath.get("htcondor/execute")).toMatchObject({ source: "docker://quay.io/lsst/execute", digest });
        expect(byPath.get("htcondor/execute")).not.toHaveProperty("tag");
        expect(byPath.get("lsst-k8s/etcd-backup")).toMatchObject({ tag: "3.5.21-1", digest });
        expect(byPath.get("lsst-k8s/etcd-backup")).not.toHaveProperty("source");
    });

    it("lists nothing without a registry", () => {
        const platform = JSON.parse(rawConfig("prod").config[`${PROJECT}:platform`]);
        delete platform.registry;
        delete platform.etcdBackup;
        delete platform.htcondor;
        expect(registryImages(validated("prod", platform))).toEqual([]);
    });

    it("knows the upstream repository of every image the program itself names, and nothing else", () => {
        const own = registryImages(test()).filter((i) => !i.pulledBy.endsWith(".image"));
        expect(own.map((i) => i.path).sort()).toEqual(Object.keys(UPSTREAM_SOURCES).sort());
    });
});

describe("parseRegistryRef", () => {
    const host = "registry.example.org";
    it("splits path, tag and digest, a port-like colon in the path included", () => {
        expect(parseRegistryRef(host, `${host}/a/b:1.0`)).toEqual({ path: "a/b", tag: "1.0" });
        expect(parseRegistryRef(host, `${host}/a/b@sha256:${"0".repeat(64)}`)).toEqual({ path: "a/b", digest: `sha256:${"0".repeat(64)}` });
        expect(parseRegistryRef(host, `${host}/a:1@sha256:${"0".repeat(64)}`)).toEqual({ path: "a", tag: "1", digest: `sha256:${"0".repeat(64)}` });
        expect(parseRegistryRef(host, `${host}/constructor:1`)).toEqual({ path: "constructor", tag: "1" });
    });
    it("is undefined for another host, a host it only begins with included", () => {
        expect(parseRegistryRef(host, "docker.io/library/python:3")).toBeUndefined();
        expect(parseRegistryRef(host, `${host}.evil.org/a:1`)).toBeUndefined();
    });
});

describe("platform.registry.sources and mirrored", () => {
    const problems = (edit: (p: Json) => void) => {
        const p = JSON.parse(rawConfig("test").config[`${PROJECT}:platform`]);
        edit(p);
        return validateConfig({ ...rawConfig("test").config, [`${PROJECT}:platform`]: JSON.stringify(p) }).problems;
    };
    const SOURCE = 'is not "docker://HOST/REPOSITORY" (no tag or digest: the image\'s own is appended) or "oci:/ABSOLUTE/DIR"';

    it("takes docker:// repositories (a port and an address included) and absolute OCI layouts, and defaults to none, not mirrored", () => {
        expect(problems((p) => (p.registry.sources = {
            "lsst-k8s/etcd-backup": "docker://quay.io/lsst/etcd-backup",
            "htcondor/execute": "docker://10.0.0.5:5000/htcondor/execute",
            "library/python": "oci:/srv/mirror/python",
        }))).toEqual([]);
        // The committed stacks run mirrored; a stack that says nothing is a first deploy.
        expect(JSON.parse(rawConfig("test").config[`${PROJECT}:platform`]).registry.mirrored).toBe(true);
        const p = JSON.parse(rawConfig("test").config[`${PROJECT}:platform`]);
        delete p.registry.mirrored;
        expect(validateConfig({ ...rawConfig("test").config, [`${PROJECT}:platform`]: JSON.stringify(p) }).config!.platform!.registry)
            .toMatchObject({ sources: {}, mirrored: false });
    });

    it("names the field of each source it refuses, and why", () => {
        expect(problems((p) => (p.registry.sources = {
            "a/tagged": "docker://docker.io/a/tagged:1.0",
            "a/digested": `docker://docker.io/a/digested@sha256:${"0".repeat(64)}`,
            "a/relative": "oci:srv/layout",
            "a/colon": "oci:/srv/layout:1.0",
            "a/scheme": "https://docker.io/a/scheme",
            "a/port": "docker://docker.io:http/a/port",
            "a/empty": "",
            "a/number": 5,
            "Upper/Case": "oci:/srv/x",
        }))).toEqual([
            `platform.registry.sources.a/tagged: "docker://docker.io/a/tagged:1.0" ${SOURCE}`,
            `platform.registry.sources.a/digested: ${quote(`docker://docker.io/a/digested@sha256:${"0".repeat(64)}`)} ${SOURCE}`,
            `platform.registry.sources.a/relative: "oci:srv/layout" ${SOURCE}`,
            `platform.registry.sources.a/colon: "oci:/srv/layout:1.0" ${SOURCE}`,
            `platform.registry.sources.a/scheme: "https://docker.io/a/scheme" ${SOURCE}`,
            `platform.registry.sources.a/port: "docker://docker.io:http/a/port" ${SOURCE}`,
            "platform.registry.sources.a/empty: required",
            "platform.registry.sources.a/number: 5 is not a string",
            'platform.registry.sources.Upper/Case: "Upper/Case" is not a repository path like "lsst-k8s/etcd-backup"',
        ]);
    });

    it("refuses sources that are not a mapping and a mirrored that is not a flag", () => {
        expect(problems((p) => Object.assign(p.registry, { sources: ["oci:/srv/x"], mirrored: "yes" }))).toEqual([
            "platform.registry.sources: is not an object",
            'platform.registry.mirrored: "yes" is not true or false',
        ]);
    });
});
