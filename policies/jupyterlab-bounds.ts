import { kubePolicy, KubePolicyConfig } from "./lib/kubePolicy";
import { containersOf, KubeObject, namespaceOf, podSpecOf, WORKLOAD_KINDS } from "./lib/kube";
import { compareQuantities, parseQuantity, Quantity } from "./lib/quantity";

export interface JupyterlabBoundsConfig extends KubePolicyConfig {
    /** The JupyterLab namespace; the policy looks at nothing else. */
    readonly namespace: string;
    /** Kubernetes quantities ("500m", "4", "512Mi", "8Gi"): the bounds, inclusive. */
    readonly minCpu: string;
    readonly maxCpu: string;
    readonly minMemory: string;
    readonly maxMemory: string;
}

/**
 * Technote 000 "JupyterLab Requirements": each user gets between half a core and 4 cores, and between
 * 512 MB and 8 GB of memory. In the JupyterLab namespace, a LimitRange's Container limits stay inside
 * those bounds (and cap both), and every container asks for and is limited to cpu and memory inside them.
 */

const QUANTITY_PATTERN = "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|m|k|M|G|T|P|E)?$";

const RESOURCES = ["cpu", "memory"] as const;
type Resource = (typeof RESOURCES)[number];
const LIMIT_RANGE_FIELDS = ["min", "max", "default", "defaultRequest"] as const;

interface Bounds {
    readonly min: Quantity;
    readonly max: Quantity;
}

function record(value: unknown): KubeObject | undefined {
    return value && typeof value === "object" && !Array.isArray(value) ? (value as KubeObject) : undefined;
}

function isSet(value: unknown): boolean {
    return value !== undefined && value !== null;
}

function are(fields: readonly string[]): string {
    return `${fields.join(", ")} ${fields.length === 1 ? "is" : "are"}`;
}

/** What is wrong with a quantity at `where` (a field path), if anything. */
function outOfBounds(where: string, value: unknown, bounds: Bounds): string | undefined {
    const q = parseQuantity(value);
    if (!q) {
        return `${where} is ${JSON.stringify(value)}, which is not a Kubernetes quantity`;
    }
    if (compareQuantities(q, bounds.min) < 0) {
        return `${where} is ${q.text}, below the minimum of ${bounds.min.text}`;
    }
    if (compareQuantities(q, bounds.max) > 0) {
        return `${where} is ${q.text}, above the maximum of ${bounds.max.text}`;
    }
    return undefined;
}

export const jupyterlabBounds = kubePolicy<JupyterlabBoundsConfig>({
    name: "jupyterlab-bounds",
    description: "In the JupyterLab namespace, every container must request and be limited to between 0.5 and 4 cores and between 512Mi and 8Gi of memory (the stack's bounds), and Container LimitRanges must cap cpu and memory within those bounds.",
    schema: {
        namespace: { type: "string", minLength: 1, default: "jupyter-lsst" },
        minCpu: { type: ["string", "number"], pattern: QUANTITY_PATTERN, default: "500m" },
        maxCpu: { type: ["string", "number"], pattern: QUANTITY_PATTERN, default: "4" },
        minMemory: { type: ["string", "number"], pattern: QUANTITY_PATTERN, default: "512Mi" },
        maxMemory: { type: ["string", "number"], pattern: QUANTITY_PATTERN, default: "8Gi" },
    },
    defaults: { namespace: "jupyter-lsst", minCpu: "500m", maxCpu: "4", minMemory: "512Mi", maxMemory: "8Gi" },
    applies: (t) => t.kind === "LimitRange" || WORKLOAD_KINDS.includes(t.kind),
    validate: (t, obj, config, report) => {
        if (namespaceOf(obj) !== config.namespace) {
            return;
        }
        const bounds = {} as Record<Resource, Bounds>;
        let configured = true;
        for (const [resource, minKey, maxKey] of [["cpu", "minCpu", "maxCpu"], ["memory", "minMemory", "maxMemory"]] as const) {
            const min = parseQuantity(config[minKey]);
            const max = parseQuantity(config[maxKey]);
            for (const [key, q] of [[minKey, min], [maxKey, max]] as const) {
                if (!q) {
                    report(`the policy's config ${key} is ${JSON.stringify(config[key])}, which is not a Kubernetes quantity; fix the stack's policy config`);
                }
            }
            if (min && max && compareQuantities(min, max) > 0) {
                report(`the policy's config ${minKey} (${min.text}) is above ${maxKey} (${max.text}); fix the stack's policy config`);
            } else if (min && max) {
                bounds[resource] = { min, max };
                continue;
            }
            configured = false;
        }
        if (!configured) {
            return;
        }
        const range = `cpu ${bounds.cpu.min.text} to ${bounds.cpu.max.text}, memory ${bounds.memory.min.text} to ${bounds.memory.max.text}`;

        if (t.kind === "LimitRange") {
            const limits = record(obj.spec)?.limits;
            // limits is an atomic list: a patch that sets it replaces every item, so each item is whole.
            (Array.isArray(limits) ? limits : []).forEach((l, i) => {
                const item = record(l);
                if (item?.type !== "Container") {
                    return;
                }
                for (const field of LIMIT_RANGE_FIELDS) {
                    for (const resource of RESOURCES) {
                        const value = record(item[field])?.[resource];
                        const problem = isSet(value) ? outOfBounds(`spec.limits[${i}].${field}.${resource}`, value, bounds[resource]) : undefined;
                        if (problem) {
                            report(problem);
                        }
                    }
                }
                const missing = RESOURCES.filter((r) => !isSet(record(item.max)?.[r])).map((r) => `spec.limits[${i}].max.${r}`);
                if (missing.length) {
                    report(`${are(missing)} not set; a Container LimitRange in ${config.namespace} must cap cpu and memory (${range})`);
                }
            });
            return;
        }

        const pod = podSpecOf(t, obj);
        if (!pod) {
            return;
        }
        // Pod-level resources, when set, bound the whole pod: one user's share.
        const podResources = record(pod.spec.resources);
        for (const kind of ["requests", "limits"]) {
            for (const resource of RESOURCES) {
                const value = record(podResources?.[kind])?.[resource];
                const problem = isSet(value) ? outOfBounds(`${pod.path}.resources.${kind}.${resource}`, value, bounds[resource]) : undefined;
                if (problem) {
                    report(problem);
                }
            }
        }
        for (const { container, field, label } of containersOf(pod.spec)) {
            // The API refuses resources on ephemeral containers: they share the pod's.
            if (field === "ephemeralContainers") {
                continue;
            }
            const resources = record(container.resources);
            const missing: string[] = [];
            for (const kind of ["requests", "limits"]) {
                for (const resource of RESOURCES) {
                    const value = record(resources?.[kind])?.[resource];
                    if (!isSet(value)) {
                        missing.push(`resources.${kind}.${resource}`);
                        continue;
                    }
                    const problem = outOfBounds(`resources.${kind}.${resource}`, value, bounds[resource]);
                    if (problem) {
                        report(`${label}: ${problem}`);
                    }
                }
            }
            // A patch leaves what it does not set as it is.
            if (missing.length && !t.patch) {
                report(`${label}: ${are(missing)} not set; every container in ${config.namespace} needs cpu and memory requests and limits (${range})`);
            }
        }
    },
});
