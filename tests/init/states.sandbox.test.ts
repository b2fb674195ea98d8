/**
 * What init.sh makes of the host it finds: a finished init is /var/lib/lsst-k8s/init.done and nothing
 * else (admin.conf alone is not); a host kubeadm left before its control plane ran, or with control-plane
 * static Pods but no admin.conf, stops with exit 4 and the exact command to run by hand, changing nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { expectSuccess, LEAKS, RunResult, Sandbox } from "../sandbox";
import {
    ADMIN_CONF, clearState, expectNothingSecret, hostTree, initHost, kubeadmCalls, lines, LOG, MARKER, phaseAfter, phaseCall, phasesRan,
    readbackLine, RESUMABLE, Setup, WAIT_CALL,
} from "./fixtures";

const RESET = "run 'kubeadm reset --force' on this host, then 'pulumi up'";
const CONTROL_PLANE_PODS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/** The run stopped in step init with exit 4 and MESSAGE as its last line, without kubeadm, changing nothing. */
function expectStopped(sb: Sandbox, run: () => RunResult, message: string): void {
    const tree = hostTree(sb);
    const r = run();
    expect(r.stderr).not.toMatch(LEAKS);
    expect(r.status).toBe(4);
    expect(r.stdout).toBe("");
    expect(kubeadmCalls(r)).toEqual([]);
    expect(lines(r.stderr).pop()).toBe(`init.sh: step 'init' failed: ${message}`);
    expectNothingSecret(r);
    expect(hostTree(sb)).toEqual(tree);
}

/** The recovery the message names, with the stand-in's kubeadm reset; then a plain init succeeds. */
function expectResetRecovers(sb: Sandbox): void {
    fs.writeFileSync(path.join(sb.workDir, "reset-by-hand.sh"), "kubeadm reset --force >/dev/null\n");
    expect(sb.run("reset-by-hand.sh").status).toBe(0);
    const r = sb.run("init.sh");
    expectSuccess(r);
    expect(kubeadmCalls(r)).toEqual([`kubeadm init --config ${sb.workDir}/kubeadm.yaml --upload-certs`]);
    expect(r.stdout).toBe(readbackLine());
    expect(sb.readRoot(MARKER)).toBe("v1.37.1\n");
}

function hostWith(files: Record<string, string>, setup: Setup = {}): Sandbox {
    return initHost({ ...setup, host: { files: Object.fromEntries(Object.entries(files).map(([p, c]) => [p, { content: c, mode: "0600" }])) } });
}

const staticPods = (names = CONTROL_PLANE_PODS): Record<string, string> =>
    Object.fromEntries(names.map((n) => [`etc/kubernetes/manifests/${n}.yaml`, `kind: Pod\nmetadata: {name: ${n}}\n`]));

describe("init.done, written last, is what says a host is initialised", () => {
    test.each([
        ["no init.done", undefined],
        ["an empty init.done", ""],
        ["a torn init.done", "v1.3"],
    ])("a fresh init marks the host; with the mark a run is a no-op, with %s the init is resumed", (_, marker) => {
        const sb = initHost();
        const first = sb.run("init.sh");
        expectSuccess(first);
        expect(sb.readRoot(MARKER)).toBe("v1.37.1\n");
        expect(sb.modeOf(MARKER)).toBe("0600");
        expect(sb.modeOf("var/lib/lsst-k8s")).toBe("0700");

        // A cluster since upgraded: the mark keeps the version it was initialised at, and still means done.
        sb.writeRoot(MARKER, { content: "v1.36.3\n", mode: "0600" });
        sb.writeState("kubeadm-init-fail-after", "preflight\n");
        const tree = hostTree(sb);
        const done = sb.run("init.sh");
        expectSuccess(done);
        expect(kubeadmCalls(done)).toEqual([]);
        expect(done.stdout).toBe(first.stdout);
        expect(hostTree(sb)).toEqual(tree);
        clearState(sb, "kubeadm-init-fail-after");

        if (marker === undefined) {
            sb.removeRoot(MARKER);
        } else {
            sb.writeRoot(MARKER, { content: marker, mode: "0600" });
        }
        const resumed = sb.run("init.sh");
        expectSuccess(resumed);
        expect(resumed.calls).toEqual(["id -u", WAIT_CALL, ...RESUMABLE.map((p) => phaseCall(sb, p))]);
        expect(resumed.stdout).toBe(first.stdout);
        expect(sb.readRoot(MARKER)).toBe("v1.37.1\n");
        expectNothingSecret(resumed);
    });

    test("a mark left by an earlier cluster (kubeadm reset leaves /var/lib/lsst-k8s) does not pass a new, unfinished init for done", () => {
        const sb = hostWith({ [MARKER]: "v1.36.3\n" }, { initFailsAfter: "bootstrap-token" });
        const first = sb.run("init.sh");
        expect(first.status).toBe(1);
        expect(sb.readRoot(MARKER)).toBe("");
        clearState(sb, "kubeadm-init-fail-after");

        const retry = sb.run("init.sh");
        expectSuccess(retry);
        expect(retry.calls).toEqual(["id -u", WAIT_CALL, ...["kubelet-finalize", "addon/coredns", "addon/kube-proxy"].map((p) => phaseCall(sb, p))]);
        expect(retry.stdout).toBe(readbackLine());
        expect(sb.readRoot(MARKER)).toBe("v1.37.1\n");
        expectNothingSecret(retry);
    });
});

describe("a host a retry cannot finish: exit 4 and the command to run by hand", () => {
    test.each(["kubeconfig", "etcd", "control-plane"])("kubeadm init failed after %s, before the control plane ran: the reset, and it recovers", (after) => {
        const sb = initHost({ initFailsAfter: after });
        expect(sb.run("init.sh").status).toBe(1);
        expect(sb.existsRoot(ADMIN_CONF)).toBe(true);
        clearState(sb, "kubeadm-init-fail-after");
        expectStopped(sb, () => sb.run("init.sh"), `kubeadm init stopped in phase ${phaseAfter(after)}, before the control plane ran: ${RESET}`);
        expect(sb.existsRoot(MARKER)).toBe(false);
        expectResetRecovers(sb);
    });

    test("kubeadm init killed before the static Pods were all written (no phase named): the reset", () => {
        const sb = initHost({ initFailsAfter: "etcd killed" });
        expect(sb.run("init.sh").status).toBe(1);
        clearState(sb, "kubeadm-init-fail-after");
        expectStopped(sb, () => sb.run("init.sh"),
            `kubeadm init stopped before the control plane's static Pods and the kubelet configuration were all written: ${RESET}`);
        expect(sb.readRoot(LOG)).not.toContain("error execution phase");
        expectResetRecovers(sb);
    });

    test.each([
        ["the control plane's four", CONTROL_PLANE_PODS],
        ["only kube-apiserver's", ["kube-apiserver"]],
    ])("%s static Pod manifests without admin.conf: the reset, kubeadm never called, and it recovers", (_, pods) => {
        const sb = hostWith(staticPods(pods));
        expectStopped(sb, () => sb.run("init.sh"), `control-plane static Pods but no /etc/kubernetes/admin.conf: ${RESET}`);
        expectResetRecovers(sb);
    });

    test("static Pods without admin.conf where kubeadm init finished: no reset of what may be a live control plane, admin.conf restored instead", () => {
        const sb = hostWith({ ...staticPods(), [MARKER]: "v1.37.1\n" });
        expectStopped(sb, () => sb.run("init.sh"),
            "control-plane static Pods but no /etc/kubernetes/admin.conf, where kubeadm init finished: do not reset; " +
            "run 'kubeadm init phase kubeconfig admin --control-plane-endpoint 203.0.113.11:6443' on this host, then 'pulumi up'");
        expect(phasesRan(sb)).toEqual([]);
    });
});
