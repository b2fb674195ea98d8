/**
 * The kubeadm stand-in's `init phase` commands, which init.sh's resume runs: each takes exactly the flags
 * kubeadm v1.35-1.37 documents for it (`kubeadm init phase NAME --help`), needs a control plane that
 * answers, and records what it did; and its init's preflight refuses control-plane static Pods, as the
 * real one does. So a script that passes a flag the real kubeadm would reject fails here too.
 */
import * as fs from "fs";
import * as path from "path";
import { RunResult, Sandbox } from "../sandbox";
import { ADMIN_CONF, initHost, phaseCall, phasesRan, TOKEN } from "./fixtures";

/** Runs ARGS with the kubeadm stand-in; stdout ends with "rc=STATUS". */
function kubeadm(sb: Sandbox, args: string): RunResult {
    fs.writeFileSync(path.join(sb.workDir, "call.sh"), `kubeadm ${args}\necho "rc=$?"\n`);
    return sb.run("call.sh");
}

/** A host where the stand-in's kubeadm init ran to the end. */
function initialised(): Sandbox {
    const sb = initHost();
    expect(kubeadm(sb, `init --config ${sb.workDir}/kubeadm.yaml --upload-certs`).stdout).toContain("rc=0");
    return sb;
}

describe("the kubeadm stand-in's init phases", () => {
    test("refuse the flags the real ones do not have, and a phase with sub-phases without `all`", () => {
        const sb = initialised();
        const ran = phasesRan(sb);
        const cfg = `--config ${sb.workDir}/kubeadm.yaml`;
        const kc = `--kubeconfig ${sb.rootPath(ADMIN_CONF)}`;
        for (const args of [
            `wait-control-plane ${cfg}`,
            `mark-control-plane ${cfg} ${kc}`,
            `kubelet-finalize all ${cfg} ${kc}`,
            `upload-config ${cfg} ${kc}`,
            `addon all ${cfg} ${kc}`,
            `addon coredns ${cfg} ${kc} --skip-token-print`,
            "bootstrap-token",
            `show-join-command ${cfg}`,
            `certs all ${cfg}`,
        ]) {
            expect([args, kubeadm(sb, `init phase ${args}`).stdout]).toEqual([args, "rc=2\n"]);
        }
        expect(phasesRan(sb)).toEqual(ran);
    });

    test("take the flags init.sh passes and record each phase once done; bootstrap-token prints the token only without --skip-token-print", () => {
        const sb = initialised();
        const before = phasesRan(sb);
        for (const phase of ["upload-config", "mark-control-plane", "bootstrap-token", "kubelet-finalize", "addon/coredns", "addon/kube-proxy"]) {
            const r = kubeadm(sb, phaseCall(sb, phase).replace(/^kubeadm /, ""));
            expect([phase, r.stdout.endsWith("rc=0\n")]).toEqual([phase, true]);
            expect(r.stdout).not.toContain(TOKEN);
        }
        expect(kubeadm(sb, "init phase wait-control-plane").stdout).toContain("rc=0");
        expect(phasesRan(sb).slice(before.length)).toEqual([
            "upload-config", "mark-control-plane", "bootstrap-token", "kubelet-finalize", "addon/coredns", "addon/kube-proxy", "wait-control-plane",
        ]);
        expect(kubeadm(sb, `init phase bootstrap-token --config ${sb.workDir}/kubeadm.yaml`).stdout).toContain(`[bootstrap-token] Using token: ${TOKEN}\n`);
    });

    test("fail without a control plane that answers, and the phase named in kubeadm-phase-fail", () => {
        const sb = initialised();
        const ran = phasesRan(sb);
        sb.writeState("kubeadm-phase-fail", "addon/coredns\n");
        const coredns = kubeadm(sb, phaseCall(sb, "addon/coredns").replace(/^kubeadm /, ""));
        expect(coredns.stdout).toBe("rc=1\n");
        expect(coredns.stderr).toContain(`error execution phase addon/coredns: unable to create a new DNS service: context deadline exceeded (bootstrap token ${TOKEN})`);

        sb.writeState("kubeadm-api-down", "yes\n");
        const wait = kubeadm(sb, "init phase wait-control-plane");
        expect(wait.stdout).toContain("rc=1\n");
        expect(wait.stderr).toContain("error execution phase wait-control-plane: could not initialize a Kubernetes cluster\n");
        const upload = kubeadm(sb, phaseCall(sb, "upload-config").replace(/^kubeadm /, ""));
        expect(upload.stdout).toBe("rc=1\n");
        expect(upload.stderr).toContain("connect: connection refused");
        expect(phasesRan(sb)).toEqual(ran);
    });

    test("init's preflight refuses a control-plane static Pod manifest already there", () => {
        const sb = initHost({ host: { files: { "etc/kubernetes/manifests/etcd.yaml": "kind: Pod\n" } } });
        const r = kubeadm(sb, `init --config ${sb.workDir}/kubeadm.yaml --upload-certs`);
        expect(r.stdout).toContain("rc=1");
        expect(r.stderr).toContain("[ERROR FileAvailable--etc-kubernetes-manifests-etcd.yaml]: /etc/kubernetes/manifests/etcd.yaml already exists");
        expect(sb.existsRoot(ADMIN_CONF)).toBe(false);
    });
});
