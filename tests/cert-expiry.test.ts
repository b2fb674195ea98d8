/**
 * The pure side of the control planes' certificate check (components/hosts/certExpiry.ts): the report
 * line's parser, the trigger that decides from the last deploy's certificatesExpire output when the
 * check runs again, the month's warning, the bundle, and that upgrade.sh never turns off the renewal
 * kubeadm's upgrade does by default.
 */
import * as fs from "fs";
import * as path from "path";
import { decodeBundle, encodeBundle } from "../components/hosts/bundle";
import {
    certExpiryBundle, certificateCheckTrigger, certificatesExpire, certificateWarning, expiryDue, parseCertificateReport,
} from "../components/hosts/certExpiry";
import { testCluster } from "./init/fixtures";

const NOW = new Date("2026-12-02T12:00:00Z");
const line = (o: unknown) => `kubeadm said things\n${JSON.stringify(o)}\n`;
const report = {
    node: "test-cp01",
    earliest: "2027-01-10T08:00:00Z",
    certificates: [{ name: "apiserver", expires: "2027-03-01T00:00:00Z" }, { name: "etcd-peer", expires: "2027-01-10T08:00:00Z" }],
};

describe("parseCertificateReport", () => {
    it("reads the last line of stdout", () => {
        expect(parseCertificateReport(line(report), "test-cp01")).toEqual(report);
    });

    it.each([
        ["another node's report", { ...report, node: "test-cp02" }],
        ["no earliest", { ...report, earliest: undefined }],
        ["an earliest that is no RFC 3339 UTC time", { ...report, earliest: "Jan 10, 2027 08:00 UTC" }],
        ["no certificates", { ...report, certificates: [] }],
        ["a certificate without an expiry", { ...report, certificates: [{ name: "apiserver" }] }],
    ])("refuses %s, naming the node", (_, o) => {
        expect(() => parseCertificateReport(line(o), "test-cp01")).toThrow("cert-expiry.sh on test-cp01 did not print");
    });

    it("refuses an earliest that is not the earliest certificate's", () => {
        expect(() => parseCertificateReport(line({ ...report, earliest: "2027-03-01T00:00:00Z" }), "test-cp01"))
            .toThrow("a certificate expires at 2027-01-10T08:00:00Z");
    });

    it("refuses stdout whose last line is no JSON", () => {
        expect(() => parseCertificateReport(`${JSON.stringify(report)}\ntrailing\n`, "test-cp01")).toThrow("did not print");
    });
});

describe("when the check runs again", () => {
    it("runs on a first deploy (no reading yet), or when the last output is not a time", () => {
        expect(certificateCheckTrigger(undefined, NOW)).toBe("unknown");
        expect(certificateCheckTrigger({ "test-cp01": "x" }, NOW)).toBe("unknown");
    });

    it("stays put while the earliest expiry is more than 30 days away", () => {
        expect(certificateCheckTrigger("2027-01-02T12:00:01Z", NOW)).toBe("current");
        expect(expiryDue("2027-01-02T12:00:01Z", NOW)).toBe(false);
    });

    it("runs again once it is within 30 days, and after expiry", () => {
        expect(certificateCheckTrigger("2027-01-01T12:00:00Z", NOW)).toBe("due 2027-01-01T12:00:00Z");
        expect(certificateCheckTrigger("2026-11-01T00:00:00Z", NOW)).toBe("due 2026-11-01T00:00:00Z");
    });
});

describe("certificateWarning", () => {
    it("is quiet more than a month ahead, and with no reading", () => {
        expect(certificateWarning("2027-02-01T00:00:00Z", NOW, "test-cp01")).toBeUndefined();
        expect(certificateWarning(undefined, NOW, "test-cp01")).toBeUndefined();
    });

    it("names the node, the days left and how to renew", () => {
        const w = certificateWarning("2026-12-12T12:00:00Z", NOW, "test-cp01");
        expect(w).toContain("control plane test-cp01 expires in 10 days (2026-12-12T12:00:00Z)");
        expect(w).toContain("`kubeadm certs renew all`");
        expect(w).toContain("restart its control-plane static pods");
        expect(w).toContain("the next upgrade");
        expect(certificateWarning("2026-12-03T11:00:00Z", NOW, "cp")).toContain("expires in 0 days");
    });

    it("says when they expired", () => {
        expect(certificateWarning("2026-11-30T00:00:00Z", NOW, "test-cp01")).toContain("expired on 2026-11-30T00:00:00Z");
    });
});

it("certificatesExpire maps each control plane to its earliest expiry", () => {
    expect(certificatesExpire([report, { ...report, node: "test-cp02", earliest: "2027-05-01T00:00:00Z" }]))
        .toEqual({ "test-cp01": "2027-01-10T08:00:00Z", "test-cp02": "2027-05-01T00:00:00Z" });
});

it("the bundle carries the script, lib.sh, the cluster's kubeadm configuration and the node's name", () => {
    const cluster = testCluster();
    const bundle = decodeBundle(encodeBundle(certExpiryBundle(cluster, cluster.nodes[0])));
    expect(bundle.entry).toBe("cert-expiry.sh");
    expect(Object.keys(bundle.files).sort()).toEqual(["cert-expiry.sh", "kubeadm.yaml", "lib.sh", "params.env"]);
    expect(bundle.files["params.env"].content).toBe("NODE=test-cp01\n");
    expect(bundle.files["kubeadm.yaml"].content).toContain("kind: ClusterConfiguration");
    expect(bundle.files["cert-expiry.sh"].content).toMatch(/^#!\/usr\/bin\/env bash\n[\s\S]*set -Eeuo pipefail/);
});

it("upgrade.sh keeps kubeadm's certificate renewal on (it is what renews them every upgrade)", () => {
    const dir = path.join(__dirname, "..", "components", "hosts", "scripts");
    for (const f of fs.readdirSync(dir)) {
        expect([f, fs.readFileSync(path.join(dir, f), "utf8").includes("--certificate-renewal")]).toEqual([f, false]);
    }
    expect(fs.readFileSync(path.join(dir, "upgrade.sh"), "utf8")).toMatch(/kubeadm upgrade apply --yes /);
});
