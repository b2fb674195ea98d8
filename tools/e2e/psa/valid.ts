/**
 * What the API server accepts: the validation rules a case must pass, so that a rejection is Pod
 * Security's and never validation's.
 */
import { KubeObject } from "../../../policies/lib/kube";
import { APPARMOR_KEY, Draft } from "./cases";

function allContainers(spec: KubeObject): KubeObject[] {
    return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** Sysctls the API server refuses with hostNetwork (the network namespace's) and with hostIPC (the IPC namespace's). */
export const NETWORK_SYSCTL = /^net\./;
export const IPC_SYSCTL = /^(kernel\.(shm|msg|sem)|fs\.mqueue\.)/;

/**
 * Whether the API server accepts the pod, so that a rejection is Pod Security's. Each rule is a
 * validation error a 1.36 kube-apiserver gives (message in the comment).
 */
export function apiValid(spec: KubeObject, metadata: KubeObject = {}): boolean {
    const containers = allContainers(spec);
    const psc = spec.securityContext ?? {};
    const sysctlNames: string[] = (psc.sysctls ?? []).map((s: KubeObject) => s.name);
    const windows = spec.os?.name === "windows";
    // `hostUsers` must be false to use `Unmasked`
    if (containers.some((c) => c.securityContext?.procMount === "Unmasked") && spec.hostUsers !== false) {
        return false;
    }
    // spec.hostNetwork / HostPID / HostIPC: Forbidden: when `hostUsers` is false
    if (spec.hostUsers === false && (spec.hostNetwork || spec.hostPID || spec.hostIPC)) {
        return false;
    }
    // cannot set `allowPrivilegeEscalation` to false and `privileged` to true
    if (containers.some((c) => c.securityContext?.privileged === true && c.securityContext?.allowPrivilegeEscalation === false)) {
        return false;
    }
    // sysctls: may not be specified when 'hostNetwork' / 'hostIPC' is true
    if (spec.hostNetwork && sysctlNames.some((n) => NETWORK_SYSCTL.test(n))) {
        return false;
    }
    if (spec.hostIPC && sysctlNames.some((n) => IPC_SYSCTL.test(n))) {
        return false;
    }
    // hostNetwork must be true if pod contains any hostProcess containers; all containers must be
    // HostProcess containers; pod hostProcess value must be identical if both are specified
    const hostProcess = (c: KubeObject) => c.securityContext?.windowsOptions?.hostProcess ?? psc.windowsOptions?.hostProcess;
    if (containers.some((c) => hostProcess(c) === true)) {
        if (!spec.hostNetwork || !containers.every((c) => hostProcess(c) === true)) {
            return false;
        }
    }
    if (psc.windowsOptions?.hostProcess !== undefined && containers.some((c) => c.securityContext?.windowsOptions?.hostProcess === !psc.windowsOptions.hostProcess)) {
        return false;
    }
    // windows options cannot be set for a linux pod
    if (spec.os?.name === "linux" && (psc.windowsOptions || containers.some((c) => c.securityContext?.windowsOptions))) {
        return false;
    }
    // AppArmor annotations: "container not found"; "apparmor type (profile) in annotation and field
    // must match". A Pod's annotation is copied to a container with no profile of its own before it is
    // validated, but a workload's template is validated as written, against the profile the container
    // would run with (its own, else the pod's); every draft goes in both forms, so it must pass the latter.
    for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
        if (key.startsWith(APPARMOR_KEY) && !windows) {
            const c = containers.find((x) => x.name === key.slice(APPARMOR_KEY.length));
            if (!c) {
                return false;
            }
            const effective = c.securityContext?.appArmorProfile ?? psc.appArmorProfile;
            if (effective && !annotationMatches(String(value), effective)) {
                return false;
            }
        }
    }
    if (windows) {
        // Windows pods may not set Linux-only fields (and hostUsers)
        const podLinux = ["seLinuxOptions", "seccompProfile", "appArmorProfile", "runAsUser", "runAsGroup", "sysctls", "fsGroup", "supplementalGroups"];
        const containerLinux = ["seLinuxOptions", "seccompProfile", "appArmorProfile", "capabilities", "privileged", "allowPrivilegeEscalation", "procMount", "runAsUser", "runAsGroup", "readOnlyRootFilesystem"];
        if (podLinux.some((f) => psc[f] !== undefined) || spec.hostPID || spec.hostIPC || spec.hostUsers !== undefined) {
            return false;
        }
        if (containers.some((c) => containerLinux.some((f) => c.securityContext?.[f] !== undefined))) {
            return false;
        }
    }
    return true;
}

/** Whether a legacy AppArmor annotation's value says the same as a profile field. */
function annotationMatches(value: string, profile: KubeObject): boolean {
    switch (profile.type) {
        case "RuntimeDefault":
            return value === "runtime/default";
        case "Unconfined":
            return value === "unconfined";
        case "Localhost":
            return value === `localhost/${profile.localhostProfile}`;
        default:
            return false;
    }
}

export const validDraft = (d: Draft) => apiValid(d.spec, d.metadata);
