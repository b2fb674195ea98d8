/**
 * A real control plane on 127.0.0.1, from the binaries tools/upstream/build.sh makes: etcd, the API
 * server (RBAC, Pod Security admission, a static admin token), the controller-manager, the scheduler,
 * and kwok, which makes the stack's hosts fake nodes and runs their pods' lifecycle, so workloads
 * become ready without a kubelet. Everything lives in the Processes' directory and stops with it.
 */
import { execFileSync } from "child_process";
import { generateKeyPairSync, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ApiServer, request } from "./api";
import { freePort, Processes, until } from "./processes";

export const TOOLS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kubeadm", "kwok"] as const;
export type Tool = (typeof TOOLS)[number];

const REPO = path.resolve(__dirname, "..", "..");

function cacheDir(): string {
    return process.env.LSST_K8S_CACHE ?? path.join(process.env.HOME ?? "/root", ".cache", "lsst-k8s");
}

/** A version pinned in tools/upstream/versions.env. */
function pinned(key: string): string {
    const m = new RegExp(`^${key}=(\\S+)$`, "m").exec(fs.readFileSync(path.join(REPO, "tools/upstream/versions.env"), "utf8"));
    if (!m) {
        throw new Error(`tools/upstream/versions.env pins no ${key}`);
    }
    return m[1];
}

/**
 * kwok's own stage definitions (nodes become Ready and keep their lease; pods become Ready, Job pods
 * complete, deleted pods go), read from the kwok module build.sh downloaded, so none is kept here.
 */
function kwokStages(): string[] {
    const root = path.join(cacheDir(), "go", "mod", "sigs.k8s.io", `kwok@${pinned("KWOK_VERSION")}`, "kustomize", "stage");
    const files = ["node/fast", "node/heartbeat-with-lease", "pod/fast"].flatMap((d) => {
        const dir = path.join(root, d);
        if (!fs.existsSync(dir)) {
            throw new Error(`kwok's stages are not in the Go module cache (${dir}): run tools/upstream/build.sh kwok again after removing its binary`);
        }
        return fs.readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").map((f) => path.join(dir, f));
    });
    return files;
}

/** A tool could not be built; build.sh has said why on stderr. */
export class BuildError extends Error {}

/** Builds what is missing (tools/upstream/build.sh) and returns each tool's path. */
export function upstreamTools(): Record<Tool, string> {
    const paths = builtPaths(TOOLS);
    return Object.fromEntries(TOOLS.map((t, i) => [t, paths[i]])) as Record<Tool, string>;
}

/** The paths of NAMES, built by tools/upstream/build.sh first where missing. */
export function builtPaths(names: readonly string[]): string[] {
    let out: string;
    try {
        out = execFileSync(path.join(REPO, "tools/upstream/build.sh"), ["--print-path", ...names], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    } catch {
        throw new BuildError("the upstream tools could not be built: build.sh's line above says which and why");
    }
    const paths = out.trim().split("\n");
    if (paths.length !== names.length) {
        throw new Error(`tools/upstream/build.sh --print-path printed ${paths.length} paths for ${names.length} tools`);
    }
    return paths;
}

export interface FakeNode {
    readonly name: string;
    readonly role: "control-plane" | "worker";
}

export interface ControlPlaneOptions {
    /** The Service network; the stack's own, so its fixed ClusterIPs are valid. */
    readonly serviceCidr: string;
    /** The hosts, which kwok registers as nodes (kubeadm's role label and taint on control planes). */
    readonly nodes: readonly FakeNode[];
    /** More API server flags: the program's own files (apiServerFiles.ts); default none. */
    readonly apiServerFlags?: readonly string[];
}

/** The tier's control plane: its API server, and etcd's client URL, for reading what the API server stored. */
export interface TierControlPlane extends ApiServer {
    /** http://127.0.0.1:PORT */
    readonly etcd: string;
}

/** What the API server alone needs: the Service network (default 10.96.0.0/12) and more flags (default none). */
export interface ApiServerOptions {
    readonly serviceCidr?: string;
    readonly apiServerFlags?: readonly string[];
}

/**
 * etcd and the API server alone (RBAC and Node authorization, Pod Security admission, a static admin
 * token, a service-account signer), in a subdirectory NAME of PROCS' directory, ready when it returns:
 * for the suites that need only the API server's own judgement (admission policies, validation).
 */
export async function startApiServer(procs: Processes, bins: { etcd: string; "kube-apiserver": string }, name: string,
    opts: ApiServerOptions = {}): Promise<TierControlPlane & { readonly dir: string; readonly crt: string }> {
    const dir = path.join(procs.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    const [etcdClient, etcdPeer, secure] = await Promise.all(Array.from({ length: 3 }, freePort));
    const token = randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},lsst-k8s-e2e-admin,e2e-admin,"system:masters"\n`, { mode: 0o600 });
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));

    // etcd reads ETCD_* variables as flags: it gets none of ours.
    procs.start(`${name}-etcd`, bins.etcd, [
        "--data-dir", path.join(dir, "etcd"), "--name", "e2e",
        "--listen-client-urls", `http://127.0.0.1:${etcdClient}`, "--advertise-client-urls", `http://127.0.0.1:${etcdClient}`,
        "--listen-peer-urls", `http://127.0.0.1:${etcdPeer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${etcdPeer}`,
        "--initial-cluster", `e2e=http://127.0.0.1:${etcdPeer}`, "--log-level", "warn",
    ], { env: { PATH: process.env.PATH } });
    const certDir = path.join(dir, "certs");
    procs.start(`${name}-kube-apiserver`, bins["kube-apiserver"], [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${secure}`, `--cert-dir=${certDir}`,
        `--token-auth-file=${path.join(dir, "tokens.csv")}`, "--authorization-mode=Node,RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${path.join(dir, "sa.pub")}`, `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
        `--service-cluster-ip-range=${opts.serviceCidr ?? "10.96.0.0/12"}`, "--allow-privileged=true", "--enable-admission-plugins=NodeRestriction",
        "--profiling=false", ...(opts.apiServerFlags ?? []),
    ]);
    const crt = path.join(certDir, "apiserver.crt");
    await until("the API server's serving certificate", 60_000, () => fs.existsSync(crt), () => procs.checkAlive());
    const ca = fs.readFileSync(crt, "utf8");
    const url = `https://127.0.0.1:${secure}`;
    const kubeconfig = path.join(dir, "admin.conf");
    fs.writeFileSync(kubeconfig, yaml.dump({
        apiVersion: "v1", kind: "Config", "current-context": "e2e",
        clusters: [{ name: "e2e", cluster: { server: url, "certificate-authority": crt } }],
        users: [{ name: "admin", user: { token } }],
        contexts: [{ name: "e2e", context: { cluster: "e2e", user: "admin" } }],
    }), { mode: 0o600 });
    const api = { url, ca, token, kubeconfig, etcd: `http://127.0.0.1:${etcdClient}`, dir, crt };
    await until("the API server to be ready", 90_000, async () => {
        try {
            return (await request(api, "GET", "/readyz")).status === 200;
        } catch {
            return false;
        }
    }, () => procs.checkAlive());
    return api;
}

/** Starts the control plane in a subdirectory NAME of PROCS' directory and waits until it is ready. */
export async function startControlPlane(procs: Processes, tools: Record<Tool, string>, name: string, opts: ControlPlaneOptions): Promise<TierControlPlane> {
    const { dir, crt, ...api } = await startApiServer(procs, tools, name, opts);
    const { kubeconfig } = api;
    const [kcmPort, schedPort, kwokPort] = await Promise.all(Array.from({ length: 3 }, freePort));

    procs.start(`${name}-kube-controller-manager`, tools["kube-controller-manager"], [
        `--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--bind-address=127.0.0.1", `--secure-port=${kcmPort}`,
        `--service-account-private-key-file=${path.join(dir, "sa.key")}`, `--root-ca-file=${crt}`,
        "--use-service-account-credentials=true", `--service-cluster-ip-range=${opts.serviceCidr}`,
        // The claim binder syncs every 15 s by default; the tier waits on it.
        "--pvclaimbinder-sync-period=1s",
    ]);
    procs.start(`${name}-kube-scheduler`, tools["kube-scheduler"], [
        `--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--bind-address=127.0.0.1", `--secure-port=${schedPort}`,
    ]);
    procs.start(`${name}-kwok`, tools.kwok, [
        `--kubeconfig=${kubeconfig}`, ...kwokStages().map((f) => `--config=${f}`),
        "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--server-address", `127.0.0.1:${kwokPort}`, "--cidr", "10.244.0.0/16", "--node-ip", "127.0.0.1",
    ]);
    for (const node of opts.nodes) {
        const r = await request(api, "POST", "/api/v1/nodes", fakeNode(node));
        if (r.status !== 201) {
            throw new Error(`registering fake node ${node.name}: ${String(r.body.message ?? r.status)}`);
        }
    }
    await until("every fake node to be Ready (kwok)", 60_000, async () => {
        const r = await request(api, "GET", "/api/v1/nodes");
        const items = (r.body.items ?? []) as { status?: { conditions?: { type: string; status: string }[] } }[];
        return items.length === opts.nodes.length &&
            items.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    }, () => procs.checkAlive());
    // The namespaces' default ServiceAccounts, which the program patches, come from the controller-manager.
    await until("the default ServiceAccount", 60_000, async () => (await request(api, "GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
        () => procs.checkAlive());
    return api;
}

/** A node as kubeadm leaves it (role label, the control plane's taint), managed by kwok. */
function fakeNode(node: FakeNode): Record<string, unknown> {
    const controlPlane = node.role === "control-plane";
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name: node.name,
            annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
            labels: {
                "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok",
                ...(controlPlane ? { "node-role.kubernetes.io/control-plane": "" } : {}),
            },
        },
        spec: controlPlane ? { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] } : {},
    };
}
