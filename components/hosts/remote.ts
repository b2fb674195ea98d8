/**
 * How the components create remote commands that carry secrets, in one place.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { remote } from "@pulumi/command/types/input";
import { bootstrapCommand } from "./bundle";

export interface SecretActionArgs {
    readonly connection: remote.ConnectionArgs;
    /** The encoded bundle; made a secret here. */
    readonly stdin: pulumi.Input<string>;
    /** Create and delete timeout; default "20m". */
    readonly timeout?: string;
    /** A change to any of these runs the action again, as a new resource; default none. */
    readonly triggers?: pulumi.Input<unknown[]>;
}

/**
 * A remote action that carries secrets and runs once: its bundle is a secret, its output is secret
 * and not logged, and a changed bundle (a new token, a new key) never runs it again on a host where it
 * already ran (kubeadm init or join twice would break the cluster).
 */
export function secretAction(name: string, args: SecretActionArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const timeout = args.timeout ?? "20m";
    return new command.remote.Command(name, {
        connection: args.connection,
        create: bootstrapCommand(),
        ...(args.triggers ? { triggers: args.triggers } : {}),
        stdin: pulumi.secret(args.stdin),
        logging: "none",
        // Else the provider hands the previous run's stdout (a kubeconfig, a token) to the next run's environment.
        addPreviousOutputInEnv: false,
    }, {
        ...opts,
        additionalSecretOutputs: ["stdout", "stderr"],
        customTimeouts: { create: timeout, update: timeout },
        ignoreChanges: [...new Set(["stdin", ...(opts.ignoreChanges ?? [])])],
    });
}

export interface DeleteActionArgs {
    readonly connection: remote.ConnectionArgs;
    /** The bundle's entry script, run on delete. */
    readonly entry: string;
    /** The encoded bundle; stored again on every deploy that changes it, so fixes reach the delete. */
    readonly stdin: pulumi.Input<string>;
    /** Delete timeout; default "20m". */
    readonly timeout?: string;
}

/**
 * A remote action that runs only when its resource is deleted (a drain, a reset), apart from the run-once
 * command it undoes: it has no create command, so its create only stores the bundle (no SSH session),
 * and a changed bundle is stored again by an update that runs nothing either, so the delete always
 * runs the scripts of the last deploy. A replace
 * deletes first: one that runs while the host is still wanted then fails in the script's own checks
 * and changes nothing, where a replacement created first would be left beside a pending delete.
 */
export function deleteAction(name: string, args: DeleteActionArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    return new command.remote.Command(name, {
        connection: args.connection,
        delete: bootstrapCommand(args.entry),
        stdin: args.stdin,
    }, { ...opts, deleteBeforeReplace: true, customTimeouts: { delete: args.timeout ?? "20m" } });
}

/**
 * The JSON object a node script prints as its last line of stdout for the program, or {} when that line
 * is not one. The caller says what was missing, never echoing stdout: it may hold a secret.
 */
export function lastLineObject(stdout: string): Record<string, unknown> {
    try {
        const parsed: unknown = JSON.parse(stdout.trim().split("\n").pop() ?? "");
        return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
        return {};
    }
}

/**
 * Options for a command that runs on the node itself. For a node marked unreachable it is never run
 * again: a changed input is ignored, and removing the node drops the command without dialling the host.
 */
export function onHost(node: { unreachable: boolean }): pulumi.CustomResourceOptions {
    return node.unreachable ? { retainOnDelete: true, ignoreChanges: ["stdin", "connection"] } : {};
}
