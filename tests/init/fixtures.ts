/**
 * The first control plane the init sandbox suites run init.sh on (tests/init.sandbox.test.ts and
 * tests/init/): the test cluster of Pulumi.test.yaml, its rendered InitConfiguration with known secrets,
 * a real cluster CA made once with openssl and the admin.conf the kubeadm stand-in "creates".
 *
 * Importing this module registers the afterEach that cleans up the sandboxes in `live`: jest loads it
 * afresh for each test file, so each file gets its own hook.
 */
import { spawnSync } from "child_process";
import { createHash, X509Certificate } from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { ClusterConfig, NodeConfig, validateConfig } from "../../config";
import { Bundle, script } from "../../components/hosts/bundle";
import { controlPlaneFiles } from "../../components/hosts/controlPlaneFiles";
import { initConfiguration, renderDocuments } from "../../components/hosts/kubeadm";
import { cleanedUpAfterEach, createSandbox, INIT_TOOLS, LEAKS, RunResult, Sandbox, SandboxOptions, writeBundle } from "../sandbox";

const REPO = path.join(__dirname, "..", "..");
const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----";
export const TOKEN = "abcdef.0123456789abcdef";
export const CERT_KEY = "5e0c9a7b3d214f68a9c2e71b04d8f35a6b9e2c0d7f1a4538e6b2d90c1f7a3e84";

export const LOG = "var/log/lsst-k8s/kubeadm-init.log";
export const ADMIN_CONF = "etc/kubernetes/admin.conf";
export const CA_CRT = "etc/kubernetes/pki/ca.crt";
/** init.sh's mark of a finished init. */
export const MARKER = "var/lib/lsst-k8s/init.done";

// ---- the cluster, its CA and the bundle ------------------------------------------------------------

export function testCluster(): ClusterConfig {
    const doc = yaml.load(fs.readFileSync(path.join(REPO, "Pulumi.test.yaml"), "utf8")) as { config: Record<string, unknown> };
    const { config, problems } = validateConfig({
        "lsst-k8s:cluster": JSON.stringify(doc.config["lsst-k8s:cluster"]),
        "lsst-k8s:sshPrivateKey": SSH_KEY,
    });
    if (!config) {
        throw new Error(`the test cluster is invalid:\n${problems.join("\n")}`);
    }
    return config;
}

export function firstControlPlane(cluster: ClusterConfig): NodeConfig {
    const n = cluster.nodes.find((x) => x.role === "control-plane");
    if (!n) {
        throw new Error("the test cluster has no control plane");
    }
    return n;
}

/** The cluster's key for Secrets at rest, as init gets it (32 bytes in base64). */
export const ENCRYPTION_KEY = Buffer.alloc(32, 9).toString("base64");

/** The bundle ControlPlane.ts sends: init.sh, lib.sh, the rendered kubeadm.yaml and the API server's files, with their modes. */
export function initBundle(cluster = testCluster()): Bundle {
    return {
        entry: "init.sh",
        files: {
            "init.sh": { content: script("init.sh"), mode: "0755" },
            "lib.sh": { content: script("lib.sh"), mode: "0644" },
            "kubeadm.yaml": {
                content: renderDocuments(initConfiguration(cluster, firstControlPlane(cluster), { token: TOKEN, certificateKey: CERT_KEY })),
                mode: "0600",
            },
            ...controlPlaneFiles(cluster, ENCRYPTION_KEY),
        },
    };
}

/** A real CA made with openssl, as kubeadm makes it (RSA 2048, self-signed, CN kubernetes). */
function makeCa(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lsst-k8s-ca-"));
    try {
        const r = spawnSync("openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "ca.key"), "-out", path.join(dir, "ca.crt"),
            "-days", "3650", "-subj", "/CN=kubernetes",
        ], { encoding: "utf8" });
        if (r.error || r.status !== 0) {
            throw new Error(`openssl could not make the test CA: ${r.error?.message ?? r.stderr}`);
        }
        return fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export const CA_PEM = makeCa();
/** The discovery hash computed here: SHA-256 of the CA's DER SubjectPublicKeyInfo. */
export const CA_HASH = `sha256:${createHash("sha256").update(new X509Certificate(CA_PEM).publicKey.export({ type: "spki", format: "der" })).digest("hex")}`;
export const KUBECONFIG = [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    `    certificate-authority-data: ${Buffer.from(CA_PEM).toString("base64")}`,
    "    server: https://203.0.113.11:6443",
    "  name: lsst-test",
    "contexts:",
    "- context:",
    "    cluster: lsst-test",
    "    user: kubernetes-admin",
    "  name: kubernetes-admin@lsst-test",
    "current-context: kubernetes-admin@lsst-test",
    "kind: Config",
    "preferences: {}",
    "users:",
    "- name: kubernetes-admin",
    "  user:",
    `    client-certificate-data: ${Buffer.from("sandbox client certificate\n").toString("base64")}`,
    `    client-key-data: ${Buffer.from("sandbox client key\n").toString("base64")}`,
    "",
].join("\n");

/** The one line init.sh must print for this CA and admin.conf. */
export function readbackLine(kubeconfig = KUBECONFIG, hash = CA_HASH): string {
    return `{"caCertHash": "${hash}", "kubeconfig": "${Buffer.from(kubeconfig, "utf8").toString("base64")}"}\n`;
}

// ---- running it ----------------------------------------------------------------------------------------

export const live = cleanedUpAfterEach();

export interface Setup {
    /** kubeadm init fails after printing the token and the key. */
    readonly kubeadmFails?: boolean;
    /** kubeadm init fails in the phase after this one ("PHASE"), or is killed after it ("PHASE killed"). */
    readonly initFailsAfter?: string;
    /** `kubeadm init phase NAME` fails for this NAME. */
    readonly phaseFails?: string;
    /** The API server never answers. */
    readonly apiDown?: boolean;
    /** A bundle other than initBundle(). */
    readonly bundle?: Bundle;
    readonly host?: SandboxOptions;
}

/** A host prepared for init: the id and kubeadm stand-ins, the init tools, the bundle unpacked. */
export function initHost(setup: Setup = {}): Sandbox {
    const sb = createSandbox({ standIns: ["id", "kubeadm"], tools: INIT_TOOLS, ...setup.host });
    live.push(sb);
    writeBundle(setup.bundle ?? initBundle(), sb.workDir);
    sb.writeState("kubeadm/ca.crt", CA_PEM);
    sb.writeState("kubeadm/admin.conf", KUBECONFIG);
    if (setup.kubeadmFails) {
        sb.writeState("kubeadm-fail", "yes\n");
    }
    if (setup.initFailsAfter) {
        sb.writeState("kubeadm-init-fail-after", `${setup.initFailsAfter}\n`);
    }
    if (setup.phaseFails) {
        sb.writeState("kubeadm-phase-fail", `${setup.phaseFails}\n`);
    }
    if (setup.apiDown) {
        sb.writeState("kubeadm-api-down", "yes\n");
    }
    return sb;
}

export function lines(text: string): string[] {
    return text.split("\n").filter((l) => l !== "");
}

/** The step failed with exit 1 and MESSAGE, through die, and printed no readback. */
export function expectDied(r: RunResult, step: string, message: string): void {
    expect(r.stderr).not.toMatch(LEAKS);
    expect(r.stderr).toContain(`init.sh: step '${step}' failed: ${message}`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
}

export function expectNoSecrets(r: RunResult): void {
    for (const out of [r.stdout, r.stderr]) {
        expect(out).not.toContain(TOKEN);
        expect(out).not.toContain(TOKEN.split(".")[1]);
        expect(out).not.toContain(CERT_KEY);
    }
}

export function kubeadmCalls(r: RunResult): string[] {
    return r.calls.filter((c) => c === "kubeadm" || c.startsWith("kubeadm "));
}

// ---- resuming an init --------------------------------------------------------------------------------

/** kubeadm v1.35-1.37's init phases in order, as the stand-in runs and records them. */
export const INIT_PHASES = [
    "preflight", "certs", "kubeconfig", "etcd", "control-plane", "kubelet-start", "wait-control-plane", "upload-config",
    "upload-certs", "mark-control-plane", "bootstrap-token", "kubelet-finalize", "addon/coredns", "addon/kube-proxy", "show-join-command",
];
/** The phases init.sh runs again after wait-control-plane when it resumes, in order. */
export const RESUMABLE = ["upload-config", "upload-certs", "mark-control-plane", "bootstrap-token", "kubelet-finalize", "addon/coredns", "addon/kube-proxy"];

export const WAIT_CALL = "kubeadm init phase wait-control-plane";

/** The `kubeadm init phase` call init.sh makes for a RESUMABLE phase, argv joined by spaces. */
export function phaseCall(sb: Sandbox, phase: string): string {
    const config = `--config ${sb.workDir}/kubeadm.yaml`;
    const kubeconfig = `--kubeconfig ${sb.rootPath(ADMIN_CONF)}`;
    const calls: Record<string, string> = {
        "upload-config": `upload-config all ${config} ${kubeconfig}`,
        "upload-certs": `upload-certs --upload-certs ${config} ${kubeconfig}`,
        "mark-control-plane": `mark-control-plane ${config}`,
        "bootstrap-token": `bootstrap-token ${config} ${kubeconfig} --skip-token-print`,
        "kubelet-finalize": `kubelet-finalize all ${config}`,
        "addon/coredns": `addon coredns ${config} ${kubeconfig}`,
        "addon/kube-proxy": `addon kube-proxy ${config} ${kubeconfig}`,
    };
    if (!(phase in calls)) {
        throw new Error(`init.sh never runs phase ${phase} on its own`);
    }
    return `kubeadm init phase ${calls[phase]}`;
}

/** The phase after PHASE in kubeadm's order. */
export function phaseAfter(phase: string): string {
    return INIT_PHASES[INIT_PHASES.indexOf(phase) + 1];
}

/** What the stand-in recorded as done, in order: every phase but upload-certs ... */
export function phasesRan(sb: Sandbox): string[] {
    return lines(sb.readState("kubeadm/phases") ?? "");
}

/** ... which is recorded where its Secret goes, whether kubeadm init or the phase alone ran it. */
export function certUploads(sb: Sandbox): string[] {
    return lines(sb.readState("kubeadm/uploads") ?? "");
}

/** Removes a failure flag of the stand-ins, as the cause going away between two runs. */
export function clearState(sb: Sandbox, name: string): void {
    fs.rmSync(path.join(sb.stateDir, name));
}

/**
 * The host's tree with identity (inode, mtime), but /run: runtime state, emptied at every boot, not what
 * a run leaves on the host.
 */
export function hostTree(sb: Sandbox): Map<string, string> {
    return new Map([...sb.snapshot({ identity: true })].filter(([p]) => p !== "run" && !p.startsWith("run/")));
}

/** Nothing secret in what the run printed or in any command line it ran. */
export function expectNothingSecret(r: RunResult): void {
    expectNoSecrets(r);
    for (const c of r.calls) {
        expect(c).not.toContain(TOKEN.split(".")[1]);
        expect(c).not.toContain(CERT_KEY);
    }
}
