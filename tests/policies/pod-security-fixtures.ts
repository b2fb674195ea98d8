/** Shared fixtures of the pod-security-restricted tests: a compliant baseline, changed one field at a time. */
import { podSecurityRestricted } from "../../policies/pod-security-restricted";
import { KubeObject } from "../../policies/lib/kube";
import { messages } from "./helpers";

export const P = "spec.template.spec";

/** A container that meets the restricted profile on its own (with the pod's securityContext below). */
const container = (name: string): KubeObject => ({
    name,
    image: "registry.lsst.org/app:1.0",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
});

/** A restricted pod spec: non-root, RuntimeDefault seccomp at pod level, an init container, allowed volumes. */
export const podSpec = (): KubeObject => ({
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container("app")],
    initContainers: [container("init")],
    volumes: [
        { name: "config", configMap: { name: "settings" } },
        { name: "scratch", emptyDir: {} },
        { name: "data", persistentVolumeClaim: { claimName: "data" } },
        { name: "token", projected: { sources: [] } },
        { name: "creds", secret: { secretName: "creds" } },
        { name: "info", downwardAPI: { items: [] } },
        { name: "csi", csi: { driver: "x" } },
        { name: "eph", ephemeral: { volumeClaimTemplate: {} } },
    ],
});

/** A Deployment whose pod spec is the restricted one, changed by `change`. */
export function deployment(change: (spec: KubeObject) => void = () => undefined, namespace = "jupyter-lsst"): KubeObject {
    const spec = podSpec();
    change(spec);
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "hub", namespace },
        spec: { selector: {}, template: { metadata: { labels: { app: "hub" } }, spec } },
    };
}

export const check = (change: (spec: KubeObject) => void) => messages(podSecurityRestricted, deployment(change));
/** The same at the stack's Kubernetes minor 1.<minor>. */
export const checkAt = (minor: number, change: (spec: KubeObject) => void) =>
    messages(podSecurityRestricted, deployment(change), { "pod-security-restricted": { kubernetesMinor: minor } });
export const app = (spec: KubeObject) => spec.containers[0];

