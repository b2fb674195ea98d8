/**
 * What the join sandbox suites stand on: the kubeadm stand-in's join-time subcommands refuse what the
 * scripts must never call and, like kubeadm, fail a second join; and the mint and join PATHs hold exactly
 * the tools the scripts use.
 */
import * as fs from "fs";
import * as path from "path";
import { JOIN_TOOLS, MINT_TOOLS, RunResult, Sandbox } from "../sandbox";
import { CERT_KEY, unusedTools } from "../sandbox/joins";
import { ADMIN_CONF, CONTROL_PLANE, DEV, joinHost, mintHost, TEST, WORKER } from "./fixtures";

describe("the kubeadm stand-in's join-time subcommands", () => {
    function kubeadm(sb: Sandbox, args: string): RunResult {
        fs.writeFileSync(path.join(sb.workDir, "call.sh"), `kubeadm ${args}\necho "rc=$?"\n`);
        return sb.run("call.sh");
    }

    test("refuses what it does not know (exit 2) and fails on a missing kubeconfig or config (exit 1)", () => {
        const sb = mintHost(DEV, CONTROL_PLANE);
        const admin = `${sb.root}/${ADMIN_CONF}`;
        const cfg = `${sb.workDir}/upload-certs.yaml`;
        expect(kubeadm(sb, `token create --kubeconfig ${admin}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `token create --kubeconfig ${admin} --ttl 1h0m0s --description x --print-join-command`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `token list --kubeconfig ${admin}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `init phase upload-certs --upload-certs --config ${cfg}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, `init phase upload-certs --upload-certs --config ${cfg} --kubeconfig ${admin} --certificate-key ${CERT_KEY}`).stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "join 203.0.113.11:6443 --token x").stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "join --config /etc/hosts").stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "reset").stdout).toBe("rc=2\n");
        expect(kubeadm(sb, "reset --force --cleanup-tmp-dir").stdout).toBe("rc=2\n");
        const missing = kubeadm(sb, `token create --kubeconfig ${sb.root}/nope.conf --ttl 1h0m0s --description x`);
        expect(missing.stdout).toBe("rc=1\n");
        expect(missing.stderr).toContain("failed to load admin kubeconfig");
        expect(kubeadm(sb, `join --config ${sb.workDir}/nope.yaml`).stdout).toBe("rc=1\n");
        // None of these minted, uploaded or joined anything.
        expect(sb.readState("kubeadm/tokens")).toBeUndefined();
        expect(sb.readState("kubeadm/uploads")).toBeUndefined();
        expect(sb.readState("kubeadm/joins")).toBeUndefined();
    });

    test("a second join on a joined host fails preflight", () => {
        const sb = joinHost(TEST, WORKER);
        expect(kubeadm(sb, `join --config ${sb.workDir}/kubeadm.yaml`).stdout).toContain("rc=0");
        const again = kubeadm(sb, `join --config ${sb.workDir}/kubeadm.yaml`);
        expect(again.stdout).toContain("rc=1");
        expect(again.stderr).toContain("[ERROR FileAvailable--etc-kubernetes-kubelet.conf]");
        expect(sb.readState("kubeadm/joins")).toBe("test-node001\n");
    });
});

describe("static checks on the join tools", () => {
    test("every tool on the mint and join PATHs is one the scripts use", () => {
        expect(unusedTools(MINT_TOOLS, ["mint-token.sh", "lib.sh"])).toEqual([]);
        expect(unusedTools(JOIN_TOOLS, ["join.sh", "lib.sh"])).toEqual([]);
    });

    test("the sandbox PATHs hold those tools and the stand-ins, nothing else", () => {
        expect(fs.readdirSync(mintHost(TEST, WORKER).binDir).sort()).toEqual([...MINT_TOOLS, "kubeadm"].sort());
        expect(fs.readdirSync(joinHost(TEST, WORKER).binDir).sort()).toEqual([...JOIN_TOOLS, "id", "kubeadm"].sort());
    });
});
