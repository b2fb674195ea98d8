import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { validateConfig } from "../config";
import { MAINTAINED_MINORS, NEWEST_MINOR } from "../components/hosts/versions";
import { rawConfig, REPO, STACKS } from "./harness";
import { npmScript } from "../tools/build/scripts";

/** Runs the synth exactly as `npm run synth -- ...` does (the compiled tree), minus npm. */
function synth(...args: string[]) {
    return spawnSync(process.execPath, [...npmScript("synth"), ...args], { cwd: REPO, encoding: "utf8" });
}

function listFiles(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
        .sort();
}

/** One synth of each committed stack, shared by the tests that only read that stack's own output. */
let shared: string;
const synthsOf = new Map<string, ReturnType<typeof synth>>();
function sharedSynth(stack: string): { r: ReturnType<typeof synth>; dir: string } {
    if (!synthsOf.has(stack)) {
        synthsOf.set(stack, synth(stack, "--out", shared));
    }
    return { r: synthsOf.get(stack)!, dir: path.join(shared, stack) };
}
beforeAll(() => {
    shared = fs.mkdtempSync(path.join(os.tmpdir(), "synth-shared-"));
});
afterAll(() => {
    fs.rmSync(shared, { recursive: true, force: true });
});

let out: string;
beforeEach(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
});
afterEach(() => {
    fs.rmSync(out, { recursive: true, force: true });
});

describe.each(STACKS)("synth of %s", (stack) => {
    it("writes every node's scripts and the resource graph, with no secret in any file", () => {
        const { r, dir } = sharedSynth(stack);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const cluster = validateConfig(rawConfig(stack).config).config!;
        expect(r.stdout).toContain(`stack ${stack}: cluster ${cluster.name}, Kubernetes ${cluster.kubernetesVersion.text}`);
        const files = listFiles(dir);
        expect(fs.readdirSync(path.join(dir, "nodes")).sort()).toEqual(cluster.nodes.map((n) => n.name).sort());
        for (const node of cluster.nodes) {
            for (const f of ["prepare.sh", "lib.sh", "prepare.params.env", "prepare.command.txt", "prepare.containerd-config.toml"]) {
                expect(files).toContain(`nodes/${node.name}/${f}`);
            }
            expect(fs.readFileSync(path.join(dir, "nodes", node.name, "prepare.params.env"), "utf8")).toContain(`NODE_ROLE=${node.role}\n`);
        }
        for (const f of files) {
            const text = fs.readFileSync(path.join(dir, f), "utf8");
            expect(text).not.toMatch(/PRIVATE KEY|synth-placeholder/);
        }
        // The policy report is clean for every stack's own program, with the stack's policy config.
        expect(JSON.parse(fs.readFileSync(path.join(dir, "policy-report.json"), "utf8")))
            .toEqual({ stack, policyConfig: `policies/config/${stack}.json`, mandatoryViolations: 0, violations: [] });
        const { resources, outputs } = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8"));
        expect(outputs.kubernetesVersion).toEqual({ secret: false, value: cluster.kubernetesVersion.text });
        const commands = resources.filter((x: { type: string; name: string }) => x.type === "command:remote:Command" && x.name.endsWith("-prepare"));
        expect(commands).toHaveLength(cluster.nodes.length);
        const first = cluster.nodes.find((n) => n.role === "control-plane")!;
        expect(files).toEqual(expect.arrayContaining([`nodes/${first.name}/init.sh`, `nodes/${first.name}/init.kubeadm.yaml`]));
        expect(files.filter((f) => f.endsWith("/init.sh"))).toEqual([`nodes/${first.name}/init.sh`]);
        expect(outputs.kubeconfig).toEqual({ secret: true, value: "<secret>" });
        expect(outputs.caCertHash.secret).toBe(false);
        for (const c of commands) {
            expect(c.parent).toMatch(/lsst-k8s:node:NodePrep::/);
            expect(c.dependencies).toEqual([expect.stringMatching(/pulumi:pulumi:StackReference::organization\/lsst-k8s\//)]);
            expect(c.inputs.connection).toBe("<secret>");
            expect(c.secretInputs).toEqual(["connection"]);
        }
        // A Secret keeps its keys, each value a placeholder the API server accepts for its type.
        const secrets = files.filter((f) => /^manifests\/[^/]+\/Secret-/.test(f)).map((f) => yaml.load(fs.readFileSync(path.join(dir, f), "utf8")) as any);
        expect(secrets.length).toBeGreaterThan(0);
        for (const secret of secrets) {
            for (const field of ["data", "stringData"].filter((k) => k in secret)) {
                expect(typeof secret[field]).toBe("object");
                for (const [key, value] of Object.entries(secret[field] as Record<string, string>)) {
                    const text = field === "data" ? Buffer.from(value, "base64").toString() : value;
                    if (key === ".dockerconfigjson") {
                        expect(JSON.parse(text)).toEqual({ auths: { "<secret>": { auth: "<secret>" } } });
                    } else {
                        expect(text).toBe("<secret>");
                    }
                }
            }
        }
        const registrySecret = secrets.find((x) => x.metadata.name === "registry" && x.metadata.namespace === "registry");
        expect(Object.keys(registrySecret.stringData).sort()).toEqual(["config.yml", "htpasswd", "tls.crt", "tls.key"]);
    });
});

it("writes scripts that shellcheck finds clean", () => {
    const { r: synthesized, dir } = sharedSynth("test");
    expect(synthesized.status).toBe(0);
    const scripts = listFiles(dir).filter((f) => f.endsWith(".sh")).map((f) => path.join(dir, f));
    expect(scripts.length).toBeGreaterThan(0);
    const r = spawnSync("shellcheck", ["-x", "-P", "SCRIPTDIR", ...scripts], { encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
});

describe("the policy report", () => {
    it("exits 1 on a mandatory violation, with the report and everything else written", () => {
        const strict = path.join(out, "strict.json");
        // The stack's own config, with a window that ends one minor before its pin.
        const config = JSON.parse(fs.readFileSync(path.join(REPO, "policies/config/test.json"), "utf8"));
        config["maintained-kubernetes-version"].newestMinor = 36;
        fs.writeFileSync(strict, JSON.stringify(config));
        const r = synth("test", "--policy-config", strict, "--out", out);
        expect(r.status).toBe(1);
        expect(r.stdout).toContain("  policies: 1 mandatory, 0 other violation(s)");
        const report = JSON.parse(fs.readFileSync(path.join(out, "test", "policy-report.json"), "utf8"));
        expect(report.mandatoryViolations).toBe(1);
        expect(report.violations[0]).toMatchObject({
            policy: "maintained-kubernetes-version",
            enforcementLevel: "mandatory",
            resource: "lsst-k8s:cluster:Cluster::lsst-test",
        });
        expect(listFiles(path.join(out, "test"))).toContain("resources.json");
    });

    it("keeps each stack's policy window in step with components/hosts/versions.ts", () => {
        for (const stack of STACKS) {
            const config = JSON.parse(fs.readFileSync(path.join(REPO, "policies/config", `${stack}.json`), "utf8"));
            expect(config["maintained-kubernetes-version"]).toEqual({ newestMinor: NEWEST_MINOR, maintainedMinors: MAINTAINED_MINORS });
        }
    });
});

describe("rehearsing an upgrade with --from", () => {
    it("writes the upgrade steps for a one-minor move", () => {
        const r = synth("test", "--from", "1.36.8", "--out", out);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        const params = fs.readFileSync(path.join(out, "test/nodes/test-node001/upgrade.params.env"), "utf8");
        expect(params).toBe("K8S_VERSION=1.37.1\nUPGRADE_ROLE=worker\n");
        expect(fs.readFileSync(path.join(out, "test/nodes/test-node001/upgrade.command.txt"), "utf8")).toMatch(/^# update\nbash -c '/);
    });

    it("exits 2 and writes nothing for a downgrade or a skipped minor", () => {
        const skip = synth("test", "--from", "1.35.5", "--out", out);
        expect(skip.status).toBe(2);
        expect(skip.stderr).toContain("  - cluster.kubernetesVersion: 1.35.5 → 1.37.1 skips a minor release: upgrade one minor at a time (first to 1.36.x)\n");
        const down = synth("test", "--from", "1.37.4", "--out", out);
        expect(down.status).toBe(2);
        expect(down.stderr).toContain("1.37.4 → 1.37.1 is a downgrade");
        expect(listFiles(out)).toEqual([]);
        expect(synth("test", "--from")).toMatchObject({ status: 2, stderr: expect.stringMatching(/--from needs a value/) });
    });
});

describe("bad input", () => {
    function writeConfig(mutate: (cluster: Record<string, unknown>) => void): string {
        const doc = yaml.load(fs.readFileSync(path.join(REPO, "Pulumi.test.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> };
        mutate(doc.config["lsst-k8s:cluster"]);
        const file = path.join(out, "bad.yaml");
        fs.writeFileSync(file, yaml.dump(doc));
        return file;
    }

    it("exits 2 listing every config problem by key path, and writes nothing", () => {
        const file = writeConfig((c) => {
            c.kubernetesVersion = "1.36";
            (c.networks as Record<string, unknown>).pods = "10.96.0.0/16";
            (c.nodes as Record<string, unknown>[])[2].adress = "203.0.113.40";
        });
        const r = synth("test", "--config", file, "--out", out);
        expect(r.status).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toBe([
            `synth: ${file}: invalid stack config (3 problems):`,
            `  - cluster.kubernetesVersion: "1.36" is not an exact version X.Y.Z (kubeadm must not pick a newer patch)`,
            "  - cluster.networks.services: 10.96.0.0/12 overlaps cluster.networks.pods (10.96.0.0/16)",
            `  - cluster.nodes[2].adress: unknown key (did you mean "address"?)`,
            "",
        ].join("\n"));
        expect(listFiles(out)).toEqual(["bad.yaml"]);
    });

    it("leaves the previous output whole when a later run fails", () => {
        expect(sharedSynth("test").r.status).toBe(0);
        fs.cpSync(sharedSynth("test").dir, path.join(out, "test"), { recursive: true });
        const before = listFiles(out);
        const file = writeConfig((c) => { c.name = "Not_A_Label"; });
        expect(synth("test", "--config", file, "--out", out).status).toBe(2);
        expect(listFiles(out)).toEqual([...before, "bad.yaml"].sort());
    });

    it("exits 2 naming the file when it is missing or not YAML", () => {
        const missing = path.join(out, "nope.yaml");
        expect(synth("test", "--config", missing, "--out", out)).toMatchObject({
            status: 2,
            stderr: `synth: ${missing}: cannot read: ENOENT\n`,
        });
        const broken = path.join(out, "broken.yaml");
        fs.writeFileSync(broken, "config: [unclosed\n");
        const r = synth("test", "--config", broken, "--out", out);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^synth: ${broken}: not valid YAML: `));
    });

    it("exits 2 with the usage on bad arguments", () => {
        expect(synth()).toMatchObject({ status: 2, stderr: expect.stringMatching(/usage: npm run synth -- <stack>/) });
        expect(synth("dev", "--bogus")).toMatchObject({ status: 2, stderr: expect.stringMatching(/unexpected argument "--bogus"/) });
        expect(synth("dev", "--out")).toMatchObject({ status: 2, stderr: expect.stringMatching(/--out needs a value/) });
        expect(synth("no-such-stack", "--out", out)).toMatchObject({ status: 2, stderr: expect.stringMatching(/Pulumi\.no-such-stack\.yaml: cannot read/) });
    });
});
