/**
 * What the removal sandbox suites stand on: the kubectl and ip stand-ins refuse what the scripts must never
 * call, and drain.sh and reset.sh run with exactly the tools they use on PATH.
 */
import * as fs from "fs";
import * as path from "path";
import { createSandbox, DRAIN_TOOLS, expectSuccess, RESET_TOOLS, RunResult, Sandbox, writeBundle } from "../sandbox";
import { resetBundle, unusedTools } from "../sandbox/joins";
import { joinedKubeletConf } from "../sandbox/kubeconfigs";
import { addWeave, ADMIN_CONF, drainHost, live, nodesOf, PREPARED, TEST, WORKER } from "./fixtures";

describe("the kubectl and ip stand-ins", () => {
    function call(sb: Sandbox, command: string): RunResult {
        fs.writeFileSync(path.join(sb.workDir, "call.sh"), `${command}\necho "rc=$?"\n`);
        return sb.run("call.sh");
    }

    test("kubectl refuses what it does not know (exit 2), and fails without its kubeconfig (exit 1)", () => {
        const sb = drainHost(WORKER);
        const k = `kubectl --kubeconfig ${sb.root}/${ADMIN_CONF}`;
        const both = createSandbox({ standIns: ["kubectl", "ip"], tools: ["bash"] });
        live.push(both);
        expect(call(sb, "kubectl get node test-node001").stdout).toBe("rc=2\n");
        expect(call(sb, `${k} get nodes`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} get node test-node001 -o yaml`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} drain test-node001 --ignore-daemonsets --delete-emptydir-data --timeout 300s --disable-eviction`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} drain test-node001 --ignore-daemonsets --timeout 300s`).stdout).toBe("rc=2\n");
        expect(call(sb, `${k} delete node test-node001 --grace-period 0`).stdout).toBe("rc=2\n");
        expect(call(sb, "kubectl --kubeconfig /etc/kubernetes/admin.conf get node x").stdout).toBe("rc=2\n");
        const missing = call(sb, `kubectl --kubeconfig ${sb.root}/nope.conf get node test-node001`);
        expect(missing.stdout).toBe("rc=1\n");
        expect(missing.stderr).toContain("no such file or directory");
        const absent = call(sb, `${k} get node nobody`);
        expect(absent.stdout).toBe("rc=1\n");
        expect(absent.stderr).toBe('Error from server (NotFound): nodes "nobody" not found\n');
        expect(call(sb, `${k} get node nobody --ignore-not-found -o name`).stdout).toBe("rc=0\n");
        expect(call(sb, `${k} get node test-node001 --ignore-not-found -o name`).stdout).toBe("node/test-node001\nrc=0\n");
        expect(call(sb, `${k} delete node nobody`).stdout).toBe("rc=1\n");
        // None of it drained or deleted anything.
        expect(nodesOf(sb)).toEqual({ "test-node001": "Ready yes 2" });

        expect(call(both, "ip link show weave").stdout).toBe("rc=2\n");
        expect(call(both, "ip addr flush dev weave").stdout).toBe("rc=2\n");
        expect(call(both, "ip link delete ../weave").stdout).toBe("rc=2\n");
        const noLink = call(both, "ip link delete weave");
        expect(noLink.stdout).toBe("rc=1\n");
        expect(noLink.stderr).toBe('Cannot find device "weave"\n');
    });
});

describe("static checks on the removal tools", () => {
    test("every tool on the drain and reset PATHs is one the scripts use", () => {
        expect(unusedTools(DRAIN_TOOLS, ["drain.sh", "lib.sh"])).toEqual([]);
        expect(unusedTools(RESET_TOOLS, ["reset.sh", "lib.sh"])).toEqual([]);
    });

    test("reset.sh needs nothing beyond its own tools and stand-ins", () => {
        const sb = createSandbox({
            standIns: ["id", "ip", "kubeadm", "kubectl"], tools: RESET_TOOLS, ...PREPARED, files: { ...PREPARED.files, ...joinedKubeletConf(WORKER.name) },
        });
        live.push(sb);
        writeBundle(resetBundle(TEST, WORKER), sb.workDir);
        addWeave(sb);
        const r = sb.run("reset.sh");
        expectSuccess(r);
        expect(r.calls).toContain("kubeadm reset --force");
        expect(fs.readdirSync(sb.binDir).sort()).toEqual([...RESET_TOOLS, "id", "ip", "kubeadm", "kubectl"].sort());
    });

    test("drain.sh needs nothing beyond its own tools and the kubectl stand-in", () => {
        const sb = drainHost(WORKER);
        expectSuccess(sb.run("drain.sh"));
        expect(fs.readdirSync(sb.binDir).sort()).toEqual([...DRAIN_TOOLS, "kubectl"].sort());
    });
});
