/**
 * Step 4 of the control-plane tier: the real kubeadm reads what the program renders. Every
 * InitConfiguration with its ClusterConfiguration (the first control plane), every JoinConfiguration
 * (each other node) and the renewal configuration of one stack, through `kubeadm config validate`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
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
    return { checked: files.length, valid: files.length - problems.length, problems };
}
