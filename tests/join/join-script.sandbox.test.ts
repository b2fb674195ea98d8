/**
 * join.sh run for real under bash in the sandbox (tests/sandbox.ts) on a worker and on a second control
 * plane of ./fixtures, from the bundle NodeJoin sends (tests/sandbox/joins.ts, checked against NodeJoin in
 * bundles.sandbox.test.ts): the join, its guards against a second one, its failures and retries, and its
 * refusals. The kubeadm stand-in reads the bundle's real kubeadm.yaml, prints the secrets in its output
 * (so a leak shows) and keeps the nodes it joined in its state.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { apiServerFileChanges, apiServerFiles, JOIN_TOOLS, LEAKS, RESET_TOOLS, Sandbox, writeBundle } from "../sandbox";
import { CA_HASH, CA_HEX, CERT_KEY, joinBundle, lines, resetBundle, TOKEN } from "../sandbox/joins";
import {
    ADMIN_CONF, CONTROL_PLANE, DEV, expectNoSecrets, joinHost, KUBELET_CONF, LOG, LOG_DIR, PREPARED_DIRS, TEST, UNFINISHED, WORKER,
} from "./fixtures";

function kubeadmArgv(sb: Sandbox): string[][] {
    return sb.argv().filter((a) => a[0] === "kubeadm");
}

function joinCall(sb: Sandbox): string {
    return `kubeadm join --config ${sb.workDir}/kubeadm.yaml`;
}

describe.each([
    ["worker test-node001 (lsst-test)", TEST, WORKER],
    ["control plane dev-cp02 (lsst-dev)", DEV, CONTROL_PLANE],
])("join.sh on the %s", (_, cluster, node) => {
    const controlPlane = node.role === "control-plane";
    const secrets = controlPlane ? [TOKEN, CERT_KEY] : [TOKEN];

    test("the bundle's kubeadm.yaml is the rendered JoinConfiguration, the CA hash pinned", () => {
        const bundle = joinBundle(cluster, node);
        // A control plane's also carries the API server's own files, which its join starts it with.
        expect(Object.keys(bundle.files).sort()).toEqual(
            [...(controlPlane ? ["audit-policy.yaml", "authentication.yaml", "encryption.yaml"] : []), "join.sh", "kubeadm.yaml", "lib.sh"]);
        expect(bundle.files["kubeadm.yaml"].mode).toBe("0600");
        const [doc, ...rest] = yaml.loadAll(bundle.files["kubeadm.yaml"].content) as Record<string, any>[];
        expect(rest).toEqual([]);
        expect(doc.kind).toBe("JoinConfiguration");
        expect(doc.discovery.bootstrapToken).toEqual({
            apiServerEndpoint: cluster.controlPlaneEndpoint.text, token: TOKEN, caCertHashes: [CA_HASH],
        });
        expect(doc.nodeRegistration.name).toBe(node.name);
        expect(doc.controlPlane?.certificateKey).toBe(controlPlane ? CERT_KEY : undefined);
    });

    test("joins: `kubeadm join --config <bundle>/kubeadm.yaml` once, kubelet.conf made, kubeadm's output in a root-only log", () => {
        const sb = joinHost(cluster, node);
        const r = sb.run("join.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(0);

        expect(r.calls).toEqual(["id -u", joinCall(sb)]);
        expect(kubeadmArgv(sb)).toEqual([["kubeadm", "join", "--config", `${sb.workDir}/kubeadm.yaml`]]);
        expect(r.stdout).toBe("");
        const files = apiServerFileChanges("join.sh", joinBundle(cluster, node));
        expect(lines(r.stderr)).toEqual([
            "join.sh: step join",
            ...files,
            "join.sh:   changed: kubeadm join",
            `join.sh: done: ${files.length + 1} change(s)`,
        ]);
        expectNoSecrets(r, secrets);
        for (const f of apiServerFiles(joinBundle(cluster, node))) {
            expect(sb.readRoot(`etc/kubernetes/lsst-k8s/${f}`)).toBe(joinBundle(cluster, node).files[f].content);
            expect(sb.modeOf(`etc/kubernetes/lsst-k8s/${f}`)).toBe("0600");
        }
        expect(sb.existsRoot("etc/kubernetes/lsst-k8s")).toBe(controlPlane);

        // The stand-in joined this node from the bundle's file.
        expect(sb.readState("kubeadm/joins")).toBe(`${node.name}\n`);
        expect(sb.existsRoot(KUBELET_CONF)).toBe(true);
        expect(sb.modeOf(KUBELET_CONF)).toBe("0600");
        expect(sb.existsRoot(ADMIN_CONF)).toBe(controlPlane);
        expect(sb.existsRoot("etc/kubernetes/manifests/kube-apiserver.yaml")).toBe(controlPlane);

        // kubeadm's output, the token in it, went to the log: 0600 in a 0700 directory.
        const log = sb.readRoot(LOG);
        expect(log).toContain("This node has joined the cluster:");
        expect(log).toContain(`[discovery] Using token ${TOKEN} to reach ${cluster.controlPlaneEndpoint.text}, pinning ${CA_HASH}`);
        expect(log.includes(CERT_KEY)).toBe(controlPlane);
        expect(sb.modeOf(LOG)).toBe("0600");
        expect(sb.modeOf(LOG_DIR)).toBe("0700");
        expect(sb.existsRoot(UNFINISHED)).toBe(false);
    });

    test("GUARD: a second run never calls kubeadm, reports 0 change(s), changes nothing", () => {
        const sb = joinHost(cluster, node);
        expect(sb.run("join.sh").status).toBe(0);
        const tree = sb.snapshot({ identity: true });
        const state = sb.stateSnapshot();

        const again = sb.run("join.sh");
        expect(again.stderr).not.toMatch(LEAKS);
        expect(again.status).toBe(0);
        expect(again.calls).toEqual(["id -u"]);
        expect(again.stdout).toBe("");
        expect(lines(again.stderr)).toEqual([
            "join.sh: step join",
            "join.sh:   /etc/kubernetes/kubelet.conf exists: this host has already joined",
            "join.sh: done: 0 change(s)",
        ]);
        // Contents, modes, inodes and mtimes: the log is not even truncated.
        expect(sb.snapshot({ identity: true })).toEqual(tree);
        expect(sb.stateSnapshot()).toEqual(state);
        expect(sb.readState("kubeadm/joins")).toBe(`${node.name}\n`);
    });

    test("GUARD: a host joined before (by hand, no log of ours) is kept, kubeadm never called", () => {
        const sb = joinHost(cluster, node, {
            joinFails: true,
            host: { dirs: PREPARED_DIRS, files: { [KUBELET_CONF]: { content: "apiVersion: v1\nkind: Config\n# joined by hand\n", mode: "0600" } } },
        });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("join.sh");
        expect(r.status).toBe(0);
        expect(r.calls).toEqual(["id -u"]);
        expect(r.stderr).toContain("join.sh: done: 0 change(s)");
        expect(sb.existsRoot(LOG_DIR)).toBe(false);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("a failing join: step 'join' fails, the end of the log shown with the secrets masked, the log root-only", () => {
        const sb = joinHost(cluster, node, { joinFails: true });
        const r = sb.run("join.sh");
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.calls).toEqual(["id -u", joinCall(sb)]);

        // The log holds all of kubeadm's output, secrets included, and stays root-only.
        const log = sb.readRoot(LOG);
        expect(log).toContain(`error execution phase kubelet-start: timed out waiting for the condition (bootstrap token ${TOKEN})`);
        expect(log.includes(CERT_KEY)).toBe(controlPlane);
        expect(sb.modeOf(LOG)).toBe("0600");
        expect(sb.modeOf(LOG_DIR)).toBe("0700");

        // stderr: the step, the last 20 lines of the log masked, then the failure. The token and the
        // certificate key are masked; the public CA hash after "sha256:" is kept.
        const tail = lines(log).slice(-20).map((l) => l.replaceAll(TOKEN, "<token>").replaceAll(CERT_KEY, "<certificate-key>"));
        expect(lines(r.stderr)).toEqual([
            "join.sh: step join",
            ...apiServerFileChanges("join.sh", joinBundle(cluster, node)),
            ...tail,
            `join.sh: step 'join' failed: kubeadm join failed; the whole log is ${sb.root}/${LOG} on this host`,
        ]);
        expect(r.stderr).toContain("(bootstrap token <token>)");
        expect(r.stderr).toContain(`[discovery] Using token <token> to reach ${cluster.controlPlaneEndpoint.text}, pinning sha256:${CA_HEX}`);
        if (controlPlane) {
            expect(r.stderr).toContain("[download-certs] Using certificate key <certificate-key>\n");
        }
        expectNoSecrets(r, secrets);
        // No change but the API server's files, which are there for the retry.
        expect(lines(r.stderr).filter((l) => l.includes("changed:"))).toEqual(apiServerFileChanges("join.sh", joinBundle(cluster, node)));
        expect(sb.existsRoot(KUBELET_CONF)).toBe(false);
        expect(sb.existsRoot(UNFINISHED)).toBe(true);
    });

    test("a join that failed after kubelet.conf was written is not taken for joined: the retry refuses until the host is reset", () => {
        const sb = joinHost(cluster, node, {
            joinFails: "after-tls-bootstrap",
            host: { standIns: ["id", "kubeadm", "kubectl"], tools: [...new Set([...JOIN_TOOLS, ...RESET_TOOLS])], dirs: PREPARED_DIRS },
        });
        const failed = sb.run("join.sh");
        expect(failed.status).toBe(1);
        expect(failed.stderr).toContain("join.sh: step 'join' failed: kubeadm join failed;");
        expect(sb.existsRoot(KUBELET_CONF)).toBe(true);
        expect(sb.existsRoot("etc/kubernetes/manifests/etcd.yaml")).toBe(false);
        fs.rmSync(path.join(sb.stateDir, "kubeadm-join-fail"));

        // The retry (the next `pulumi up`) fails, kubeadm never called, nothing touched.
        const tree = sb.snapshot({ identity: true });
        const retry = sb.run("join.sh");
        expect(retry.stderr).not.toMatch(LEAKS);
        expect(retry.status).toBe(1);
        expect(retry.calls).toEqual(["id -u"]);
        expect(lines(retry.stderr)).toEqual([
            "join.sh: step join",
            `join.sh: step 'join' failed: an earlier kubeadm join stopped partway on this host (see ${sb.root}/${LOG}): run 'kubeadm reset --force' here, then retry`,
        ]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);

        // After a reset (reset.sh, which finds no Node of that name in the API) the host joins.
        writeBundle(resetBundle(cluster, node), sb.workDir);
        expect(sb.run("reset.sh").status).toBe(0);
        const joined = sb.run("join.sh");
        expect(joined.status).toBe(0);
        expect(joined.calls).toEqual(["id -u", joinCall(sb)]);
        expect(sb.readState("kubeadm/joins")).toBe(`${node.name}\n`);
        expect(sb.existsRoot(UNFINISHED)).toBe(false);
        expect(sb.existsRoot("etc/kubernetes/manifests/etcd.yaml")).toBe(controlPlane);
    });

    test("after a failed join, a retry runs kubeadm again and the log holds only the new run", () => {
        const sb = joinHost(cluster, node, { joinFails: true });
        expect(sb.run("join.sh").status).toBe(1);
        fs.rmSync(path.join(sb.stateDir, "kubeadm-join-fail"));
        const r = sb.run("join.sh");
        expect(r.status).toBe(0);
        expect(r.calls).toEqual(["id -u", joinCall(sb)]);
        const log = sb.readRoot(LOG);
        expect(log).not.toContain("error execution phase");
        expect(log.match(/\[preflight\] Running pre-flight checks\n/g)).toHaveLength(1);
        expect(sb.modeOf(LOG)).toBe("0600");
    });
});

describe("join.sh refusals", () => {
    test("a bundle without kubeadm.yaml fails step 'join' naming it, before anything is done", () => {
        const { "kubeadm.yaml": _omitted, ...files } = joinBundle(TEST, WORKER).files;
        void _omitted;
        const sb = joinHost(TEST, WORKER, { bundle: { entry: "join.sh", files } });
        const tree = sb.snapshot({ identity: true });
        const r = sb.run("join.sh");
        expect(r.stderr).toContain("join.sh: step 'join' failed: the bundle has no kubeadm.yaml\n");
        expect(r.status).toBe(1);
        expect(r.calls).toEqual(["id -u"]);
        expect(sb.snapshot({ identity: true })).toEqual(tree);
    });

    test("refuses to run when not root, before kubeadm", () => {
        const sb = joinHost(TEST, WORKER, { host: { dirs: PREPARED_DIRS, state: { uid: 1000 } } });
        const r = sb.run("join.sh");
        expect(r.stderr).toContain("join.sh: step 'join' failed: must run as root\n");
        expect(r.status).toBe(1);
        expect(r.calls).toEqual(["id -u"]);
        expect(sb.existsRoot("var")).toBe(false);
    });
});
