import { kubePolicy } from "./lib/kubePolicy";
import { containersOf, podSpecOf, WORKLOAD_KINDS } from "./lib/kube";

const FIELDS = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const;

/**
 * An advisory extra: containers that declare no requests and limits cannot be placed well, which
 * matters on shared nodes where notebooks and HTCondor pools compete (technote 000 "Batch Services").
 * Advisory by default; each stack's policy config decides whether it reports, blocks or stays off.
 */
export const containerResources = kubePolicy({
    name: "container-resources",
    description: "Every container should declare cpu and memory requests and limits, so the scheduler can place it and quotas hold.",
    enforcementLevel: "advisory",
    defaults: {},
    applies: (t) => WORKLOAD_KINDS.includes(t.kind) && !t.patch,
    validate: (t, obj, _config, report) => {
        const pod = podSpecOf(t, obj);
        for (const { container, field, label } of pod ? containersOf(pod.spec) : []) {
            // Kubernetes does not allow resources on ephemeral containers.
            if (field === "ephemeralContainers") {
                continue;
            }
            const resources = container.resources ?? {};
            const missing = FIELDS.filter((f) => {
                const [kind, name] = f.split(".");
                return resources[kind]?.[name] === undefined;
            });
            if (missing.length) {
                report(`${label}: resources.${missing.join(", resources.")} not set`);
            }
        }
    },
});
