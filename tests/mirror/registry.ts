/**
 * The registry as the program makes it, for the tests that serve it for real: each instance's
 * config.yml and htpasswd from the evaluated stack's Secrets (the reader's `registry`, the writer's
 * `registry-push`), and a certificate for the very names and address the program's certificate
 * request holds (offline the program's certificate itself is a placeholder), served by Debian's
 * docker-registry.
 */
import * as bcrypt from "bcryptjs";
import { ChildProcess, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Evaluation, MockOutputs } from "../../tools/evaluate";
import { offlineOutputs } from "../../tools/offline";
import { Namespace } from "./namespace";

/**
 * The push password the evaluation gets (offline every RandomPassword is the same placeholder, which
 * would let a test pass with the pull password where the push one is needed).
 */
export const PUSH_PASSWORD = "pushpasswordpushpasswordpushpass";

/** tools/offline.ts, but the registry's push password is {@link PUSH_PASSWORD}. */
export const registryMocks: MockOutputs = (type, name, inputs) =>
    type === "random:index/randomPassword:RandomPassword" && name.endsWith("-registry-push-password")
        ? { result: PUSH_PASSWORD }
        : offlineOutputs(type, name, inputs);

/** The absolute path of CMD, or a failure naming the Debian package PKG that has it. */
export function need(cmd: string, pkg: string): string {
    const found = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim();
    if (!found) {
        throw new Error(`${cmd} is not installed: install Debian's ${pkg} (apt-get install ${pkg}); tools/test.sh installs it`);
    }
    return found;
}

/** One instance's files, as its Secret holds them, written out. */
export interface InstanceFiles {
    /** Every key of the Secret, as the program writes it. */
    readonly files: Readonly<Record<string, string>>;
    readonly configFile: string;
    readonly htpasswdFile: string;
}

export interface ProgramRegistry {
    /** The pull credential (registryUser, registryPassword): the reader's. */
    readonly user: string;
    readonly password: string;
    /** The push credential: the user of the writer's htpasswd, and the password it verifies. */
    readonly pushUser: string;
    readonly pushPassword: string;
    /** PEM of the certificate both serve, which the mirror is given as registryCertificate. */
    readonly certificate: string;
    readonly reader: InstanceFiles;
    readonly writer: InstanceFiles;
    readonly certFile: string;
    readonly keyFile: string;
}

/**
 * Writes the registry's files from evaluation E (run with {@link registryMocks}) into DIR; fails when
 * the writer's htpasswd is not for {@link PUSH_PASSWORD}.
 */
export function programRegistry(e: Evaluation, dir: string): ProgramRegistry {
    const meta = (r: { inputs: Record<string, unknown> }) => (r.inputs.metadata ?? {}) as Record<string, string>;
    const secretOf = (name: string) => e.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && meta(r).namespace === "registry" && meta(r).name === name);
    const reader = secretOf("registry");
    const writer = secretOf("registry-push");
    const request = e.resources.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert");
    if (!reader || !writer || !request) {
        throw new Error("the evaluated stack has no registry Secrets (registry, registry-push) or certificate");
    }
    const instance = (secret: typeof reader, name: string): InstanceFiles => {
        const files = secret.inputs.stringData as Record<string, string>;
        const out = { files, configFile: path.join(dir, `${name}.yml`), htpasswdFile: path.join(dir, `${name}.htpasswd`) };
        fs.writeFileSync(out.configFile, files["config.yml"]);
        fs.writeFileSync(out.htpasswdFile, files.htpasswd, { mode: 0o600 });
        return out;
    };
    const cert = request.inputs as { subject: { commonName: string }; dnsNames: string[]; ipAddresses: string[] };
    const certFile = path.join(dir, "tls.crt");
    const keyFile = path.join(dir, "tls.key");
    const san = [...cert.dnsNames.map((n) => `DNS:${n}`), ...cert.ipAddresses.map((a) => `IP:${a}`)].join(",");
    const gen = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-subj", `/CN=${cert.subject.commonName}`, "-addext", `subjectAltName=${san}`, "-keyout", keyFile, "-out", certFile], { encoding: "utf8" });
    if (gen.status !== 0) {
        throw new Error(`openssl req failed: ${gen.stderr}`);
    }
    const writerFiles = instance(writer, "writer");
    const [pushUser, pushHash] = writerFiles.files.htpasswd.trim().split(":");
    if (!bcrypt.compareSync(PUSH_PASSWORD, pushHash)) {
        throw new Error("the writer's htpasswd is not for the mocked push password: evaluate the stack with registryMocks");
    }
    return {
        user: String(e.outputs.registryUser.value),
        password: String(e.outputs.registryPassword.value),
        pushUser,
        pushPassword: PUSH_PASSWORD,
        certificate: fs.readFileSync(certFile, "utf8"),
        reader: instance(reader, "reader"),
        writer: writerFiles,
        certFile,
        keyFile,
    };
}

/**
 * What docker-registry's REGISTRY_* overrides change for a test from what the pod has: the address,
 * the certificate (the program's is made by @pulumi/tls at deploy time), the htpasswd file and the
 * storage directory. Nothing else: each instance serves its Secret's config as it is.
 */
export function overrides(p: ProgramRegistry, instance: InstanceFiles, addr: string, storage: string): Record<string, string> {
    return {
        REGISTRY_HTTP_ADDR: addr,
        REGISTRY_HTTP_TLS_CERTIFICATE: p.certFile,
        REGISTRY_HTTP_TLS_KEY: p.keyFile,
        REGISTRY_AUTH_HTPASSWD_PATH: instance.htpasswdFile,
        REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: storage,
    };
}

/**
 * Starts docker-registry (BINARY) with CONFIG in namespace NS, its log in DIR/NAME.log, and waits until
 * it logs that it listens on LISTENING (15 s at most, or until it exits); returns that log.
 */
export async function startRegistry(ns: Namespace, binary: string, name: string, config: string, listening: string,
    env: Readonly<Record<string, string>>, dir: string): Promise<{ child: ChildProcess; log: string }> {
    const logFile = path.join(dir, `${name}.log`);
    const fd = fs.openSync(logFile, "a");
    const child = ns.start(binary, ["serve", config], { PATH: "/usr/bin:/bin", ...env }, fd);
    fs.closeSync(fd);
    const deadline = Date.now() + 15_000;
    for (;;) {
        const log = fs.readFileSync(logFile, "utf8");
        if (log.includes(`listening on ${listening}`)) {
            return { child, log };
        }
        if (child.exitCode !== null || Date.now() > deadline) {
            throw new Error(`docker-registry (${name}) did not start listening on ${listening}:\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** Every entry under ROOT with its size and mtime, sorted: a write of any kind shows. */
export function treeSnapshot(root: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
            const p = path.join(d, e.name);
            const st = fs.statSync(p);
            out.push(`${path.relative(root, p)} ${e.isDirectory() ? "dir" : st.size} ${st.mtimeMs}`);
            if (e.isDirectory()) {
                walk(p);
            }
        }
    };
    walk(root);
    return out.sort();
}
