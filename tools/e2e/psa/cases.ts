/**
 * The Pod Security cases' building blocks: a case's shape, a pod under construction (a draft)
 * and the shape of the dimensions it is varied along, the compliant draft every variation starts
 * from, and the accessors the variations change it through.
 */
import { KubeObject } from "../../../policies/lib/kube";

export interface PsaCase {
    name: string;
    object: KubeObject;
    pod: { metadata: Record<string, unknown>; spec: Record<string, unknown> };
}

/** A pod under construction: the metadata a template carries, and the spec. */
export interface Draft {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: KubeObject;
}

/** One value of a dimension: a slug for the name, and how it changes a compliant draft. */
export interface Value {
    readonly slug: string;
    readonly apply: (d: Draft) => void;
    /** The sysctls the value sets (the sysctls dimension). */
    readonly sysctls?: readonly string[];
    /** The container slot and value of the AppArmor annotation the value sets (the aa-annotation dimension). */
    readonly annotates?: Slot;
    readonly annotation?: string;
}

/** A dimension: values[0] leaves the compliant draft as it is. */
export interface Dimension {
    readonly slug: string;
    readonly values: readonly Value[];
}

export type Slot = "app" | "side" | "init";
export const SLOTS: readonly Slot[] = ["app", "side", "init"];

export const IMAGE = "registry.lsst.org/psa/app:1.0";

/** A container that is restricted on its own. */
function compliantContainer(name: string): KubeObject {
    return { name, image: IMAGE, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } };
}

/** A restricted pod: non-root at pod level, RuntimeDefault seccomp, two containers and an init container. */
export function compliantDraft(): Draft {
    return {
        metadata: { labels: {}, annotations: {} },
        spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
            containers: [compliantContainer("app"), compliantContainer("side")],
            initContainers: [compliantContainer("init")],
            volumes: [{ name: "config", configMap: { name: "settings" } }, { name: "scratch", emptyDir: {} }],
        },
    };
}

export function containerOf(d: Draft, slot: Slot): KubeObject {
    return slot === "init" ? d.spec.initContainers[0] : d.spec.containers[slot === "app" ? 0 : 1];
}

export function containerSc(d: Draft, slot: Slot): KubeObject {
    const c = containerOf(d, slot);
    c.securityContext ??= {};
    return c.securityContext;
}

export function podSc(d: Draft): KubeObject {
    d.spec.securityContext ??= {};
    return d.spec.securityContext;
}

export const APPARMOR_KEY = "container.apparmor.security.beta.kubernetes.io/";
