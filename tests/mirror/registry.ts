/**
 * The registry the mirror test copies into, as the program makes it: its config.yml and htpasswd from
 * the evaluated stack's Secret, and a certificate for the very names and address the program's
 * certificate request holds (offline the program's certificate itself is a placeholder), served by
 * Debian's docker-registry inside the test's namespace.
 */
import { ChildProcess, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Evaluation } from "../../tools/evaluate";
import { Namespace } from "./namespace";

/** The absolute path of CMD, or a failure naming the Debian package PKG that has it. */
export function need(cmd: string, pkg: string): string {
    const found = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim();
    if (!found) {
        throw new Error(`${cmd} is not installed: install Debian's ${pkg} (apt-get install ${pkg}); tools/test.sh installs it`);
    }
    return found;
}

export interface ProgramRegistry {
    readonly user: string;
    readonly password: string;
    /** PEM of the certificate the registry serves, which the mirror is given as registryCertificate. */
    readonly certificate: string;
    readonly configFile: string;
    readonly htpasswdFile: string;
    readonly certFile: string;
    readonly keyFile: string;
}

/** Writes the registry's files from evaluation E into DIR. */
export function programRegistry(e: Evaluation, dir: string): ProgramRegistry {
    const meta = (r: { inputs: Record<string, unknown> }) => (r.inputs.metadata ?? {}) as Record<string, string>;
    const secret = e.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && meta(r).namespace === "registry" && meta(r).name === "registry");
    const request = e.resources.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert");
    if (!secret || !request) {
        throw new Error("the evaluated stack has no registry Secret or certificate");
    }
    const files = secret.inputs.stringData as Record<string, string>;
    const cert = request.inputs as { subject: { commonName: string }; dnsNames: string[]; ipAddresses: string[] };
    const out = {
        configFile: path.join(dir, "config.yml"),
        htpasswdFile: path.join(dir, "htpasswd"),
        certFile: path.join(dir, "tls.crt"),
        keyFile: path.join(dir, "tls.key"),
    };
    fs.writeFileSync(out.configFile, files["config.yml"]);
    fs.writeFileSync(out.htpasswdFile, files.htpasswd, { mode: 0o600 });
    const san = [...cert.dnsNames.map((n) => `DNS:${n}`), ...cert.ipAddresses.map((a) => `IP:${a}`)].join(",");
    const gen = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-subj", `/CN=${cert.subject.commonName}`, "-addext", `subjectAltName=${san}`, "-keyout", out.keyFile, "-out", out.certFile], { encoding: "utf8" });
    if (gen.status !== 0) {
        throw new Error(`openssl req failed: ${gen.stderr}`);
    }
    return {
        ...out,
        user: String(e.outputs.registryUser.value),
        password: String(e.outputs.registryPassword.value),
        certificate: fs.readFileSync(out.certFile, "utf8"),
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
