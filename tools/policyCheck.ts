/**
 * The policy pack run offline, for `policy check` (plain manifests) and the synth (what the program
 * registers): the stack's policy config, subjects from files, and violations as one line each.
 */
import * as path from "path";
import { policies } from "../policies/policies";
import { describe as describeObject, KubeObject, kubeType, typeOfManifest } from "../policies/lib/kube";
import { PackConfig, runPolicies, Subject, Violation } from "../policies/lib/runner";
import { InputError, readInputFile } from "./inputs";
import { loadManifests } from "./manifests";

export const POLICY_CONFIG_DIR = path.resolve(__dirname, "..", "policies", "config");

/** The stack's policy config (the file `pulumi preview --policy-pack-config` is given), or FILE. */
export function readPackConfig(stack: string, file = path.join(POLICY_CONFIG_DIR, `${stack}.json`)): { file: string; config: PackConfig } {
    const text = readInputFile(file, file.startsWith(POLICY_CONFIG_DIR) ? ` (is "${stack}" a stack?)` : "");
    try {
        const config = JSON.parse(text);
        if (typeof config !== "object" || config === null || Array.isArray(config)) {
            throw new Error("expected an object");
        }
        return { file, config };
    } catch (e) {
        throw new InputError(`${file}: not a policy config: ${(e as Error).message}`);
    }
}

/**
 * Every Kubernetes object in a YAML (multi-document) or JSON file, read as kubectl apply reads it and the
 * API server gets it (YAML 1.1 as go-yaml v2 resolves it: `privileged: yes` is true); lists are unpacked.
 * See tools/manifests/.
 */
export function readManifests(file: string): KubeObject[] {
    return loadManifests(readInputFile(file), file);
}

export function subjectOf(obj: KubeObject): Subject {
    const type = typeOfManifest(String(obj.apiVersion), String(obj.kind));
    const name = String(obj?.metadata?.name ?? "unnamed");
    return { type, name, urn: `${type}::${obj?.metadata?.namespace ?? ""}::${name}`, props: obj };
}

/** "Kind/namespace/name" for a Kubernetes subject, else its type and name. */
export function subjectLabel(s: Subject): string {
    const t = kubeType(s.type);
    return t ? describeObject(t, s.props) : `${s.type}::${s.name}`;
}

/**
 * Labels violations by URN: "Kind/namespace/name" of the first subject with that URN (objects of the
 * same kind, namespace and name share one), "stack" for a finding about no subject.
 */
export function violationLabeller(subjects: readonly Subject[]): (urn: string | undefined) => string {
    const byUrn = new Map<string, Subject>();
    for (const s of subjects) {
        if (!byUrn.has(s.urn)) {
            byUrn.set(s.urn, s);
        }
    }
    return (urn) => {
        const subject = urn === undefined ? undefined : byUrn.get(urn);
        return subject ? subjectLabel(subject) : "stack";
    };
}

export async function check(subjects: readonly Subject[], config: PackConfig): Promise<Violation[]> {
    return runPolicies(policies, subjects, config);
}

export function isBlocking(v: Violation): boolean {
    return v.enforcementLevel === "mandatory";
}
