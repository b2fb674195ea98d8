// First: a stale compiled tree stops here, and stack traces no one reads are not taken (see the module).
import "./tools/build/startup";
import * as pulumi from "@pulumi/pulumi";
import { readConfig } from "./config";
import { Cluster } from "./components/Cluster";
import { registryStorageClass as registryStorageClassOf } from "./components/hosts/identity";

const config = readConfig();
// The stack's own last outputs: the cluster's name, its nodes and the version it runs now, which a new
// config may not rename or move and a new pin may only raise by one minor.
const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
const cluster = new Cluster(config.cluster.name, {
    config: config.cluster,
    sshPrivateKey: config.sshPrivateKey,
    condorToken: config.condorToken,
    previous: pulumi.all(["clusterName", "kubernetesVersion", "nodes", "joinedNodes", "kubeconfigExpires", "registryStorageClass", "certificatesExpire"]
        .map((k) => self.getOutput(k)))
        .apply(([clusterName, kubernetesVersion, nodes, joinedNodes, kubeconfigExpires, registryStorageClass, certificatesExpire]) =>
            ({ clusterName, kubernetesVersion, nodes, joinedNodes, kubeconfigExpires, registryStorageClass, certificatesExpire })),
});

export const clusterName = config.cluster.name;
export const apiEndpoint = config.cluster.controlPlaneEndpoint.text;
export const kubernetesVersion = config.cluster.kubernetesVersion.text;
export const nodes = cluster.nodes;
export const joinedNodes = cluster.joinedNodes;
export const caCertHash = cluster.controlPlane.caCertHash;
export const certificateAuthority = cluster.controlPlane.certificateAuthority;
export const kubeconfig = cluster.controlPlane.kubeconfig;
export const kubeconfigExpires = cluster.controlPlane.kubeconfigExpires;
export const certificatesExpire = cluster.certificatesExpire;
export const joinCommand = cluster.controlPlane.joinCommand;
export const registryUser = cluster.platform?.registry?.user;
export const registryPassword = cluster.platform?.registry?.password;
export const registryPushUser = cluster.platform?.registry?.pushUser;
export const registryPushPassword = cluster.platform?.registry?.pushPassword;
export const registryCertificate = cluster.platform?.registry?.certificate;
export const registryStorageClass = registryStorageClassOf(config.cluster);
