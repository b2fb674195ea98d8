/**
 * control-plane-config.sh when something goes wrong, in the sandbox: an API server that does not come
 * back on the new flags, a kubeadm that cannot write the manifest, a failed upload, a run that is not
 * root. A control plane is never left on a manifest whose API server does not answer: the old one is
 * put back byte for byte, the run fails (exit 1) naming its step, nothing is uploaded, and the retry
 * the next `pulumi up` makes finishes the job.
 *
 * The runs where the API server never answers pass SHORT_WAIT (LSST_K8S_READY_WITHIN_S) to wait seconds
 * instead of the script's 300 s; so does the run where the kubelet restarts the API server only after
 * the script's first question (curl's restart-lag).
 */
import * as fs from "fs";
import * as path from "path";
import { expectSuccess, LEAKS } from "../sandbox";
import {
    ADMIN_CONF, BACKUP, changedPaths, CRICTL_CALL, CONTROL_PLANE, controlPlaneHost, DEV, DEV_FIRST, MANIFEST, manifestBefore, manifestCurrent, own,
    readyzCall, regenerateCall, regenerationCalls, SCRIPT, SHORT_WAIT, uploadCall,
} from "./fixtures";

/** A line of the new manifest the API server exits on: it cannot read its encryption configuration. */
const BAD_FLAG = "    - --encryption-provider-config=/etc/kubernetes/lsst-k8s/encryption.yaml";
const NOT_READY = `${SCRIPT}: step 'api-server' failed: the API server did not become ready within ${SHORT_WAIT.LSST_K8S_READY_WITHIN_S} s on the new flags; ` +
    "the old manifest is back in place (its log: crictl logs $(crictl ps -a --name kube-apiserver -q | head -1))";
const OLD_DOWN_TOO = `${SCRIPT}:   the API server does not answer with the old manifest either`;

describe("the API server never ready on the regenerated manifest", () => {
    test("the old manifest is put back byte for byte, exit 1 with the step named, no upload; the retry finishes", () => {
        const before = manifestBefore(DEV, DEV_FIRST);
        const sb = controlPlaneHost(DEV, DEV_FIRST, { manifest: before, failsOn: [BAD_FLAG] });
        const r = sb.run(SCRIPT, { env: SHORT_WAIT });
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(own(r)).toContain(NOT_READY);
        // The old one answers again at once.
        expect(own(r)).not.toContain(OLD_DOWN_TOO);
        expect(own(r)).not.toContain(`${SCRIPT}: step upload-config`);

        expect(sb.readRoot(MANIFEST)).toBe(before);
        expect(sb.modeOf(MANIFEST)).toBe("0600");
        // No new API server ran to be asked: looked for one until the time was up (two seconds apart),
        // then asked the old one once it was back.
        const [id, look, regenerate, ...waited] = r.calls;
        expect([id, look, regenerate]).toEqual(["id -u", CRICTL_CALL, regenerateCall(sb)]);
        expect(waited.length).toBeGreaterThanOrEqual(4);
        expect(waited).toEqual([...Array(waited.length - 1).fill(CRICTL_CALL), readyzCall(sb, DEV_FIRST)]);
        expect(sb.readState("kubeadm/uploads")).toBeUndefined();

        // The next `pulumi up`, once the fault is fixed.
        fs.rmSync(path.join(sb.stateDir, "apiserver/fails-on"));
        const retry = sb.run(SCRIPT);
        expectSuccess(retry);
        expect(retry.calls).toEqual(["id -u", ...regenerationCalls(sb, DEV_FIRST), uploadCall(sb)]);
        expect(sb.readRoot(MANIFEST)).toBe(manifestCurrent(DEV, DEV_FIRST));
        expect(retry.stderr).toContain(`${SCRIPT}: done: 1 change(s)`);
    });

    test("an API server that does not come back on the old manifest either: put back all the same, and said", () => {
        const before = manifestBefore(DEV, CONTROL_PLANE);
        const sb = controlPlaneHost(DEV, CONTROL_PLANE, { manifest: before, failsOn: ["*"] });
        const r = sb.run(SCRIPT, { env: SHORT_WAIT });
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(own(r).slice(-2)).toEqual([OLD_DOWN_TOO, NOT_READY]);
        expect(sb.readRoot(MANIFEST)).toBe(before);
    });

    test("the kubelet restarting the API server only after the script's first question: the new one must answer, not the old one still running", () => {
        // The real kubelet notices the new manifest, stops the old API server and starts the new one
        // some time after kubeadm wrote it; until then the old one answers /readyz.
        const before = manifestBefore(DEV, DEV_FIRST);
        const sb = controlPlaneHost(DEV, DEV_FIRST, { manifest: before, failsOn: [BAD_FLAG], restartLag: true });
        const r = sb.run(SCRIPT, { env: SHORT_WAIT });
        expect(r.stderr).not.toMatch(LEAKS);
        expect([r.status, sb.readRoot(MANIFEST) === before]).toEqual([1, true]);
        expect(own(r)).toContain(NOT_READY);
        expect(r.calls).not.toContain(uploadCall(sb));
    });
});

describe("kubeadm failing", () => {
    test("cannot write the manifest: the old one is put back byte for byte, exit 1, the API server not asked, no upload; the retry finishes", () => {
        const before = manifestBefore(DEV, DEV_FIRST);
        const sb = controlPlaneHost(DEV, DEV_FIRST, { manifest: before, kubeadmFails: "control-plane/apiserver" });
        const r = sb.run(SCRIPT);
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(own(r).slice(-1)).toEqual([
            `${SCRIPT}: step 'api-server' failed: kubeadm could not regenerate the API server manifest; the old one is back in place`,
        ]);
        expect(r.stderr).toContain("error execution phase control-plane/apiserver: ");
        expect(r.calls).toEqual(["id -u", CRICTL_CALL, regenerateCall(sb)]);
        expect(sb.readRoot(MANIFEST)).toBe(before);
        expect(sb.modeOf(MANIFEST)).toBe("0600");
        expect(sb.readRoot(BACKUP)).toBe(before);
        expect(sb.readState("kubeadm/uploads")).toBeUndefined();

        fs.rmSync(path.join(sb.stateDir, "kubeadm-phase-fail"));
        const retry = sb.run(SCRIPT);
        expectSuccess(retry);
        expect(sb.readRoot(MANIFEST)).toBe(manifestCurrent(DEV, DEV_FIRST));
        expect(sb.readState("kubeadm/uploads")).toBe("kubeadm-config\n");
    });

    test("cannot upload the ClusterConfiguration: exit 1 with the step named; the manifest stays the new one", () => {
        const sb = controlPlaneHost(DEV, DEV_FIRST, { kubeadmFails: "upload-config/kubeadm" });
        const r = sb.run(SCRIPT);
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(own(r).slice(-1)).toEqual([
            `${SCRIPT}: step 'upload-config' failed: kubeadm could not upload the ClusterConfiguration (kubeadm-config ConfigMap)`,
        ]);
        expect(r.calls).toEqual(["id -u", ...regenerationCalls(sb, DEV_FIRST), uploadCall(sb)]);
        expect(sb.readRoot(MANIFEST)).toBe(manifestCurrent(DEV, DEV_FIRST));
        expect(sb.readState("kubeadm/uploads")).toBeUndefined();
    });

    test("the first control plane without admin.conf: exit 1 before kubeadm is asked to upload", () => {
        const sb = controlPlaneHost(DEV, DEV_FIRST, { manifest: manifestCurrent(DEV, DEV_FIRST) });
        sb.removeRoot(ADMIN_CONF);
        const r = sb.run(SCRIPT);
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(own(r).slice(-1)).toEqual([`${SCRIPT}: step 'upload-config' failed: no /etc/kubernetes/admin.conf on the first control plane`]);
        expect(r.calls).toEqual(["id -u"]);
    });
});

describe("not root", () => {
    test("fails (exit 1) at the host step, asking nothing but id and changing nothing", () => {
        const sb = controlPlaneHost(DEV, CONTROL_PLANE, { uid: 1000 });
        const tree = sb.snapshot();
        const state = sb.stateSnapshot();
        const r = sb.run(SCRIPT);
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(own(r)).toEqual([`${SCRIPT}: step host`, `${SCRIPT}: step 'host' failed: must run as root`]);
        expect(r.calls).toEqual(["id -u"]);
        expect(changedPaths(tree, sb.snapshot())).toEqual([]);
        expect(sb.stateSnapshot()).toEqual(state);
    });
});
