import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { remote } from "@pulumi/command/types/input";
import { ClusterConfig, NodeConfig } from "../../config";
import { bootstrapCommand, encodeBundle } from "./bundle";
import { certExpiryBundle, certificateCheckTrigger, CertificateReport, certificateWarning, parseCertificateReport } from "./certExpiry";

export interface CertificateCheckArgs {
    /** The validated cluster (its kubeadm configuration and version pin); no default. */
    readonly cluster: ClusterConfig;
    /** The control plane whose certificates are read; no default. */
    readonly node: NodeConfig;
    /** How to reach the node over SSH; no default. */
    readonly connection: remote.ConnectionArgs;
    /** What must finish first: the node's init or join, its upgrade and its API server files; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Resolves once the config is allowed against the last deploy (Cluster's gate); default: no gate. */
    readonly gate?: pulumi.Input<string>;
    /** This node's entry in the stack's certificatesExpire output of the last deploy; default unknown. */
    readonly previousEarliest?: pulumi.Input<string | undefined>;
}

/**
 * Reads when a control plane's kubeadm certificates expire (cert-expiry.sh, read-only) and warns a
 * month ahead. It runs on the first deploy, once the last reading is due, and after each pin change
 * (an upgrade renews the certificates); otherwise the last reading stands (certExpiry.ts).
 */
export class CertificateCheck extends pulumi.ComponentResource {
    /** The check; its stdout is the report. */
    readonly command: command.remote.Command;
    /** What the check read. */
    readonly report: pulumi.Output<CertificateReport>;

    constructor(name: string, args: CertificateCheckArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:cluster:CertificateCheck", name, {}, opts);
        const now = new Date();
        const previous = pulumi.output(args.previousEarliest as pulumi.Input<string | undefined>);
        const trigger = previous.apply((earliest) => {
            const warning = certificateWarning(earliest, now, args.node.name);
            if (warning) {
                pulumi.log.warn(warning, this);
            }
            return certificateCheckTrigger(earliest, now);
        });
        this.command = new command.remote.Command(`${name}-run`, {
            connection: args.connection,
            create: bootstrapCommand(),
            stdin: pulumi.output(args.gate).apply(() => encodeBundle(certExpiryBundle(args.cluster, args.node))),
            triggers: [trigger, args.cluster.kubernetesVersion.text],
            logging: "none",
            addPreviousOutputInEnv: false,
        }, {
            parent: this,
            dependsOn: args.dependsOn,
            // The triggers decide when it runs again; a new bundle alone (another config) waits for them.
            ignoreChanges: ["stdin"],
            customTimeouts: { create: "5m", update: "5m" },
        });
        this.report = pulumi.all([this.command.stdout, previous]).apply(([stdout, earliest]) => {
            const report = parseCertificateReport(stdout, args.node.name);
            // A reading that is due says so, unless the last deploy's reading already did above.
            const warning = certificateWarning(report.earliest, now, args.node.name);
            if (warning && !certificateWarning(earliest, now, args.node.name)) {
                pulumi.log.warn(warning, this);
            }
            return report;
        });
        this.registerOutputs({ report: this.report });
    }
}
