/**
 * What every prepare.sh suite runs on: the cluster of Pulumi.test.yaml through the real validation, a
 * sandbox with the bundle prepareBundle writes for one of its nodes, and readings of what a run did.
 *
 * Importing this module registers the afterEach that cleans up the sandboxes in `live`: jest loads it
 * afresh for each test file, so each file gets its own hook.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { ClusterConfig, NodeConfig, validateConfig } from "../../config";
import { Bundle } from "../../components/hosts/bundle";
import { prepareBundle } from "../../components/hosts/nodeFiles";
import { cleanedUpAfterEach, createSandbox, expectSuccess, LEAKS, RunResult, Sandbox, SandboxOptions, writeBundle } from "../sandbox";

export const REPO = path.join(__dirname, "..", "..");
const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----";

// ---- the cluster and the bundle ---------------------------------------------------------------------

type RawCluster = { nodes: Record<string, unknown>[] } & Record<string, unknown>;

/** The cluster of Pulumi.test.yaml, optionally changed, through the real validation. */
export function testCluster(change?: (raw: RawCluster) => void): ClusterConfig {
    const doc = yaml.load(fs.readFileSync(path.join(REPO, "Pulumi.test.yaml"), "utf8")) as { config: Record<string, unknown> };
    const raw = structuredClone(doc.config["lsst-k8s:cluster"]) as RawCluster;
    change?.(raw);
    const { config, problems } = validateConfig({ "lsst-k8s:cluster": JSON.stringify(raw), "lsst-k8s:sshPrivateKey": SSH_KEY });
    if (!config) {
        throw new Error(`the test cluster is invalid:\n${problems.join("\n")}`);
    }
    return config;
}

/** Pulumi.test.yaml with three control planes, so the etcd rules are per control plane. */
export function threeControlPlanes(): ClusterConfig {
    return testCluster((raw) => {
        raw.nodes.splice(1, 0,
            { name: "test-cp02", role: "control-plane", address: "203.0.113.12" },
            { name: "test-cp03", role: "control-plane", address: "203.0.113.13" });
    });
}

function node(cluster: ClusterConfig, name: string): NodeConfig {
    const n = cluster.nodes.find((x) => x.name === name);
    if (!n) {
        throw new Error(`no node ${name}`);
    }
    return n;
}

export function params(bundle: Bundle): Record<string, string> {
    return Object.fromEntries(bundle.files["params.env"].content.trim().split("\n").map((l) => {
        const i = l.indexOf("=");
        return [l.slice(0, i), l.slice(i + 1)];
    }));
}

// ---- running it -------------------------------------------------------------------------------------

export const live = cleanedUpAfterEach();

interface Prepared {
    sb: Sandbox;
    bundle: Bundle;
}

export function prepared(host: SandboxOptions, cluster = testCluster(), nodeName = "test-cp01"): Prepared {
    const sb = createSandbox(host);
    live.push(sb);
    const bundle = prepareBundle(cluster, node(cluster, nodeName));
    writeBundle(bundle, sb.workDir);
    return { sb, bundle };
}

/** The step failed with exit 1 and MESSAGE, through die (not an unexpected command failure). */
export function expectDied(r: RunResult, step: string, message: string): void {
    expect(r.stderr).not.toMatch(LEAKS);
    expect(r.stderr).toContain(`prepare.sh: step '${step}' failed: ${message}`);
    expect(r.status).toBe(1);
}

/** What the run reported as changed, in order. */
export function changes(r: RunResult): string[] {
    const prefix = "prepare.sh:   changed: ";
    return r.stderr.split("\n").filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

export function callsOf(r: RunResult, command: string): string[] {
    return r.calls.filter((c) => c === command || c.startsWith(`${command} `));
}

/** Stand-in calls that only ask. A second run may make these and nothing else. */
const READ_ONLY_CALLS = [
    /^id -u$/,
    /^dpkg-query -W -f=\$\{(Status|Version)\} [a-z0-9.+-]+$/,
    /^rpm -q (--qf %\{VERSION\} )?[a-z0-9.+-]+$/,
    /^apt-mark showhold$/,
    /^sysctl -n [a-z0-9._-]+$/,
    /^containerd --version$/,
    /^getenforce$/,
    /^systemctl is-(enabled|active) --quiet [a-z0-9@._-]+$/,
    /^iptables -C INPUT /,
    /^firewall-cmd --permanent (--zone=trusted )?--query-(rich-rule|interface)=/,
];

/** Calls that change the host (or fetch what is already there). */
const STATE_CHANGING = new RegExp([
    String.raw`^(apt-get|dnf|curl|gpg|swapoff|modprobe|setenforce|iptables-save|netfilter-persistent)\b`,
    String.raw`^apt-mark (un)?hold`,
    String.raw`^sysctl .*-w`,
    String.raw`^systemctl (enable|disable|start|stop|restart)`,
    String.raw`^iptables -[IAD] `,
    String.raw`^firewall-cmd .*(--add-|--remove-|--reload)`,
].join("|"));

export function expectIdempotent(sb: Sandbox): void {
    const tree = sb.snapshot({ identity: true });
    const state = sb.stateSnapshot();
    const again = sb.run("prepare.sh");
    expectSuccess(again);
    expect(changes(again)).toEqual([]);
    expect(again.stderr).toContain("prepare.sh: done: 0 change(s)");
    expect(again.calls.filter((c) => STATE_CHANGING.test(c))).toEqual([]);
    expect(again.calls.filter((c) => !READ_ONLY_CALLS.some((re) => re.test(c)))).toEqual([]);
    expect(again.calls.length).toBeGreaterThan(10);
    // Contents, modes, and the files themselves (inode, mtime): nothing rewritten, created or removed.
    expect(sb.snapshot({ identity: true })).toEqual(tree);
    expect(sb.stateSnapshot()).toEqual(state);
}
