/**
 * reset.sh resets only the host its bundle was meant for: a delete runs with the inputs stored in the
 * Pulumi state, so the address it dials may since be another node's, or another cluster's. Run for real
 * in the sandbox against kubelet.conf as kubeadm init writes it (the first control plane) and as the
 * kubelet writes it after a join's TLS bootstrap (tests/sandbox/kubeconfigs.ts, and the join stand-in).
 * A refusal exits 3, names what the bundle expected and what the host says, and changes nothing.
 */
import { Bundle } from "../../components/hosts/bundle";
import { createSandbox, expectSuccess, JOIN_TOOLS, LEAKS, RESET_TOOLS, RootEntry, Sandbox, writeBundle } from "../sandbox";
import { CA_HASH, caHex, firstControlPlane, joinBundle, lines, nodeNamed, ownLines, resetBundle } from "../sandbox/joins";
import { adminConf, CURRENT_PEM, initKubeletConf, joinedKubeletConf, KUBELET_CONF, otherClusterCa } from "../sandbox/kubeconfigs";
import { addWeave, ADMIN_CONF, CONTROL_PLANE, DEV, listNodes, live, lookUp, PREPARED, TEST, WORKER } from "./fixtures";

const STAND_INS = ["id", "ip", "kubeadm", "kubectl"];
const TOOLS = [...new Set([...JOIN_TOOLS, ...RESET_TOOLS])];
const UNTOUCHED = "nothing was reset. If this host must leave the cluster all the same, run 'kubeadm reset --force' on it by hand";

/** A prepared host with BUNDLE unpacked (default: the worker's reset bundle) and Weave's leftovers. */
function host(files: Record<string, RootEntry>, bundle: Bundle = resetBundle(TEST, WORKER), hostname?: string): Sandbox {
    const sb = createSandbox({
        standIns: STAND_INS, tools: TOOLS, ...PREPARED,
        files: { ...PREPARED.files, ...files, ...(hostname ? { "proc/sys/kernel/hostname": `${hostname}\n` } : {}) },
    });
    live.push(sb);
    writeBundle(bundle, sb.workDir);
    addWeave(sb);
    return sb;
}

const FIRST = firstControlPlane(DEV);

/** The first control plane of DEV as kubeadm init left it, with its reset bundle (run on `pulumi destroy`). */
function firstHost(files: Record<string, RootEntry> = initKubeletConf("lsst-dev", FIRST.name)): Sandbox {
    const sb = host({ ...files, [ADMIN_CONF]: { content: adminConf("lsst-dev"), mode: "0600" } }, resetBundle(DEV, FIRST));
    sb.writeState(`nodes/${FIRST.name}`, "Ready yes 0\n");
    return sb;
}

/**
 * Runs reset.sh, expects it refused (exit 3) with MESSAGE (after what the script logged before it) and the
 * host left exactly as it was, having called nothing but CALLS.
 */
function expectRefused(sb: Sandbox, message: string, calls: string[] = [], logged: string[] = []): void {
    const tree = sb.snapshot({ identity: true });
    const state = sb.stateSnapshot();
    const r = sb.run("reset.sh");
    expect(r.stderr).not.toMatch(LEAKS);
    expect(r.status).toBe(3);
    expect(r.calls).toEqual(["id -u", ...calls]);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toEqual(["reset.sh: step reset", ...logged, `reset.sh: step 'reset' refused: ${message}; ${UNTOUCHED}`]);
    expect(sb.snapshot({ identity: true })).toEqual(tree);
    expect(sb.stateSnapshot()).toEqual(state);
}

function expectReset(sb: Sandbox, node: string, cluster: string, left = `node ${node} is no longer in the cluster's API`): void {
    const r = sb.run("reset.sh");
    expectSuccess(r);
    expect(r.calls).toContain("kubeadm reset --force");
    expect(ownLines("reset.sh", r.stderr).slice(0, 4)).toEqual([
        "reset.sh: step reset",
        `reset.sh:   this host is node ${node} of cluster ${cluster} (its kubelet client certificate and kubelet.conf)`,
        `reset.sh:   ${left}`,
        "reset.sh:   changed: kubeadm reset",
    ]);
    expect(sb.existsRoot(KUBELET_CONF)).toBe(false);
}

describe("reset.sh's bundle names the host it is for", () => {
    test("a member's bundle: the node, its cluster and the CA the node pinned", () => {
        expect(resetBundle(TEST, WORKER).files["params.env"].content)
            .toBe(`NODE_NAME=test-node001\nCLUSTER_NAME=lsst-test\nCA_CERT_HASH=${CA_HASH}\nRESET_ROLE=member\n`);
    });

    test("the first control plane's bundle, built once init has read the CA back", () => {
        expect(resetBundle(DEV, FIRST).files["params.env"])
            .toEqual({ content: `NODE_NAME=dev-cp01\nCLUSTER_NAME=lsst-dev\nCA_CERT_HASH=${CA_HASH}\nRESET_ROLE=first-control-plane\n`, mode: "0600" });
    });

    test.each([
        ["the cluster", "NODE_NAME=test-node001\n", "parameter CLUSTER_NAME is missing"],
        ["the CA", "NODE_NAME=test-node001\nCLUSTER_NAME=lsst-test\nRESET_ROLE=member\n", "parameter CA_CERT_HASH is missing"],
        ["the role", `NODE_NAME=test-node001\nCLUSTER_NAME=lsst-test\nCA_CERT_HASH=${CA_HASH}\n`, "parameter RESET_ROLE is missing"],
    ])("a bundle without %s fails step 'setup' before anything is looked at", (_, params, message) => {
        const bundle = resetBundle(TEST, WORKER);
        const sb = host(joinedKubeletConf(WORKER.name), { ...bundle, files: { ...bundle.files, "params.env": { content: params, mode: "0600" } } });
        const r = sb.run("reset.sh");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain(`reset.sh: step 'setup' failed: ${message}\n`);
        expect(sb.calls()).toEqual([]);
    });
});

describe("reset.sh on the host it is for", () => {
    test.each([
        ["a worker joined by kubeadm (the stand-in's kubelet.conf)", TEST, WORKER],
        ["a control plane joined by kubeadm", DEV, CONTROL_PLANE],
    ])("%s is reset", (_, cluster, node) => {
        const sb = host({}, joinBundle(cluster, node));
        expectSuccess(sb.run("join.sh"));
        writeBundle(resetBundle(cluster, node), sb.workDir);
        // What the kubelet writes after its TLS bootstrap: no cluster name, the certificate in its own file.
        expect(sb.readRoot(KUBELET_CONF)).toContain("  name: default-cluster\n");
        expect(sb.readRoot(KUBELET_CONF)).toContain(`    client-certificate: /${CURRENT_PEM}\n`);
        expectReset(sb, node.name, cluster.name);
    });

    test.each([
        ["its client certificate embedded", false],
        ["its client certificate in kubelet-client-current.pem (kubelet-finalize ran)", true],
    ])("the first control plane, kubelet.conf as kubeadm init wrote it, %s, is reset on destroy, the last node left", (_, rotated) => {
        const sb = firstHost(initKubeletConf("lsst-dev", FIRST.name, { rotated }));
        expectReset(sb, "dev-cp01", "lsst-dev", "no other node is left in the cluster's API");
    });

    test("a hostname other than the node's name is no reason to refuse: the certificate decides", () => {
        const sb = host(joinedKubeletConf(WORKER.name), undefined, "worker-17.example.org");
        expectReset(sb, WORKER.name, TEST.name);
    });
});

describe("reset.sh refuses, exit 3, on a host that is not the one it is for", () => {
    test("another node of the cluster (its address now in the leaving node's stored inputs)", () => {
        const sb = host(joinedKubeletConf("test-node002"), undefined, "test-node002");
        expectRefused(sb, "this host is node test-node002 (its kubelet client certificate; hostname test-node002), but this reset is for node test-node001 of cluster lsst-test");
    });

    test("the certificate decides against a hostname that matches", () => {
        const sb = host(joinedKubeletConf(WORKER.name, { certFor: "test-node002" }), undefined, WORKER.name);
        expectRefused(sb, "this host is node test-node002 (its kubelet client certificate; hostname test-node001), but this reset is for node test-node001 of cluster lsst-test");
    });

    test("a node of the same name in another cluster (another CA)", () => {
        const ca = otherClusterCa("lsst-prod");
        const sb = host(joinedKubeletConf(WORKER.name, { ca }));
        expectRefused(sb, `this host's cluster CA is sha256:${caHex(ca)} (its kubelet.conf; node test-node001), not ${CA_HASH} of cluster lsst-test: it belongs to another cluster, and this reset is for node test-node001 of cluster lsst-test`);
    });

    test("another cluster's first control plane (its name in kubelet.conf), reached with this one's destroy bundle", () => {
        const sb = firstHost(initKubeletConf("lsst-prod", FIRST.name));
        expectRefused(sb, "this host belongs to cluster lsst-prod (its kubelet.conf; node dev-cp01), but this reset is for node dev-cp01 of cluster lsst-dev");
    });

    test.each([
        ["a kubelet.conf that is no kubeconfig", { [KUBELET_CONF]: "kind: Config\n" }, "/etc/kubernetes/kubelet.conf does not hold one cluster and one user"],
        ["a client certificate file that is gone", (() => {
            const { [CURRENT_PEM]: _gone, ...files } = joinedKubeletConf(WORKER.name);
            void _gone;
            return files;
        })(), "its client certificate (file:/var/lib/kubelet/pki/kubelet-client-current.pem) names no node"],
        ["a client certificate that is not a node's", joinedKubeletConf(WORKER.name, { certFor: "" }), "its client certificate (file:/var/lib/kubelet/pki/kubelet-client-current.pem) names no node"],
    ])("%s: cannot tell which node it is", (_, files, problem) => {
        const sb = host(files);
        expectRefused(sb, `cannot tell which node this host (hostname unknown) is: ${problem}; this reset is for node test-node001 of cluster lsst-test`);
    });

    test("the refusal comes before kubeadm even on a control plane that another cluster's bundle reaches", () => {
        const sb = host({}, joinBundle(DEV, CONTROL_PLANE));
        expectSuccess(sb.run("join.sh"));
        writeBundle(resetBundle(DEV, nodeNamed(DEV, "dev-cp03")), sb.workDir);
        expectRefused(sb, "this host is node dev-cp02 (its kubelet client certificate; hostname unknown), but this reset is for node dev-cp03 of cluster lsst-dev");
        expect(sb.existsRoot("etc/kubernetes/manifests/etcd.yaml")).toBe(true);
    });
});

describe("reset.sh refuses, exit 3, while the cluster still counts the host in (a replace of its reset command)", () => {
    const stillThere = "node test-node001 is still registered in the cluster: a node is reset only after its drain has deleted it from the API, " +
        "which removing it from nodes[] does first, and a 'pulumi up --replace' of its reset command does not";
    const identified = ["reset.sh:   this host is node test-node001 of cluster lsst-test (its kubelet client certificate and kubelet.conf)"];

    test("a member whose Node is still in the API, asked with the kubelet's own credential", () => {
        const sb = host(joinedKubeletConf(WORKER.name));
        sb.writeState(`nodes/${WORKER.name}`, "Ready yes 2\n");
        expectRefused(sb, stillThere, [lookUp(sb, WORKER)], identified);
    });

    test("a member whose API server does not answer", () => {
        const sb = host(joinedKubeletConf(WORKER.name));
        sb.writeState("kubectl-unreachable", "yes\n");
        const r = sb.run("reset.sh");
        expect(r.status).toBe(3);
        expect(r.stderr).toContain("The connection to the server 203.0.113.11:6443 was refused");
        expect(r.stderr).toContain(`reset.sh: step 'reset' refused: cannot ask the API server whether node test-node001 is still registered; ${UNTOUCHED}\n`);
        expect(r.calls).not.toContain("kubeadm reset --force");
    });

    test("the first control plane while other nodes are still registered", () => {
        const sb = firstHost();
        sb.writeState("nodes/dev-cp02", "Ready yes 1\n");
        sb.writeState("nodes/dev-node001", "Ready yes 3\n");
        expectRefused(sb,
            "the cluster still has nodes dev-cp02,dev-node001: the first control plane is reset only by 'pulumi destroy', after every other node has been " +
            "drained and deleted, and a 'pulumi up --replace' of its reset command does not do that",
            [listNodes(sb)], ["reset.sh:   this host is node dev-cp01 of cluster lsst-dev (its kubelet client certificate and kubelet.conf)"]);
    });

    test("the first control plane without admin.conf cannot tell", () => {
        const sb = host(initKubeletConf("lsst-dev", FIRST.name), resetBundle(DEV, FIRST));
        const r = sb.run("reset.sh");
        expect(r.status).toBe(3);
        expect(r.stderr).toContain(`reset.sh: step 'reset' refused: cannot ask the API server which nodes are left in the cluster; ${UNTOUCHED}\n`);
        expect(r.calls).not.toContain("kubeadm reset --force");
    });
});
