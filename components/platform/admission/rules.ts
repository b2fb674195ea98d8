/**
 * Which pack policies the cluster enforces, from the stack's policy data: each object policy the
 * stack leaves mandatory refuses (Deny), an advisory one warns (Warn, and Audit for the audit log),
 * a disabled one is not rendered. Two pack policies stay outside: pod-security-restricted is the
 * API server's own Pod Security admission (the namespaces' labels), and maintained-kubernetes-version
 * judges the stack's config, not an object. container-resources (advisory or disabled in every
 * stack) has no rule here: it would only warn.
 */
import { Policy } from "@pulumi/policy";
import { clusterAdminBinding } from "../../../policies/cluster-admin-binding";
import { jupyterlabBounds } from "../../../policies/jupyterlab-bounds";
import { noDefaultNamespace } from "../../../policies/no-default-namespace";
import { publicExposure } from "../../../policies/public-exposure";
import { readOnlyFilesets } from "../../../policies/read-only-filesets";
import { restrictedRoles } from "../../../policies/restricted-roles";
import { trustedImages } from "../../../policies/trusted-images";
import { PackConfig } from "../../../policies/lib/runner";
import { jupyterlabBoundsRule } from "./bounds";
import { AdmissionRule, PolicySpec } from "./cel";
import { configOf, levelOf } from "./data";
import { noDefaultNamespaceRule, publicExposureRule } from "./exposure";
import { readOnlyFilesetsRule } from "./filesets";
import { trustedImagesRule } from "./images";
import { clusterAdminBindingRule, restrictedRolesRule } from "./roles";

/** The pack policies with a rule in the cluster, and how each is rendered from its config. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const RENDERERS: readonly [Policy, (config: any) => AdmissionRule][] = [
    [trustedImages, trustedImagesRule],
    [publicExposure, publicExposureRule],
    [noDefaultNamespace, noDefaultNamespaceRule],
    [readOnlyFilesets, readOnlyFilesetsRule],
    [jupyterlabBounds, jupyterlabBoundsRule],
    [restrictedRoles, restrictedRolesRule],
    [clusterAdminBinding, clusterAdminBindingRule],
];

/** The names of the pack policies the cluster enforces: the differential judges by these alone. */
export const ADMITTED_POLICIES: readonly string[] = RENDERERS.map(([p]) => p.name);

export type ValidationAction = "Deny" | "Warn" | "Audit";

export interface RenderedRule extends AdmissionRule {
    readonly actions: readonly ValidationAction[];
}

/** The rules the stack's policy DATA asks for, each with the actions its level means. */
export function admissionRules(data: PackConfig): RenderedRule[] {
    return RENDERERS.flatMap(([policy, render]) => {
        const level = levelOf(policy, data);
        if (level === "disabled") {
            return [];
        }
        const actions: ValidationAction[] = level === "mandatory" ? ["Deny"] : ["Warn", "Audit"];
        return [{ ...render(configOf(policy, data)), actions }];
    });
}

/** What a policy and its binding are called in the cluster: fixed, so an apply replaces them in place. */
export function policyObjectName(policy: string): string {
    return `lsst-k8s-${policy}`;
}

const API_VERSION = "admissionregistration.k8s.io/v1";

interface Metadata {
    readonly name: string;
    readonly labels: Record<string, string>;
}

export interface AdmissionManifests {
    readonly policy: string;
    readonly vap: { apiVersion: typeof API_VERSION; kind: "ValidatingAdmissionPolicy"; metadata: Metadata; spec: PolicySpec };
    readonly binding: { apiVersion: typeof API_VERSION; kind: "ValidatingAdmissionPolicyBinding"; metadata: Metadata; spec: { policyName: string; validationActions: ValidationAction[] } };
}

/** The ValidatingAdmissionPolicies and their bindings for DATA, as the component declares them. */
export function admissionManifests(data: PackConfig): AdmissionManifests[] {
    return admissionRules(data).map((r) => {
        const name = policyObjectName(r.policy);
        const labels = { "app.kubernetes.io/managed-by": "lsst-k8s", "lsst-k8s.io/policy": r.policy };
        return {
            policy: r.policy,
            vap: { apiVersion: API_VERSION, kind: "ValidatingAdmissionPolicy", metadata: { name, labels }, spec: r.spec },
            binding: {
                apiVersion: API_VERSION, kind: "ValidatingAdmissionPolicyBinding", metadata: { name, labels },
                spec: { policyName: name, validationActions: [...r.actions] },
            },
        };
    });
}
