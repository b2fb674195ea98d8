/**
 * jupyterlab-bounds in CEL, with the API server's own quantities (quantity(), compareTo), so "0.5"
 * and "500m" compare as the pack's exact parser compares them. The bounds are checked here, once,
 * when the policy is rendered: the pack reports a bad config on every object, the component refuses
 * to render one.
 */
import { JupyterlabBoundsConfig } from "../../../policies/jupyterlab-bounds";
import { compareQuantities, parseQuantity } from "../../../policies/lib/quantity";
import { AdmissionRule, conditions, containerList, POD_VARIABLES, rule, str, Validation, WORKLOAD_RULES } from "./cel";

const RESOURCES = ["cpu", "memory"] as const;
type Bounds = Record<(typeof RESOURCES)[number], { min: string; max: string }>;

function boundsOf(config: JupyterlabBoundsConfig): Bounds {
    const out = {} as Bounds;
    for (const [resource, minKey, maxKey] of [["cpu", "minCpu", "maxCpu"], ["memory", "minMemory", "maxMemory"]] as const) {
        const min = parseQuantity(config[minKey]);
        const max = parseQuantity(config[maxKey]);
        if (!min || !max || compareQuantities(min, max) > 0) {
            throw new Error(`jupyterlab-bounds: ${minKey} ${JSON.stringify(config[minKey])} and ${maxKey} ${JSON.stringify(config[maxKey])} ` +
                "must be Kubernetes quantities, the minimum not above the maximum; fix the stack's policy config");
        }
        out[resource] = { min: String(config[minKey]), max: String(config[maxKey]) };
    }
    return out;
}

/** VALUE (a quantity string the API server stores) within BOUNDS, inclusive. */
function within(value: string, bounds: { min: string; max: string }): string {
    return `(quantity(${value}).compareTo(quantity(${str(bounds.min)})) >= 0 && quantity(${value}).compareTo(quantity(${str(bounds.max)})) <= 0)`;
}

/** MAP.RESOURCE, where set, within its bounds. */
function setWithin(map: string, bounds: Bounds): string {
    return RESOURCES.map((r) => `(!has(${map}) || !(${str(r)} in ${map}) || ${within(`${map}[${str(r)}]`, bounds[r])})`).join(" && ");
}

export function jupyterlabBoundsRule(config: JupyterlabBoundsConfig): AdmissionRule {
    const bounds = boundsOf(config);
    const range = `cpu ${bounds.cpu.min} to ${bounds.cpu.max}, memory ${bounds.memory.min} to ${bounds.memory.max}`;
    const isLimitRange = "request.kind.kind == 'LimitRange'";
    const limits = "(has(object.spec.limits) ? object.spec.limits : [])";
    const containers = `${containerList("containers")} + ${containerList("initContainers")}`;
    const everySet = (c: string) => ["requests", "limits"].flatMap((k) => RESOURCES.map((r) => `(has(${c}.resources) && has(${c}.resources.${k}) && ${str(r)} in ${c}.resources.${k})`)).join(" && ");
    const validations: Validation[] = [
        {
            expression: `!(${isLimitRange}) || ${limits}.all(l, l.type != 'Container' || (` +
                ["min", "max", "default", "defaultRequest"].map((f) => setWithin(`l.${f}`, bounds)).join(" && ") + "))",
            message: `a Container LimitRange in ${config.namespace} sets cpu or memory outside ${range}`,
            reason: "Forbidden",
        },
        {
            expression: `!(${isLimitRange}) || ${limits}.all(l, l.type != 'Container' || (has(l.max) && 'cpu' in l.max && 'memory' in l.max))`,
            message: `a Container LimitRange in ${config.namespace} must cap cpu and memory (${range})`,
            reason: "Forbidden",
        },
        {
            expression: `${isLimitRange} || variables.spec == null || !has(variables.spec.resources) || ` +
                `(${setWithin("variables.spec.resources.requests", bounds)} && ${setWithin("variables.spec.resources.limits", bounds)})`,
            message: `the pod's resources are outside ${range}`,
            reason: "Forbidden",
        },
        {
            // The API refuses resources on ephemeral containers: they share the pod's.
            expression: `${isLimitRange} || (${containers}).all(c, !has(c.resources) || ` +
                `(${setWithin("c.resources.requests", bounds)} && ${setWithin("c.resources.limits", bounds)}))`,
            message: `a container asks for or is limited to cpu or memory outside ${range}`,
            reason: "Forbidden",
        },
        {
            expression: `${isLimitRange} || (${containers}).all(c, ${everySet("c")})`,
            message: `every container in ${config.namespace} needs cpu and memory requests and limits (${range})`,
            reason: "Forbidden",
        },
    ];
    return {
        policy: "jupyterlab-bounds",
        spec: {
            failurePolicy: "Fail",
            matchConstraints: { resourceRules: [rule("", ["limitranges"]), ...WORKLOAD_RULES] },
            matchConditions: conditions(config.exemptions, { name: "in-the-jupyterlab-namespace", expression: `request.namespace == ${str(config.namespace)}` }),
            variables: POD_VARIABLES,
            validations,
        },
    };
}
