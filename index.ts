import { readConfig } from "./config";
import { Cluster } from "./components/Cluster";

const config = readConfig();
const cluster = new Cluster(config.cluster.name, {
    config: config.cluster,
    sshPrivateKey: config.sshPrivateKey,
});

export const apiEndpoint = config.cluster.controlPlaneEndpoint.text;
export const kubernetesVersion = config.cluster.kubernetesVersion.text;
export const nodes = cluster.nodes;
export const caCertHash = cluster.controlPlane.caCertHash;
export const kubeconfig = cluster.controlPlane.kubeconfig;
export const joinCommand = cluster.controlPlane.joinCommand;
