/**
 * components/hosts/scripts/init.sh run for real under bash in the sandbox (tests/sandbox.ts), with a kubeadm
 * stand-in that reads the bundle's real kubeadm.yaml, prints what kubeadm prints (the bootstrap token
 * and the certificate key included) and "creates" admin.conf and a real cluster CA made with openssl.
 * The readback line is checked against a hash computed here with Node's crypto, not with openssl. The host,
 * the CA and the bundle are in tests/init/fixtures.ts; the resumption of an init that stopped partway is
 * in tests/init/.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { SCRIPTS_DIR } from "../components/hosts/bundle";
import { parseReadback } from "../components/hosts/ControlPlane";
import { apiServerFileChanges, apiServerFiles, expectSuccess, INIT_TOOLS, LEAKS, RunResult, Sandbox } from "./sandbox";
import {
    ADMIN_CONF, CA_CRT, CA_HASH, CA_PEM, CERT_KEY, expectDied, expectNoSecrets, initBundle, initHost, kubeadmCalls, KUBECONFIG, lines,
    LOG, readbackLine, TOKEN,
} from "./init/fixtures";

// ---- the tests -------------------------------------------------------------------------------------------

describe("init.sh on the first control plane", () => {
    test("the bundle's kubeadm.yaml is the rendered configuration with the test secrets", () => {
        const docs = yaml.loadAll(initBundle().files["kubeadm.yaml"].content) as Record<string, any>[];
        expect(docs.map((d) => d.kind)).toEqual(["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"]);
        expect(docs[0].bootstrapTokens[0].token).toBe(TOKEN);
        expect(docs[0].certificateKey).toBe(CERT_KEY);
        expect(docs[0].localAPIEndpoint.advertiseAddress).toBe("203.0.113.11");
    });

    test("runs kubeadm init once and prints only the readback line, the secrets kept in a root-only log", () => {
        const sb = initHost();
        const r = sb.run("init.sh");
        expectSuccess(r);

        // kubeadm init, once, on the bundle's configuration; nothing else but the root check.
        expect(kubeadmCalls(r)).toEqual([`kubeadm init --config ${sb.workDir}/kubeadm.yaml --upload-certs`]);
        expect(r.calls).toEqual(["id -u", `kubeadm init --config ${sb.workDir}/kubeadm.yaml --upload-certs`]);
        // The secrets travel in the file, never in a command line.
        expect(r.calls.join("\n")).not.toContain(TOKEN);
        expect(r.calls.join("\n")).not.toContain(CERT_KEY);

        // stdout: exactly one line of JSON, the hash of the real CA and admin.conf as it is on the host.
        expect(r.stdout.endsWith("\n")).toBe(true);
        expect(r.stdout.split("\n")).toHaveLength(2);
        const out = JSON.parse(r.stdout) as Record<string, string>;
        expect(Object.keys(out)).toEqual(["caCertHash", "kubeconfig"]);
        expect(out.caCertHash).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(out.caCertHash).toBe(CA_HASH);
        expect(Buffer.from(out.kubeconfig, "base64").toString("utf8")).toBe(sb.readRoot(ADMIN_CONF));
        expect(sb.readRoot(ADMIN_CONF)).toBe(KUBECONFIG);
        expect(r.stdout).toBe(readbackLine());
        // ...and the program's own parser reads it.
        expect(parseReadback(r.stdout)).toEqual({ caCertHash: CA_HASH, kubeconfig: Buffer.from(KUBECONFIG).toString("base64") });

        // stderr: the steps and the change, nothing of kubeadm's output.
        const files = apiServerFiles(initBundle());
        expect(lines(r.stderr)).toEqual([
            "init.sh: step init",
            ...apiServerFileChanges("init.sh", initBundle()),
            "init.sh:   changed: kubeadm init",
            "init.sh: step readback",
            `init.sh: done: ${files.length + 3} change(s)`,
        ]);
        expectNoSecrets(r);
        // The API server's own files, there before kubeadm starts it: as rendered, root-only.
        expect(files).toEqual(expect.arrayContaining(["audit-policy.yaml", "encryption.yaml"]));
        for (const f of files) {
            expect(sb.readRoot(`etc/kubernetes/lsst-k8s/${f}`)).toBe(initBundle().files[f].content);
            expect(sb.modeOf(`etc/kubernetes/lsst-k8s/${f}`)).toBe("0600");
        }
        expect(sb.modeOf("etc/kubernetes/lsst-k8s")).toBe("0700");
        expect(sb.modeOf("var/log/kubernetes/audit")).toBe("0700");

        // kubeadm's output, join commands with the token and key included, went to the log: 0600 in 0700.
        const log = sb.readRoot(LOG);
        expect(log).toContain("Your Kubernetes control-plane has initialized successfully!");
        expect(log).toContain(`kubeadm join 203.0.113.11:6443 --token ${TOKEN} \\`);
        expect(log).toContain(`--control-plane --certificate-key ${CERT_KEY}`);
        expect(sb.modeOf(LOG)).toBe("0600");
        expect(sb.modeOf("var/log/lsst-k8s")).toBe("0700");

        expect(sb.readRoot(CA_CRT)).toBe(CA_PEM);
        expect(sb.modeOf(ADMIN_CONF)).toBe("0600");
    });

    test("GUARD: a second run never calls kubeadm, prints the same line, changes nothing", () => {
        const sb = initHost();
        const first = sb.run("init.sh");
        expectSuccess(first);
        const tree = sb.snapshot({ identity: true });
        const state = sb.stateSnapshot();

        const again = sb.run("init.sh");
        expectSuccess(again);
        expect(kubeadmCalls(again)).toEqual([]);
        expect(again.calls).toEqual(["id -u"]);
        expect(again.stdout).toBe(first.stdout);
        expect(again.stdout).toBe(readbackLine());
        expect(lines(again.stderr)).toEqual([
            "init.sh: step init",
            "init.sh:   /etc/kubernetes/admin.conf exists: the cluster is already initialised here",
            "init.sh: step readback",
            "init.sh: done: 0 change(s)",
        ]);
        expectNoSecrets(again);
        // Contents, modes and the files themselves (inode, mtime): the log is not even truncated.
        expect(sb.snapshot({ identity: true })).toEqual(tree);
        expect(sb.stateSnapshot()).toEqual(state);
    });

    test("GUARD: a control plane initialised before (no log of ours) is read back, kubeadm never called", () => {
        // Another admin.conf than the stand-in's, and a kubeadm that would fail: the line can only come
        // from what is on the host.
        const other = "apiVersion: v1\nkind: Config\n# an older cluster\n";
        const sb = initHost({
            host: { files: { [ADMIN_CONF]: { content: other, mode: "0600" }, [CA_CRT]: CA_PEM } },
            kubeadmFails: true,
        });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("init.sh");
        expectSuccess(r);
        expect(kubeadmCalls(r)).toEqual([]);
        expect(r.stdout).toBe(readbackLine(other));
        expect(r.stderr).toContain("init.sh: done: 0 change(s)");
        expect(sb.existsRoot("var/log/lsst-k8s")).toBe(false);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("a failing kubeadm: step 'init' fails, the end of the log shown with the secrets masked, no readback", () => {
        const sb = initHost({ kubeadmFails: true });
        const r = sb.run("init.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(kubeadmCalls(r)).toEqual([`kubeadm init --config ${sb.workDir}/kubeadm.yaml --upload-certs`]);

        // The log holds everything kubeadm said, secrets included, and stays root-only.
        const log = sb.readRoot(LOG);
        expect(log).toContain(`[bootstrap-token] Using token: ${TOKEN}`);
        expect(log).toContain(`${CERT_KEY}\n`);
        expect(sb.modeOf(LOG)).toBe("0600");
        expect(sb.modeOf("var/log/lsst-k8s")).toBe("0700");

        // stderr: the step, the last 20 lines of the log with both secrets masked, then the failure.
        const tail = lines(log).slice(-20).map((l) => l.replaceAll(TOKEN, "<token>").replaceAll(CERT_KEY, "<certificate-key>"));
        expect(lines(log).length).toBeGreaterThan(20);
        expect(lines(r.stderr)).toEqual([
            "init.sh: step init",
            ...apiServerFileChanges("init.sh", initBundle()),
            ...tail,
            `init.sh: step 'init' failed: kubeadm init failed; the whole log is ${sb.root}/${LOG} on this host`,
        ]);
        expect(r.stderr).toContain("[bootstrap-token] Using token: <token>\n");
        expect(r.stderr).toContain("error execution phase addon/kube-proxy: unable to create the kube-proxy DaemonSet (bootstrap token <token>)");
        expect(r.stderr).toContain("[upload-certs] Using certificate key:\n<certificate-key>\n");
        expectNoSecrets(r);
        // Only the end of the log: its first line is not shown.
        expect(r.stderr).not.toContain("[init] Using Kubernetes version");

        expect(r.stderr).not.toContain("step readback");
        expect(sb.existsRoot(ADMIN_CONF)).toBe(false);
    });

    test("after a failed init, a retry runs kubeadm again and the log holds only the new run", () => {
        const sb = initHost({ kubeadmFails: true });
        expect(sb.run("init.sh").status).toBe(1);
        fs.rmSync(path.join(sb.stateDir, "kubeadm-fail"));
        const r = sb.run("init.sh");
        expectSuccess(r);
        expect(kubeadmCalls(r)).toHaveLength(1);
        expect(r.stdout).toBe(readbackLine());
        const log = sb.readRoot(LOG);
        expect(log).not.toContain("error execution phase");
        expect(log.match(/\[init\] Using Kubernetes version/g)).toHaveLength(1);
        expect(sb.modeOf(LOG)).toBe("0600");
    });

    test("a bundle without kubeadm.yaml fails step 'init' naming it, before anything is done", () => {
        const { "kubeadm.yaml": _omitted, ...files } = initBundle().files;
        void _omitted;
        const sb = initHost({ bundle: { entry: "init.sh", files } });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("init.sh");
        expectDied(r, "init", "the bundle has no kubeadm.yaml");
        expect(kubeadmCalls(r)).toEqual([]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("admin.conf without the cluster CA fails step 'readback', kubeadm never called", () => {
        const sb = initHost({ host: { files: { [ADMIN_CONF]: { content: KUBECONFIG, mode: "0600" } } } });
        const r = sb.run("init.sh");
        expectDied(r, "readback", "admin.conf or the cluster CA is missing after init");
        expect(kubeadmCalls(r)).toEqual([]);
        expect(r.stderr).not.toContain(Buffer.from(KUBECONFIG).toString("base64"));
    });

    test("a CA openssl cannot read fails step 'readback' and prints no readback", () => {
        const sb = initHost({ host: { files: { [ADMIN_CONF]: { content: KUBECONFIG, mode: "0600" }, [CA_CRT]: "not a certificate\n" } } });
        const r = sb.run("init.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/init\.sh: step 'readback' failed/);
        expect(r.stdout).toBe("");
    });

    test("refuses to run when not root, before kubeadm", () => {
        const sb = initHost({ host: { state: { uid: 1000 } } });
        const r = sb.run("init.sh");
        expectDied(r, "init", "must run as root");
        expect(kubeadmCalls(r)).toEqual([]);
        expect(sb.existsRoot("var")).toBe(false);
    });
});

describe("the kubeadm stand-in", () => {
    function kubeadm(sb: Sandbox, args: string): RunResult {
        fs.writeFileSync(path.join(sb.workDir, "call.sh"), `kubeadm ${args}\necho "rc=$?"\n`);
        return sb.run("call.sh");
    }

    test("refuses what it does not know and a configuration that is not there", () => {
        const sb = initHost();
        const cfg = `${sb.workDir}/kubeadm.yaml`;
        expect(kubeadm(sb, `init --config ${cfg}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "join 203.0.113.11:6443").stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `init --config ${cfg} --upload-certs --skip-phases=addon`).stdout).toBe("rc=2\n");
        const missing = kubeadm(sb, `init --config ${sb.workDir}/nope.yaml --upload-certs`);
        expect(missing.stdout).toBe("rc=1\n");
        expect(missing.stderr).toContain("failed to load config file");
        expect(sb.existsRoot(ADMIN_CONF)).toBe(false);
    });

    test("a second init on an initialised host fails preflight", () => {
        const sb = initHost();
        const cfg = `${sb.workDir}/kubeadm.yaml`;
        expect(kubeadm(sb, `init --config ${cfg} --upload-certs`).stdout).toContain("rc=0");
        const again = kubeadm(sb, `init --config ${cfg} --upload-certs`);
        expect(again.stdout).toContain("rc=1");
        expect(again.stderr).toContain("[ERROR FileAvailable--etc-kubernetes-admin.conf]");
    });
});

describe("static checks on init.sh", () => {
    test("every tool on the init sandbox PATH is one init.sh or lib.sh uses", () => {
        const code = ["init.sh", "lib.sh"]
            .map((f) => fs.readFileSync(path.join(SCRIPTS_DIR, f), "utf8"))
            .join("\n")
            .split("\n")
            .filter((l) => !/^\s*#/.test(l))
            .join("\n");
        const unused = INIT_TOOLS.filter((t) => t !== "bash" && !new RegExp(String.raw`(^|[\s|;&(!{])${t}(?=[\s)]|$)`, "m").test(code));
        expect(unused).toEqual([]);
    });

    test("the init sandbox PATH holds the init tools and the two stand-ins, nothing else", () => {
        const sb = initHost();
        expect(fs.readdirSync(sb.binDir).sort()).toEqual([...INIT_TOOLS, "id", "kubeadm"].sort());
    });
});
