/**
 * The hosts the join sandbox suites run mint-token.sh and join.sh on, shared so that every suite starts
 * from the same clusters (tests/sandbox/joins.ts's stack files), the same nodes and the same secrets.
 *
 * Importing this module registers the afterEach that cleans up the sandboxes in `live`: jest loads it
 * afresh for each test file, so each file gets its own hook.
 */
import { Bundle } from "../../components/hosts/bundle";
import { ClusterConfig, NodeConfig } from "../../config";
import { cleanedUpAfterEach, createSandbox, JOIN_TOOLS, MINT_TOOLS, RunResult, Sandbox, SandboxOptions, writeBundle } from "../sandbox";
import { CERT_KEY, joinBundle, mintBundle, nodeNamed, stackCluster, TOKEN } from "../sandbox/joins";

export const ADMIN_CONF = "etc/kubernetes/admin.conf";
export const KUBELET_CONF = "etc/kubernetes/kubelet.conf";
export const LOG_DIR = "var/log/lsst-k8s";
export const LOG = `${LOG_DIR}/kubeadm-join.log`;
/** join.sh's mark of a kubeadm join that has not finished. */
export const UNFINISHED = `${LOG_DIR}/kubeadm-join.unfinished`;
/** What the kubelet package leaves on a prepared host that never joined. */
export const PREPARED_DIRS = ["etc/kubernetes/manifests"];

export const TEST = stackCluster("test");
export const DEV = stackCluster("dev");
/** A worker of the test cluster and a second control plane of the dev cluster. */
export const WORKER = nodeNamed(TEST, "test-node001");
export const CONTROL_PLANE = nodeNamed(DEV, "dev-cp02");

/** The sandboxes to clean up after each test: the hosts below, and any a test creates itself. */
export const live = cleanedUpAfterEach();

export function expectNoSecrets(r: RunResult, secrets: readonly string[] = [TOKEN, CERT_KEY]): void {
    for (const out of [r.stdout, r.stderr, r.calls.join("\n")]) {
        for (const s of secrets) {
            expect(out).not.toContain(s);
        }
        // The token's secret half alone.
        expect(out).not.toContain(TOKEN.split(".")[1]);
    }
}

interface MintSetup {
    /** What `kubeadm token create` prints (the token by default). */
    readonly tokenOutput?: string;
    readonly noAdminConf?: boolean;
    readonly uploadFails?: boolean;
    readonly tokenFails?: boolean;
    readonly bundle?: Bundle;
}

/** The first control plane, initialised: admin.conf in place, the kubeadm stand-in, the mint bundle. */
export function mintHost(cluster: ClusterConfig, node: NodeConfig, setup: MintSetup = {}): Sandbox {
    const sb = createSandbox({
        standIns: ["kubeadm"],
        tools: MINT_TOOLS,
        files: setup.noAdminConf ? {} : { [ADMIN_CONF]: { content: "apiVersion: v1\nkind: Config\n# admin\n", mode: "0600" } },
    });
    live.push(sb);
    writeBundle(setup.bundle ?? mintBundle(cluster, node), sb.workDir);
    sb.writeState("kubeadm/token", setup.tokenOutput ?? `${TOKEN}\n`);
    if (setup.uploadFails) {
        sb.writeState("kubeadm-upload-certs-fail", "yes\n");
    }
    if (setup.tokenFails) {
        sb.writeState("kubeadm-token-fail", "yes\n");
    }
    return sb;
}

interface JoinSetup {
    /** kubeadm join fails: before creating anything (true), or after the kubelet's TLS bootstrap wrote kubelet.conf. */
    readonly joinFails?: boolean | "after-tls-bootstrap";
    readonly bundle?: Bundle;
    readonly host?: SandboxOptions;
}

/** A prepared host about to join: the id and kubeadm stand-ins, the join tools, the join bundle unpacked. */
export function joinHost(cluster: ClusterConfig, node: NodeConfig, setup: JoinSetup = {}): Sandbox {
    const sb = createSandbox({ standIns: ["id", "kubeadm"], tools: JOIN_TOOLS, dirs: PREPARED_DIRS, ...setup.host });
    live.push(sb);
    writeBundle(setup.bundle ?? joinBundle(cluster, node), sb.workDir);
    if (setup.joinFails) {
        sb.writeState("kubeadm-join-fail", setup.joinFails === true ? "yes\n" : `${setup.joinFails}\n`);
    }
    return sb;
}
