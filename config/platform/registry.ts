/** Technote 000/001 "Docker Registry": the cluster's own image registry. */
import { z } from "zod";
import { DNS_SUBDOMAIN, IPV4_PATTERN, isHost, isIPv4, record, size, text } from "../values";
import { image } from "./images";

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
});

export type RegistryConfig = z.output<typeof registry>;
