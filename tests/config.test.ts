/**
 * validateConfig: the three stack files validate, and every rule refuses a compact baseline with exactly one
 * thing changed, with the exact "<key path>: <message>" line(s) and no config.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ClusterConfig, PROJECT, SSH_KEY, validateConfig } from "../config";
import { NEWEST_MINOR, OLDEST_MINOR } from "../components/hosts/versions";

const ROOT = path.join(__dirname, "..");
const FAKE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----";
const WINDOW = `1.${OLDEST_MINOR}–1.${NEWEST_MINOR}`;

// ---- helpers --------------------------------------------------------------------------------------

/** A well-formed known_hosts key: `type` on the line, a blob of (uint32 length, blobType, uint32 length, key). */
function hostKey(type: string, blobType: string = type, keyBytes = 32): string {
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

const ED25519 = hostKey("ssh-ed25519");

interface RawNode {
    name?: unknown;
    role?: unknown;
    address?: unknown;
    hostKey?: unknown;
    [key: string]: unknown;
}

interface RawBastion {
    host?: unknown;
    port?: unknown;
    user?: unknown;
    hostKey?: unknown;
    [key: string]: unknown;
}

interface RawSsh {
    user?: unknown;
    port?: unknown;
    dialErrorLimit?: unknown;
    perDialTimeout?: unknown;
    bastion?: RawBastion;
    [key: string]: unknown;
}

interface RawCluster {
    name?: unknown;
    kubernetesVersion?: unknown;
    controlPlaneEndpoint?: unknown;
    networks?: { nodes?: unknown; pods?: unknown; services?: unknown; [key: string]: unknown };
    ssh?: RawSsh;
    nodes?: RawNode[];
    [key: string]: unknown;
}

/** The smallest valid cluster: one control plane (with a host key) and one worker. */
function baseline(): RawCluster {
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

function rawOf(cluster: unknown, key: string = FAKE_KEY): Record<string, string> {
    return { [`${PROJECT}:cluster`]: JSON.stringify(cluster), [`${PROJECT}:${SSH_KEY}`]: key };
}

/** Mutates one thing in the baseline and returns the problems; a refused config must come back undefined. */
function problemsOf(mutate: (c: RawCluster) => void): string[] {
    const cluster = baseline();
    mutate(cluster);
    const result = validateConfig(rawOf(cluster));
    expect(result.config).toBeUndefined();
    return result.problems;
}

/** Mutates one thing in the baseline and expects it to be accepted. */
function accepted(mutate: (c: RawCluster) => void): ClusterConfig {
    const cluster = baseline();
    mutate(cluster);
    const result = validateConfig(rawOf(cluster));
    expect(result.problems).toEqual([]);
    expect(result.config).toBeDefined();
    return result.config!;
}

function nodes(c: RawCluster): RawNode[] {
    return c.nodes!;
}

function ssh(c: RawCluster): RawSsh {
    return c.ssh!;
}

/** Replaces the node list with `controlPlanes` control planes and one worker. */
function withControlPlanes(c: RawCluster, controlPlanes: number): void {
    c.nodes = [
        ...Array.from({ length: controlPlanes }, (_, i) => ({ name: `cp${i + 1}`, role: "control-plane", address: `10.0.0.${11 + i}` })),
        { name: "w1", role: "worker", address: "10.0.0.21" },
    ];
}

function expectDeeplyFrozen(value: unknown, at = "config"): void {
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

// ---- the stack files -------------------------------------------------------------------------------

const STACKS = ["dev", "prod", "test"] as const;

function loadStack(stack: string): { raw: Record<string, string>; cluster: Record<string, unknown> } {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config)) {
        // As the engine passes it: strings as they are, objects JSON-encoded.
        raw[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    expect(raw).not.toHaveProperty(`${PROJECT}:${SSH_KEY}`); // a secret: never in the stack file
    raw[`${PROJECT}:${SSH_KEY}`] = FAKE_KEY;
    return { raw, cluster: doc.config[`${PROJECT}:cluster`] as Record<string, unknown> };
}

describe("the stack files", () => {
    describe.each(STACKS)("Pulumi.%s.yaml", (stack) => {
        const { raw, cluster: yamlCluster } = loadStack(stack);
        const result = validateConfig(raw);
        const yamlSsh = yamlCluster.ssh as Record<string, unknown>;
        const yamlBastion = yamlSsh.bastion as Record<string, unknown> | undefined;

        it("validates with no problems", () => {
            expect(result.problems).toEqual([]);
            expect(result.config).toBeDefined();
        });

        it("returns a deeply frozen config", () => {
            expectDeeplyFrozen(result.config);
            expect(() => {
                (result.config!.nodes[0] as { address: string }).address = "10.9.9.9";
            }).toThrow(TypeError);
            expect(() => {
                (result.config!.nodes as unknown as unknown[]).push({});
            }).toThrow(TypeError);
        });

        it("pins an exact version inside the maintained window, with its minor tag", () => {
            const v = result.config!.kubernetesVersion;
            const [major, minor, patch] = String(yamlCluster.kubernetesVersion).split(".").map(Number);
            expect(v).toEqual({ major, minor, patch, text: yamlCluster.kubernetesVersion, minorTag: `v${major}.${minor}` });
            expect(v.major).toBe(1);
            expect(v.minor).toBeGreaterThanOrEqual(OLDEST_MINOR);
            expect(v.minor).toBeLessThanOrEqual(NEWEST_MINOR);
        });

        it("splits the control-plane endpoint into host and port", () => {
            const text = String(yamlCluster.controlPlaneEndpoint);
            const [host, port] = text.split(":");
            expect(result.config!.controlPlaneEndpoint).toEqual({ host, port: Number(port), text });
            expect(result.config!.controlPlaneEndpoint.port).toBe(6443);
        });

        it("fills the SSH defaults (port 22, 30 dial attempts of 15 s) and the bastion defaults", () => {
            const s = result.config!.ssh;
            expect(s.user).toBe(yamlSsh.user);
            expect(s.port).toBe(22);
            expect(s.dialErrorLimit).toBe(30);
            expect(s.perDialTimeout).toBe(15);
            if (yamlBastion) {
                expect(s.bastion).toEqual({ host: yamlBastion.host, port: 22, user: yamlBastion.user ?? yamlSsh.user });
            } else {
                expect(s.bastion).toBeUndefined();
                expect(s).not.toHaveProperty("bastion");
            }
        });

        it("keeps every node, in order, with its host key", () => {
            const yamlNodes = yamlCluster.nodes as Record<string, unknown>[];
            expect(result.config!.nodes).toEqual(yamlNodes.map((n) => ({ name: n.name, role: n.role, address: n.address, hostKey: n.hostKey, unreachable: false })));
            const cps = result.config!.nodes.filter((n) => n.role === "control-plane").length;
            expect(cps % 2).toBe(1);
        });
    });

    it("pin three different versions, all inside the window", () => {
        const versions = STACKS.map((s) => validateConfig(loadStack(s).raw).config!.kubernetesVersion);
        expect(new Set(versions.map((v) => v.text)).size).toBe(3);
        for (const v of versions) {
            expect(v.minor).toBeGreaterThanOrEqual(OLDEST_MINOR);
            expect(v.minor).toBeLessThanOrEqual(NEWEST_MINOR);
        }
    });
});

// ---- the baseline ----------------------------------------------------------------------------------

describe("the baseline used by the rule tests", () => {
    it("is valid and derives every field", () => {
        const config = accepted(() => undefined);
        expect(config).toEqual({
            name: "lab",
            kubernetesVersion: { major: 1, minor: NEWEST_MINOR, patch: 2, text: `1.${NEWEST_MINOR}.2`, minorTag: `v1.${NEWEST_MINOR}` },
            controlPlaneEndpoint: { host: "k8s.example.org", port: 6443, text: "k8s.example.org:6443" },
            networks: { nodes: "10.0.0.0/24", pods: "10.32.0.0/12", services: "10.96.0.0/12" },
            ssh: { user: "root", port: 22, dialErrorLimit: 30, perDialTimeout: 15 },
            nodes: [
                { name: "cp1", role: "control-plane", address: "10.0.0.11", hostKey: ED25519, unreachable: false },
                { name: "w1", role: "worker", address: "10.0.0.21", unreachable: false },
            ],
        });
        expectDeeplyFrozen(config);
    });
});

// ---- one test per rule -----------------------------------------------------------------------------

describe("top-level keys", () => {
    it("refuses an unknown key of this project with a suggestion", () => {
        const raw = rawOf(baseline());
        raw[`${PROJECT}:clustr`] = raw[`${PROJECT}:cluster`];
        delete raw[`${PROJECT}:cluster`];
        const result = validateConfig(raw);
        expect(result.config).toBeUndefined();
        expect(result.problems).toEqual(['clustr: unknown config key (did you mean "cluster"?)', "cluster: required"]);
    });

    it("lists the known keys when nothing is close", () => {
        const result = validateConfig({ ...rawOf(baseline()), [`${PROJECT}:inventoryFile`]: "hosts.txt" });
        expect(result.config).toBeUndefined();
        expect(result.problems).toEqual(["inventoryFile: unknown config key (known keys: cluster, platform, sshPrivateKey)"]);
    });

    it("ignores keys of other namespaces", () => {
        const result = validateConfig({
            ...rawOf(baseline()),
            "kubernetes:context": "lsst-dev",
            "pulumi:disable-default-providers": '["*"]',
            "command:clustr": "x",
        });
        expect(result.problems).toEqual([]);
        expect(result.config).toBeDefined();
    });

    it("requires the cluster", () => {
        const result = validateConfig({ [`${PROJECT}:${SSH_KEY}`]: FAKE_KEY });
        expect(result.config).toBeUndefined();
        expect(result.problems).toEqual(["cluster: required"]);
    });

    it.each([["not JSON", "name: lab"], ["a list", "[]"], ["null", "null"], ["a string", '"lab"']])(
        "refuses a cluster that is %s",
        (_, text) => {
            const result = validateConfig({ [`${PROJECT}:cluster`]: text, [`${PROJECT}:${SSH_KEY}`]: FAKE_KEY });
            expect(result.config).toBeUndefined();
            expect(result.problems).toEqual(["cluster: is not an object"]);
        },
    );
});

describe("the SSH private key", () => {
    it("is required, and the message tells the command that sets it", () => {
        const result = validateConfig({ [`${PROJECT}:cluster`]: JSON.stringify(baseline()) });
        expect(result.config).toBeUndefined();
        expect(result.problems).toEqual([
            "sshPrivateKey: required: set it with `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`",
        ]);
        expect(result.problems[0]).toContain("pulumi config set --secret sshPrivateKey");
    });

    it.each([
        ["a public key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIS3cr3tMaterialXyzzy user@host"],
        ["a PEM public key", "-----BEGIN PUBLIC KEY-----\nS3cr3tMaterialXyzzy\n-----END PUBLIC KEY-----"],
        ["a password", "S3cr3tMaterialXyzzy"],
        ["empty", ""],
    ])("refuses %s without echoing it", (_, value) => {
        const result = validateConfig(rawOf(baseline(), value));
        expect(result.config).toBeUndefined();
        expect(result.problems).toEqual([
            'sshPrivateKey: is not a PEM or OpenSSH private key (expected "-----BEGIN ... PRIVATE KEY-----" ... "-----END ... PRIVATE KEY-----")',
        ]);
        const all = result.problems.join("\n");
        if (value !== "") {
            expect(all).not.toContain(value);
            expect(all).not.toContain("S3cr3tMaterialXyzzy");
        }
    });

    it.each([
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
        "\n  -----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n",
    ])("accepts a private key starting %j", (key) => {
        const result = validateConfig(rawOf(baseline(), key));
        expect(result.problems).toEqual([]);
        expect(result.config).toBeDefined();
    });
});

describe("unknown nested keys", () => {
    it("refuses a misspelt node key with a suggestion", () => {
        expect(problemsOf((c) => {
            const n = nodes(c)[1];
            n.adress = n.address;
            delete n.address;
        })).toEqual(['cluster.nodes[1].adress: unknown key (did you mean "address"?)', "cluster.nodes[1].address: required"]);
    });

    it("refuses an unknown cluster key with a suggestion", () => {
        expect(problemsOf((c) => {
            c.kubernetesVersoin = c.kubernetesVersion;
            delete c.kubernetesVersion;
        })).toEqual([
            'cluster.kubernetesVersoin: unknown key (did you mean "kubernetesVersion"?)',
            "cluster.kubernetesVersion: required",
        ]);
    });

    it("refuses an unknown networks key with a suggestion", () => {
        expect(problemsOf((c) => {
            c.networks!.service = "10.200.0.0/16";
        })).toEqual(['cluster.networks.service: unknown key (did you mean "services"?)']);
    });

    it("refuses an unknown ssh key, listing the known keys when nothing is close", () => {
        expect(problemsOf((c) => {
            ssh(c).identityFile = "~/.ssh/id_ed25519";
        })).toEqual(["cluster.ssh.identityFile: unknown key (known keys: user, port, bastion, dialErrorLimit, perDialTimeout)"]);
    });
});

describe("required keys", () => {
    it.each(["name", "kubernetesVersion", "controlPlaneEndpoint", "networks", "ssh", "nodes"] as const)(
        "requires cluster.%s",
        (key) => {
            expect(problemsOf((c) => {
                delete c[key];
            })).toEqual([`cluster.${key}: required`]);
        },
    );

    it.each(["nodes", "pods", "services"] as const)("requires cluster.networks.%s", (key) => {
        expect(problemsOf((c) => {
            delete c.networks![key];
        })).toEqual([`cluster.networks.${key}: required`]);
    });

    it("requires cluster.ssh.user", () => {
        expect(problemsOf((c) => {
            delete ssh(c).user;
        })).toEqual(["cluster.ssh.user: required"]);
    });

    it.each(["name", "role", "address"] as const)("requires cluster.nodes[i].%s", (key) => {
        expect(problemsOf((c) => {
            delete nodes(c)[1][key];
        })).toEqual([`cluster.nodes[1].${key}: required`]);
    });

    it("treats an empty string as missing", () => {
        expect(problemsOf((c) => {
            c.name = "";
        })).toEqual(["cluster.name: required"]);
    });

    it("refuses a node list that is not a list", () => {
        expect(problemsOf((c) => {
            (c as Record<string, unknown>).nodes = { cp1: "10.0.0.11" };
        })).toEqual(["cluster.nodes: is not a list"]);
    });

    it("refuses a node that is not an object", () => {
        expect(problemsOf((c) => {
            (nodes(c) as unknown[])[1] = "w1";
        })).toEqual(["cluster.nodes[1]: is not an object"]);
    });
});

describe("cluster.name", () => {
    it.each(["Lab", "lsst_dev", "lsst.dev", "-lab", "lab-", "a".repeat(64)])("refuses %j (not a DNS-1123 label)", (name) => {
        expect(problemsOf((c) => {
            c.name = name;
        })).toEqual([`cluster.name: ${JSON.stringify(name)} is not a DNS-1123 label`]);
    });

    it("refuses a name that is not a string", () => {
        expect(problemsOf((c) => {
            c.name = 7;
        })).toEqual(["cluster.name: 7 is not a string"]);
    });

    it("accepts a 63-character label", () => {
        expect(accepted((c) => {
            c.name = "a".repeat(63);
        }).name).toBe("a".repeat(63));
    });
});

describe("node names", () => {
    it.each(["Dev-CP01", "dev_cp01", "dev-cp01.", ".dev"])("refuses %j (not a DNS-1123 subdomain)", (name) => {
        expect(problemsOf((c) => {
            nodes(c)[1].name = name;
        })).toEqual([`cluster.nodes[1].name: ${JSON.stringify(name)} is not a DNS-1123 subdomain`]);
    });

    it("accepts a dotted subdomain", () => {
        expect(accepted((c) => {
            nodes(c)[1].name = "w1.lab.example.org";
        }).nodes[1].name).toBe("w1.lab.example.org");
    });

    it("refuses duplicate names, naming the first use", () => {
        expect(problemsOf((c) => {
            nodes(c)[1].name = "cp1";
        })).toEqual(['cluster.nodes[1].name: "cp1" is already used by cluster.nodes[0]']);
    });
});

describe("node addresses", () => {
    it("refuses duplicate addresses, naming the first use", () => {
        expect(problemsOf((c) => {
            nodes(c)[1].address = "10.0.0.11";
        })).toEqual(["cluster.nodes[1].address: 10.0.0.11 is already used by cluster.nodes[0]"]);
    });

    it.each(["10.0.0.300", "1.2.3", "01.2.3.4", "10.0.0.021", "10.0.0.1.5", "10.0.0.-1", " 10.0.0.21", "node.example.org"])(
        "refuses %j (not an IPv4 address)",
        (address) => {
            expect(problemsOf((c) => {
                nodes(c)[1].address = address;
            })).toEqual([`cluster.nodes[1].address: ${JSON.stringify(address)} is not an IPv4 address`]);
        },
    );

    it("refuses an address outside the node network", () => {
        expect(problemsOf((c) => {
            nodes(c)[1].address = "10.0.1.21";
        })).toEqual(["cluster.nodes[1].address: 10.0.1.21 is outside the node network 10.0.0.0/24"]);
    });
});

describe("node roles and control planes", () => {
    it("refuses an unknown role", () => {
        expect(problemsOf((c) => {
            nodes(c)[1].role = "master";
        })).toEqual(['cluster.nodes[1].role: "master" must be "control-plane" or "worker"']);
    });

    it("needs a control plane", () => {
        expect(problemsOf((c) => {
            nodes(c)[0].role = "worker";
        })).toEqual(['cluster.nodes: needs at least one node with role "control-plane"']);
    });

    it("needs a control plane in an empty node list", () => {
        expect(problemsOf((c) => {
            c.nodes = [];
        })).toEqual(['cluster.nodes: needs at least one node with role "control-plane"']);
    });

    it.each([2, 4])("refuses %d control planes (etcd needs an odd number)", (n) => {
        expect(problemsOf((c) => withControlPlanes(c, n))).toEqual([
            `cluster.nodes: has ${n} control-plane nodes; etcd needs an odd number to keep quorum`,
        ]);
    });

    it.each([1, 3, 5])("accepts %d control planes", (n) => {
        expect(accepted((c) => withControlPlanes(c, n)).nodes.filter((x) => x.role === "control-plane")).toHaveLength(n);
    });
});

describe("cluster.kubernetesVersion", () => {
    it.each([`v1.${NEWEST_MINOR}.3`, `1.${NEWEST_MINOR}`, `1.${NEWEST_MINOR}.x`, `1.${NEWEST_MINOR}.03`, `1.${NEWEST_MINOR}.3-rc.1`])(
        "refuses %j (not an exact X.Y.Z)",
        (version) => {
            expect(problemsOf((c) => {
                c.kubernetesVersion = version;
            })).toEqual([
                `cluster.kubernetesVersion: ${JSON.stringify(version)} is not an exact version X.Y.Z (kubeadm must not pick a newer patch)`,
            ]);
        },
    );

    it("refuses a version YAML turned into a number", () => {
        expect(problemsOf((c) => {
            c.kubernetesVersion = 1.36;
        })).toEqual(["cluster.kubernetesVersion: 1.36 is not a string"]);
    });

    it("refuses a version below the window", () => {
        const version = `1.${OLDEST_MINOR - 1}.9`;
        expect(problemsOf((c) => {
            c.kubernetesVersion = version;
        })).toEqual([`cluster.kubernetesVersion: ${version} is outside the maintained window (${WINDOW})`]);
    });

    it("refuses a version above the newest release", () => {
        const version = `1.${NEWEST_MINOR + 1}.0`;
        expect(problemsOf((c) => {
            c.kubernetesVersion = version;
        })).toEqual([
            `cluster.kubernetesVersion: ${version} is newer than the newest release this code knows (1.${NEWEST_MINOR}); ` +
                "raise NEWEST_MINOR in components/hosts/versions.ts after reading the release notes",
        ]);
    });

    it.each([`2.${NEWEST_MINOR}.0`, `0.${NEWEST_MINOR}.0`])("refuses major version %s", (version) => {
        expect(problemsOf((c) => {
            c.kubernetesVersion = version;
        })).toEqual([`cluster.kubernetesVersion: ${version} is outside the maintained window (${WINDOW})`]);
    });

    it("accepts both ends of the window", () => {
        expect(accepted((c) => {
            c.kubernetesVersion = `1.${OLDEST_MINOR}.0`;
        }).kubernetesVersion.minorTag).toBe(`v1.${OLDEST_MINOR}`);
        expect(accepted((c) => {
            c.kubernetesVersion = `1.${NEWEST_MINOR}.15`;
        }).kubernetesVersion).toEqual({ major: 1, minor: NEWEST_MINOR, patch: 15, text: `1.${NEWEST_MINOR}.15`, minorTag: `v1.${NEWEST_MINOR}` });
    });
});

describe("cluster.networks", () => {
    it.each(["10.96.0.0", "10.96.0/12", "10.96.0.0/", "10.96.0.0/-1", "10.96.0.256/12", "fd00::/108"])(
        "refuses the malformed CIDR %j",
        (cidr) => {
            expect(problemsOf((c) => {
                c.networks!.services = cidr;
            })).toEqual([`cluster.networks.services: ${JSON.stringify(cidr)} is not an IPv4 CIDR (a.b.c.d/n)`]);
        },
    );

    it.each(["10.32.0.0/33", "10.32.0.0/99", "10.32.0.0/128"])("refuses the prefix in %j (above 32)", (cidr) => {
        expect(problemsOf((c) => {
            c.networks!.pods = cidr;
        })).toEqual([`cluster.networks.pods: ${JSON.stringify(cidr)} is not an IPv4 CIDR (a.b.c.d/n)`]);
    });

    it("refuses a CIDR with host bits set", () => {
        expect(problemsOf((c) => {
            c.networks!.pods = "10.33.0.0/12";
        })).toEqual(["cluster.networks.pods: 10.33.0.0/12 has host bits set"]);
    });

    it("refuses pods overlapping services, naming both paths", () => {
        expect(problemsOf((c) => {
            c.networks!.pods = "10.96.0.0/16";
        })).toEqual(["cluster.networks.services: 10.96.0.0/12 overlaps cluster.networks.pods (10.96.0.0/16)"]);
    });

    it("refuses nodes overlapping pods, naming both paths", () => {
        expect(problemsOf((c) => {
            c.networks!.pods = "10.0.0.0/12";
        })).toEqual(["cluster.networks.pods: 10.0.0.0/12 overlaps cluster.networks.nodes (10.0.0.0/24)"]);
    });

    it("accepts adjacent networks", () => {
        expect(accepted((c) => {
            c.networks = { nodes: "10.0.0.0/24", pods: "10.0.1.0/24", services: "10.0.2.0/23" };
        }).networks).toEqual({ nodes: "10.0.0.0/24", pods: "10.0.1.0/24", services: "10.0.2.0/23" });
    });
});

describe("cluster.controlPlaneEndpoint", () => {
    const message = (text: string): string =>
        `cluster.controlPlaneEndpoint: ${JSON.stringify(text)} is not host:port (a DNS name or IPv4 address, a port 1-65535)`;

    it("refuses an endpoint without a port", () => {
        expect(problemsOf((c) => {
            c.controlPlaneEndpoint = "k8s.example.org";
        })).toEqual([message("k8s.example.org")]);
    });

    it.each(["k8s.example.org:0", "k8s.example.org:70000", "k8s.example.org:", "k8s.example.org:https"])(
        "refuses the port in %j",
        (text) => {
            expect(problemsOf((c) => {
                c.controlPlaneEndpoint = text;
            })).toEqual([message(text)]);
        },
    );

    it.each(["K8S.example.org:6443", "k8s_api.example.org:6443", "https://k8s.example.org:6443", "[::1]:6443", ":6443"])(
        "refuses the host in %j",
        (text) => {
            expect(problemsOf((c) => {
                c.controlPlaneEndpoint = text;
            })).toEqual([message(text)]);
        },
    );

    it("accepts an IPv4 host and both port limits", () => {
        expect(accepted((c) => {
            c.controlPlaneEndpoint = "10.0.0.11:1";
        }).controlPlaneEndpoint).toEqual({ host: "10.0.0.11", port: 1, text: "10.0.0.11:1" });
        expect(accepted((c) => {
            c.controlPlaneEndpoint = "k8s:65535";
        }).controlPlaneEndpoint).toEqual({ host: "k8s", port: 65535, text: "k8s:65535" });
    });
});

describe("cluster.ssh", () => {
    it.each(["Root", "1admin", "ad min", "root@host", "a".repeat(33)])("refuses the user %j", (user) => {
        expect(problemsOf((c) => {
            ssh(c).user = user;
        })).toEqual([`cluster.ssh.user: ${JSON.stringify(user)} is not a user name`]);
    });

    it.each([0, 65536, -22])("refuses the port %j (out of range)", (port) => {
        expect(problemsOf((c) => {
            ssh(c).port = port;
        })).toEqual([`cluster.ssh.port: ${port} is not a whole number from 1 to 65535`]);
    });

    it.each([22.5, "22", null, true])("refuses the port %j (not an integer)", (port) => {
        expect(problemsOf((c) => {
            ssh(c).port = port;
        })).toEqual([`cluster.ssh.port: ${JSON.stringify(port)} is not a whole number from 1 to 65535`]);
    });

    it.each([0, 1001, 2.5])("refuses dialErrorLimit %j", (limit) => {
        expect(problemsOf((c) => {
            ssh(c).dialErrorLimit = limit;
        })).toEqual([`cluster.ssh.dialErrorLimit: ${limit} is not a whole number from 1 to 1000`]);
    });

    it.each([0, 601])("refuses perDialTimeout %j", (timeout) => {
        expect(problemsOf((c) => {
            ssh(c).perDialTimeout = timeout;
        })).toEqual([`cluster.ssh.perDialTimeout: ${timeout} is not a whole number from 1 to 600`]);
    });

    it("accepts explicit values at the limits", () => {
        expect(accepted((c) => {
            c.ssh = { user: "_deploy-1", port: 65535, dialErrorLimit: 1000, perDialTimeout: 1 };
        }).ssh).toEqual({ user: "_deploy-1", port: 65535, dialErrorLimit: 1000, perDialTimeout: 1 });
        expect(accepted((c) => {
            c.ssh = { user: "root", port: 1, dialErrorLimit: 1, perDialTimeout: 600 };
        }).ssh).toEqual({ user: "root", port: 1, dialErrorLimit: 1, perDialTimeout: 600 });
    });
});

describe("host keys", () => {
    const message = (p: string, key: string): string => `${p}: ${JSON.stringify(key)} is not an SSH public host key ("ssh-ed25519 AAAA...")`;

    it("accepts every supported type, with or without a comment", () => {
        const keys = [
            hostKey("ssh-ed25519"),
            hostKey("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", 65),
            hostKey("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", 97),
            hostKey("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", 133),
            hostKey("ssh-rsa", "ssh-rsa", 257),
            `${ED25519} root@cp1`,
        ];
        for (const key of keys) {
            expect(accepted((c) => {
                nodes(c)[1].hostKey = key;
            }).nodes[1].hostKey).toBe(key);
        }
    });

    it("refuses an unsupported type word", () => {
        const key = hostKey("ssh-dss");
        expect(problemsOf((c) => {
            nodes(c)[0].hostKey = key;
        })).toEqual([message("cluster.nodes[0].hostKey", key)]);
    });

    it("refuses a type word that is not on the line", () => {
        const key = ED25519.split(" ")[1];
        expect(problemsOf((c) => {
            nodes(c)[0].hostKey = key;
        })).toEqual([message("cluster.nodes[0].hostKey", key)]);
    });

    it.each(["ssh-ed25519 not*base64!", "ssh-ed25519 AAAA=C3Nz", "ssh-ed25519"])("refuses bad base64 in %j", (key) => {
        expect(problemsOf((c) => {
            nodes(c)[0].hostKey = key;
        })).toEqual([message("cluster.nodes[0].hostKey", key)]);
    });

    it("refuses a blob whose inner type differs from the declared type (an ed25519 blob labelled ssh-rsa)", () => {
        const key = `ssh-rsa ${ED25519.split(" ")[1]}`;
        expect(problemsOf((c) => {
            nodes(c)[0].hostKey = key;
        })).toEqual([message("cluster.nodes[0].hostKey", key)]);
    });

    it("refuses a blob that is not length-prefixed", () => {
        const key = `ssh-ed25519 ${Buffer.from("ssh-ed25519 and then some").toString("base64")}`;
        expect(problemsOf((c) => {
            nodes(c)[0].hostKey = key;
        })).toEqual([message("cluster.nodes[0].hostKey", key)]);
    });
});

describe("cluster.ssh.bastion", () => {
    it("defaults its port to 22 and its user to ssh.user", () => {
        expect(accepted((c) => {
            ssh(c).bastion = { host: "bastion.example.org" };
        }).ssh.bastion).toEqual({ host: "bastion.example.org", port: 22, user: "root" });
    });

    it("keeps its own user, port and host key", () => {
        const key = hostKey("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", 65);
        const config = accepted((c) => {
            ssh(c).bastion = { host: "192.0.2.5", port: 2222, user: "jump", hostKey: key };
        });
        expect(config.ssh).toEqual({
            user: "root",
            port: 22,
            dialErrorLimit: 30,
            perDialTimeout: 15,
            bastion: { host: "192.0.2.5", port: 2222, user: "jump", hostKey: key },
        });
        expectDeeplyFrozen(config);
    });

    it.each(["bastion_1.example.org", "Bastion.example.org", "10.0.0.1:22", "10.0.0.1/32"])("refuses the host %j", (host) => {
        expect(problemsOf((c) => {
            ssh(c).bastion = { host };
        })).toEqual([`cluster.ssh.bastion.host: ${JSON.stringify(host)} is not a DNS name or IPv4 address`]);
    });

    it("requires a host", () => {
        expect(problemsOf((c) => {
            ssh(c).bastion = { user: "jump" };
        })).toEqual(["cluster.ssh.bastion.host: required"]);
    });

    it("refuses an unknown key with a suggestion", () => {
        expect(problemsOf((c) => {
            ssh(c).bastion = { host: "bastion.example.org", prot: 2222 };
        })).toEqual(['cluster.ssh.bastion.prot: unknown key (did you mean "port"?)']);
    });

    it("refuses a malformed host key", () => {
        const key = `ssh-rsa ${ED25519.split(" ")[1]}`;
        expect(problemsOf((c) => {
            ssh(c).bastion = { host: "bastion.example.org", hostKey: key };
        })).toEqual([`cluster.ssh.bastion.hostKey: ${JSON.stringify(key)} is not an SSH public host key ("ssh-ed25519 AAAA...")`]);
    });

    it("refuses an invalid user and port of its own", () => {
        expect(problemsOf((c) => {
            ssh(c).bastion = { host: "bastion.example.org", user: "Jump" };
        })).toEqual(['cluster.ssh.bastion.user: "Jump" is not a user name']);
        expect(problemsOf((c) => {
            ssh(c).bastion = { host: "bastion.example.org", port: 0 };
        })).toEqual(["cluster.ssh.bastion.port: 0 is not a whole number from 1 to 65535"]);
    });

    it("refuses a bastion that is not an object", () => {
        expect(problemsOf((c) => {
            (ssh(c) as Record<string, unknown>).bastion = "bastion.example.org";
        })).toEqual(["cluster.ssh.bastion: is not an object"]);
    });
});

// ---- every problem at once -------------------------------------------------------------------------

describe("every problem at once", () => {
    const below = `1.${OLDEST_MINOR - 1}.0`;
    const badKey = `ssh-rsa ${ED25519.split(" ")[1]}`;

    function broken(): RawCluster {
        const c = baseline();
        c.kubernetesVersion = below;
        c.controlPlaneEndpoint = "k8s.example.org";
        ssh(c).dialErrorLimit = 0;
        nodes(c)[0].hostKey = badKey;
        nodes(c)[1].address = "10.0.1.21";
        return c;
    }

    const expected = [
        'clster: unknown config key (did you mean "cluster"?)',
        `cluster.kubernetesVersion: ${below} is outside the maintained window (${WINDOW})`,
        'cluster.controlPlaneEndpoint: "k8s.example.org" is not host:port (a DNS name or IPv4 address, a port 1-65535)',
        "cluster.ssh.dialErrorLimit: 0 is not a whole number from 1 to 1000",
        `cluster.nodes[0].hostKey: ${JSON.stringify(badKey)} is not an SSH public host key ("ssh-ed25519 AAAA...")`,
        "cluster.nodes[1].address: 10.0.1.21 is outside the node network 10.0.0.0/24",
    ];

    it("reports six independent mistakes in one call, in document order", () => {
        const raw = { ...rawOf(broken()), [`${PROJECT}:clster`]: "{}" };
        const result = validateConfig(raw);
        expect(result.config).toBeUndefined();
        expect(result.problems).toEqual(expected);
    });

    it("reports them in the same order whatever the order of the keys", () => {
        const c = broken();
        const reversed = Object.fromEntries(Object.entries(c).reverse());
        const raw = { [`${PROJECT}:clster`]: "{}", [`${PROJECT}:${SSH_KEY}`]: FAKE_KEY, [`${PROJECT}:cluster`]: JSON.stringify(reversed) };
        const first = validateConfig(raw);
        expect(first.problems).toEqual(expected);
        expect(validateConfig(raw).problems).toEqual(first.problems);
    });

    it("reports the missing SSH key along with the cluster's problems", () => {
        const result = validateConfig({ [`${PROJECT}:cluster`]: JSON.stringify(broken()) });
        expect(result.config).toBeUndefined();
        expect(result.problems).toEqual([
            "sshPrivateKey: required: set it with `pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`",
            ...expected.slice(1),
        ]);
    });

    it("writes every problem as \"<key path>: <message>\"", () => {
        const result = validateConfig({ ...rawOf(broken()), [`${PROJECT}:clster`]: "{}" });
        for (const p of result.problems) {
            expect(p).toMatch(/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*|\[\d+\])*: \S/);
        }
    });
});

// ---- known bugs in config.ts -----------------------------------------------------------------------
// Each test asserts the correct behaviour and is marked `failing` because config.ts does not do it yet.

describe("regressions found while writing these tests", () => {
    it("a problem under cluster.networks does not hide an address outside the node network", () => {
        // The node network is still used for the address check when another network is wrong.
        expect(problemsOf((c) => {
            c.networks!.pods = "10.32.0.0/33";
            nodes(c)[1].address = "10.0.1.21";
        })).toEqual([
            'cluster.networks.pods: "10.32.0.0/33" is not an IPv4 CIDR (a.b.c.d/n)',
            "cluster.nodes[1].address: 10.0.1.21 is outside the node network 10.0.0.0/24",
        ]);
    });

    it("a malformed IPv4 address is not accepted as a DNS host name in the endpoint", () => {
        // RFC 1123 2.1: a host name never has the dotted-decimal form, so this is a mistyped address.
        expect(problemsOf((c) => {
            c.controlPlaneEndpoint = "10.0.0.300:6443";
        })).toEqual([
            'cluster.controlPlaneEndpoint: "10.0.0.300:6443" is not host:port (a DNS name or IPv4 address, a port 1-65535)',
        ]);
    });

    it("a malformed IPv4 address is not accepted as a DNS host name for the bastion", () => {
        expect(problemsOf((c) => {
            ssh(c).bastion = { host: "01.2.3.4" };
        })).toEqual(['cluster.ssh.bastion.host: "01.2.3.4" is not a DNS name or IPv4 address']);
    });

    it("a host key blob that stops after its type name is refused", () => {
        // A truncated paste must not be pinned: the blob has to hold the whole key.
        const key = `ssh-ed25519 ${ED25519.split(" ")[1].slice(0, 24)}`; // "AAAAC3NzaC1lZDI1NTE5AAAA"
        expect(problemsOf((c) => {
            nodes(c)[0].hostKey = key;
        })).toEqual([`cluster.nodes[0].hostKey: ${JSON.stringify(key)} is not an SSH public host key ("ssh-ed25519 AAAA...")`]);
    });

    it("an SSH private key needs its END line, not only the BEGIN line", () => {
        const result = validateConfig(rawOf(baseline(), "-----BEGIN OPENSSH PRIVATE KEY-----garbage"));
        expect(result.problems).toEqual([
            'sshPrivateKey: is not a PEM or OpenSSH private key (expected "-----BEGIN ... PRIVATE KEY-----" ... "-----END ... PRIVATE KEY-----")',
        ]);
    });

    it("an endpoint port with a leading zero is refused", () => {
        expect(problemsOf((c) => {
            c.controlPlaneEndpoint = "k8s.example.org:06443";
        })).toEqual([
            'cluster.controlPlaneEndpoint: "k8s.example.org:06443" is not host:port (a DNS name or IPv4 address, a port 1-65535)',
        ]);
    });

    it("a node cannot use the node network's network or broadcast address", () => {
        expect(problemsOf((c) => {
            nodes(c)[0].address = "10.0.0.0";
            nodes(c)[1].address = "10.0.0.255";
        })).toEqual([
            "cluster.nodes[0].address: 10.0.0.0 is the network or broadcast address of 10.0.0.0/24",
            "cluster.nodes[1].address: 10.0.0.255 is the network or broadcast address of 10.0.0.0/24",
        ]);
    });

    it("a host key with surrounding white space is stored trimmed", () => {
        const config = accepted((c) => {
            nodes(c)[0].hostKey = `  ${ED25519} \n`;
        });
        expect(config.nodes[0].hostKey).toBe(ED25519);
    });

    it("unreachable is a boolean, defaults to false, and cannot be set on the first control plane", () => {
        expect(accepted(() => undefined).nodes.every((n) => n.unreachable === false)).toBe(true);
        expect(accepted((c) => {
            nodes(c)[1].unreachable = true;
        }).nodes[1].unreachable).toBe(true);
        expect(problemsOf((c) => {
            nodes(c)[1].unreachable = "yes";
        })).toEqual(['cluster.nodes[1].unreachable: "yes" is not true or false']);
        expect(problemsOf((c) => {
            nodes(c)[0].unreachable = true;
        })).toEqual(["cluster.nodes[0].unreachable: the first control plane runs every drain and token: it cannot be unreachable"]);
    });
});
