/**
 * cluster.nodes: names, addresses, roles and control planes, and host keys, one test per rule.
 */
import { accepted, ED25519, hostKey, nodes, problemsOf, withControlPlanes } from "./rules";
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
