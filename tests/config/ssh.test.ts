/**
 * cluster.ssh and its bastion, one test per rule.
 */
import { accepted, ED25519, expectDeeplyFrozen, hostKey, problemsOf, ssh } from "./rules";
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
