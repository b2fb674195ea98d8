/**
 * cluster.name, cluster.kubernetesVersion, cluster.networks, cluster.controlPlaneEndpoint and cluster.upgrade, one test per rule.
 */
import { NEWEST_MINOR, OLDEST_MINOR } from "../../components/hosts/versions";
import { accepted, problemsOf, WINDOW } from "./rules";
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

describe("cluster.upgrade", () => {
    it("drains one worker at a time when the stack says nothing", () => {
        expect(accepted((c) => {
            delete c.upgrade;
        }).upgrade).toEqual({ workersAtOnce: 1 });
    });

    it.each([0, 10001, 2.5, "3"])("refuses workersAtOnce %j", (n) => {
        expect(problemsOf((c) => {
            c.upgrade = { workersAtOnce: n };
        })).toEqual([`cluster.upgrade.workersAtOnce: ${JSON.stringify(n)} is not a whole number from 1 to 10000`]);
    });

    it("refuses a key it does not know", () => {
        expect(problemsOf((c) => {
            c.upgrade = { serial: 2 };
        })).toEqual([expect.stringMatching(/^cluster\.upgrade\.serial: unknown key/)]);
    });

    it("accepts a batch as large as the limit", () => {
        expect(accepted((c) => {
            c.upgrade = { workersAtOnce: 10000 };
        }).upgrade.workersAtOnce).toBe(10000);
    });
});
