/**
 * reset.sh resets only the host its bundle was meant for: a delete runs with the inputs stored in the
 * Pulumi state, so the address it dials may since be another node's, or another cluster's. Run for real
 * in the sandbox against kubelet.conf as kubeadm init writes it (the first control plane) and as the
 * kubelet writes it after a join's TLS bootstrap (tests/sandbox/kubeconfigs.ts, and the join stand-in).
 * A refusal exits 3, names what the bundle expected and what the host says, and changes nothing.
 */
import { initBundle } from "../../components/hosts/actions";
import { Bundle } from "../../components/hosts/bundle";
import { createSandbox, expectSuccess, JOIN_TOOLS, LEAKS, RESET_TOOLS, RootEntry, Sandbox, writeBundle } from "../sandbox";
import { CA_HASH, caHex, CERT_KEY, firstControlPlane, joinBundle, lines, nodeNamed, ownLines, TOKEN } from "../sandbox/joins";
import { CURRENT_PEM, initKubeletConf, joinedKubeletConf, KUBELET_CONF, otherClusterCa } from "../sandbox/kubeconfigs";
import { addWeave, CONTROL_PLANE, DEV, live, PREPARED, TEST, WORKER } from "./fixtures";

const STAND_INS = ["id", "ip", "kubeadm"];
const TOOLS = [...new Set([...JOIN_TOOLS, ...RESET_TOOLS])];
const UNTOUCHED = "nothing was reset. If this host must leave the cluster all the same, run 'kubeadm reset --force' on it by hand";

/** A prepared host with BUNDLE unpacked (default: the worker's join bundle) and Weave's leftovers. */
function host(files: Record<string, RootEntry>, bundle: Bundle = joinBundle(TEST, WORKER), hostname?: string): Sandbox {
    const sb = createSandbox({
        standIns: STAND_INS, tools: TOOLS, ...PREPARED,
        files: { ...PREPARED.files, ...files, ...(hostname ? { "proc/sys/kernel/hostname": `${hostname}\n` } : {}) },
    });
    live.push(sb);
    writeBundle(bundle, sb.workDir);
    addWeave(sb);
    return sb;
}

/** The bundle ControlPlane sends the first control plane of DEV, whose reset runs on `pulumi destroy`. */
function devInitBundle(): Bundle {
    return initBundle(DEV, firstControlPlane(DEV), { token: TOKEN, certificateKey: CERT_KEY });
}

/** Runs reset.sh, expects it refused (exit 3) with MESSAGE and the host left exactly as it was. */
function expectRefused(sb: Sandbox, message: string): void {
    const tree = sb.snapshot({ identity: true });
    const state = sb.stateSnapshot();
    const r = sb.run("reset.sh");
    expect(r.stderr).not.toMatch(LEAKS);
    expect(r.status).toBe(3);
    expect(r.calls).toEqual(["id -u"]);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toEqual(["reset.sh: step reset", `reset.sh: step 'reset' refused: ${message}; ${UNTOUCHED}`]);
    expect(sb.snapshot({ identity: true })).toEqual(tree);
    expect(sb.stateSnapshot()).toEqual(state);
}

function expectReset(sb: Sandbox, node: string, cluster: string): void {
    const r = sb.run("reset.sh");
    expectSuccess(r);
    expect(r.calls).toContain("kubeadm reset --force");
    expect(ownLines("reset.sh", r.stderr).slice(0, 3)).toEqual([
        "reset.sh: step reset",
        `reset.sh:   this host is node ${node} of cluster ${cluster} (its kubelet client certificate and kubelet.conf)`,
        "reset.sh:   changed: kubeadm reset",
    ]);
    expect(sb.existsRoot(KUBELET_CONF)).toBe(false);
}

describe("reset.sh's bundle names the host it is for", () => {
    test("a join bundle: the node, its cluster and the CA the node pinned", () => {
        expect(joinBundle(TEST, WORKER).files["params.env"].content).toBe(`NODE_NAME=test-node001\nCLUSTER_NAME=lsst-test\nCA_CERT_HASH=${CA_HASH}\n`);
    });

    test("the first control plane's bundle, built before the CA exists: the node and the cluster", () => {
        expect(devInitBundle().files["params.env"]).toEqual({ content: "NODE_NAME=dev-cp01\nCLUSTER_NAME=lsst-dev\n", mode: "0600" });
    });

    test("a bundle without the cluster fails step 'setup' before anything is looked at", () => {
        const bundle = joinBundle(TEST, WORKER);
        const sb = host(joinedKubeletConf(WORKER.name), { ...bundle, files: { ...bundle.files, "params.env": { content: "NODE_NAME=test-node001\n", mode: "0600" } } });
        const r = sb.run("reset.sh");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("reset.sh: step 'setup' failed: parameter CLUSTER_NAME is missing\n");
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
        // What the kubelet writes after its TLS bootstrap: no cluster name, the certificate in its own file.
        expect(sb.readRoot(KUBELET_CONF)).toContain("  name: default-cluster\n");
        expect(sb.readRoot(KUBELET_CONF)).toContain(`    client-certificate: /${CURRENT_PEM}\n`);
        expectReset(sb, node.name, cluster.name);
    });

    test.each([
        ["its client certificate embedded", false],
        ["its client certificate in kubelet-client-current.pem (kubelet-finalize ran)", true],
    ])("the first control plane, kubelet.conf as kubeadm init wrote it, %s, is reset on destroy", (_, rotated) => {
        const sb = host(initKubeletConf("lsst-dev", "dev-cp01", { rotated }), devInitBundle());
        expectReset(sb, "dev-cp01", "lsst-dev");
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
        const sb = host(initKubeletConf("lsst-prod", "dev-cp01"), devInitBundle());
        expectRefused(sb, "this host belongs to cluster lsst-prod (its kubelet.conf; node dev-cp01), but this reset is for node dev-cp01 of cluster lsst-dev");
    });

    test("the first control plane's bundle on a joined host, whose kubelet.conf names no cluster", () => {
        const sb = host(joinedKubeletConf("dev-cp01"), devInitBundle());
        expectRefused(sb, "cannot tell which cluster node dev-cp01 (hostname unknown) belongs to: its kubelet.conf names none, and this reset is for node dev-cp01 of cluster lsst-dev");
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
        writeBundle(joinBundle(DEV, nodeNamed(DEV, "dev-cp03")), sb.workDir);
        expectRefused(sb, "this host is node dev-cp02 (its kubelet client certificate; hostname unknown), but this reset is for node dev-cp03 of cluster lsst-dev");
        expect(sb.existsRoot("etc/kubernetes/manifests/etcd.yaml")).toBe(true);
    });
});
