/**
 * init.sh on a first control plane where `kubeadm init` stopped after writing admin.conf (issue 9): the
 * retry must not take admin.conf for a finished init. It waits for the control plane, runs exactly the
 * phases kubeadm did not finish (`kubeadm init phase ...` with the same rendered kubeadm.yaml), and only
 * then marks the host done in /var/lib/lsst-k8s/init.done. The kubeadm stand-in fails after a chosen
 * phase and records every phase it runs, in $STATE/kubeadm/phases (and the certificate uploads in
 * $STATE/kubeadm/uploads), so each test sees which phases ran across both runs.
 */
import * as yaml from "js-yaml";
import { expectSuccess, LEAKS, RunResult, Sandbox } from "../sandbox";
import {
    ADMIN_CONF, CERT_KEY, certUploads, clearState, expectNothingSecret, hostTree, initBundle, initHost, INIT_PHASES, kubeadmCalls, lines,
    LOG, MARKER, phaseAfter, phaseCall, phasesRan, readbackLine, RESUMABLE, WAIT_CALL,
} from "./fixtures";

/** The phases a resume runs when kubeadm init failed in FAILED_IN: from it on, or all when it failed waiting. */
function missingAfter(failedIn: string): string[] {
    return RESUMABLE.slice(Math.max(0, RESUMABLE.indexOf(failedIn)));
}

/** A run that resumed PHASES and finished: the calls, stderr, the readback and the mark. */
function expectResumed(sb: Sandbox, r: RunResult, phases: readonly string[]): void {
    expectSuccess(r);
    expect(r.calls).toEqual(["id -u", WAIT_CALL, ...phases.map((p) => phaseCall(sb, p))]);
    expect(lines(r.stderr)).toEqual([
        "init.sh: step init",
        "init.sh:   /etc/kubernetes/admin.conf exists but kubeadm init did not finish here: resuming it",
        "init.sh: step resume",
        ...phases.map((p) => `init.sh:   changed: kubeadm init phase ${p}`),
        "init.sh: step readback",
        `init.sh: done: ${phases.length} change(s)`,
    ]);
    expect(r.stdout).toBe(readbackLine());
    expect(sb.readRoot(MARKER)).toBe("v1.37.1\n");
    expect(sb.modeOf(MARKER)).toBe("0600");
    expect(sb.modeOf("var/lib/lsst-k8s")).toBe("0700");
    expectNothingSecret(r);
}

/** Another run on a finished host: no kubeadm, the same line, nothing on the host or in the stand-ins touched. */
function expectNoOp(sb: Sandbox, line: string): void {
    const tree = hostTree(sb);
    const state = sb.stateSnapshot();
    const again = sb.run("init.sh");
    expectSuccess(again);
    expect(kubeadmCalls(again)).toEqual([]);
    expect(again.stdout).toBe(line);
    expect(again.stderr).toContain("init.sh:   /etc/kubernetes/admin.conf exists: the cluster is already initialised here\n");
    expect(again.stderr).toContain("init.sh: done: 0 change(s)");
    expect(hostTree(sb)).toEqual(tree);
    expect(sb.stateSnapshot()).toEqual(state);
}

/** kubeadm init stops as setup says; the first run fails, leaving admin.conf and no mark; the cause then goes. */
function stoppedInit(initFailsAfter: string, setup: { phaseFails?: string } = {}): Sandbox {
    const sb = initHost({ initFailsAfter, ...setup });
    const first = sb.run("init.sh");
    expect(first.stderr).not.toMatch(LEAKS);
    expect(first.status).toBe(1);
    expect(first.stdout).toBe("");
    expect(first.stderr).toContain(`init.sh: step 'init' failed: kubeadm init failed; the whole log is ${sb.root}/${LOG} on this host`);
    expectNothingSecret(first);
    expect(sb.existsRoot(ADMIN_CONF)).toBe(true);
    expect(sb.existsRoot(MARKER)).toBe(false);
    clearState(sb, "kubeadm-init-fail-after");
    return sb;
}

describe("a kubeadm init that stopped once the control plane was up is resumed, then marked done", () => {
    const STOPS = ["kubelet-start", "wait-control-plane", "upload-config", "upload-certs", "mark-control-plane", "bootstrap-token", "kubelet-finalize", "addon/coredns"];

    test.each(STOPS)("failed after %s: the retry waits for the control plane, runs exactly the phases after it, marks done; the next run is a no-op", (after) => {
        const sb = stoppedInit(after);
        const missing = missingAfter(phaseAfter(after));
        const retry = sb.run("init.sh");
        expectResumed(sb, retry, missing);

        // Across both runs every phase ran once, in kubeadm's order, but the wait (again before resuming)
        // and show-join-command (only prints); the certificates were uploaded once, with the config's key.
        const before = INIT_PHASES.slice(0, INIT_PHASES.indexOf(after) + 1);
        expect(phasesRan(sb)).toEqual([...before, "wait-control-plane", ...missing].filter((p) => p !== "upload-certs"));
        expect(certUploads(sb)).toEqual([`kubeadm-certs ${CERT_KEY}`]);
        // kube-proxy is resumed like the rest: the rendered configuration skips no phase.
        const docs = yaml.loadAll(initBundle().files["kubeadm.yaml"].content) as Record<string, unknown>[];
        expect(docs[0].skipPhases).toBeUndefined();
        expect(phasesRan(sb)).toContain("addon/kube-proxy");

        expectNoOp(sb, retry.stdout);
    });

    test("killed after upload-certs, so no phase named in the log: the retry runs every resumable phase, each safe to repeat", () => {
        const sb = stoppedInit("upload-certs killed");
        expect(sb.readRoot(LOG)).not.toContain("error execution phase");
        const retry = sb.run("init.sh");
        expectResumed(sb, retry, RESUMABLE);
        expect(phasesRan(sb)).toEqual([...INIT_PHASES.slice(0, 8), "wait-control-plane", ...RESUMABLE.filter((p) => p !== "upload-certs")]);
        expect(certUploads(sb)).toEqual([`kubeadm-certs ${CERT_KEY}`, `kubeadm-certs ${CERT_KEY}`]);
        expectNoOp(sb, retry.stdout);
    });

    test("a resumed phase that fails stops the run unmarked, secrets masked; the next run resumes at that phase", () => {
        const sb = stoppedInit("upload-config", { phaseFails: "mark-control-plane" });
        const failed = sb.run("init.sh");
        expect(failed.stderr).not.toMatch(LEAKS);
        expect(failed.status).toBe(1);
        expect(failed.stdout).toBe("");
        expect(failed.calls).toEqual(["id -u", WAIT_CALL, phaseCall(sb, "upload-certs"), phaseCall(sb, "mark-control-plane")]);
        expect(failed.stderr).toContain(
            "error execution phase mark-control-plane: error applying control-plane label and taints: timed out waiting for the condition (bootstrap token <token>)\n");
        expect(lines(failed.stderr).pop()).toBe(
            `init.sh: step 'resume' failed: kubeadm init phase mark-control-plane failed; the whole log is ${sb.root}/${LOG} on this host, and the next run resumes there`);
        expectNothingSecret(failed);
        expect(sb.existsRoot(MARKER)).toBe(false);
        expect(sb.modeOf(LOG)).toBe("0600");

        clearState(sb, "kubeadm-phase-fail");
        const retry = sb.run("init.sh");
        expectResumed(sb, retry, ["mark-control-plane", "bootstrap-token", "kubelet-finalize", "addon/coredns", "addon/kube-proxy"]);
        expect(certUploads(sb)).toEqual([`kubeadm-certs ${CERT_KEY}`]);
        expectNoOp(sb, retry.stdout);
    });

    test("a control plane that does not come up: the retry waits, fails, runs nothing else; the next resumes where kubeadm init stopped", () => {
        const sb = stoppedInit("bootstrap-token");
        sb.writeState("kubeadm-api-down", "yes\n");
        const failed = sb.run("init.sh");
        expect(failed.stderr).not.toMatch(LEAKS);
        expect(failed.status).toBe(1);
        expect(failed.stdout).toBe("");
        expect(failed.calls).toEqual(["id -u", WAIT_CALL]);
        expect(lines(failed.stderr).pop()).toBe(
            `init.sh: step 'resume' failed: the control plane did not come up (kubeadm init phase wait-control-plane); the whole log is ${sb.root}/${LOG} on this host`);
        expect(failed.stderr).toContain("error execution phase wait-control-plane: could not initialize a Kubernetes cluster\n");
        expectNothingSecret(failed);
        expect(sb.existsRoot(MARKER)).toBe(false);

        // The wait's own failure, last in the log, does not move the resume back to the first phase.
        clearState(sb, "kubeadm-api-down");
        const retry = sb.run("init.sh");
        expectResumed(sb, retry, ["kubelet-finalize", "addon/coredns", "addon/kube-proxy"]);
        expectNoOp(sb, retry.stdout);
    });
});
