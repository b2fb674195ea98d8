/**
 * One SSH connection definition per host, shared by every remote action on it: user and key from
 * config (the key stays a Pulumi secret), the host key pinned where the inventory gives one, the
 * bastion the technotes reach nodes through, and dial retries for hosts that are still booting.
 */
import * as pulumi from "@pulumi/pulumi";
import type { remote } from "@pulumi/command/types/input";
import { NodeConfig, SshConfig } from "../../config";

export function nodeConnection(ssh: SshConfig, node: NodeConfig, privateKey: pulumi.Input<string>): remote.ConnectionArgs {
    const retries = { dialErrorLimit: ssh.dialErrorLimit, perDialTimeout: ssh.perDialTimeout };
    return {
        host: node.address,
        port: ssh.port,
        user: ssh.user,
        privateKey,
        ...retries,
        ...(node.hostKey ? { hostKey: node.hostKey } : {}),
        ...(ssh.bastion
            ? {
                proxy: {
                    host: ssh.bastion.host,
                    port: ssh.bastion.port,
                    user: ssh.bastion.user,
                    privateKey,
                    ...retries,
                    ...(ssh.bastion.hostKey ? { hostKey: ssh.bastion.hostKey } : {}),
                },
            }
            : {}),
    };
}
