/**
 * `npm run mirror` (tools/mirror.ts) for real: skopeo 1.9 from Debian copies into Debian's
 * docker-registry serving the program's own config.yml and htpasswd files for the test stack, twice on
 * one storage directory as the pod runs it: the reader (read-only, the pull user) on the stack's
 * Service address (platform.registry.clusterIP) port 443, the writer (the push user) on the same
 * address, port REGISTRY_PUSH_PORT, with a certificate made for the names and address the program's
 * certificate has (offline the program's own is a placeholder). The mirror runs in the same namespace, whose /etc/hosts maps
 * platform.registry.host to that address as trust-registry.sh does on a node. Its sources
 * are OCI layouts this test builds (tests/mirror/oci.ts), named in a copy of the stack file's
 * platform.registry.sources; HTCondor's image is pinned there by digest, so both ways of naming an image go through.
 *
 * A second docker-registry in the namespace, plain HTTP, stands for an upstream registry (docker://
 * sources), allowed by the namespace's own /etc/containers/registries.conf as a site would allow one.
 *
 * Needs root (network namespaces), iproute2, openssl, skopeo and docker-registry: without one it fails,
 * it never skips. Every process is stopped by its pid, and the namespace and /etc/netns/<ns> removed, in
 * afterAll, and on exit if the test dies first.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import * as TOML from "smol-toml";
import { PROJECT, PlatformConfig, validateConfig } from "../config";
import { registryImages } from "../components/platform/images";
import { npmScript } from "../tools/build/scripts";
import { findSkopeo } from "../tools/mirror/skopeo";
import { rawConfig, REPO, runStack } from "./harness";
import { Namespace, Ran } from "./mirror/namespace";
import { LayoutImage, writeLayout } from "./mirror/oci";
import { need, overrides, programRegistry, registryMocks, startRegistry, treeSnapshot } from "./mirror/registry";
import { REGISTRY_PUSH_PORT } from "../components/platform/registryConfig";

/** For the test's own helper (mirror/fetch.ts), which is not part of the compiled tree. */
const TS_NODE = require.resolve("ts-node/dist/bin");
const NS = `mirror-test-${process.pid}`;
/** A second registry in the namespace, plain HTTP without auth, standing for an upstream one (docker:// sources). */
const UPSTREAM = "127.0.0.1:5000";

let dir = "";
let ns: Namespace | undefined;
let registryLog = "";
let writerLog = "";
let platform: PlatformConfig;
let user = "";
let password = "";
let pushUser = "";
let pushPassword = "";
let certificate = "";
let stackFile = "";
/** Each image as the stack file the mirror reads names it, with the layout it is copied from. */
interface Expected {
    readonly ref: string;
    readonly path: string;
    readonly tag: string;
    readonly pinned?: string;
    readonly layout: string;
    readonly image: LayoutImage;
}
const expected: Expected[] = [];
let skopeo = "";

const host = () => platform.registry!.host;
const address = () => platform.registry!.clusterIP;
/** The stack outputs the mirror reads: both credentials (PUSH, default the push one, as the push output) and the certificate. */
const outputs = (pw = password, push = { user: pushUser, password: pushPassword }) => JSON.stringify({
    registryUser: user, registryPassword: pw, registryPushUser: push.user, registryPushPassword: push.password,
    registryCertificate: certificate, clusterName: "lsst-test",
});
/** Where the mirror's temporary directory goes: it must be empty after every run. */
const tmp = () => path.join(dir, "tmp");
const storage = () => path.join(dir, "storage");

/** A copy of the test stack file with PLATFORM edited, written to NAME in the test's directory. */
function writeStack(name: string, edit: (p: Record<string, any>) => void): string {
    const doc = yaml.load(fs.readFileSync(path.join(REPO, "Pulumi.test.yaml"), "utf8")) as { config: Record<string, any> };
    edit(doc.config[`${PROJECT}:platform`]);
    const file = path.join(dir, name);
    fs.writeFileSync(file, yaml.dump(doc, { noRefs: true, lineWidth: -1 }));
    return file;
}

/** The mirror with ARGS, in the namespace unless `outside`; stdin is `stdin`, PATH skopeo's directory unless given. */
function mirror(args: string[], opts: { stdin?: string; outside?: boolean; pathVar?: string } = {}): Promise<Ran> {
    return startMirror(args, opts).done;
}

function startMirror(args: string[], opts: { stdin?: string; outside?: boolean; pathVar?: string } = {}): { pid: number; done: Promise<Ran> } {
    return ns!.launch(process.execPath, [...npmScript("mirror"), ...args], {
        cwd: REPO,
        stdin: opts.stdin,
        outside: opts.outside,
        timeoutMs: 45_000,
        env: { PATH: opts.pathVar ?? path.dirname(skopeo), TMPDIR: tmp(), HOME: dir },
    });
}

/** What the registry answers, asked from inside the namespace by a client of the test's own (tests/mirror/fetch.ts). */
async function manifests(requests: { path: string; reference: string }[]): Promise<{ status: number; digest: string | null }[]> {
    const r = await ns!.run(process.execPath, [TS_NODE, "--transpile-only", path.join(__dirname, "mirror", "fetch.ts")], {
        cwd: REPO, env: { PATH: "/usr/bin:/bin" },
        stdin: JSON.stringify({ address: address(), certificate, user, password, requests }),
    });
    if (r.status !== 0) {
        throw new Error(`fetch.ts failed (${r.status}): ${r.stderr}`);
    }
    return JSON.parse(r.stdout);
}

const storageSnapshot = () => treeSnapshot(storage());

beforeAll(async () => {
    if (process.getuid?.() !== 0) {
        throw new Error("mirror.test.ts must run as root: it creates a network namespace with `ip netns add`");
    }
    need("ip", "iproute2");
    need("openssl", "openssl");
    const registryBin = need("docker-registry", "docker-registry");
    skopeo = findSkopeo() ?? need("skopeo", "skopeo");

    platform = validateConfig(rawConfig("test").config).config!.platform!;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mirror-test-"));
    fs.mkdirSync(tmp());
    const program = programRegistry(await runStack("test", { mockOutputs: registryMocks }), dir);
    ({ user, password, pushUser, pushPassword, certificate } = program);

    // One layout per repository; HTCondor's image is then pinned to its layout's digest.
    const sources: Record<string, string> = {};
    for (const image of registryImages(platform)) {
        const layout = path.join(dir, "layouts", image.path.replace(/\//g, "_"));
        sources[image.path] = `oci:${layout}`;
        const made = writeLayout(layout, image.path, [image.tag!])[0];
        const pinned = image.ref === platform.htcondor!.image ? made.digest : undefined;
        expected.push({ ref: pinned ? `${image.ref}@${pinned}` : image.ref, path: image.path, tag: image.tag!, pinned, layout, image: made });
    }
    stackFile = writeStack("Pulumi.mirror.yaml", (p) => {
        p.registry.sources = sources;
        p.htcondor.image = expected.find((x) => x.pinned)!.ref;
    });

    // The namespace's own /etc: the hosts line trust-registry.sh writes on a node, and for skopeo a
    // registries.conf allowing the plain-HTTP upstream, as a site would, and Debian's default policy.
    ns = new Namespace(NS, address(), {
        hosts: `127.0.0.1 localhost\n${address()} ${host()}\n`,
        "containers/registries.conf": TOML.stringify({ registry: [{ location: UPSTREAM, insecure: true }] }),
        "containers/policy.json": JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }),
    });
    // Only where things are differs from the pod: the address, the certificate and the storage directory.
    registryLog = (await startRegistry(ns, registryBin, "registry", program.reader.configFile, `${address()}:443, tls`,
        overrides(program, program.reader, `${address()}:443`, storage()), dir)).log;
    const writerAddr = `${address()}:${REGISTRY_PUSH_PORT}`;
    writerLog = (await startRegistry(ns, registryBin, "registry-push", program.writer.configFile, `${writerAddr}, tls`,
        overrides(program, program.writer, writerAddr, storage()), dir)).log;
    fs.writeFileSync(path.join(dir, "upstream.yml"), yaml.dump({
        version: "0.1", storage: { filesystem: { rootdirectory: path.join(dir, "upstream") } }, http: { addr: UPSTREAM },
    }));
    await startRegistry(ns, registryBin, "upstream", path.join(dir, "upstream.yml"), UPSTREAM, {}, dir);
}, 60_000);

afterAll(() => {
    ns?.remove();
    if (dir !== "") {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).not.toContain(NS);
    expect(fs.existsSync(`/etc/netns/${NS}`)).toBe(false);
});

/** What every run must hold: the mirror's temporary directory is gone and no secret was printed. */
function clean(r: Ran): void {
    // TypeScript keeps its compile cache there too.
    expect(fs.readdirSync(tmp()).filter((f) => f.startsWith("lsst-k8s-mirror-"))).toEqual([]);
    for (const secret of [password, pushPassword, Buffer.from(`${user}:${password}`).toString("base64"), Buffer.from(`${pushUser}:${pushPassword}`).toString("base64")]) {
        expect(r.stdout + r.stderr).not.toContain(secret);
    }
}

const lines = (s: string) => s.split("\n").filter((l) => l !== "");

test("the registry serves the program's configs for the test stack, reader and writer on its Service address", () => {
    expect(registryLog).toMatch(/version=2\.\d+\.\d+/);
    expect(writerLog).toMatch(/version=2\.\d+\.\d+/);
    expect(pushUser).not.toBe(user);
    expect(pushPassword).not.toBe(password);
    expect(platform.registry!.sources).toEqual({});
    expect(registryImages(platform).length).toBeGreaterThanOrEqual(5);
});

test("--dry-run prints each source → destination and touches nothing: no stdin, no skopeo, no registry", async () => {
    const before = storageSnapshot();
    const r = await mirror(["test", "--config", stackFile, "--dry-run"], { outside: true, pathVar: path.join(dir, "no-such-dir") });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(lines(r.stdout)).toEqual([
        ...expected.map((x) => `mirror: oci:${x.layout}:${x.tag} → docker://${host()}:${REGISTRY_PUSH_PORT}/${x.path}:${x.tag}`),
        `mirror: test: ${expected.length} images, ${expected.length} with a source, 0 without (dry run: nothing read or copied)`,
    ]);
    expect(storageSnapshot()).toEqual(before);
    clean(r);
});

test("given the pull password as the push one, every copy is refused by the writer, exit 1, and nothing is written", async () => {
    const before = storageSnapshot();
    const r = await mirror(["test", "--config", stackFile], { stdin: outputs(password, { user: pushUser, password }) });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: "" });
    const out = lines(r.stdout);
    expect(out).toHaveLength(expected.length + 1);
    expected.forEach((x, i) => {
        // Each image was looked for at the reader (absent) and tried at the writer, which refused the user.
        expect(out[i].startsWith(`mirror: ${x.ref}: failed: copying oci:${x.layout}:${x.tag}: `)).toBe(true);
        expect(out[i]).toMatch(/unauthorized: authentication required$/);
    });
    expect(out[expected.length]).toBe(`mirror: test: ${expected.length} images, 0 copied, 0 present, ${expected.length} failed`);
    expect(storageSnapshot()).toEqual(before);
    clean(r);
}, 60_000);

test("copies every image into the registry, each at its source's digest, by tag and by the pinned digest", async () => {
    const r = await mirror(["test", "--config", stackFile], { stdin: outputs() });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(lines(r.stdout)).toEqual([
        ...expected.map((x) => `mirror: ${x.ref}: copied from oci:${x.layout}:${x.tag}, at ${x.image.digest}`),
        `mirror: test: ${expected.length} images, ${expected.length} copied, 0 present, 0 failed`,
    ]);
    const asked = expected.flatMap((x) => [{ path: x.path, reference: x.tag }, ...(x.pinned ? [{ path: x.path, reference: x.pinned }] : [])]);
    expect(asked.length).toBe(expected.length + 1);
    // Last, a reference nobody pushed, which the registry answers with 404: the check can fail.
    expect(await manifests([...asked, { path: expected[0].path, reference: "never-pushed" }])).toEqual([
        ...expected.flatMap((x) => (x.pinned ? [1, 2] : [1]).map(() => ({ status: 200, digest: x.image.digest }))),
        { status: 404, digest: null },
    ]);
    // Every write went to the writer; the reader (read-only, which would refuse them) was only read.
    const methods = (log: string) => new Set([...fs.readFileSync(path.join(dir, log), "utf8").matchAll(/http\.request\.method=(\w+)/g)].map((m) => m[1]));
    expect([...methods("registry-push.log")]).toEqual(expect.arrayContaining(["POST", "PUT"]));
    expect([...methods("registry.log")].filter((m) => m !== "GET" && m !== "HEAD")).toEqual([]);
    expect(methods("registry.log").size).toBeGreaterThan(0);
    clean(r);
}, 60_000);

test("a second run copies nothing: every image is present at its digest, and the registry's storage is unchanged", async () => {
    const before = storageSnapshot();
    const r = await mirror(["test", "--config", stackFile], { stdin: outputs() });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(lines(r.stdout)).toEqual([
        ...expected.map((x) => `mirror: ${x.ref}: present at ${x.image.digest}`),
        `mirror: test: ${expected.length} images, 0 copied, ${expected.length} present, 0 failed`,
    ]);
    expect(storageSnapshot()).toEqual(before);
    clean(r);
}, 60_000);

test("docker:// sources: read by the pinned digest, else by the tag, and copied so the registry has the same digest", async () => {
    const pushed: Record<string, { tag: string; layout: string; image: LayoutImage }> = {};
    for (const [p, tag] of [["lsst-k8s/etcd-backup", "3.5.22-1"], ["htcondor/execute", "24.0.5-el9"]]) {
        const layout = path.join(dir, "upstream-layouts", p.replace(/\//g, "_"));
        pushed[p] = { tag, layout, image: writeLayout(layout, `upstream ${p}`, [tag])[0] };
        const r = await ns!.run(skopeo, ["copy", "--preserve-digests", `oci:${layout}:${tag}`, `docker://${UPSTREAM}/${p}:${tag}`],
            { cwd: dir, env: { PATH: "/usr/bin:/bin", TMPDIR: dir, HOME: dir } });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    }
    const backup = pushed["lsst-k8s/etcd-backup"];
    const condor = pushed["htcondor/execute"];
    const backupRef = `${host()}/lsst-k8s/etcd-backup:${backup.tag}`;
    const condorRef = `${host()}/htcondor/execute:${condor.tag}@${condor.image.digest}`;
    const file = writeStack("Pulumi.docker.yaml", (p) => {
        p.registry.sources = {
            ...Object.fromEntries(expected.map((x) => [x.path, `oci:${x.layout}`])),
            "lsst-k8s/etcd-backup": `docker://${UPSTREAM}/lsst-k8s/etcd-backup`,
            "htcondor/execute": `docker://${UPSTREAM}/htcondor/execute`,
        };
        p.etcdBackup.image = backupRef;
        p.htcondor.image = condorRef;
    });
    const r = await mirror(["test", "--config", file], { stdin: outputs() });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    const others = expected.filter((x) => x.path !== "lsst-k8s/etcd-backup" && x.path !== "htcondor/execute");
    expect(lines(r.stdout)).toEqual([
        ...others.map((x) => `mirror: ${x.ref}: present at ${x.image.digest}`),
        `mirror: ${backupRef}: copied from docker://${UPSTREAM}/lsst-k8s/etcd-backup:${backup.tag}, at ${backup.image.digest}`,
        `mirror: ${condorRef}: copied from docker://${UPSTREAM}/htcondor/execute@${condor.image.digest}, at ${condor.image.digest}`,
        `mirror: test: ${expected.length} images, 2 copied, ${others.length} present, 0 failed`,
    ]);
    expect(await manifests([
        { path: "lsst-k8s/etcd-backup", reference: backup.tag },
        { path: "htcondor/execute", reference: condor.tag },
        { path: "htcondor/execute", reference: condor.image.digest },
    ])).toEqual([backup, condor, condor].map((x) => ({ status: 200, digest: x.image.digest })));
    clean(r);
}, 60_000);

test("stopped by SIGTERM while skopeo runs, it stops skopeo by its pid and removes its credentials, exit 143", async () => {
    // A layout whose index.json is a FIFO nobody writes: skopeo blocks reading it until stopped.
    const stuck = path.join(dir, "stuck-layout");
    fs.mkdirSync(stuck);
    expect(spawnSync("mkfifo", [path.join(stuck, "index.json")]).status).toBe(0);
    const file = writeStack("Pulumi.stuck.yaml", (p) => {
        p.registry.sources = { "lsst-k8s/etcd-backup": `oci:${stuck}` };
        p.etcdBackup.image = `${host()}/lsst-k8s/etcd-backup:0.0.1`;
        p.htcondor.image = "docker.io/htcondor/execute:24.0.4-el9";
        Object.assign(p, { dashboard: false, kubeBench: false, multicastCheck: false });
    });
    const stuckSkopeo = () => fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
        try {
            return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`oci:${stuck}`);
        } catch {
            return false;
        }
    });
    const run = startMirror(["test", "--config", file], { stdin: outputs() });
    const deadline = Date.now() + 20_000;
    while (stuckSkopeo().length === 0) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 100));
    }
    expect(fs.readdirSync(tmp()).filter((f) => f.startsWith("lsst-k8s-mirror-"))).toHaveLength(1);
    process.kill(run.pid, "SIGTERM");
    const r = await run.done;
    expect(r.status).toBe(143);
    for (let i = 0; i < 50 && stuckSkopeo().length > 0; i++) {
        await new Promise((done) => setTimeout(done, 100));
    }
    expect(stuckSkopeo()).toEqual([]);
    clean(r);
}, 60_000);

test("a source at another digest than the one pinned fails that image, exit 1, and copies nothing of it", async () => {
    const wrong = `sha256:${"0".repeat(64)}`;
    const file = writeStack("Pulumi.wrong-digest.yaml", (p) => {
        p.registry.sources = { "lsst-k8s/etcd-backup": `oci:${expected.find((x) => x.path === "lsst-k8s/etcd-backup")!.layout}` };
        p.etcdBackup.image = `${p.etcdBackup.image}@${wrong}`;
        p.htcondor.image = "docker.io/htcondor/execute:24.0.4-el9";
        Object.assign(p, { dashboard: false, kubeBench: false, multicastCheck: false });
    });
    const r = await mirror(["test", "--config", file], { stdin: outputs() });
    expect(r.status).toBe(1);
    const backup = expected.find((x) => x.path === "lsst-k8s/etcd-backup")!;
    expect(lines(r.stdout)).toEqual([
        `mirror: ${host()}/lsst-k8s/etcd-backup:3.5.21-1@${wrong}: failed: oci:${backup.layout}:3.5.21-1 ` +
            `is at ${backup.image.digest}, but platform.etcdBackup.image pins ${wrong}`,
        "mirror: test: 1 image, 0 copied, 0 present, 1 failed",
    ]);
    expect(await manifests([{ path: "lsst-k8s/etcd-backup", reference: wrong }])).toEqual([{ status: 404, digest: null }]);
    clean(r);
}, 60_000);

test("a wrong password fails with exit 1 and one clear line per image, and no password is printed", async () => {
    const wrong = "not-the-registry-password-0123456789";
    const before = storageSnapshot();
    const r = await mirror(["test", "--config", stackFile], { stdin: outputs(wrong) });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: "" });
    const out = lines(r.stdout);
    expect(out).toHaveLength(expected.length + 1);
    expect(out[0]).toMatch(new RegExp(`^mirror: \\S+: failed: reading docker://${host().replace(/\./g, "\\.")}/\\S+: .*unauthorized: authentication required$`));
    expect(out.slice(1, -1).every((l) => /: failed: not tried: the registry could not be read \(docker:\/\/\S+\)$/.test(l))).toBe(true);
    expect(out[out.length - 1]).toBe(`mirror: test: ${expected.length} images, 0 copied, 0 present, ${expected.length} failed`);
    expect(r.stdout).not.toContain(wrong);
    expect(r.stdout).not.toContain(Buffer.from(`${user}:${wrong}`).toString("base64"));
    expect(storageSnapshot()).toEqual(before);
    clean(r);
}, 60_000);

test("a bad stack file exits 2 naming each field, and nothing is read or written", async () => {
    const file = writeStack("Pulumi.bad.yaml", (p) => {
        p.registry.sources = { "lsst-k8s/etcd-backup": "https://example.org/etcd-backup", "Not A Path": "oci:/srv/x" };
    });
    const r = await mirror(["test", "--config", file], { stdin: outputs(), outside: true });
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: "" });
    expect(lines(r.stderr)).toEqual([
        `mirror: ${file}: invalid stack config (2 problems):`,
        '  - platform.registry.sources.lsst-k8s/etcd-backup: "https://example.org/etcd-backup" is not "docker://HOST/REPOSITORY" (no tag or digest: ' +
            'the image\'s own is appended) or "oci:/ABSOLUTE/DIR"',
        '  - platform.registry.sources.Not A Path: "Not A Path" is not a repository path like "lsst-k8s/etcd-backup"',
    ]);
    const stray = writeStack("Pulumi.stray.yaml", (p) => (p.registry.sources = { "lsst-k8s/etcd-bakup": "docker://quay.io/lsst/etcd-backup" }));
    const s = await mirror(["test", "--config", stray, "--dry-run"], { outside: true });
    expect({ status: s.status, stdout: s.stdout }).toEqual({ status: 2, stdout: "" });
    expect(lines(s.stderr)[1]).toMatch(/^ {2}- platform\.registry\.sources\.lsst-k8s\/etcd-bakup: the platform pulls no image at this path through the registry \(it pulls .*"lsst-k8s\/etcd-backup"/);
    clean(r);
});

test("stdin without the secrets exits 2 with one line naming the output", async () => {
    const hidden = await mirror(["test", "--config", stackFile], { stdin: outputs("[secret]"), outside: true });
    expect({ status: hidden.status, stdout: hidden.stdout, stderr: hidden.stderr }).toEqual({
        status: 2, stdout: "",
        stderr: "mirror: stdin (the JSON of `pulumi stack output --json --show-secrets`): registryPassword: is \"[secret]\": add --show-secrets\n",
    });
});

test("without skopeo on PATH it exits 2 with one line, before reading stdin", async () => {
    const r = await mirror(["test", "--config", stackFile], { stdin: outputs(), pathVar: path.join(dir, "no-such-dir") });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        status: 2, stdout: "",
        stderr: "mirror: skopeo is not installed (not on PATH): install it (Debian: apt-get install skopeo) and run again\n",
    });
    clean(r);
});
