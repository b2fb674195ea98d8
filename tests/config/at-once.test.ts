/**
 * Every problem reported in one pass, in schema order whatever the order of the keys, and the regressions found while writing the rule tests.
 */
import { PROJECT, SSH_KEY, validateConfig } from "../../config";
import { OLDEST_MINOR } from "../../components/hosts/versions";
import { accepted, ED25519, FAKE_KEY, nodes, problemsOf, RawCluster, rawOf, ssh, baseline, WINDOW } from "./rules";
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

// ---- regressions -----------------------------------------------------------------------------------
// Each test asserts behaviour that the first hand-written checks got wrong.

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
