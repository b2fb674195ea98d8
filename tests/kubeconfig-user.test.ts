/**
 * `npm run kubeconfig -- <stack> --user` (tools/kubeconfig.ts) run for real in a child process against
 * the repo's stack files, with the JSON `pulumi stack output --json` prints on stdin, holding a real CA
 * certificate (openssl). The real kubectl (tools/upstream/build.sh) reads what it prints; then, pointed
 * at an HTTPS server of the test's own whose certificate that CA signed, it runs the exec plugin the
 * file names, a stand-in kubectl-oidc_login that records how it was run and answers with a token, and
 * sends that token to the server. So the file works end to end but for kubelogin itself, which needs
 * the provider. Bad input: exit 2, one line naming the field or file, nothing on stdout.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as yaml from "js-yaml";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { PROJECT } from "../config";
import { npmScript } from "../tools/build/scripts";
import { builtPaths } from "../tools/e2e/controlPlane";
import { REPO } from "./rawStack";

const STACKS = ["dev", "prod", "test"] as const;
/** `npm run kubeconfig` minus npm: the compiled tool, from the repository root. */
const TOOL = npmScript("kubeconfig");
const EXEC_API = "client.authentication.k8s.io/v1";
/** What the stand-in plugin answers with; the server expects it as the bearer token. */
const STAND_IN_TOKEN = "stand-in-id-token";

/**
 * The stand-in for kubelogin, as kubectl finds it on PATH: it writes its arguments and
 * KUBERNETES_EXEC_INFO to $STAND_IN_RECORD and prints an ExecCredential holding $STAND_IN_TOKEN, in the
 * version kubectl asked for.
 */
const STAND_IN_PLUGIN = [
    "#!/usr/bin/env node",
    'const fs = require("fs");',
    'const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO || "null");',
    "fs.writeFileSync(process.env.STAND_IN_RECORD, JSON.stringify({ args: process.argv.slice(2), info }));",
    'process.stdout.write(JSON.stringify({ apiVersion: info && info.apiVersion, kind: "ExecCredential", status: { token: process.env.STAND_IN_TOKEN } }));',
    "",
].join("\n");

interface Ran {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

let dir = "";
let ca = "";
let kubectl = "";
const live = new Set<ChildProcess>();

/** The tool with ARGS and STDIN, from the repo, as `npm run` runs it. */
function tool(args: readonly string[], stdin: string): Ran {
    const r = spawnSync(process.execPath, [...TOOL, ...args], { cwd: REPO, input: stdin, encoding: "utf8", timeout: 30_000 });
    if (r.error) {
        throw r.error;
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON `pulumi stack output --json` prints: the CA in plain text, the admin kubeconfig hidden. */
const outputs = (extra: Record<string, unknown> = {}) => JSON.stringify({ certificateAuthority: ca, kubeconfig: "[secret]", ...extra });

function openssl(...args: string[]): void {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.error || r.status !== 0) {
        throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
    }
}

/** A stack file's cluster section as the operator wrote it. */
function stackCluster(stack: string): Record<string, any> {
    const doc = yaml.load(fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, any> };
    return doc.config[`${PROJECT}:cluster`];
}

/** A copy of the dev stack file with its cluster section edited, written to NAME in the test's directory. */
function writeStack(name: string, edit: (cluster: Record<string, any>) => void): string {
    const doc = yaml.load(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, any> };
    edit(doc.config[`${PROJECT}:cluster`]);
    const file = path.join(dir, name);
    fs.writeFileSync(file, yaml.dump(doc, { noRefs: true, lineWidth: -1 }));
    return file;
}

/** The kubeconfig the tool prints for ARGS, after checking it printed one and nothing else. */
function printed(args: readonly string[]): { text: string; config: any } {
    const r = tool(args, outputs());
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return { text: r.stdout, config: yaml.load(r.stdout) };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const scopesOf = (config: any): string[] => config.users[0].user.exec.args
    .filter((a: string) => a.startsWith("--oidc-extra-scope=")).map((a: string) => a.slice("--oidc-extra-scope=".length));

/** Every key anywhere in VALUE, and every string, so nothing that carries a credential hides in a corner. */
function walk(value: unknown, keys: string[] = [], strings: string[] = []): { keys: string[]; strings: string[] } {
    if (typeof value === "string") {
        strings.push(value);
    } else if (typeof value === "object" && value !== null) {
        for (const [k, v] of Object.entries(value)) {
            if (!Array.isArray(value)) {
                keys.push(k);
            }
            walk(v, keys, strings);
        }
    }
    return { keys, strings };
}

/** A command that talks to the test's server, in its own process group so the plugin it starts dies with it. */
function runAsync(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        live.add(child);
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => stop(child), 30_000);
        const done = () => {
            clearTimeout(timer);
            live.delete(child);
        };
        child.on("error", (e) => (done(), reject(e)));
        child.on("close", (status) => (done(), resolve({ status, stdout, stderr })));
    });
}

function stop(child: ChildProcess): void {
    try {
        process.kill(-child.pid!, "SIGKILL");
    } catch {
        // Already gone.
    }
}

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-user-"));
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=kubernetes");
    openssl("req", "-x509", "-CA", "ca.crt", "-CAkey", "ca.key", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "server.key", "-out", "server.crt", "-days", "2", "-subj", "/CN=kube-apiserver", "-addext", "subjectAltName=IP:127.0.0.1");
    ca = fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
    [kubectl] = builtPaths(["kubectl"]);
}, 900_000);

afterAll(() => {
    live.forEach(stop);
    fs.rmSync(dir, { recursive: true, force: true });
});

describe("the kubeconfig of each stack", () => {
    it.each(STACKS)("%s: the cluster by its endpoint and the CA from stdin, and kubelogin with the stack's provider", (stack) => {
        const cluster = stackCluster(stack);
        const { text, config } = printed([stack, "--user"]);
        const user = `${cluster.name}-oidc`;
        expect(config).toEqual({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: cluster.name, cluster: { server: `https://${cluster.controlPlaneEndpoint}`, "certificate-authority-data": b64(ca) } }],
            users: [{
                name: user,
                user: {
                    exec: {
                        apiVersion: EXEC_API,
                        command: "kubectl",
                        args: ["oidc-login", "get-token", `--oidc-issuer-url=${cluster.oidc.issuer}`, `--oidc-client-id=${cluster.oidc.clientId}`,
                            "--oidc-extra-scope=org.cilogon.userinfo"],
                        installHint: expect.stringContaining("kubectl krew install oidc-login"),
                        interactiveMode: "IfAvailable",
                        provideClusterInfo: false,
                    },
                },
            }],
            contexts: [{ name: cluster.name, context: { cluster: cluster.name, user } }],
            "current-context": cluster.name,
            preferences: {},
        });
        expect(Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64").toString()).toBe(ca);

        const { keys, strings } = walk(config);
        expect(keys.filter((k) => /token|secret|password|username|client-key|client-certificate|auth-provider/i.test(k))).toEqual([]);
        expect(strings.filter((s) => /^--(oidc-client-secret|password|username)/.test(s))).toEqual([]);
        // Outside the CA's base64 and kubelogin's subcommand, no word that names a credential.
        expect(text.replace(b64(ca), "").replace("- get-token\n", "")).not.toMatch(/secret|password|token/i);
    });

    it("passes the provider's own CA to kubelogin when cluster.oidc names one", () => {
        const file = writeStack("oidc-ca.yaml", (c) => (c.oidc.certificateAuthority = ca));
        const args: string[] = printed(["dev", "--user", "--config", file]).config.users[0].user.exec.args;
        const data = args.filter((a) => a.startsWith("--certificate-authority-data="));
        expect(data).toEqual([`--certificate-authority-data=${b64(ca)}`]);
    });

    it.each([
        ["CILogon, username from sub", "https://cilogon.org", "sub", "isMemberOf", ["org.cilogon.userinfo"]],
        ["CILogon's test instance, username from email", "https://test.cilogon.org", "email", "isMemberOf", ["org.cilogon.userinfo", "email"]],
        ["another provider, a groups claim", "https://dex.example.org", "sub", "groups", ["profile", "email", "groups"]],
        ["another provider, its own claim names", "https://idp.example.org/realms/lsst", "preferred_username", "roles", ["profile", "email", "roles"]],
    ])("asks for the scopes that release the claims: %s", (_, issuer, usernameClaim, groupsClaim, scopes) => {
        const file = writeStack(`scopes-${usernameClaim}-${groupsClaim}.yaml`, (c) => Object.assign(c.oidc, { issuer, usernameClaim, groupsClaim }));
        expect(scopesOf(printed(["dev", "--user", "--config", file]).config)).toEqual(scopes);
    });
});

describe("kubectl", () => {
    it("reads the file, and shows the CA from stdin and the plugin's arguments", () => {
        const file = path.join(dir, "dev.kubeconfig");
        const { config } = printed(["dev", "--user"]);
        fs.writeFileSync(file, yaml.dump(config));
        const view = (...args: string[]) => {
            const r = spawnSync(kubectl, ["config", "view", "--kubeconfig", file, "-o", "json", ...args], { encoding: "utf8", env: { HOME: dir } });
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
            return JSON.parse(r.stdout);
        };
        const shown = view();
        expect(shown.clusters[0].cluster).toEqual({ server: "https://k8s-dev.example.org:6443", "certificate-authority-data": "DATA+OMITTED" });
        expect(shown.users[0].user.exec).toMatchObject({ apiVersion: EXEC_API, command: "kubectl", args: config.users[0].user.exec.args, interactiveMode: "IfAvailable" });
        const raw = view("--raw", "--minify");
        expect(raw["current-context"]).toBe("lsst-dev");
        expect(raw.clusters).toEqual([{ name: "lsst-dev", cluster: { server: "https://k8s-dev.example.org:6443", "certificate-authority-data": b64(ca) } }]);
        expect(raw.users.map((u: any) => u.name)).toEqual(["lsst-dev-oidc"]);
    });

    it("runs `kubectl oidc-login get-token` with the stack's provider and sends its token to a server the CA vouches for", async () => {
        const seen: (string | undefined)[] = [];
        const server = https.createServer({ key: fs.readFileSync(path.join(dir, "server.key")), cert: fs.readFileSync(path.join(dir, "server.crt")) }, (req, res) => {
            seen.push(req.headers.authorization);
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ major: "1", minor: "36", gitVersion: "v1.36.3" }));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            const port = (server.address() as AddressInfo).port;
            const file = writeStack("local.yaml", (c) => (c.controlPlaneEndpoint = `127.0.0.1:${port}`));
            const kubeconfig = path.join(dir, "local.kubeconfig");
            fs.writeFileSync(kubeconfig, printed(["dev", "--user", "--config", file]).text);
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin, { recursive: true });
            fs.rmSync(path.join(bin, "kubectl"), { force: true });
            fs.symlinkSync(kubectl, path.join(bin, "kubectl"));
            fs.writeFileSync(path.join(bin, "kubectl-oidc_login"), STAND_IN_PLUGIN, { mode: 0o755 });
            const record = path.join(dir, "plugin.json");

            const r = await runAsync(kubectl, ["--kubeconfig", kubeconfig, "get", "--raw", "/version", "--request-timeout=20s"], {
                PATH: `${bin}:${path.dirname(process.execPath)}`, HOME: dir, STAND_IN_RECORD: record, STAND_IN_TOKEN,
            });
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
            expect(JSON.parse(r.stdout).gitVersion).toBe("v1.36.3");
            expect(seen.length).toBeGreaterThan(0);
            expect(seen.every((h) => h === `Bearer ${STAND_IN_TOKEN}`)).toBe(true);
            const cluster = stackCluster("dev");
            expect(JSON.parse(fs.readFileSync(record, "utf8"))).toEqual({
                args: ["get-token", `--oidc-issuer-url=${cluster.oidc.issuer}`, `--oidc-client-id=${cluster.oidc.clientId}`, "--oidc-extra-scope=org.cilogon.userinfo"],
                info: { kind: "ExecCredential", apiVersion: EXEC_API, spec: { interactive: false } },
            });
        } finally {
            await new Promise((resolve) => server.close(resolve));
        }
    });
});

describe("bad input", () => {
    const noOidc = () => ["dev", "--user", "--config", writeStack("no-oidc.yaml", (c) => delete c.oidc)];
    it.each<[string, () => string[], () => string, string]>([
        ["a stack without cluster.oidc", noOidc, () => outputs(), "no-oidc.yaml: cluster.oidc: not set"],
        ["stdin without the output", () => ["dev", "--user"], () => JSON.stringify({ kubeconfig: "[secret]" }), "certificateAuthority: required"],
        ["the output as \"[secret]\"", () => ["dev", "--user"], () => outputs({ certificateAuthority: "[secret]" }), 'certificateAuthority: is "[secret]"'],
        ["the output not a certificate", () => ["dev", "--user"], () => outputs({ certificateAuthority: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n" }),
            "certificateAuthority: is not a PEM certificate"],
        ["the output a private key", () => ["dev", "--user"], () => outputs({ certificateAuthority: fs.readFileSync(path.join(dir, "ca.key"), "utf8") }),
            "certificateAuthority: is not a PEM certificate"],
        ["stdin not JSON", () => ["dev", "--user"], () => "certificateAuthority: x\n", "stdin (the JSON of `pulumi stack output --json`): not JSON"],
        ["stdin a JSON list", () => ["dev", "--user"], () => "[]", "not a JSON object of stack outputs"],
        ["empty stdin", () => ["dev", "--user"], () => "", "stdin (the JSON of `pulumi stack output --json`): is empty"],
        ["an unknown stack", () => ["nope", "--user"], () => outputs(), 'Pulumi.nope.yaml: no such stack file: stack "nope" is not one of dev, prod, test'],
        ["a missing --config file", () => ["dev", "--user", "--config", path.join(dir, "absent.yaml")], () => outputs(), "absent.yaml: cannot read: ENOENT"],
    ])("%s: exit 2, one line naming it, nothing on stdout", (_, args, stdin, message) => {
        const r = tool(args(), stdin());
        expect(r.stdout).toBe("");
        expect(r.stderr.trimEnd().split("\n")).toEqual([expect.stringContaining(message)]);
        expect(r.stderr).toMatch(/^kubeconfig: /);
        expect(r.status).toBe(2);
    });

    it("lists every problem of an invalid stack file, naming each field", () => {
        const file = writeStack("bad-oidc.yaml", (c) => Object.assign(c.oidc, { issuer: "http://cilogon.org/", clientId: "two words" }));
        const r = tool(["dev", "--user", "--config", file], outputs());
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain("bad-oidc.yaml: invalid stack config (2 problems)");
        expect(r.stderr).toContain("cluster.oidc.issuer");
        expect(r.stderr).toContain("cluster.oidc.clientId");
        expect(r.status).toBe(2);
    });

    it("without --user prints the usage and where the admin kubeconfig is, and exits 2", () => {
        const r = tool(["dev"], outputs());
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain("usage: pulumi stack output --json --stack <stack> | npm run -s kubeconfig -- <stack> --user");
        expect(r.stderr).toContain("pulumi stack output kubeconfig --show-secrets");
        expect(r.status).toBe(2);
    });

    it("refuses a terminal on stdin (under script(1), which gives it one)", () => {
        const command = [process.execPath, ...TOOL, "dev", "--user"].map((a) => `'${a}'`).join(" ");
        const r = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: REPO, input: "", encoding: "utf8", timeout: 30_000 });
        expect(r.error).toBeUndefined();
        expect(r.stdout.trim().split(/\r?\n/)).toEqual([expect.stringContaining("kubeconfig: stdin is a terminal: pipe `pulumi stack output --json")]);
        expect(r.status).toBe(2);
    });
});
