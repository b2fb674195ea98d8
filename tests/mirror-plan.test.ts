/**
 * The mirror's pure parts: what it reads each image from and writes it to (tools/mirror/plan.ts), and
 * how it takes the stack outputs on stdin (tools/mirror/credentials.ts). tests/mirror.test.ts runs the
 * whole command against skopeo and docker-registry.
 */
import * as fs from "fs";
import { PROJECT, validateConfig } from "../config";
import { RegistryImage } from "../components/platform/images";
import { REGISTRY_PUSH_PORT } from "../components/platform/registryConfig";
import { credentialSecrets, parseStackOutputs, writeDestination } from "../tools/mirror/credentials";
import { planMirror, sourceReference } from "../tools/mirror/plan";
import { rawConfig } from "./harness";

const DIGEST = `sha256:${"12".repeat(32)}`;
const image = (over: Partial<RegistryImage>): RegistryImage => ({ ref: "r.example.org/a/b:1", path: "a/b", tag: "1", pulledBy: "platform.htcondor.image", ...over });

function testPlatform(edit: (p: Record<string, any>) => void = () => undefined) {
    const p = JSON.parse(rawConfig("test").config[`${PROJECT}:platform`]);
    edit(p);
    const { config, problems } = validateConfig({ ...rawConfig("test").config, [`${PROJECT}:platform`]: JSON.stringify(p) });
    expect(problems).toEqual([]);
    return config!.platform!;
}

describe("sourceReference", () => {
    it("appends the tag, or the digest when pinned (skopeo takes no reference with both), to a docker source", () => {
        expect(sourceReference("docker://quay.io/x/b", image({}))).toBe("docker://quay.io/x/b:1");
        expect(sourceReference("docker://quay.io/x/b", image({ digest: DIGEST }))).toBe(`docker://quay.io/x/b@${DIGEST}`);
        expect(sourceReference("docker://quay.io/x/b", image({ tag: undefined, digest: DIGEST }))).toBe(`docker://quay.io/x/b@${DIGEST}`);
    });
    it("names the tag in an OCI layout, or no reference when there is none (the layout's only image)", () => {
        expect(sourceReference("oci:/srv/b", image({ digest: DIGEST }))).toBe("oci:/srv/b:1");
        expect(sourceReference("oci:/srv/b", image({ tag: undefined, digest: DIGEST }))).toBe("oci:/srv/b");
    });
});

describe("planMirror", () => {
    it("writes to the registry's writer (host name, push port) by the tag, and looks an image up at the reader, by its digest when pinned", () => {
        const plan = planMirror(testPlatform((p) => {
            p.htcondor.image = `registry.lsst-test.example.org/htcondor/execute:24.0.4-el9@${DIGEST}`;
            p.etcdBackup.image = `registry.lsst-test.example.org/lsst-k8s/etcd-backup@${DIGEST}`;
            p.registry.sources = { "htcondor/execute": "docker://quay.io/lsst/execute" };
        }));
        expect(plan.problems).toEqual([]);
        expect(plan.host).toBe("registry.lsst-test.example.org");
        expect(plan.pushHost).toBe(`registry.lsst-test.example.org:${REGISTRY_PUSH_PORT}`);
        const by = new Map(plan.steps.map((s) => [s.image.path, s]));
        expect(by.get("aquasec/kube-bench")).toMatchObject({
            source: "docker://docker.io/aquasec/kube-bench:v0.10.6",
            destination: "docker://registry.lsst-test.example.org:5001/aquasec/kube-bench:v0.10.6",
            check: "docker://registry.lsst-test.example.org/aquasec/kube-bench:v0.10.6",
        });
        expect(by.get("htcondor/execute")).toMatchObject({
            source: `docker://quay.io/lsst/execute@${DIGEST}`,
            destination: "docker://registry.lsst-test.example.org:5001/htcondor/execute:24.0.4-el9",
            check: `docker://registry.lsst-test.example.org/htcondor/execute@${DIGEST}`,
        });
        expect(by.get("lsst-k8s/etcd-backup")).toMatchObject({ destination: `docker://registry.lsst-test.example.org:5001/lsst-k8s/etcd-backup@${DIGEST}` });
        expect(by.get("lsst-k8s/etcd-backup")).not.toHaveProperty("source");
    });
    it("refuses a source for a path the platform does not pull, naming it, and a stack without a registry", () => {
        expect(planMirror(testPlatform((p) => (p.registry.sources = { "aquasec/kube-bnech": "oci:/srv/x" }))).problems).toEqual([
            "platform.registry.sources.aquasec/kube-bnech: the platform pulls no image at this path through the registry (it pulls " +
                '"headlamp-k8s/headlamp", "aquasec/kube-bench", "library/python", "lsst-k8s/etcd-backup", "htcondor/execute")',
        ]);
        expect(planMirror(undefined).problems).toEqual(["platform.registry: required: the mirror copies into the stack's local registry"]);
    });
});

describe("the stack outputs on stdin", () => {
    const where = "stdin (the JSON of `pulumi stack output --json --show-secrets`)";
    const good = {
        registryUser: "lsst-k8s", registryPassword: "s3cret-Pa55word",
        registryPushUser: "lsst-k8s-push", registryPushPassword: "pu5h-s3cret-Pa55word",
        registryCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
    };

    it("takes the pull and push credentials and the certificate", () => {
        expect(parseStackOutputs(JSON.stringify({ ...good, kubeconfig: "..." }))).toEqual({
            user: good.registryUser, password: good.registryPassword,
            pushUser: good.registryPushUser, pushPassword: good.registryPushPassword,
            certificate: good.registryCertificate,
        });
    });
    it("lists both passwords and both Basic credentials as what must never be printed", () => {
        const b64 = (s: string) => Buffer.from(s).toString("base64");
        expect(credentialSecrets(parseStackOutputs(JSON.stringify(good))).sort()).toEqual([
            good.registryPassword, good.registryPushPassword,
            b64("lsst-k8s:s3cret-Pa55word"), b64("lsst-k8s-push:pu5h-s3cret-Pa55word"),
        ].sort());
    });
    it("says which output is wrong, and never quotes the password", () => {
        const cases: [unknown, string][] = [
            ["not json", "not JSON"],
            [[], "not a JSON object"],
            [{ ...good, registryUser: undefined }, "registryUser: required: the stack has no registry deployed yet?"],
            [{ ...good, registryUser: "a:b" }, "registryUser: is not a user name"],
            [{ ...good, registryPassword: "[secret]" }, 'registryPassword: is "[secret]": add --show-secrets'],
            [{ ...good, registryPassword: 5 }, "registryPassword: is not a non-empty string"],
            [{ ...good, registryPushUser: undefined }, "registryPushUser: required: the stack's registry has no writer yet: pulumi up first"],
            [{ ...good, registryPushUser: "a b" }, "registryPushUser: is not a user name"],
            [{ ...good, registryPushUser: "lsst-k8s" }, "registryPushUser: is registryUser's name: the push credential must be the writer's own"],
            [{ ...good, registryPushPassword: "[secret]" }, 'registryPushPassword: is "[secret]": add --show-secrets'],
            [{ ...good, registryPushPassword: "" }, "registryPushPassword: is not a non-empty string"],
            [{ ...good, registryCertificate: "placeholder" }, "registryCertificate: is not a PEM certificate"],
        ];
        for (const [input, message] of cases) {
            const text = typeof input === "string" ? input : JSON.stringify(input);
            expect(() => parseStackOutputs(text)).toThrow(`${where}: ${message}`);
            try {
                parseStackOutputs(text);
            } catch (e) {
                expect((e as Error).message).not.toContain(good.registryPassword);
                expect((e as Error).message).not.toContain(good.registryPushPassword);
            }
        }
    });
    it("writes the credentials into a private directory, the auth file 0600, each keyed on its own instance, and removes it all", () => {
        const d = writeDestination("registry.lsst-test.example.org", "registry.lsst-test.example.org:5001", parseStackOutputs(JSON.stringify(good)));
        try {
            expect(fs.statSync(d.dir).mode & 0o777).toBe(0o700);
            expect(fs.statSync(d.authFile).mode & 0o777).toBe(0o600);
            expect(JSON.parse(fs.readFileSync(d.authFile, "utf8"))).toEqual({ auths: {
                "registry.lsst-test.example.org": { auth: Buffer.from("lsst-k8s:s3cret-Pa55word").toString("base64") },
                "registry.lsst-test.example.org:5001": { auth: Buffer.from("lsst-k8s-push:pu5h-s3cret-Pa55word").toString("base64") },
            } });
            expect(fs.readdirSync(d.certDir)).toEqual(["ca.crt"]);
            expect(fs.readFileSync(`${d.certDir}/ca.crt`, "utf8")).toBe(good.registryCertificate);
        } finally {
            d.remove();
        }
        expect(fs.existsSync(d.dir)).toBe(false);
        d.remove();
    });
});
