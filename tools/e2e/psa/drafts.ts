/**
 * The drafts and the cases made of them: the families (single and double mutations, pairwise
 * arrays, matrices, Windows pods), each draft's Pod and workload forms, their names, and psaCases.
 */
import { KubeObject } from "../../../policies/lib/kube";
import { APPARMOR_KEY, compliantDraft, Dimension, Draft, IMAGE, PsaCase, Slot } from "./cases";
import { build, pairwise, prng, validChoice } from "./combine";
import { COMPACT, DIMENSIONS, isInherited } from "./dimensions";
import { validDraft } from "./valid";

/** Full products of the inherited settings over the pod and the three container slots. */
function matrices(): { slug: string; draft: Draft }[] {
    const out: { slug: string; draft: Draft }[] = [];
    const dim = (slug: string) => DIMENSIONS.find((x) => x.slug === slug)!;
    const product = (slugs: string[], tag: string) => {
        const dims = slugs.map(dim);
        const sizes = dims.map((x) => x.values.length);
        const total = sizes.reduce((a, b) => a * b, 1);
        for (let n = 0; n < total; n++) {
            let rest = n;
            const choice = sizes.map((s) => {
                const v = rest % s;
                rest = Math.floor(rest / s);
                return v;
            });
            const d = compliantDraft();
            dims.forEach((x, i) => x.values[choice[i]].apply(d));
            if (validDraft(d)) {
                out.push({ slug: `${tag}-${String(n).padStart(3, "0")}`, draft: d });
            }
        }
    };
    const restricted = (values: number[]) => (slug: string): Dimension => ({ slug, values: values.map((i) => dim(slug).values[i]) });
    product(["pod-ranr", "app-ranr", "side-ranr", "init-ranr"], "ranr");
    product(["pod-uid", "app-uid", "side-uid", "init-uid"], "uid");
    product(["pod-seccomp", "app-seccomp", "side-seccomp", "init-seccomp"], "seccomp");
    product(["pod-apparmor", "app-apparmor", "side-apparmor", "init-apparmor"], "apparmor");
    // SELinux: unset, an allowed type, a forbidden type, a user (pod); unset, allowed, forbidden, role (containers)
    const podSe = restricted([0, 1, 5, 6])("pod-selinux");
    const slotSe = (slot: Slot) => restricted([0, 4, 5, 7])(`${slot}-selinux`);
    const seDims = [podSe, slotSe("app"), slotSe("side"), slotSe("init")];
    for (let n = 0; n < 256; n++) {
        const choice = [n % 4, Math.floor(n / 4) % 4, Math.floor(n / 16) % 4, Math.floor(n / 64) % 4];
        const d = compliantDraft();
        seDims.forEach((x, i) => x.values[choice[i]].apply(d));
        out.push({ slug: `selinux-${String(n).padStart(3, "0")}`, draft: d });
    }
    product(["host-users", "pod-ranr", "pod-uid", "app-ranr", "app-uid"], "userns");
    product(["host-users", "app-procmount", "init-procmount", "side-uid"], "userns-proc");
    return out;
}

/** Windows pods: only the fields a Windows pod may set (runAsNonRoot, hostProcess, ports, probes, volumes, annotations). */
function windowsDrafts(): { slug: string; draft: Draft }[] {
    const ranr = [undefined, true, false];
    const out: { slug: string; draft: Draft }[] = [];
    let n = 0;
    for (const pod of ranr) {
        for (const app of ranr) {
            for (const init of ranr) {
                for (const extra of ["none", "host-process", "host-port", "host-path", "probe-host", "aa-unconfined", "container-only"]) {
                    n++;
                    if ((n + ranr.indexOf(pod)) % 2 === 0 && extra !== "none") {
                        continue; // a half of the extras is enough
                    }
                    const d: Draft = {
                        metadata: { labels: {}, annotations: {} },
                        spec: {
                            os: { name: "windows" },
                            containers: [{ name: "app", image: IMAGE }, { name: "side", image: IMAGE, securityContext: { windowsOptions: { runAsUserName: "ContainerUser" } } }],
                            initContainers: [{ name: "init", image: IMAGE }],
                        },
                    };
                    if (pod !== undefined) {
                        d.spec.securityContext = { runAsNonRoot: pod };
                    }
                    if (app !== undefined) {
                        d.spec.containers[0].securityContext = { runAsNonRoot: app };
                    }
                    if (init !== undefined) {
                        d.spec.initContainers[0].securityContext = { runAsNonRoot: init };
                    }
                    if (extra === "host-process") {
                        d.spec.hostNetwork = true;
                        d.spec.securityContext = { ...d.spec.securityContext, windowsOptions: { hostProcess: true } };
                    } else if (extra === "host-port") {
                        d.spec.containers[0].ports = [{ containerPort: 8080, hostPort: 8080 }];
                    } else if (extra === "host-path") {
                        d.spec.volumes = [{ name: "host", hostPath: { path: "C:\\data" } }];
                    } else if (extra === "probe-host") {
                        d.spec.containers[0].readinessProbe = { httpGet: { host: "192.0.2.3", port: 80 } };
                    } else if (extra === "aa-unconfined") {
                        d.metadata.annotations[APPARMOR_KEY + "app"] = "unconfined";
                    } else if (extra === "container-only") {
                        d.spec.containers[1].securityContext = { runAsNonRoot: true, windowsOptions: { hostProcess: false } };
                    }
                    out.push({ slug: `${n}-${extra}`, draft: d });
                }
            }
        }
    }
    return out;
}

/** A DNS-1123 label of at most 52 characters (CronJob's limit), unique by its index. */
function caseName(prefix: string, index: number, slug: string): string {
    const head = `${prefix}-${String(index).padStart(4, "0")}`;
    const tail = slug.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
    return tail ? `${head}-${tail}`.slice(0, 52).replace(/-+$/, "") : head;
}

function podCase(name: string, d: Draft): PsaCase {
    const metadata = podMetadata(name, d);
    return { name, object: { apiVersion: "v1", kind: "Pod", metadata: structuredClone(metadata), spec: structuredClone(d.spec) }, pod: { metadata, spec: structuredClone(d.spec) } };
}

function podMetadata(name: string, d: Draft): KubeObject {
    const metadata: KubeObject = { name, labels: { ...d.metadata.labels, "psa-case": name } };
    if (Object.keys(d.metadata.annotations).length) {
        metadata.annotations = { ...d.metadata.annotations };
    }
    return metadata;
}

/** The same pod spec in a Deployment, Job or CronJob; `pod` is the Pod its template describes. */
function workloadCase(kind: "Deployment" | "Job" | "CronJob", name: string, d: Draft): PsaCase {
    const labels = { ...d.metadata.labels, "psa-case": name };
    const templateMetadata: KubeObject = { labels };
    if (Object.keys(d.metadata.annotations).length) {
        templateMetadata.annotations = { ...d.metadata.annotations };
    }
    const spec = structuredClone(d.spec);
    if (kind !== "Deployment") {
        spec.restartPolicy = "Never";
    }
    const template = { metadata: templateMetadata, spec };
    const object: KubeObject =
        kind === "Deployment"
            ? { apiVersion: "apps/v1", kind, metadata: { name }, spec: { replicas: 1, selector: { matchLabels: { "psa-case": name } }, template } }
            : kind === "Job"
                ? { apiVersion: "batch/v1", kind, metadata: { name }, spec: { backoffLimit: 0, template } }
                : { apiVersion: "batch/v1", kind, metadata: { name }, spec: { schedule: "0 3 * * *", jobTemplate: { spec: { backoffLimit: 0, template } } } };
    return { name, object: structuredClone(object), pod: { metadata: { name, ...structuredClone(templateMetadata) }, spec: structuredClone(spec) } };
}

/** Every draft, with its name's prefix and slug; built once (the pairwise arrays take a moment). */
let allDrafts: { prefix: string; slug: string; draft: Draft }[] | undefined;

function drafts(): { prefix: string; slug: string; draft: Draft }[] {
    if (allDrafts) {
        return allDrafts;
    }
    const out: { prefix: string; slug: string; draft: Draft }[] = [];
    const add = (prefix: string, slug: string, draft: Draft) => out.push({ prefix, slug, draft });
    const rand = prng(0x5ec);

    // Single mutations: every value of every dimension, from the compliant pod (with the companion
    // changes a value needs to be valid)
    const mutations: { slug: string; dim: number; value: number }[] = [];
    DIMENSIONS.forEach((dim, i) => dim.values.forEach((v, j) => {
        if (j > 0) {
            mutations.push({ slug: `${dim.slug}-${v.slug}`, dim: i, value: j });
        }
    }));
    add("mut", "compliant", compliantDraft());
    const mutated = (ms: typeof mutations) => {
        const choice = DIMENSIONS.map(() => 0);
        ms.forEach((m) => (choice[m.dim] = m.value));
        const valid = validChoice(DIMENSIONS, choice, new Set(ms.map((m) => m.dim)), rand);
        return valid && build(DIMENSIONS, valid);
    };
    for (const m of mutations) {
        const d = mutated([m]);
        if (d) {
            add("mut", m.slug, d);
        }
    }

    // Two mutations together (a seeded sample of the pairs of different dimensions)
    let twos = 0;
    for (let tries = 0; twos < 500 && tries < 5000; tries++) {
        const a = mutations[Math.floor(rand() * mutations.length)];
        const b = mutations[Math.floor(rand() * mutations.length)];
        const d = a.dim !== b.dim && mutated([a, b]);
        if (d) {
            add("two", `${a.slug}-${b.slug}`, d);
            twos++;
        }
    }

    // Pairwise over every dimension, and over the inherited settings alone
    const compact = DIMENSIONS.map((dim): Dimension => {
        const keep = COMPACT[dim.slug];
        return keep ? { slug: dim.slug, values: dim.values.filter((v, n) => n === 0 || keep.includes(v.slug)) } : dim;
    });
    for (const row of pairwise(compact, 0x9a17)) {
        add("pw", "", build(compact, row));
    }
    const inherited = DIMENSIONS.filter(isInherited);
    for (const row of pairwise(inherited, 0x1ae7)) {
        add("pwp", "", build(inherited, row));
    }

    for (const m of matrices()) {
        add("mx", m.slug, m.draft);
    }
    for (const w of windowsDrafts()) {
        add("win", w.slug, w.draft);
    }
    allDrafts = out;
    return out;
}

/**
 * The cases for Kubernetes 1.<minor> (1.25 or later): the same on every call, as new objects. The
 * pod specs are the same for every minor; what changes with the minor is their verdict.
 */
export function psaCases(minor: number): PsaCase[] {
    if (!Number.isInteger(minor) || minor < 25) {
        throw new Error(`psaCases: Kubernetes 1.${minor} is not covered (1.25 or later)`);
    }
    const cases: PsaCase[] = [];
    const kinds = ["Deployment", "Job", "CronJob"] as const;
    const prefixes = { Deployment: "dep", Job: "job", CronJob: "cj" };
    drafts().forEach((x, i) => {
        cases.push(podCase(caseName(x.prefix, i, x.slug), x.draft));
        // A quarter of the pod specs again in a workload, the kinds in turn
        if (i % 4 === 1) {
            const kind = kinds[Math.floor(i / 4) % kinds.length];
            cases.push(workloadCase(kind, caseName(prefixes[kind], i, x.slug), x.draft));
        }
    });
    return cases;
}
