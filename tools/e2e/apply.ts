/**
 * Step 1 of the control-plane tier: every object a stack declares, applied to the real API server as
 * the provider applies it (server-side, strict field validation: kubectl's `--validate=strict` is the
 * API server's fieldValidation=Strict), group by group in dependency order;
 * then every workload must become ready under kwok and every claim bound.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ApiServer, request } from "./api";
import { Declared } from "./declared";
import { until } from "./processes";

export interface ApplyResult {
    readonly objects: number;
    readonly accepted: number;
    readonly workloads: number;
    readonly ready: number;
    readonly claims: number;
    readonly bound: number;
    /** One line per problem, with the API server's own message. */
    readonly problems: string[];
    /** What the tier did in place of something the stack does not provide yet. */
    readonly notes: string[];
}

/** kubectl against the tier's API server; its output, or the failure with kubectl's message. */
export function kubectl(bin: string, api: ApiServer, args: readonly string[], input?: string): { ok: boolean; out: string } {
    const r = spawnSync(bin, ["--kubeconfig", api.kubeconfig, ...args], { encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
    return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

const WORKLOADS: Record<string, string> = {
    Deployment: "apis/apps/v1", DaemonSet: "apis/apps/v1", StatefulSet: "apis/apps/v1", Job: "apis/batch/v1",
};

function meta(o: Record<string, unknown>): { name: string; namespace?: string } {
    return o.metadata as { name: string; namespace?: string };
}

function label(o: Record<string, unknown>): string {
    const m = meta(o);
    return `${String(o.kind)} ${m.namespace ? `${m.namespace}/` : ""}${m.name}`;
}

/** True once the workload's controller reports every replica ready (a Job: completed). */
export function isReady(kind: string, o: Record<string, unknown>): boolean {
    const spec = (o.spec ?? {}) as Record<string, number | undefined>;
    const status = (o.status ?? {}) as Record<string, unknown>;
    const observed = Number(status.observedGeneration ?? 0) >= Number((o.metadata as Record<string, unknown>).generation ?? 0);
    switch (kind) {
        case "Deployment":
        case "StatefulSet": {
            const want = spec.replicas ?? 1;
            const have = Number(kind === "Deployment" ? status.availableReplicas ?? 0 : status.readyReplicas ?? 0);
            return observed && have === want && Number(status.updatedReplicas ?? 0) === want;
        }
        case "DaemonSet": {
            const want = Number(status.desiredNumberScheduled ?? -1);
            return observed && want > 0 && Number(status.numberReady ?? 0) === want && Number(status.updatedNumberScheduled ?? 0) === want;
        }
        default:
            return Number(status.succeeded ?? 0) >= Number(spec.completions ?? 1);
    }
}

async function fetchObject(api: ApiServer, o: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const m = meta(o);
    const plural = `${String(o.kind).toLowerCase()}s`;
    const r = await request(api, "GET", `/${WORKLOADS[String(o.kind)]}/namespaces/${m.namespace}/${plural}/${m.name}`);
    return r.status === 200 ? r.body : undefined;
}

/** The Warning events about a workload and what it made (pods, replica sets), newest last. */
async function warnings(api: ApiServer, o: Record<string, unknown>): Promise<string[]> {
    const m = meta(o);
    const r = await request(api, "GET", `/api/v1/namespaces/${m.namespace}/events?fieldSelector=type%3DWarning`);
    const items = (r.body.items ?? []) as { involvedObject: { name: string }; reason: string; message: string }[];
    return [...new Set(items.filter((e) => e.involvedObject.name.startsWith(m.name)).map((e) => `${e.reason}: ${e.message}`))].slice(-3);
}

/**
 * The provisioners the stack runs, by the name a StorageClass gives them: a Deployment that says
 * PROVISIONER_NAME, as the external provisioners of kubernetes-sigs read it.
 */
function runProvisioners(objects: readonly Record<string, any>[]): Map<string, string> {
    const run = new Map<string, string>();
    for (const o of objects.filter((x) => x.kind === "Deployment")) {
        for (const c of o.spec?.template?.spec?.containers ?? []) {
            const name = (c.env ?? []).find((e: { name: string }) => e.name === "PROVISIONER_NAME")?.value;
            if (typeof name === "string") {
                run.set(name, `Deployment ${o.metadata.namespace}/${o.metadata.name}`);
            }
        }
    }
    return run;
}

/**
 * A claim that no declared volume satisfies waits for a provisioner. kwok runs no pod, so the tier
 * plays the one the stack deploys, making a volume of the claim's class, size and modes, and only for
 * a class the stack declares whose provisioner one of its Deployments runs: a claim with no class, or
 * with one nothing provisions, stays Pending on a bare kubeadm cluster and is reported.
 */
async function provisionPending(api: ApiServer, declared: Declared, problems: string[], notes: string[]): Promise<void> {
    const stack = declared.stack;
    const objects = declared.groups.flat().map((o) => o.object as Record<string, any>);
    const classes = new Map(objects.filter((o) => o.kind === "StorageClass").map((o) => [String(o.metadata.name), o]));
    const provisioners = runProvisioners(objects);
    const claims = async () => ((await request(api, "GET", "/api/v1/persistentvolumeclaims")).body.items ?? []) as Record<string, any>[];
    // The claims that name their volume bind first; the rest may still find a declared volume meanwhile.
    await until("the claims that name their volume to bind", 30_000,
        async () => (await claims()).every((c) => !c.spec.volumeName || c.status?.phase === "Bound")).catch(() => undefined);
    const pending = (await claims()).filter((c) => c.status?.phase !== "Bound" && !c.spec.volumeName);
    for (const c of pending) {
        const claim = `${c.metadata.namespace}/${c.metadata.name}`;
        const className = c.spec.storageClassName as string | undefined;
        const sc = className ? classes.get(className) : undefined;
        const by = sc ? provisioners.get(String(sc.provisioner)) : undefined;
        if (!sc || !by) {
            problems.push(`${stack}: claim ${claim} ` + (!className ? "names no storage class"
                : !sc ? `names class ${className}, which the stack does not declare`
                    : `names class ${className}, whose provisioner ${String(sc.provisioner)} no Deployment of the stack runs`) +
                ": nothing would provision it on a bare kubeadm cluster");
            continue;
        }
        const name = `e2e-${c.metadata.namespace}-${c.metadata.name}`.slice(0, 63).replace(/-+$/, "");
        const created = await request(api, "POST", "/api/v1/persistentvolumes", {
            apiVersion: "v1", kind: "PersistentVolume",
            metadata: { name, labels: { "lsst-k8s.io/e2e": "provisioned" } },
            spec: {
                capacity: { storage: c.spec.resources.requests.storage }, accessModes: c.spec.accessModes,
                storageClassName: className, claimRef: { namespace: c.metadata.namespace, name: c.metadata.name },
                mountOptions: sc.mountOptions, hostPath: { path: `/tmp/${name}` },
                persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? "Delete",
            },
        });
        if (created.status !== 201) {
            throw new Error(`provisioning a volume for claim ${claim}: ${String(created.body.message)}`);
        }
        notes.push(`${stack}: claim ${claim} (class ${className}) got its volume from the tier playing ${sc.provisioner}, ` +
            `which the stack runs as ${by} (kwok runs no pod)`);
    }
}

export async function applyStack(kubectlBin: string, api: ApiServer, declared: Declared, dir: string, readyWithinMs: number): Promise<ApplyResult> {
    const problems: string[] = [];
    const notes: string[] = [];
    let accepted = 0;
    const objects = declared.groups.flat();
    for (const [i, group] of declared.groups.entries()) {
        const file = path.join(dir, `${declared.stack}-group-${i}.yaml`);
        fs.writeFileSync(file, group.map((o) => yaml.dump(o.object, { noRefs: true, lineWidth: -1 })).join("---\n"));
        const r = kubectl(kubectlBin, api, ["apply", "--server-side", "--validate=strict", "--field-manager=pulumi-kubernetes", "-f", file]);
        const rejected = group.filter((o) => !new RegExp(`(^|\\n)\\S+/${meta(o.object).name} serverside-applied`).test(r.out));
        accepted += group.length - rejected.length;
        if (!r.ok || rejected.length) {
            const errors = r.out.split("\n").filter((l) => !/serverside-applied$/.test(l));
            const named = rejected.slice(0, 5).map((o) => label(o.object)).join(", ") + (rejected.length > 5 ? ` and ${rejected.length - 5} more` : "");
            problems.push(`${declared.stack}: group ${i}: ${named || "kubectl failed"} rejected:\n    ${errors.join("\n    ")}`);
        }
    }
    if (accepted < objects.length) {
        return { objects: objects.length, accepted, workloads: 0, ready: 0, claims: 0, bound: 0, problems, notes };
    }
    await provisionPending(api, declared, problems, notes);

    const workloads = objects.filter((o) => WORKLOADS[String(o.object.kind)] && !o.patch).map((o) => o.object);
    const readyNow = async () => {
        const states = await Promise.all(workloads.map(async (w) => {
            const live = await fetchObject(api, w);
            return live !== undefined && isReady(String(w.kind), live);
        }));
        return states;
    };
    let states: boolean[] = [];
    try {
        await until("every workload to be ready", readyWithinMs, async () => (states = await readyNow()).every(Boolean));
    } catch {
        for (const [i, w] of workloads.entries()) {
            if (!states[i]) {
                const why = await warnings(api, w);
                problems.push(`${declared.stack}: ${label(w)} not ready within ${readyWithinMs / 1000} s${why.length ? `:\n    ${why.join("\n    ")}` : ""}`);
            }
        }
    }
    // The binder syncs every second, and the workloads may be ready before it has bound a volume the
    // tier made for a claim a moment ago.
    const allClaims = async () => ((await request(api, "GET", "/api/v1/persistentvolumeclaims")).body.items ?? []) as Record<string, any>[];
    await until("every claim to be bound", 30_000, async () => (await allClaims()).every((c) => c.status?.phase === "Bound")).catch(() => undefined);
    const claims = await allClaims();
    for (const c of claims.filter((x) => x.status?.phase !== "Bound")) {
        problems.push(`${declared.stack}: claim ${c.metadata.namespace}/${c.metadata.name} is ${c.status?.phase ?? "unknown"}, not Bound`);
    }
    return {
        objects: objects.length, accepted, workloads: workloads.length, ready: states.filter(Boolean).length,
        claims: claims.length, bound: claims.filter((x) => x.status?.phase === "Bound").length, problems, notes,
    };
}
