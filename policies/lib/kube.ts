/**
 * What the policies need to know about Kubernetes objects, whether they come from the program
 * (Pulumi type tokens and inputs) or from plain manifests (apiVersion and kind).
 */

/** Any Kubernetes object as a policy sees it: its inputs, or a manifest. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubeObject = Record<string, any>;

export interface KubeType {
    /** "" for the core group. */
    readonly group: string;
    readonly version: string;
    /** The kind without "Patch". */
    readonly kind: string;
    /** A server-side-apply patch type (kubernetes:apps/v1:DeploymentPatch). */
    readonly patch: boolean;
}

/** Every type parsed so far: each policy asks for each object's type, and a file holds few. */
const KUBE_TYPES = new Map<string, KubeType | undefined>();

/** Parses "kubernetes:apps/v1:Deployment" (and its Patch); undefined for anything else. */
export function kubeType(type: string): KubeType | undefined {
    if (KUBE_TYPES.has(type)) {
        return KUBE_TYPES.get(type);
    }
    const t = parseKubeType(type);
    KUBE_TYPES.set(type, t && Object.freeze(t));
    return t;
}

function parseKubeType(type: string): KubeType | undefined {
    const m = /^kubernetes:([^/:]+)\/([^:]+):(\w+)$/.exec(type);
    if (!m) {
        return undefined;
    }
    const patch = m[3].endsWith("Patch");
    return { group: m[1] === "core" ? "" : m[1], version: m[2], kind: patch ? m[3].slice(0, -"Patch".length) : m[3], patch };
}

/** The Pulumi type token of a manifest ("apps/v1", "Deployment" → "kubernetes:apps/v1:Deployment"). */
export function typeOfManifest(apiVersion: string, kind: string): string {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
    return `kubernetes:${group}/${version}:${kind}`;
}

/** Where each workload kind keeps its pod template's spec, as a path from the object's root. */
const POD_SPEC_PATH: Readonly<Record<string, readonly string[]>> = {
    Pod: ["spec"],
    PodTemplate: ["template", "spec"],
    ReplicationController: ["spec", "template", "spec"],
    ReplicaSet: ["spec", "template", "spec"],
    Deployment: ["spec", "template", "spec"],
    StatefulSet: ["spec", "template", "spec"],
    DaemonSet: ["spec", "template", "spec"],
    Job: ["spec", "template", "spec"],
    CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** The kinds that carry a pod spec. */
export const WORKLOAD_KINDS = Object.keys(POD_SPEC_PATH);

/** A pod spec and the metadata of the pod it describes (the template's, or the Pod's own). */
export interface PodSpecAt {
    readonly spec: KubeObject;
    readonly metadata: KubeObject;
    /** "spec.template.spec", for messages. */
    readonly path: string;
}

/** The pod spec of a workload, or undefined when the object is no workload or carries none (a patch). */
export function podSpecOf(t: KubeType, obj: KubeObject): PodSpecAt | undefined {
    const path = POD_SPEC_PATH[t.kind];
    if (!path) {
        return undefined;
    }
    const spec = path.reduce<KubeObject | undefined>((o, k) => (o && typeof o === "object" ? o[k] : undefined), obj);
    if (!spec || typeof spec !== "object") {
        return undefined;
    }
    const metaPath = path.slice(0, -1);
    const owner = metaPath.reduce<KubeObject | undefined>((o, k) => (o && typeof o === "object" ? o[k] : undefined), obj);
    return { spec, metadata: (metaPath.length ? owner?.metadata : obj.metadata) ?? {}, path: path.join(".") };
}

export type ContainerField = "containers" | "initContainers" | "ephemeralContainers";

export interface ContainerAt {
    readonly container: KubeObject;
    readonly field: ContainerField;
    /** "containers[0] (app)", for messages. */
    readonly label: string;
}

/** Every container of a pod spec: containers, initContainers and ephemeralContainers. */
export function containersOf(spec: KubeObject): ContainerAt[] {
    const all: ContainerAt[] = [];
    for (const field of ["containers", "initContainers", "ephemeralContainers"] as const) {
        const list = Array.isArray(spec[field]) ? spec[field] : [];
        list.forEach((container: KubeObject, i: number) => {
            if (container && typeof container === "object") {
                all.push({ container, field, label: `${field}[${i}]${container.name ? ` (${container.name})` : ""}` });
            }
        });
    }
    return all;
}

/** Kinds that live in a namespace; everything else Kubernetes serves is cluster-scoped. */
const CLUSTER_SCOPED = new Set([
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "RuntimeClass", "IngressClass", "CSIDriver", "CSINode", "VolumeAttachment",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "APIService", "CertificateSigningRequest", "FlowSchema",
    "PriorityLevelConfiguration", "ComponentStatus",
]);

export function isNamespaced(t: KubeType): boolean {
    return !CLUSTER_SCOPED.has(t.kind) && !t.kind.endsWith("List");
}

/** The object's namespace as written; Kubernetes puts an unnamespaced object in "default". */
export function namespaceOf(obj: KubeObject): string {
    const ns = obj?.metadata?.namespace;
    return typeof ns === "string" && ns !== "" ? ns : "default";
}

/** "Deployment/jupyter-lsst/hub", the way violations name an object. */
export function describe(t: KubeType, obj: KubeObject): string {
    const name = obj?.metadata?.name ?? "<unnamed>";
    return isNamespaced(t) ? `${t.kind}/${namespaceOf(obj)}/${name}` : `${t.kind}/${name}`;
}
