import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO } from "./harness";
import { npmScript } from "../tools/build/scripts";

const FIXTURES = "tests/fixtures/manifests";

/** Runs `npm run policy -- ...` minus npm, from the repository root. */
function policy(...args: string[]) {
    return spawnSync(process.execPath, [...npmScript("policy"), ...args], {
        cwd: REPO,
        encoding: "utf8",
    });
}

describe("policy check", () => {
    it("exits 0 and prints nothing for compliant manifests", () => {
        expect(policy("check", `${FIXTURES}/compliant.yaml`)).toMatchObject({ status: 0, stdout: "", stderr: "" });
    });

    it("prints one line per violation in the contract's format and exits 1 on a mandatory one", () => {
        const r = policy("check", `${FIXTURES}/default-namespace.yaml`, `${FIXTURES}/list.json`);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(1);
        expect(r.stdout).toBe([
            `${FIXTURES}/default-namespace.yaml: ConfigMap/default/settings: no-default-namespace: names no namespace, so it would land in default; set metadata.namespace`,
            `${FIXTURES}/default-namespace.yaml: Secret/default/token: no-default-namespace: is in the default namespace; put it in its application's namespace`,
            `${FIXTURES}/list.json: ConfigMap/default/b: no-default-namespace: names no namespace, so it would land in default; set metadata.namespace`,
            "",
        ].join("\n"));
    });

    it("uses the named stack's policy config, and refuses an unknown stack", () => {
        expect(policy("check", "--stack", "prod", `${FIXTURES}/compliant.yaml`)).toMatchObject({ status: 0 });
        const r = policy("check", "--stack", "nope", `${FIXTURES}/compliant.yaml`);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/^policy: .*policies\/config\/nope\.json: cannot read: ENOENT \(is "nope" a stack\?\)\n$/);
    });

    it("exits 2 naming the file on unreadable or malformed input, and checks nothing", () => {
        const malformed = policy("check", `${FIXTURES}/default-namespace.yaml`, `${FIXTURES}/malformed.yaml`);
        expect(malformed.status).toBe(2);
        expect(malformed.stdout).toBe("");
        expect(malformed.stderr).toMatch(new RegExp(`^policy: ${FIXTURES}/malformed\\.yaml: not valid YAML or JSON: `));
        expect(policy("check", `${FIXTURES}/not-kubernetes.yaml`)).toMatchObject({
            status: 2,
            stderr: `policy: ${FIXTURES}/not-kubernetes.yaml: not a Kubernetes object (apiVersion and kind are required)\n`,
        });
        expect(policy("check", `${FIXTURES}/missing.yaml`)).toMatchObject({ status: 2, stderr: `policy: ${FIXTURES}/missing.yaml: cannot read: ENOENT\n` });
    });

    it("exits 2 with the usage on bad arguments", () => {
        expect(policy()).toMatchObject({ status: 2, stderr: expect.stringMatching(/usage: npm run policy -- check/) });
        expect(policy("check")).toMatchObject({ status: 2, stderr: expect.stringMatching(/no file to check/) });
        expect(policy("check", "--bogus", "x.yaml")).toMatchObject({ status: 2, stderr: expect.stringMatching(/unexpected argument "--bogus"/) });
        expect(policy("check", "--stack")).toMatchObject({ status: 2, stderr: expect.stringMatching(/--stack needs a stack name/) });
    });

    it("passes a compliant notebook on dev, and reports every guideline a non-compliant one breaks", () => {
        expect(policy("check", `${FIXTURES}/notebook-compliant.yaml`)).toMatchObject({ status: 0, stdout: "", stderr: "" });
        const r = policy("check", `${FIXTURES}/notebook-violations.yaml`);
        expect(r.status).toBe(1);
        expect(r.stdout.trimEnd().split("\n")).toEqual([
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: pod-security-restricted: containers[0] (lab): securityContext.capabilities.drop is not set; every container must drop ALL capabilities",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: pod-security-restricted: containers[0] (lab): ports[0].hostPort is 8888; host ports are not allowed",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: pod-security-restricted: seccompProfile is set neither in spec.template.spec.securityContext nor on containers[0] (lab); set seccompProfile.type to RuntimeDefault or Localhost for the pod or on each of them",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: pod-security-restricted: containers[0] (lab): securityContext.allowPrivilegeEscalation is not set (so true); it must be false",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: pod-security-restricted: runAsNonRoot is set neither in spec.template.spec.securityContext nor on containers[0] (lab); set runAsNonRoot: true for the pod or on each of them",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: pod-security-restricted: containers[0] (lab): securityContext.runAsUser is 0 (root); it must be a non-zero user ID",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: trusted-images: containers[0] (lab): image \"quay.io/someone/lab:latest\" is from quay.io, which is not a trusted registry (trusted: registry.lsst-dev.example.org, docker.io/library (official images))",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: trusted-images: containers[0] (lab): image \"quay.io/someone/lab:latest\" uses the tag latest; name the release's tag",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: public-exposure: containers[0] (lab): ports[0].hostPort 8888 opens a port on the node without the Kubernetes sysadmin's approval",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: read-only-filesets: containers[0] (lab): volumeMounts[0] (datasets) at /datasets is not readOnly; mounts at or under /datasets must set readOnly: true",
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: jupyterlab-bounds: containers[0] (lab): resources.requests.cpu, resources.requests.memory, resources.limits.cpu, resources.limits.memory are not set; every container in jupyter-lsst needs cpu and memory requests and limits (cpu 500m to 4, memory 512Mi to 8Gi)",
            // The advisory extra reports too, marked as advisory; it does not change the exit code.
            "tests/fixtures/manifests/notebook-violations.yaml: Deployment/jupyter-lsst/notebook: container-resources: containers[0] (lab): resources.requests.cpu, resources.requests.memory, resources.limits.cpu, resources.limits.memory not set (advisory)"
        ]);
    });

    it("judges the same notebook by prod's data: the local registry of prod, and digests", () => {
        const r = policy("check", "--stack", "prod", `${FIXTURES}/notebook-compliant.yaml`);
        expect(r.status).toBe(1);
        expect(r.stdout).toContain("trusted-images: containers[0] (lab): image \"registry.lsst-dev.example.org/sciplat/lab:w_2026_45\" is from registry.lsst-dev.example.org, which is not a trusted registry");
        expect(r.stdout).toMatch(/trusted-images: containers\[0\] \(lab\): image "registry\.lsst-dev\.example\.org\/sciplat\/lab:w_2026_45" .*digest/);
    });

    describe("reads YAML as kubectl and the API server do (YAML 1.1, go-yaml v2)", () => {
        let dir: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-"));
        });
        afterEach(() => {
            fs.rmSync(dir, { recursive: true, force: true });
        });
        /** The compliant notebook with its container's securityContext booleans written as `fields`. */
        const notebook = (name: string, fields: string) => fs.readFileSync(path.join(REPO, FIXTURES, "notebook-compliant.yaml"), "utf8")
            .replace("name: notebook\n", `name: ${name}\n`)
            .replace("allowPrivilegeEscalation: false\n", fields.split("\n").map((l) => `${l}\n`).join("            "));

        it("reports privileged: yes and privileged: on, which the API server stores as true", () => {
            const file = path.join(dir, "privileged.yaml");
            fs.writeFileSync(file, [
                notebook("notebook-yes", "allowPrivilegeEscalation: false\nprivileged: yes"),
                notebook("notebook-on", "allowPrivilegeEscalation: false\nprivileged: on"),
            ].join("---\n"));
            const r = policy("check", file);
            expect(r.stderr).toBe("");
            expect(r.stdout).toBe([
                `${file}: Deployment/jupyter-lsst/notebook-yes: pod-security-restricted: containers[0] (lab): securityContext.privileged is true; privileged containers are not allowed`,
                `${file}: Deployment/jupyter-lsst/notebook-on: pod-security-restricted: containers[0] (lab): securityContext.privileged is true; privileged containers are not allowed`,
                "",
            ].join("\n"));
            expect(r.status).toBe(1);
        });

        it("accepts allowPrivilegeEscalation: no (and privileged: off), which the API server stores as false", () => {
            const file = path.join(dir, "no.yaml");
            fs.writeFileSync(file, notebook("notebook-no", "allowPrivilegeEscalation: no\nprivileged: off"));
            expect(policy("check", file)).toMatchObject({ status: 0, stdout: "", stderr: "" });
        });

        it("judges a << merge the way go-yaml v2 applies it: a key before << loses to the merged one", () => {
            const file = path.join(dir, "merge.yaml");
            fs.writeFileSync(file, notebook("merged", "allowPrivilegeEscalation: false\nprivileged: no")
                .replace("securityContext:\n            allowPrivilegeEscalation: false", "securityContext:\n            allowPrivilegeEscalation: false\n            <<: {allowPrivilegeEscalation: on}"));
            const r = policy("check", file);
            expect(r.stdout).toBe(`${file}: Deployment/jupyter-lsst/merged: pod-security-restricted: containers[0] (lab): securityContext.allowPrivilegeEscalation is true; it must be false\n`);
            expect(r.status).toBe(1);
        });

        it("refuses, with exit 2 naming the file, what kubectl refuses: a list inside a list, .inf", () => {
            const nested = path.join(dir, "nested.yaml");
            fs.writeFileSync(nested, "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: []\n");
            expect(policy("check", nested)).toMatchObject({ status: 2, stdout: "", stderr: expect.stringMatching(new RegExp(`^policy: ${nested}: items\\[0\\]: List is itself a list`)) });
            const inf = path.join(dir, "inf.yaml");
            fs.writeFileSync(inf, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {a: .inf}\n");
            expect(policy("check", inf)).toMatchObject({ status: 2, stdout: "", stderr: `policy: ${inf}: data.a is +Inf (from .nan or .inf), which JSON cannot hold: kubectl refuses it ("json: unsupported value: +Inf"); quote it if it is meant as text\n` });
        });
    });
});
