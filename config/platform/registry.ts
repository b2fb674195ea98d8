/** Technote 000/001 "Docker Registry": the cluster's own image registry. */
import { z } from "zod";
import { quote } from "../problems";
import { DNS_SUBDOMAIN, IPV4_PATTERN, flag, isHost, isIPv4, isPort, record, size, text } from "../values";
import { image } from "./images";

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
/** A repository path as a registry names it (distribution's reference grammar): "lsst-k8s/etcd-backup". */
export const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

/** "docker://HOST[:PORT]/REPOSITORY", without a tag or digest: the mirror appends the image's own. */
function isDockerSource(s: string): boolean {
    const m = /^docker:\/\/([^/]+)\/(.+)$/.exec(s);
    if (!m) {
        return false;
    }
    const [host, port, ...rest] = m[1].split(":");
    return isHost(host) && (port === undefined || isPort(Number(port))) && rest.length === 0 && REPOSITORY.test(m[2]);
}

/** "oci:/ABSOLUTE/DIR": an OCI layout; skopeo reads a ':' in it as the start of the image's reference. */
const isOciSource = (s: string) => /^oci:\/[^:\0]*$/.test(s);

const source = text((s) => isDockerSource(s) || isOciSource(s),
    'is not "docker://HOST/REPOSITORY" (no tag or digest: the image\'s own is appended) or "oci:/ABSOLUTE/DIR"')
    .meta({ pattern: "^(docker://[^/@\\s]+/[a-z0-9._/-]+|oci:/[^:]*)$" });

const sources = z.record(
    text(REPOSITORY, 'is not a repository path like "lsst-k8s/etcd-backup"'),
    source,
    { error: (iss) => (iss.code === "invalid_key" ? `${quote(iss.input)} is not a repository path like "lsst-k8s/etcd-backup"` : iss.input === undefined ? "required" : "is not an object") },
);

export const registry = record({
    host: text((s) => isHost(s) && !isIPv4(s), "is not a DNS name")
        .meta({ description: 'The name images are pulled by ("registry.lsst-dev.example.org/..."): the trusted registry.' }),
    clusterIP: text(isIPv4, "is not an IPv4 address")
        .meta({ description: "The Service's fixed address in the service network, which every node's containerd dials.", pattern: IPV4_PATTERN }),
    storageSize: size("is not a storage size like 500Gi").default("500Gi").meta({ description: 'The storage volume\'s size; default "500Gi".' }),
    storageClass: text(DNS_SUBDOMAIN, "is not a storage class name").optional()
        .meta({ description: "Its storage class; default the cluster's default class." }),
    image: image('The official registry image, from Docker Hub (it cannot be pulled from itself); default "docker.io/library/registry:2.8.3".')
        .default("docker.io/library/registry:2.8.3"),
    sources: sources.default({}).meta({
        description: "Where `npm run mirror` copies each image the platform pulls through the registry from, by its repository " +
            'path in the registry ("lsst-k8s/etcd-backup"): "docker://HOST/REPOSITORY" (the image\'s tag or digest is appended) ' +
            'or "oci:/ABSOLUTE/DIR" (an OCI layout; the image\'s tag is its reference there). The program\'s own images ' +
            "(Headlamp, kube-bench, python) default to their upstream repositories; default {}.",
    }),
    mirrored: flag().default(false).meta({
        description: "The images the platform pulls through the registry are in it (set once `npm run mirror` has copied " +
            "them); until then the registry, its storage and what pulls from elsewhere are deployed, nothing that pulls " +
            "through it; default false, a first deploy.",
    }),
});

export type RegistryConfig = z.output<typeof registry>;
