/**
 * The images the platform pulls through the local registry (technote 001 "Images and Libraries":
 * images preserved locally and vetted), and where each one comes from, so `npm run mirror` can put
 * them there before anything pulls them. Pure: tests/images.test.ts proves the list is exactly the
 * registry's images the program's workloads name, on every stack, so it cannot drift from them.
 */
import { PlatformConfig } from "../../config";
import { HEADLAMP_VERSION } from "./Headlamp";
import { KUBE_BENCH_VERSION } from "./KubeBench";
import { PYTHON_TAG } from "./MulticastCheck";


/** Where the program's own images come from, by their repository path in the local registry. */
export const UPSTREAM_SOURCES: Readonly<Record<string, string>> = {
    "headlamp-k8s/headlamp": "docker://ghcr.io/headlamp-k8s/headlamp",
    "aquasec/kube-bench": "docker://docker.io/aquasec/kube-bench",
    "library/python": "docker://docker.io/library/python",
};

/** One image pods pull through the local registry. */
export interface RegistryImage {
    /** The reference pods pull: `<registry host>/<path>[:tag][@digest]`. */
    readonly ref: string;
    /** Its repository path in the registry ("headlamp-k8s/headlamp"). */
    readonly path: string;
    /** The tag, when the reference names one. */
    readonly tag?: string;
    /** The digest ("sha256:…"), when the reference names one: what the copy must land at. */
    readonly digest?: string;
    /**
     * Where it is copied from, without tag or digest: `platform.registry.sources[path]`, else
     * UPSTREAM_SOURCES[path]; absent when neither names one (an image the site pushes itself).
     */
    readonly source?: string;
    /** What makes the platform pull it: the switch or the config field ("platform.htcondor.image"). */
    readonly pulledBy: string;
}

/** The path, tag and digest of `ref` below `host`, or undefined when `ref` is not on that host. */
export function parseRegistryRef(host: string, ref: string): { path: string; tag?: string; digest?: string } | undefined {
    if (!ref.startsWith(`${host}/`)) {
        return undefined;
    }
    const rest = ref.slice(host.length + 1);
    const at = rest.indexOf("@");
    const named = at < 0 ? rest : rest.slice(0, at);
    const digest = at < 0 ? undefined : rest.slice(at + 1);
    const colon = named.lastIndexOf(":");
    const tagged = colon > named.lastIndexOf("/");
    return {
        path: tagged ? named.slice(0, colon) : named,
        ...(tagged ? { tag: named.slice(colon + 1) } : {}),
        ...(digest !== undefined ? { digest } : {}),
    };
}

/**
 * Every image the platform pulls through its registry, each once, in the order the platform deploys
 * them: the dashboard's (Headlamp), kube-bench's and the multicast check's when switched on, then the etcd
 * backups' and HTCondor's when their configured image names the registry's host. None without a registry.
 */
export function registryImages(platform: PlatformConfig): RegistryImage[] {
    const registry = platform.registry;
    if (registry === undefined) {
        return [];
    }
    const refs: { ref: string; pulledBy: string }[] = [];
    const own = (pulledBy: string, path: string, tag: string) => refs.push({ ref: `${registry.host}/${path}:${tag}`, pulledBy });
    if (platform.dashboard) {
        own("platform.dashboard", "headlamp-k8s/headlamp", HEADLAMP_VERSION);
    }
    if (platform.kubeBench) {
        own("platform.kubeBench", "aquasec/kube-bench", KUBE_BENCH_VERSION);
    }
    if (platform.multicastCheck) {
        own("platform.multicastCheck", "library/python", PYTHON_TAG);
    }
    if (platform.etcdBackup) {
        refs.push({ ref: platform.etcdBackup.image, pulledBy: "platform.etcdBackup.image" });
    }
    if (platform.htcondor) {
        refs.push({ ref: platform.htcondor.image, pulledBy: "platform.htcondor.image" });
    }
    const images: RegistryImage[] = [];
    for (const { ref, pulledBy } of refs) {
        const parsed = parseRegistryRef(registry.host, ref);
        if (parsed === undefined || images.some((i) => i.ref === ref)) {
            continue;
        }
        const source = Object.hasOwn(registry.sources, parsed.path) ? registry.sources[parsed.path]
            : Object.hasOwn(UPSTREAM_SOURCES, parsed.path) ? UPSTREAM_SOURCES[parsed.path] : undefined;
        images.push({ ref, ...parsed, ...(source !== undefined ? { source } : {}), pulledBy });
    }
    return images;
}
