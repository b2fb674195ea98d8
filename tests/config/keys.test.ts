/**
 * Config keys: the top-level ones, the SSH private key, the HTCondor token, unknown nested keys (with a did-you-mean) and required keys.
 */
import { CONDOR_TOKEN, PROJECT, SSH_KEY, validateConfig } from "../../config";
import { PLACEHOLDER_CONDOR_TOKEN } from "../../tools/offline";
import { rawConfig } from "../harness";
import { baseline, FAKE_KEY, nodes, problemsOf, rawOf, ssh } from "./rules";
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
        expect(result.problems).toEqual(["inventoryFile: unknown config key (known keys: cluster, platform, sshPrivateKey, condorToken)"]);
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

describe("the HTCondor token", () => {
    const withPools = () => {
        const { config } = rawConfig("test");
        delete config[`${PROJECT}:${CONDOR_TOKEN}`];
        return config;
    };

    it("is required when the platform has pools, and the message tells the command that sets it", () => {
        expect(validateConfig(withPools()).problems).toEqual([
            "condorToken: required with platform.htcondor: the startds authenticate to the central manager with it; create and set it with " +
                "`condor_token_create -identity <identity> -authz READ -authz ADVERTISE_MASTER -authz ADVERTISE_STARTD -authz DAEMON | " +
                "pulumi config set --secret condorToken`",
        ]);
        expect(validateConfig({ ...withPools(), [`${PROJECT}:${CONDOR_TOKEN}`]: PLACEHOLDER_CONDOR_TOKEN }).problems).toEqual([]);
        expect(validateConfig(rawOf(baseline())).problems).toEqual([]);
    });

    it("refuses what is not an IDTOKEN, without echoing it", () => {
        const found = validateConfig({ ...withPools(), [`${PROJECT}:${CONDOR_TOKEN}`]: "S3cr3tMaterialXyzzy" }).problems;
        expect(found).toEqual([
            "condorToken: is not an HTCondor IDTOKEN (a JWT with alg and kid in its header, sub and iss in its payload, as condor_token_create prints it)",
        ]);
        expect(found.join("\n")).not.toContain("S3cr3tMaterialXyzzy");
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
