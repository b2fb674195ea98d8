/**
 * The compact baseline every config rule test starts from, and the helpers that mutate one thing in it
 * and return what validateConfig says: the exact "<key path>: <message>" lines and no config.
 */
import { ClusterConfig, PROJECT, SSH_KEY, validateConfig } from "../../config";
import { NEWEST_MINOR, OLDEST_MINOR } from "../../components/hosts/versions";

export const FAKE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----";
export const WINDOW = `1.${OLDEST_MINOR}–1.${NEWEST_MINOR}`;

/** A well-formed known_hosts key: `type` on the line, a blob of (uint32 length, blobType, uint32 length, key). */
export function hostKey(type: string, blobType: string = type, keyBytes = 32): string {
    const u32 = (n: number): Buffer => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
    };
    const field = (b: Buffer): Buffer => Buffer.concat([u32(b.length), b]);
    // The fields after the type name, in SSH wire format: ed25519 one key, ECDSA curve and point, RSA e and n.
    const rest = blobType.startsWith("ecdsa-sha2-")
        ? [Buffer.from(blobType.slice("ecdsa-sha2-".length), "latin1"), Buffer.alloc(65, 0x04)]
        : blobType === "ssh-rsa"
            ? [Buffer.from([0x01, 0x00, 0x01]), Buffer.alloc(257, 0x5a)]
            : [Buffer.alloc(keyBytes, 0x5a)];
    const blob = Buffer.concat([field(Buffer.from(blobType, "latin1")), ...rest.map(field)]);
    return `${type} ${blob.toString("base64")}`;
}

export const ED25519 = hostKey("ssh-ed25519");

export interface RawNode {
    name?: unknown;
    role?: unknown;
    address?: unknown;
    hostKey?: unknown;
    [key: string]: unknown;
}

export interface RawBastion {
    host?: unknown;
    port?: unknown;
    user?: unknown;
    hostKey?: unknown;
    [key: string]: unknown;
}

export interface RawSsh {
    user?: unknown;
    port?: unknown;
    dialErrorLimit?: unknown;
    perDialTimeout?: unknown;
    bastion?: RawBastion;
    [key: string]: unknown;
}

export interface RawCluster {
    name?: unknown;
    kubernetesVersion?: unknown;
    controlPlaneEndpoint?: unknown;
    networks?: { nodes?: unknown; pods?: unknown; services?: unknown; [key: string]: unknown };
    ssh?: RawSsh;
    nodes?: RawNode[];
    [key: string]: unknown;
}

/** The smallest valid cluster: one control plane (with a host key) and one worker. */
export function baseline(): RawCluster {
    return {
        name: "lab",
        kubernetesVersion: `1.${NEWEST_MINOR}.2`,
        controlPlaneEndpoint: "k8s.example.org:6443",
        networks: { nodes: "10.0.0.0/24", pods: "10.32.0.0/12", services: "10.96.0.0/12" },
        ssh: { user: "root" },
        nodes: [
            { name: "cp1", role: "control-plane", address: "10.0.0.11", hostKey: ED25519 },
            { name: "w1", role: "worker", address: "10.0.0.21" },
        ],
    };
}

export function rawOf(cluster: unknown, key: string = FAKE_KEY): Record<string, string> {
    return { [`${PROJECT}:cluster`]: JSON.stringify(cluster), [`${PROJECT}:${SSH_KEY}`]: key };
}

/** Mutates one thing in the baseline and returns the problems; a refused config must come back undefined. */
export function problemsOf(mutate: (c: RawCluster) => void): string[] {
    const cluster = baseline();
    mutate(cluster);
    const result = validateConfig(rawOf(cluster));
    expect(result.config).toBeUndefined();
    return result.problems;
}

/** Mutates one thing in the baseline and expects it to be accepted. */
export function accepted(mutate: (c: RawCluster) => void): ClusterConfig {
    const cluster = baseline();
    mutate(cluster);
    const result = validateConfig(rawOf(cluster));
    expect(result.problems).toEqual([]);
    expect(result.config).toBeDefined();
    return result.config!;
}

export function nodes(c: RawCluster): RawNode[] {
    return c.nodes!;
}

export function ssh(c: RawCluster): RawSsh {
    return c.ssh!;
}

/** Replaces the node list with `controlPlanes` control planes and one worker. */
export function withControlPlanes(c: RawCluster, controlPlanes: number): void {
    c.nodes = [
        ...Array.from({ length: controlPlanes }, (_, i) => ({ name: `cp${i + 1}`, role: "control-plane", address: `10.0.0.${11 + i}` })),
        { name: "w1", role: "worker", address: "10.0.0.21" },
    ];
}

export function expectDeeplyFrozen(value: unknown, at = "config"): void {
    if (typeof value !== "object" || value === null) {
        return;
    }
    if (!Object.isFrozen(value)) {
        throw new Error(`${at} is not frozen`);
    }
    for (const [k, v] of Object.entries(value)) {
        expectDeeplyFrozen(v, `${at}.${k}`);
    }
}
