/**
 * Step 4 of the control-plane tier: the real kubeadm reads what the program renders. Every
 * InitConfiguration with its ClusterConfiguration (the first control plane), every JoinConfiguration
 * (each other node) and the renewal configuration of one stack, through `kubeadm config validate`;
 * and the taints kubeadm gives the first control plane, as `kubeadm config migrate` defaults them, for
 * the stack as it is and for the stack cut down to that one box (technote 004's single node): tainted
 * NoSchedule with workers, untainted without.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ClusterConfig } from "../../config";
import { initConfiguration, joinConfiguration, renderDocuments, renewConfiguration } from "../../components/hosts/kubeadm";
import { PLACEHOLDER_CA_HASH, PLACEHOLDER_TOKEN } from "../offline";

export interface KubeadmResult {
    readonly checked: number;
    readonly valid: number;
    readonly problems: string[];
}

const CERTIFICATE_KEY = "0123456789abcdef".repeat(4);

export function validateKubeadmConfigs(kubeadmBin: string, cluster: ClusterConfig, dir: string): KubeadmResult {
    const first = cluster.nodes.find((n) => n.role === "control-plane")!;
    const files: [string, string][] = [
        [`init-${first.name}`, renderDocuments(initConfiguration(cluster, first, { token: PLACEHOLDER_TOKEN, certificateKey: CERTIFICATE_KEY }))],
        ["renew", renderDocuments(renewConfiguration(cluster))],
        ...cluster.nodes.filter((n) => n !== first).map((n): [string, string] => [`join-${n.name}`, renderDocuments(joinConfiguration(cluster, n, {
            token: PLACEHOLDER_TOKEN, caCertHash: PLACEHOLDER_CA_HASH, ...(n.role === "control-plane" ? { certificateKey: CERTIFICATE_KEY } : {}),
        }))]),
    ];
    const problems: string[] = [];
    for (const [name, text] of files) {
        const file = path.join(dir, `${cluster.name}-${name}.yaml`);
        fs.writeFileSync(file, text, { mode: 0o600 });
        const r = spawnSync(kubeadmBin, ["config", "validate", "--config", file], { encoding: "utf8" });
        if (r.status !== 0) {
            problems.push(`${cluster.name}: ${name}: kubeadm config validate: ${`${r.stdout}${r.stderr}`.trim()}`);
        }
    }
    let checked = files.length;
    const box: ClusterConfig = { ...cluster, nodes: [first] };
    for (const [variant, c] of [["as it is", cluster], ["as a single box", box]] as const) {
        checked += 1;
        const workers = c.nodes.some((n) => n.role === "worker");
        const want = workers ? [{ effect: "NoSchedule", key: "node-role.kubernetes.io/control-plane" }] : [];
        const got = registeredTaints(kubeadmBin, path.join(dir, `${cluster.name}-taints-${workers ? "workers" : "box"}`),
            renderDocuments(initConfiguration(c, first, { token: PLACEHOLDER_TOKEN, certificateKey: CERTIFICATE_KEY })));
        if (JSON.stringify(got) !== JSON.stringify(want)) {
            problems.push(`${cluster.name}: ${variant}: kubeadm would taint ${first.name} ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
        }
    }
    return { checked, valid: checked - problems.length, problems };
}

/** The taints kubeadm registers the init node with, after its own defaulting; the error when it refuses. */
function registeredTaints(kubeadmBin: string, base: string, text: string): unknown {
    fs.writeFileSync(`${base}.yaml`, text, { mode: 0o600 });
    const r = spawnSync(kubeadmBin, ["config", "migrate", "--old-config", `${base}.yaml`, "--new-config", `${base}-migrated.yaml`], { encoding: "utf8" });
    if (r.status !== 0) {
        return `kubeadm config migrate: ${`${r.stdout}${r.stderr}`.trim()}`;
    }
    const docs = yaml.loadAll(fs.readFileSync(`${base}-migrated.yaml`, "utf8")) as { kind?: string; nodeRegistration?: { taints?: unknown } }[];
    return docs.find((d) => d?.kind === "InitConfiguration")?.nodeRegistration?.taints ?? null;
}
