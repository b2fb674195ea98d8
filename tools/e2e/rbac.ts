/**
 * Step 2 of the control-plane tier: RBAC by actor (technote 000 "Actors" and "Users", 001 "Roles and
 * Security"), asked of the real authorizer with `kubectl auth can-i --as --as-group`, after the stack's
 * objects are applied. The table is written from the technotes' words, not from the program's roles,
 * so a role that grants too much or too little shows as a wrong answer.
 */
import { spawn } from "child_process";
import { ApiServer, pool } from "./api";

export interface RbacQuestion {
    readonly actor: string;
    readonly group: string;
    readonly verb: string;
    /** resource, or resource/subresource */
    readonly resource: string;
    /** A namespace, "*" for all of them, or none for a cluster-scoped question. */
    readonly namespace?: string;
    readonly expected: boolean;
}

export interface Actors {
    readonly admins: string;
    readonly serviceAdmins: string;
    readonly security: string;
    readonly scienceUsers: string;
    /** The development groups with their namespaces; at least one. */
    readonly developers: readonly { group: string; namespace: string }[];
    /** What developers may do in their own namespace: "edit" (dev, test) or "view" (prod). */
    readonly developerAccess: "edit" | "view";
    /** The service namespaces (JupyterLab, the registry, each HTCondor pool). */
    readonly serviceNamespaces: readonly string[];
}

const NOTEBOOKS = "jupyter-lsst";

/** The questions for one stack's actors: at least 60. */
export function rbacTable(a: Actors): RbacQuestion[] {
    const q: RbacQuestion[] = [];
    const ask = (actor: string, group: string, expected: boolean, verb: string, resource: string, namespace?: string) =>
        q.push({ actor, group, verb, resource, expected, ...(namespace ? { namespace } : {}) });
    const escalation = (actor: string, group: string, expected: boolean, ns?: string) => {
        ask(actor, group, expected, "bind", "clusterroles");
        ask(actor, group, expected, "escalate", "clusterroles");
        ask(actor, group, expected, "impersonate", "users");
        ask(actor, group, expected, "impersonate", "groups");
        if (ns) {
            ask(actor, group, expected, "escalate", "roles", ns);
            ask(actor, group, expected, "bind", "roles", ns);
        }
    };

    // Cluster admins: everything, the only ones.
    const admin = (exp: boolean, verb: string, res: string, ns?: string) => ask("cluster admin", a.admins, exp, verb, res, ns);
    admin(true, "get", "nodes");
    admin(true, "delete", "namespaces");
    admin(true, "create", "clusterrolebindings");
    admin(true, "get", "secrets", "kube-system");
    admin(true, "delete", "pods", a.developers[0].namespace);
    admin(true, "create", "deployments", "kube-system");
    escalation("cluster admin", a.admins, true, NOTEBOOKS);

    // Service admins: admin in the service namespaces, nothing outside them.
    const svc = (exp: boolean, verb: string, res: string, ns?: string) => ask("service admin", a.serviceAdmins, exp, verb, res, ns);
    for (const ns of a.serviceNamespaces) {
        svc(true, "create", "deployments", ns);
        svc(true, "get", "secrets", ns);
    }
    svc(true, "delete", "pods", NOTEBOOKS);
    svc(true, "create", "rolebindings", NOTEBOOKS);
    svc(true, "get", "pods/log", NOTEBOOKS);
    svc(false, "get", "pods", "kube-system");
    svc(false, "create", "deployments", a.developers[0].namespace);
    svc(false, "get", "nodes");
    svc(false, "create", "namespaces");
    svc(false, "create", "clusterrolebindings");
    svc(false, "delete", "persistentvolumes");
    escalation("service admin", a.serviceAdmins, false, NOTEBOOKS);

    // Developers: their own group's namespace only; edit or view as the stack says.
    const edit = a.developerAccess === "edit";
    for (const [i, d] of a.developers.entries()) {
        const other = a.developers[(i + 1) % a.developers.length];
        const dev = (exp: boolean, verb: string, res: string, ns?: string) => ask(`developer (${d.group})`, d.group, exp, verb, res, ns);
        dev(true, "get", "pods", d.namespace);
        dev(true, "list", "deployments", d.namespace);
        // Kubernetes' own view role reads pod logs too (bootstrap policy: pods/log is in view's read rules).
        dev(true, "get", "pods/log", d.namespace);
        dev(false, "get", "pods/log", other === d ? NOTEBOOKS : other.namespace);
        dev(edit, "create", "deployments", d.namespace);
        dev(edit, "delete", "pods", d.namespace);
        dev(edit, "create", "pods/exec", d.namespace);
        dev(edit, "get", "secrets", d.namespace);
        dev(false, "create", "rolebindings", d.namespace);
        dev(false, "get", "nodes");
        dev(false, "list", "namespaces");
        dev(false, "get", "pods", "kube-system");
        dev(false, "get", "pods", NOTEBOOKS);
        dev(false, "get", "persistentvolumes");
        if (other !== d) {
            dev(false, "get", "pods", other.namespace);
            dev(false, "create", "deployments", other.namespace);
        }
        escalation(`developer (${d.group})`, d.group, false, d.namespace);
    }

    // Science users: their notebooks, read-only, in jupyter-lsst only.
    const sci = (exp: boolean, verb: string, res: string, ns?: string) => ask("science user", a.scienceUsers, exp, verb, res, ns);
    sci(true, "get", "pods", NOTEBOOKS);
    sci(true, "get", "pods/log", NOTEBOOKS);
    sci(true, "list", "persistentvolumeclaims", NOTEBOOKS);
    sci(false, "create", "pods", NOTEBOOKS);
    sci(false, "delete", "pods", NOTEBOOKS);
    sci(false, "get", "secrets", NOTEBOOKS);
    sci(false, "get", "configmaps", NOTEBOOKS);
    sci(false, "get", "pods", a.developers[0].namespace);
    sci(false, "get", "pods", "registry");
    sci(false, "get", "nodes");
    sci(false, "list", "namespaces");
    escalation("science user", a.scienceUsers, false, NOTEBOOKS);

    // Security: read-only everywhere, secrets excepted.
    const sec = (exp: boolean, verb: string, res: string, ns?: string) => ask("security", a.security, exp, verb, res, ns);
    sec(true, "list", "pods", "*");
    sec(true, "get", "pods/log", a.developers[0].namespace);
    sec(true, "get", "nodes");
    sec(true, "list", "clusterrolebindings");
    sec(true, "list", "networkpolicies", "*");
    sec(true, "get", "deployments", "kube-system");
    sec(false, "get", "secrets", "kube-system");
    sec(false, "list", "secrets", "*");
    sec(false, "get", "secrets", NOTEBOOKS);
    sec(false, "create", "pods", a.developers[0].namespace);
    sec(false, "delete", "deployments", "kube-system");
    sec(false, "create", "pods/exec", NOTEBOOKS);
    sec(false, "patch", "nodes");
    escalation("security", a.security, false, "kube-system");
    return q;
}

/** The command line that asks one question. */
export function canIArgs(question: RbacQuestion): string[] {
    const [resource, subresource] = question.resource.split("/");
    return [
        "auth", "can-i", question.verb, resource, ...(subresource ? [`--subresource=${subresource}`] : []),
        ...(question.namespace === "*" ? ["--all-namespaces"] : question.namespace ? ["-n", question.namespace] : []),
        `--as=lsst-k8s-e2e:${question.actor.replace(/[^a-z0-9-]+/g, "-")}`, `--as-group=${question.group}`,
    ];
}

function run(bin: string, args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, out: out.trim() }));
    });
}

/** can-i prints yes or no and exits 0 or 1; anything else is a failure to ask. */
function answered({ code, out }: { code: number; out: string }): boolean {
    const answer = out.split("\n").pop();
    return (answer === "yes" && code === 0) || (answer === "no" && code === 1);
}

/** Asks every question; the wrong answers, one line each. */
export async function askAll(kubectlBin: string, api: ApiServer, questions: readonly RbacQuestion[]): Promise<string[]> {
    // A kubectl that ends without its usual status (seen once in a cold run: "yes" and no exit code) is
    // asked once more; an answer, yes or no, is never asked again.
    const ask = async (question: RbacQuestion) => {
        const args = ["--kubeconfig", api.kubeconfig, ...canIArgs(question)];
        const first = await run(kubectlBin, args);
        return answered(first) ? first : run(kubectlBin, args);
    };
    const answers = await pool(questions, 4, ask);
    const wrong: string[] = [];
    for (const [i, question] of questions.entries()) {
        const { code, out } = answers[i];
        const answer = out.split("\n").pop();
        if (!answered(answers[i])) {
            wrong.push(`kubectl ${canIArgs(question).join(" ")}: could not ask (exit ${code}): ${out}`);
        } else if ((answer === "yes") !== question.expected) {
            wrong.push(`${question.actor} ${question.verb} ${question.resource}${question.namespace ? ` in ${question.namespace === "*" ? "every namespace" : question.namespace}` : ""}: ` +
                `the API server says ${answer}, the technotes ${question.expected ? "yes" : "no"}`);
        }
    }
    return wrong;
}
