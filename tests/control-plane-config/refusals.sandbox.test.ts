/**
 * control-plane-config.sh refuses (exit 3) a host that is not the control plane its bundle names, before
 * it writes anything: a stale address in the Pulumi state must not reconfigure another machine's API
 * server. Which node a host is comes from its kubelet.conf's client certificate (lib.sh's host_identity),
 * as kubeadm init (the first control plane) or the kubelet after a join wrote it.
 */
import { ClusterConfig, NodeConfig } from "../../config";
import { LEAKS, RootEntry } from "../sandbox";
import { nodeNamed } from "../sandbox/joins";
import { CURRENT_PEM } from "../sandbox/kubeconfigs";
import { changedPaths, CONTROL_PLANE, controlPlaneHost, DEV, DEV_FIRST, HostSetup, kubeletConf, own, SCRIPT, TEST, TEST_FIRST } from "./fixtures";

/** Runs on a host set up as SETUP and checks it was refused with MESSAGE, having asked only id and changed nothing. */
function expectRefused(cluster: ClusterConfig, node: NodeConfig, setup: HostSetup, message: string): void {
    const sb = controlPlaneHost(cluster, node, setup);
    const tree = sb.snapshot({ identity: true });
    const state = sb.stateSnapshot();
    const r = sb.run(SCRIPT);
    expect(r.stderr).not.toMatch(LEAKS);
    expect(r.status).toBe(3);
    expect(own(r)).toEqual([`${SCRIPT}: step host`, `${SCRIPT}: step 'host' refused: ${message}`]);
    expect(r.calls).toEqual(["id -u"]);
    expect(changedPaths(tree, sb.snapshot({ identity: true }))).toEqual([]);
    expect(sb.stateSnapshot()).toEqual(state);
}

const DEV_CP03 = nodeNamed(DEV, "dev-cp03");

describe("control-plane-config.sh refuses a host that is not the bundle's control plane", () => {
    test.each([
        ["a joined control plane whose kubelet is another node's", DEV, CONTROL_PLANE, kubeletConf(DEV, CONTROL_PLANE, DEV_CP03.name), DEV_CP03.name],
        ["the first control plane's kubelet.conf (kubeadm init's) naming another node", DEV, DEV_FIRST, kubeletConf(DEV, DEV_FIRST, CONTROL_PLANE.name), CONTROL_PLANE.name],
        ["test's control plane whose kubelet is dev's", TEST, TEST_FIRST, kubeletConf(DEV, DEV_FIRST), DEV_FIRST.name],
    ] as [string, ClusterConfig, NodeConfig, Record<string, RootEntry>, string][])("%s", (_, cluster, node, conf, other) => {
        expectRefused(cluster, node, { kubeletConf: conf }, `this host is node ${other}, not ${node.name}`);
    });

    test("no kubelet.conf: nothing tells which node the host is", () => {
        expectRefused(DEV, CONTROL_PLANE, { kubeletConf: null },
            "cannot tell which node this host is (/etc/kubernetes/kubelet.conf does not hold one cluster and one user)");
    });

    test("a kubelet.conf whose client certificate is gone", () => {
        const { [CURRENT_PEM]: _, ...conf } = kubeletConf(DEV, CONTROL_PLANE);
        expectRefused(DEV, CONTROL_PLANE, { kubeletConf: conf },
            `cannot tell which node this host is (its client certificate (file:/${CURRENT_PEM}) names no node)`);
    });

    test("the node itself, but without an API server manifest: not a control plane", () => {
        expectRefused(DEV, CONTROL_PLANE, { manifest: null }, `no API server manifest here: ${CONTROL_PLANE.name} is not a control plane`);
    });
});
