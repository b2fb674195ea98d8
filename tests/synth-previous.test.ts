/**
 * The synth rehearses an edit against a deployed stack offline: it writes outputs.json, the outputs it
 * would export in the form `pulumi stack output --json` prints (secrets as "[secret]"), and with
 * `--previous FILE` (such a file) it refuses what the program would refuse against those outputs, with
 * exit 2, every problem listed and nothing written.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO } from "./harness";
import { npmScript } from "../tools/build/scripts";

/** Runs the synth exactly as `npm run synth -- ...` does (the compiled tree), minus npm. */
function synth(...args: string[]) {
    return spawnSync(process.execPath, [...npmScript("synth"), ...args], { cwd: REPO, encoding: "utf8" });
}

let dir: string;
let outputs: string;
beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-previous-"));
    expect(synth("test", "--out", path.join(dir, "first")).status).toBe(0);
    outputs = path.join(dir, "first", "test", "outputs.json");
});
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

/** The test stack file with text replaced, written beside the outputs. */
function stackFile(from: string, to: string): string {
    const text = fs.readFileSync(path.join(REPO, "Pulumi.test.yaml"), "utf8");
    expect(text).toContain(from);
    const file = path.join(dir, `edited-${Math.abs(hash(from + to))}.yaml`);
    fs.writeFileSync(file, text.replace(from, to));
    return file;
}

function hash(s: string): number {
    return [...s].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7);
}

it("writes the outputs it would export, secrets as the CLI shows them", () => {
    const o = JSON.parse(fs.readFileSync(outputs, "utf8"));
    expect(o).toMatchObject({
        clusterName: "lsst-test",
        kubernetesVersion: "1.37.1",
        apiEndpoint: "203.0.113.11:6443",
        kubeconfig: "[secret]",
        joinCommand: "[secret]",
        registryPassword: "[secret]",
    });
    expect(o.nodes.map((n: { name: string }) => n.name)).toEqual(["test-cp01", "test-node001", "test-node002"]);
});

it("takes its own outputs as --previous: an unchanged stack synthesises", () => {
    expect(synth("test", "--previous", outputs, "--out", path.join(dir, "again")).status).toBe(0);
});

it("refuses a renamed node against the previous outputs: exit 2, the problem listed, nothing written", () => {
    const out = path.join(dir, "renamed");
    const r = synth("test", "--config", stackFile("- name: test-node002", "- name: test-node009"), "--previous", outputs, "--out", out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^synth: .*: refused against ${outputs.replace(/[.]/g, "\\.")} \\(1 problem\\):\n`));
    expect(r.stderr).toContain('  - cluster.nodes[2].name: "test-node009" is at 203.0.113.32, where node "test-node002" was at the last deploy');
    expect(fs.existsSync(out)).toBe(false);
});

it("keeps --from as the short form for the pin alone, and refuses both at once", () => {
    expect(synth("test", "--from", "1.35.9", "--out", path.join(dir, "from"))).toMatchObject({
        status: 2,
        stderr: expect.stringMatching(/refused against a cluster at 1\.35\.9 \(1 problem\):\n {2}- cluster\.kubernetesVersion: 1\.35\.9 → 1\.37\.1 skips a minor release/),
    });
    expect(synth("test", "--from", "1.36.0", "--previous", outputs)).toMatchObject({
        status: 2,
        stderr: expect.stringMatching(/--from is the short form of --previous: give one of them/),
    });
});

it("names an unreadable or malformed previous-outputs file", () => {
    const missing = path.join(dir, "none.json");
    expect(synth("test", "--previous", missing)).toMatchObject({ status: 2, stderr: `synth: ${missing}: cannot read: ENOENT\n` });
    const list = path.join(dir, "list.json");
    fs.writeFileSync(list, "[]");
    expect(synth("test", "--previous", list).stderr).toMatch(/list\.json: expected an object of stack outputs/);
});

it("refuses a stack file that carries the SSH key in plain text", () => {
    const file = stackFile("config:\n", `config:\n  lsst-k8s:sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----"\n`);
    const r = synth("test", "--config", file, "--out", path.join(dir, "plain"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("sshPrivateKey: is in the stack file in plain text");
    expect(r.stderr).not.toContain("AAAA");
});
