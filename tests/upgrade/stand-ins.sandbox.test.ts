/**
 * The kubectl and kubeadm stand-ins answer the upgrade scripts' calls as the real tools do and refuse
 * the rest, so a script calling them wrongly fails here instead of on a cluster; and the tool lists the
 * upgrade and cordon sandboxes put on PATH hold exactly what the scripts use.
 */
import * as fs from "fs";
import * as path from "path";
import { CORDON_TOOLS, expectSuccess, RunResult, Sandbox, UPGRADE_TOOLS } from "../sandbox";
import { unusedTools } from "../sandbox/joins";
import { ADMIN_CONF, cordonHost, DEBIAN, drain, EL, FROM, KUBELET_CONF, MARK, MARK_PATH, OLD_NODE, PODS_PATH, TO, upgradeHost } from "./fixtures";

function call(sb: Sandbox, command: string): RunResult {
    fs.writeFileSync(path.join(sb.workDir, "call.sh"), `${command}\necho "rc=$?"\n`);
    return sb.run("call.sh");
}

describe("the kubectl stand-in's upgrade-time calls", () => {
    test("jsonpath: the kubelet version, the cordon and the mark, printed without a line break; a missing mark prints nothing", () => {
        const sb = cordonHost(drain(), {
            nodes: { "test-node001": { state: "Ready no 0", kubelet: `v${FROM}`, annotations: { [MARK]: `v${TO}` } }, "test-node002": OLD_NODE },
        });
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF} get node`;
        expect(call(sb, `${k} test-node001 -o 'jsonpath={.status.nodeInfo.kubeletVersion}'`).stdout).toBe(`v${FROM}rc=0\n`);
        expect(call(sb, `${k} test-node001 -o 'jsonpath={.spec.unschedulable}'`).stdout).toBe("truerc=0\n");
        expect(call(sb, `${k} test-node002 -o 'jsonpath={.spec.unschedulable}'`).stdout).toBe("rc=0\n");
        expect(call(sb, `${k} test-node001 -o '${MARK_PATH}'`).stdout).toBe(`v${TO}rc=0\n`);
        expect(call(sb, `${k} test-node002 -o '${MARK_PATH}'`).stdout).toBe("rc=0\n");
        expect(call(sb, `${k} nobody -o '${MARK_PATH}'`).stdout).toBe("rc=1\n");
    });

    test("jsonpath: refuses (exit 2) the mark's key with an unescaped dot, which the real kubectl answers with nothing", () => {
        const sb = cordonHost(drain());
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF} get node test-node001`;
        const unescaped = call(sb, `${k} -o 'jsonpath={.metadata.annotations.lsst-k8s.io/drained-for-upgrade}'`);
        expect(unescaped.stdout).toBe("rc=2\n");
        expect(unescaped.stderr).toContain(String.raw`write {.metadata.annotations.lsst-k8s\.io/drained-for-upgrade}`);
        // A backslash too many (what "\\\\." in double quotes makes), quotes kept in the argument, other forms.
        expect(call(sb, `${k} -o 'jsonpath={.metadata.annotations.lsst-k8s\\\\.io/drained-for-upgrade}'`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o "jsonpath='{.status.nodeInfo.kubeletVersion}'"`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o=jsonpath={.status.nodeInfo.kubeletVersion}`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o "jsonpath={.metadata.annotations['lsst-k8s.io/drained-for-upgrade']}"`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o 'jsonpath={.metadata.annotations}'`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o 'jsonpath={.status.nodeInfo}'`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} -o json`).stdout).toBe("rc=2\n");
    });

    test("drain: a bare pod stops it without --force as kubectl does (cordoned, nothing evicted); --force evicts it and the flags are recorded", () => {
        const bare = "jupyter-lsst/jupyter-alice";
        const sb = cordonHost(drain(), { nodes: { "test-node001": { ...OLD_NODE, barePods: [bare] } } });
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF}`;
        const refusal = `cannot delete cannot delete Pods that declare no controller (use --force to override): ${bare}`;
        const refused = call(sb, `${k} drain test-node001 --ignore-daemonsets --delete-emptydir-data --timeout 300s`);
        expect(refused.stdout).toBe("node/test-node001 cordoned\nrc=1\n");
        expect(refused.stderr).toBe([
            `error: unable to drain node "test-node001" due to error: ${refusal}, continuing command...`,
            "There are pending nodes to be drained:",
            " test-node001",
            refusal,
            "",
        ].join("\n"));
        expect(sb.readState("nodes/test-node001")).toBe(`Ready no 2 v${FROM}\n`);
        expect(sb.readState("bare-pods/test-node001")).toBe(`${bare}\n`);
        expect(sb.readState("drains")).toBeUndefined();

        // What would skip the pods' grace period or their disruption budgets is refused (exit 2).
        for (const flag of ["--grace-period=0", "--grace-period", "--disable-eviction", "--skip-wait-for-delete-timeout=1"]) {
            expect([flag, call(sb, `${k} drain test-node001 --ignore-daemonsets --delete-emptydir-data --force ${flag} --timeout 300s`).stdout])
                .toEqual([flag, "rc=2\n"]);
        }
        expect(sb.readState("bare-pods/test-node001")).toBe(`${bare}\n`);

        const pods = `${k} get pods --all-namespaces --field-selector spec.nodeName=test-node001 -o '${PODS_PATH}'`;
        expect(call(sb, pods).stdout).toBe([
            "kube-system/kube-proxy-sandbox DaemonSet", "kube-system/weave-net-sandbox DaemonSet",
            "default/app-1 ReplicaSet", "default/app-2 ReplicaSet", `${bare} `, "rc=0", "",
        ].join("\n"));

        const forced = call(sb, `${k} drain test-node001 --ignore-daemonsets --delete-emptydir-data --force --timeout 300s`);
        expect(forced.stdout).toContain(`evicting pod ${bare}\n`);
        expect(forced.stdout).toContain("pod/jupyter-alice evicted\nnode/test-node001 drained\nrc=0\n");
        expect(forced.stderr).toBe(`Warning: deleting Pods that declare no controller: ${bare}; ` +
            "ignoring DaemonSet-managed Pods: kube-system/kube-proxy-sandbox, kube-system/weave-net-sandbox\n");
        expect(sb.readState("bare-pods/test-node001")).toBeUndefined();
        expect(sb.readState("drains")).toBe("test-node001 --ignore-daemonsets --delete-emptydir-data --force --timeout 300s\n");
        expect(call(sb, pods).stdout).not.toContain(bare);
        // A node the API does not have matches no pod; other listings are refused.
        expect(call(sb, `${k} get pods --all-namespaces --field-selector spec.nodeName=nobody -o '${PODS_PATH}'`).stdout).toBe("rc=0\n");
        expect(call(sb, `${k} get pods --all-namespaces --field-selector spec.nodeName=test-node001 -o name`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} get pods -A --field-selector spec.nodeName=test-node001 -o '${PODS_PATH}'`).stdout).toBe("rc=2\n");
    });

    test("annotate and uncordon: kubectl's errors, and refusals of what the scripts never do", () => {
        const sb = cordonHost(drain(), { nodes: { "test-node001": { ...OLD_NODE, annotations: { [MARK]: `v${FROM}` } } } });
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF}`;
        const state = sb.stateSnapshot();
        const clash = call(sb, `${k} annotate node test-node001 ${MARK}=v${TO}`);
        expect(clash.stdout).toBe("rc=1\n");
        expect(clash.stderr).toBe(`error: --overwrite is false but found the following declared annotation(s): '${MARK}' already has a value (v${FROM})\n`);
        expect(call(sb, `${k} annotate node test-node001 ${MARK}=v${FROM}`).stdout).toBe("node/test-node001 annotated\nrc=0\n");
        expect(call(sb, `${k} annotate node nobody ${MARK}=v${TO}`).stdout).toBe("rc=1\n");
        expect(call(sb, `${k} annotate pod test-node001 ${MARK}=v${TO}`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} annotate node test-node001`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} annotate node test-node001 'bad key=1'`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} annotate --all node ${MARK}-`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} uncordon nobody`).stdout).toBe("rc=1\n");
        expect(call(sb, `${k} uncordon test-node001 --dry-run=client`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} cordon test-node001`).stdout).toBe("rc=2\n");
        // None of it changed the cluster.
        expect(sb.stateSnapshot()).toEqual(state);
        expect(call(sb, `${k} uncordon test-node001`).stdout).toBe("node/test-node001 already uncordoned\nrc=0\n");
    });
});

describe("the kubeadm stand-in's upgrade subcommands", () => {
    test("refuses what it does not know (exit 2), a kubeadm older than the target, a skipped minor and a downgrade (exit 1)", () => {
        const sb = upgradeHost(DEBIAN, "first-control-plane");
        const tree = sb.snapshot({ identity: true });
        const kubeadm = (args: string) => call(sb, `kubeadm ${args}`);
        for (const args of [
            "upgrade plan", `upgrade plan ${TO}`, `upgrade apply --yes v${TO} --force`, `upgrade apply -f v${TO}`, "upgrade node --dry-run",
            `upgrade diff v${TO}`, `upgrade plan v${TO} v${TO}`, `upgrade plan --yes v${TO}`,
        ]) {
            expect([args, kubeadm(args).stdout]).toEqual([args, "rc=2\n"]);
        }
        // kubeadm is still at 1.36.3 here: the real one says to upgrade it first.
        const early = kubeadm(`upgrade plan v${TO}`);
        expect(early.stdout).toContain("rc=1\n");
        expect(early.stderr).toContain(`Specified version to upgrade to "v${TO}" is higher than the kubeadm version "v${FROM}". Upgrade kubeadm first`);
        expect(kubeadm(`upgrade apply --yes v${TO}`).stdout).toContain("rc=1\n");
        // A newer kubeadm does not skip a minor, nor go back.
        sb.writeState("packages", `kubeadm\t1.38.0-1.1\tinstalled\n`);
        expect(kubeadm("upgrade apply --yes v1.38.0").stderr).toContain("kubeadm can upgrade only 1 minor version at a time");
        expect(kubeadm("upgrade apply --yes v1.36.0").stderr).toContain('is lower than the cluster version "v1.36.3"');
        // Without --yes, apply asks, reads no answer and stops.
        sb.writeState("packages", `kubeadm\t${DEBIAN.pkg(TO)}\tinstalled\n`);
        const asked = kubeadm(`upgrade apply v${TO}`);
        expect(asked.stdout).toContain("Are you sure you want to proceed? [y/N]");
        expect(asked.stdout).toContain("rc=1\n");
        // None of it moved the control plane.
        expect(sb.snapshot({ identity: true })).toEqual(tree);
        expect(sb.readState("kubeadm/upgrades")).toBeUndefined();
        expect(kubeadm(`upgrade plan v${TO}`).stdout).toContain("rc=0\n");
    });

    test("plan and apply need admin.conf; upgrade node needs kubelet.conf on a worker", () => {
        const cp = upgradeHost(DEBIAN, "first-control-plane", { installed: TO });
        cp.removeRoot(ADMIN_CONF);
        const noAdmin = call(cp, `kubeadm upgrade apply --yes v${TO}`);
        expect(noAdmin.stdout).toBe("rc=1\n");
        expect(noAdmin.stderr).toContain("failed to load admin kubeconfig");
        expect(call(cp, "kubeadm upgrade node").stdout).toBe("rc=1\n");
        const worker = upgradeHost(EL, "worker", { installed: TO });
        worker.removeRoot(KUBELET_CONF);
        expect(call(worker, "kubeadm upgrade node").stdout).toBe("rc=1\n");
        expect(cp.readState("kubeadm/upgrades")).toBeUndefined();
        expect(worker.readState("kubeadm/upgrades")).toBeUndefined();
    });
});

describe("static checks on the upgrade tools", () => {
    test("every tool on the upgrade and cordon PATHs is one the scripts use", () => {
        expect(unusedTools(UPGRADE_TOOLS, ["upgrade.sh", "lib.sh"])).toEqual([]);
        expect(unusedTools(CORDON_TOOLS, ["cordon.sh", "lib.sh"])).toEqual([]);
    });

    test("the sandbox PATHs hold those tools and the stand-ins, nothing else, and upgrade.sh needs no more", () => {
        for (const f of [DEBIAN, EL]) {
            const sb = upgradeHost(f, "first-control-plane");
            expect(fs.readdirSync(sb.binDir).sort()).toEqual([...UPGRADE_TOOLS, ...f.standIns].sort());
            expectSuccess(sb.run("upgrade.sh"));
        }
        expect(fs.readdirSync(cordonHost(drain()).binDir).sort()).toEqual([...CORDON_TOOLS, "kubectl"].sort());
    });
});
