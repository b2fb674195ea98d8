import { StackValidationPolicy } from "@pulumi/policy";
import { withDefaults } from "./lib/stackConfig";

/** The component type whose props carry the cluster's exact version (components/Cluster.ts). */
export const CLUSTER_TYPE = "lsst-k8s:cluster:Cluster";

export interface MaintainedKubernetesVersionConfig {
    /** The newest Kubernetes minor release (1.<newestMinor>). */
    readonly newestMinor: number;
    /** How many minor releases, the newest included, are maintained. */
    readonly maintainedMinors: number;
}

export const maintainedKubernetesVersionDefaults: MaintainedKubernetesVersionConfig = { newestMinor: 37, maintainedMinors: 3 };

const VERSION_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/**
 * Technote 000 "Maintenance": every cluster runs an exact release inside the maintained window, the
 * newest minor releases. The window moves only with the policy config, never with the clock.
 */
export const maintainedKubernetesVersion: StackValidationPolicy = {
    name: "maintained-kubernetes-version",
    description: "Every cluster must pin an exact Kubernetes version X.Y.Z inside the maintained window of the newest minor releases.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            newestMinor: { type: "integer", minimum: 0, default: maintainedKubernetesVersionDefaults.newestMinor },
            maintainedMinors: { type: "integer", minimum: 1, default: maintainedKubernetesVersionDefaults.maintainedMinors },
        },
    },
    validateStack: (args, reportViolation) => {
        const clusters = args.resources.filter((r) => r.type === CLUSTER_TYPE);
        if (!clusters.length) {
            args.notApplicable(`the stack has no ${CLUSTER_TYPE}`);
        }
        const { newestMinor, maintainedMinors } = withDefaults(maintainedKubernetesVersionDefaults, args.getConfig<Partial<MaintainedKubernetesVersionConfig>>());
        const oldestMinor = newestMinor - maintainedMinors + 1;
        const window = `1.${oldestMinor}–1.${newestMinor}`;
        for (const cluster of clusters) {
            const version: unknown = cluster.props?.kubernetesVersion;
            if (version === undefined || version === null) {
                reportViolation("registers no kubernetesVersion", cluster.urn);
                continue;
            }
            const m = typeof version === "string" ? VERSION_RE.exec(version) : null;
            if (!m) {
                reportViolation(`kubernetesVersion ${JSON.stringify(version)} is not an exact version X.Y.Z`, cluster.urn);
                continue;
            }
            const [major, minor] = [Number(m[1]), Number(m[2])];
            if (major === 1 && minor > newestMinor) {
                reportViolation(`kubernetesVersion ${version} is newer than the newest release the policy knows (1.${newestMinor}); ` +
                    "raise newestMinor in the policy config after reading the release notes", cluster.urn);
            } else if (major !== 1 || minor < oldestMinor) {
                reportViolation(`kubernetesVersion ${version} is outside the maintained window (${window})`, cluster.urn);
            }
        }
    },
};
