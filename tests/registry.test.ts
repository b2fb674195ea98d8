import * as bcrypt from "bcryptjs";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { ofType, runStack } from "./harness";
import { Evaluation } from "../tools/evaluate";
import { CONFIG_HASH_ANNOTATION } from "../components/platform/configHash";
import { LocalRegistry, onPath } from "./mirror/local";
import { LayoutImage, writeLayout } from "./mirror/oci";
import { PUSH_PASSWORD, ProgramRegistry, programRegistry, registryMocks, treeSnapshot } from "./mirror/registry";
import {
    REGISTRY_DEFAULT_REALM,
    REGISTRY_PUSH_PORT,
    htpasswdLine,
    registryConfig,
    renderRegistryConfig,
} from "../components/platform/registryConfig";

const paths = { htpasswdPath: "/auth/htpasswd", tlsCertificate: "/certs/tls.crt", tlsKey: "/certs/tls.key" };

describe("registryConfig", () => {
    it("defaults: :5000, /var/lib/registry, the lsst-k8s realm, delete off, no proxy, no secret", () => {
        expect(registryConfig(paths)).toEqual({
            version: "0.1",
            log: { level: "info", fields: { service: "registry" } },
            storage: {
                filesystem: { rootdirectory: "/var/lib/registry" },
                delete: { enabled: false },
            },
            http: {
                addr: ":5000",
                tls: { certificate: "/certs/tls.crt", key: "/certs/tls.key" },
                headers: { "X-Content-Type-Options": ["nosniff"] },
            },
            auth: { htpasswd: { realm: "lsst-k8s registry", path: "/auth/htpasswd" } },
            health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
        });
    });

    it("takes every option, and a pull-through cache only when asked", () => {
        const c = registryConfig({
            ...paths,
            listen: "0.0.0.0:443",
            storageRoot: "/data",
            realm: "Rubin",
            deleteEnabled: true,
            httpSecret: "s3cret",
            proxy: { remoteUrl: "https://registry-1.docker.io" },
        }) as any;
        expect(c.http.addr).toBe("0.0.0.0:443");
        expect(c.http.secret).toBe("s3cret");
        expect(c.storage).toEqual({ filesystem: { rootdirectory: "/data" }, delete: { enabled: true } });
        expect(c.auth.htpasswd.realm).toBe("Rubin");
        expect(c.proxy).toEqual({ remoteurl: "https://registry-1.docker.io" });
        expect(registryConfig(paths)).not.toHaveProperty("proxy");
        expect(registryConfig({ ...paths, deleteEnabled: false }).storage).toEqual({
            filesystem: { rootdirectory: "/var/lib/registry" },
            delete: { enabled: false },
        });
    });

    it("read-only: distribution's maintenance mode, and no upload purge (it deletes from storage)", () => {
        const c = registryConfig({ ...paths, readOnly: true }) as any;
        expect(c.storage).toEqual({
            filesystem: { rootdirectory: "/var/lib/registry" },
            delete: { enabled: false },
            maintenance: { readonly: { enabled: true }, uploadpurging: { enabled: false } },
        });
        expect(registryConfig({ ...paths, readOnly: false })).toEqual(registryConfig(paths));
        expect(yaml.load(renderRegistryConfig(c))).toEqual(c);
    });

    it("refuses empty paths, an unusable realm or secret and a non-http proxy URL", () => {
        expect(() => registryConfig({ ...paths, htpasswdPath: "" })).toThrow(/htpasswdPath/);
        expect(() => registryConfig({ ...paths, tlsKey: " " })).toThrow(/tlsKey/);
        expect(() => registryConfig({ ...paths, realm: 'a"b' })).toThrow(/realm/);
        expect(() => registryConfig({ ...paths, httpSecret: "" })).toThrow(/httpSecret/);
        expect(() => registryConfig({ ...paths, proxy: { remoteUrl: "registry-1.docker.io" } })).toThrow(/remoteUrl/);
    });

    it("renders YAML that loads back to the same object, version as the string 0.1", () => {
        const c = registryConfig({ ...paths, proxy: { remoteUrl: "https://registry-1.docker.io" } });
        const text = renderRegistryConfig(c);
        expect(yaml.load(text)).toEqual(c);
        expect(text).toMatch(/^version: '0\.1'$/m);
    });
});

describe("htpasswdLine", () => {
    it("writes user:$2y$<rounds>$... that bcrypt verifies, and only for the right password", () => {
        const line = htpasswdLine("alice", "correct horse", 4);
        expect(line).toMatch(/^alice:\$2y\$04\$[./A-Za-z0-9]{53}$/);
        const hash = line.slice("alice:".length);
        expect(bcrypt.compareSync("correct horse", hash)).toBe(true);
        expect(bcrypt.compareSync("wrong horse", hash)).toBe(false);
        expect(htpasswdLine("bob", "x")).toMatch(/^bob:\$2y\$10\$/); // default cost 10
    });

    it("salts: two lines for one password differ", () => {
        expect(htpasswdLine("a", "pw", 4)).not.toBe(htpasswdLine("a", "pw", 4));
    });

    it("refuses user names with ':' or whitespace, empty names, bad rounds and over-long passwords", () => {
        for (const bad of ["", "a:b", "a b", "a\tb", "a\nb", " a", "a\r"]) {
            expect(() => htpasswdLine(bad, "pw", 4)).toThrow(/user name/);
        }
        expect(() => htpasswdLine("a", "pw", 3)).toThrow(/rounds/);
        expect(() => htpasswdLine("a", "pw", 10.5)).toThrow(/rounds/);
        expect(() => htpasswdLine("a", "x".repeat(73), 4)).toThrow(/72/);
        expect(htpasswdLine("a", "x".repeat(72), 4)).toMatch(/^a:\$2y\$/);
    });
});

describe("Debian's docker-registry serving the exact configs and htpasswd files the program puts in the registry's Secrets", () => {
    // The reader (Secret "registry") and the writer (Secret "registry-push") on one storage directory,
    // as the pod runs them; the credentials are the stack's, the push password a distinct mock.
    let program: ProgramRegistry;
    const realm = REGISTRY_DEFAULT_REALM;
    let dir = "";
    let local: LocalRegistry;
    const storage = () => local.storage;
    const request = (...a: Parameters<LocalRegistry["request"]>) => local.request(...a);

    beforeAll(async () => {
        const registryBin = onPath("docker-registry");
        if (registryBin === undefined) {
            throw new Error(
                "docker-registry is not installed: install Debian's docker-registry package (apt-get install docker-registry); " +
                    "tools/test.sh installs it, CI runs this test and so must you",
            );
        }
        if (onPath("openssl") === undefined) {
            throw new Error("openssl is not installed: install it (apt-get install openssl)");
        }
        const skopeo = onPath("skopeo") ?? "";
        if (skopeo === "") {
            throw new Error("skopeo is not installed: install it (apt-get install skopeo); tools/test.sh installs it");
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "registry-test-"));
        program = programRegistry(await runStack("test", { mockOutputs: registryMocks }), dir);
        // The program's certificate is for the Service's names; these instances listen on 127.0.0.1.
        const cert = path.join(dir, "local.crt");
        const key = path.join(dir, "local.key");
        const gen = spawnSync(
            "openssl",
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
            { encoding: "utf8" },
        );
        if (gen.status !== 0) {
            throw new Error(`openssl req failed (${gen.status}): ${gen.stderr}`);
        }
        local = new LocalRegistry(program, dir, cert, key, skopeo);
        await local.start(registryBin, "writer");
        await local.start(registryBin, "reader");
    }, 60_000);

    afterAll(async () => {
        await local?.stop();
        if (dir !== "") {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }, 20_000);

    it("serves the program's files as they are: the reader read-only with the pull user, the writer with the push user", () => {
        const common = { htpasswdPath: "/etc/registry/htpasswd", tlsCertificate: "/etc/registry/tls.crt", tlsKey: "/etc/registry/tls.key" };
        expect(program.reader.files["config.yml"]).toBe(renderRegistryConfig(registryConfig({ ...common, listen: ":5000", readOnly: true })));
        expect(program.writer.files["config.yml"]).toBe(renderRegistryConfig(registryConfig({ ...common, listen: `:${REGISTRY_PUSH_PORT}` })));
        expect(program.reader.files.htpasswd).toMatch(/^lsst-k8s:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
        expect(program.writer.files.htpasswd).toMatch(/^lsst-k8s-push:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
        expect(bcrypt.compareSync(program.password, program.reader.files.htpasswd.trim().split(":")[1])).toBe(true);
        expect(program.reader.files["tls.crt"]).toBe(program.writer.files["tls.crt"]);
        expect(program.user).toBe("lsst-k8s");
        expect(program.password).toHaveLength(32);
        expect(program.pushPassword).not.toBe(program.password);
    });

    it("runs the docker-registry binary from Debian, twice, and only the writer purges stale uploads", () => {
        const v = spawnSync("docker-registry", ["--version"], { encoding: "utf8" });
        expect(v.error).toBeUndefined();
        expect(v.stdout).toMatch(/^docker-registry github\.com\/docker\/distribution v?\d+\.\d+/);
        expect(local.pids.map((pid) => pid > 0)).toEqual([true, true]);
        expect(local.logs.reader).toMatch(/listening on 127\.0\.0\.1:\d+, tls/);
        expect(local.logs.writer).toMatch(/listening on 127\.0\.0\.1:\d+, tls/);
        // The purge deletes from storage, which the reader's volume is mounted read-only against.
        expect(local.logs.writer).toMatch(/Starting upload purge/);
        expect(local.logs.reader).not.toMatch(/upload purge/);
        expect(local.logs.reader + local.logs.writer).not.toMatch(/blob descriptor cache/);
    });

    it("challenges an anonymous client with Basic auth naming the realm, at both", async () => {
        for (const instance of ["reader", "writer"] as const) {
            const r = await request(instance, "GET", "/v2/");
            expect(r.status).toBe(401);
            expect(r.headers["www-authenticate"]).toBe(`Basic realm="${realm}"`);
            expect(r.headers["x-content-type-options"]).toBe("nosniff");
        }
    });

    it("knows each user at its own instance only, and only with the right password", async () => {
        const pull = `${program.user}:${program.password}`;
        const push = `${program.pushUser}:${program.pushPassword}`;
        const status = async (instance: "reader" | "writer", auth: string) => (await request(instance, "GET", "/v2/", { auth })).status;
        expect(await status("reader", pull)).toBe(200);
        expect(await status("writer", push)).toBe(200);
        expect(await status("reader", push)).toBe(401);
        expect(await status("writer", pull)).toBe(401);
        expect(await status("reader", `${pull}x`)).toBe(401);
        expect(await status("writer", `${program.pushUser}:${program.password}`)).toBe(401);
        expect(await status("reader", `someone:${program.password}`)).toBe(401);
    });

    it("stores a blob pushed to the writer, which the reader serves at once to the pull user", async () => {
        const push = `${program.pushUser}:${program.pushPassword}`;
        const pull = `${program.user}:${program.password}`;
        const blob = Buffer.from(`lsst-k8s registry test blob ${Date.now()}\n`);
        const digest = "sha256:" + createHash("sha256").update(blob).digest("hex");
        const repo = "lsst-k8s/registry-test";

        // Looked up (and missed) at the reader first: a miss is not remembered.
        expect((await request("reader", "HEAD", `/v2/${repo}/blobs/${digest}`, { auth: pull })).status).toBe(404);
        expect((await request("writer", "POST", `/v2/${repo}/blobs/uploads/`)).status).toBe(401);
        const startUpload = await request("writer", "POST", `/v2/${repo}/blobs/uploads/`, { auth: push, body: Buffer.alloc(0) });
        expect(startUpload.status).toBe(202);
        const location = startUpload.headers.location as string;
        expect(location).toBeTruthy();
        const put = new URL(location, `https://127.0.0.1:${local.ports.writer}`);
        put.searchParams.set("digest", digest);
        const done = await request("writer", "PUT", put.pathname + put.search, {
            auth: push,
            body: blob,
            headers: { "Content-Type": "application/octet-stream" },
        });
        expect(done.status).toBe(201);
        expect(done.headers["docker-content-digest"]).toBe(digest);

        const head = await request("reader", "HEAD", `/v2/${repo}/blobs/${digest}`, { auth: pull });
        expect(head.status).toBe(200);
        expect(head.headers["docker-content-digest"]).toBe(digest);
        expect(head.headers["content-length"]).toBe(String(blob.length));
        expect((await request("reader", "HEAD", `/v2/${repo}/blobs/${digest}`)).status).toBe(401);
        const get = await request("reader", "GET", `/v2/${repo}/blobs/${digest}`, { auth: pull });
        expect(get.status).toBe(200);
        expect(get.body.equals(blob)).toBe(true);

        // On disk under the configured root, in distribution's filesystem layout.
        const hex = digest.slice("sha256:".length);
        const onDisk = path.join(storage(), "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
        expect(fs.readFileSync(onDisk).equals(blob)).toBe(true);
    });

    it("refuses every write at the reader with 405, even to the pull user, and deletes at the writer (delete is off)", async () => {
        const pull = `${program.user}:${program.password}`;
        const zero = `sha256:${"0".repeat(64)}`;
        const before = treeSnapshot(storage());
        expect((await request("reader", "POST", "/v2/lsst-k8s/registry-test/blobs/uploads/", { auth: pull, body: Buffer.alloc(0) })).status).toBe(405);
        expect((await request("reader", "PUT", "/v2/lsst-k8s/registry-test/manifests/x", { auth: pull, body: Buffer.from("{}") })).status).toBe(405);
        expect((await request("reader", "DELETE", `/v2/lsst-k8s/registry-test/blobs/${zero}`, { auth: pull })).status).toBe(405);
        expect((await request("writer", "DELETE", `/v2/lsst-k8s/registry-test/blobs/${zero}`, { auth: `${program.pushUser}:${program.pushPassword}` })).status).toBe(405);
        expect(treeSnapshot(storage())).toEqual(before);
    });

    describe("skopeo, as the mirror and the nodes use the registry", () => {
        let layout = "";
        let image: LayoutImage;
        let pullAuth = "";
        let pushAuth = "";
        beforeAll(() => {
            layout = path.join(dir, "layout");
            image = writeLayout(layout, "registry test", ["1"])[0];
            pullAuth = local.authFile("pull", program.user, program.password);
            pushAuth = local.authFile("push", program.pushUser, program.pushPassword);
        });

        it("refuses the pull credential a push at the reader (read-only) and at the writer (unknown user), writing nothing", () => {
            const before = treeSnapshot(storage());
            const reader = local.copyTo(pullAuth, "reader", layout, "lsst-k8s/skopeo-test:1");
            expect(reader.status).not.toBe(0);
            expect(reader.stderr).toMatch(/405|unsupported/i);
            const writer = local.copyTo(pullAuth, "writer", layout, "lsst-k8s/skopeo-test:1");
            expect(writer.status).not.toBe(0);
            expect(writer.stderr).toMatch(/unauthorized: authentication required/);
            expect(treeSnapshot(storage())).toEqual(before);
        }, 60_000);

        it("refuses the push credential at the reader, for a push and for a pull", () => {
            const before = treeSnapshot(storage());
            const push = local.copyTo(pushAuth, "reader", layout, "lsst-k8s/skopeo-test:1");
            expect(push.status).not.toBe(0);
            expect(push.stderr).toMatch(/unauthorized: authentication required/);
            expect(local.inspect(pushAuth, "reader", "lsst-k8s/registry-test:1").stderr).toMatch(/unauthorized: authentication required/);
            expect(treeSnapshot(storage())).toEqual(before);
        }, 60_000);

        it("pushes with the push credential through the writer; the pull credential then pulls it from the reader at its digest", () => {
            expect(local.inspect(pullAuth, "reader", "lsst-k8s/skopeo-test:1").stderr).toMatch(/manifest unknown|name unknown/i);
            const push = local.copyTo(pushAuth, "writer", layout, "lsst-k8s/skopeo-test:1");
            expect({ status: push.status, stderr: push.stderr }).toEqual({ status: 0, stderr: "" });
            const raw = local.inspect(pullAuth, "reader", "lsst-k8s/skopeo-test:1");
            expect(raw.status).toBe(0);
            expect(`sha256:${createHash("sha256").update(raw.stdout).digest("hex")}`).toBe(image.digest);
            // A whole pull, blobs and all, by digest, into a layout of the test's; the reader writes
            // nothing for it (its volume is mounted read-only in the pod).
            const before = treeSnapshot(storage());
            const pulled = path.join(dir, "pulled");
            const pull = local.runSkopeo(["copy", "--src-authfile", pullAuth, "--src-cert-dir", local.certDir,
                `${local.at("reader", "lsst-k8s/skopeo-test")}@${image.digest}`, `oci:${pulled}:1`]);
            expect({ status: pull.status, stderr: pull.stderr }).toEqual({ status: 0, stderr: "" });
            const index = JSON.parse(fs.readFileSync(path.join(pulled, "index.json"), "utf8"));
            expect(index.manifests.map((m: { digest: string }) => m.digest)).toEqual([image.digest]);
            expect(treeSnapshot(storage())).toEqual(before);
        }, 60_000);
    });
});

describe("the Registry component: two instances, two credentials", () => {
    let e: Evaluation;
    const meta = (r: { inputs: Record<string, unknown> }) => (r.inputs.metadata ?? {}) as Record<string, string>;
    beforeAll(async () => {
        e = await runStack("test", { mockOutputs: registryMocks });
    });

    it("runs the reader (port 5000, storage mounted read-only) and the writer (its own port and Secret) in one pod", () => {
        const [deployment] = ofType(e, "kubernetes:apps/v1:Deployment").filter((d) => meta(d).namespace === "registry");
        const spec = (deployment.inputs.spec as any).template.spec;
        const byName = Object.fromEntries(spec.containers.map((c: any) => [c.name, c]));
        expect(Object.keys(byName)).toEqual(["registry", "push"]);
        expect(byName.registry.ports).toEqual([{ name: "https", containerPort: 5000 }]);
        expect(byName.push.ports).toEqual([{ name: "push", containerPort: REGISTRY_PUSH_PORT }]);
        const mounts = (c: any) => Object.fromEntries(c.volumeMounts.map((m: any) => [m.name, m.readOnly]));
        expect(mounts(byName.registry)).toEqual({ files: true, storage: true });
        expect(mounts(byName.push)).toEqual({ "push-files": true, storage: false });
        expect(spec.volumes.map((v: any) => v.secret?.secretName ?? v.persistentVolumeClaim?.claimName))
            .toEqual(["registry", "registry-push", "registry-storage"]);
    });

    it("rolls the pod when either instance's files change: the config hash covers both Secrets", async () => {
        const hashOf = (ev: Evaluation) => {
            const [d] = ofType(ev, "kubernetes:apps/v1:Deployment").filter((x) => meta(x).namespace === "registry");
            return (d.inputs.spec as any).template.metadata.annotations[CONFIG_HASH_ANNOTATION] as string;
        };
        const other = await runStack("test", {
            mockOutputs: (type, name, inputs) => (name.endsWith("-registry-push-password") ? { result: "another-push-password-0123456789" } : registryMocks(type, name, inputs)),
        });
        expect(hashOf(other)).not.toBe(hashOf(e));
        expect(hashOf(await runStack("test", { mockOutputs: registryMocks }))).toBe(hashOf(e));
    });

    it("sends containerd's port (443) to the reader and the push port to the writer, on the one fixed address", () => {
        const [service] = ofType(e, "kubernetes:core/v1:Service").filter((s) => meta(s).namespace === "registry");
        expect((service.inputs.spec as any).ports).toEqual([
            { name: "https", port: 443, targetPort: 5000 },
            { name: "push", port: REGISTRY_PUSH_PORT, targetPort: REGISTRY_PUSH_PORT },
        ]);
    });

    it("puts the pull credential in every puller's secret and the push credential in no Secret outside the registry's namespace", () => {
        const secrets = ofType(e, "kubernetes:core/v1:Secret");
        const pulls = secrets.filter((s) => (s.inputs.type as string) === "kubernetes.io/dockerconfigjson");
        expect(pulls.length).toBeGreaterThan(0);
        for (const s of pulls) {
            const config = JSON.parse((s.inputs.stringData as Record<string, string>)[".dockerconfigjson"]);
            expect(Object.values(config.auths).map((a: any) => a.username)).toEqual(["lsst-k8s"]);
        }
        const holders = secrets.filter((s) => JSON.stringify(s.inputs).includes(PUSH_PASSWORD) || JSON.stringify(s.inputs).includes("lsst-k8s-push"));
        expect(holders.map((s) => `${meta(s).namespace}/${meta(s).name}`)).toEqual(["registry/registry-push"]);
        // Not even as its bcrypt hash's user in the reader's htpasswd.
        const reader = secrets.find((s) => meta(s).namespace === "registry" && meta(s).name === "registry")!;
        expect((reader.inputs.stringData as Record<string, string>).htpasswd).not.toContain("lsst-k8s-push");
    });

    it("gives the push credential as secret stack outputs, and the pull one as before", () => {
        expect(e.outputs.registryUser).toEqual({ value: "lsst-k8s", secret: false });
        expect(e.outputs.registryPassword.secret).toBe(true);
        expect(e.outputs.registryPushUser).toEqual({ value: "lsst-k8s-push", secret: false });
        expect(e.outputs.registryPushPassword).toEqual({ value: PUSH_PASSWORD, secret: true });
    });
});
