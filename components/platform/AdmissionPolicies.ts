import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { PlatformConfig } from "../../config";
import { PackConfig } from "../../policies/lib/runner";
import { admissionManifests } from "./admission/rules";

export interface AdmissionPoliciesArgs {
    /** The stack's policy data, policies/config/<stack>.json as the pack reads it (admission/data.ts stackPolicyData); no default. */
    readonly policy: PackConfig;
    /** The validated platform config: its admin group must be the one the policies reserve cluster-admin for; no default. */
    readonly config: PlatformConfig;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What the policies wait for; default nothing. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The pack's rules in the cluster (technote 001): the guidelines `pulumi up` enforces on the
 * program hold for whatever anyone writes with kubectl, as ValidatingAdmissionPolicies the API server
 * runs itself, rendered from the same stack policy data (admission/rules.ts says which and how).
 */
export class AdmissionPolicies extends pulumi.ComponentResource {
    /** The policies' names in the cluster, by pack policy. */
    readonly policies: Readonly<Record<string, string>>;

    constructor(name: string, args: AdmissionPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:AdmissionPolicies", name, {}, opts);
        for (const key of ["restricted-roles", "cluster-admin-binding"]) {
            const group = args.policy[key]?.adminGroup;
            // Else the policies refuse the platform's own cluster-admin binding, and no admin is left.
            if (group !== args.config.groups.admins) {
                throw new pulumi.RunError(`policy config ${key}.adminGroup (${JSON.stringify(group)}) must be platform.groups.admins (${args.config.groups.admins})`);
            }
        }
        const o = { parent: this, provider: args.provider };
        const policies: Record<string, string> = {};
        for (const m of admissionManifests(args.policy)) {
            // The rendered spec is plain data (readonly lists), which the provider's input types take as they are.
            const vap = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-${m.policy}`,
                m.vap as unknown as k8s.admissionregistration.v1.ValidatingAdmissionPolicyArgs, { ...o, dependsOn: args.dependsOn });
            new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-${m.policy}-binding`, m.binding, { ...o, dependsOn: [vap] });
            policies[m.policy] = m.vap.metadata.name;
        }
        this.policies = policies;
        this.registerOutputs({ policies });
    }
}
