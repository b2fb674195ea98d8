/**
 * read-only-filesets in CEL: a mount at or under a fileset, a hostPath or NFS volume reaching one, and
 * another mount of a volume mounted at one must all be readOnly, as policies/read-only-filesets.ts says.
 *
 * Not exact: the pack resolves ".." in a path (normalizePath), which CEL cannot without a fold. A
 * mountPath or volume path with a ".." segment is taken here as reaching every fileset, so such a
 * writable mount is refused even where the pack, resolving it, would allow it ("/tmp/../scratch").
 * The API server already refuses ".." in a subPath and in a hostPath's path, so only mountPath and an
 * NFS path can meet this; it fails closed.
 */
import { normalizePath, ReadOnlyFilesetsConfig } from "../../../policies/read-only-filesets";
import { AdmissionRule, conditions, POD_VARIABLES, strs, Validation, WORKLOAD_RULES } from "./cel";

/** Volumes whose files are the pod's own (the pack's POD_LOCAL_VOLUMES). */
const POD_LOCAL_VOLUMES = ["emptyDir", "configMap", "secret", "downwardAPI", "projected"];

/** Builds CEL with fresh iteration variables, since comprehensions nest. */
class Cel {
    private n = 0;
    constructor(private readonly filesets: readonly string[]) {}

    private fresh(): string {
        return `s${this.n++}`;
    }

    /** P ("/datasets//hsc/./x/") as "/datasets/hsc/x"; ".." left as it is. */
    norm(p: string): string {
        const s = this.fresh();
        return `('/' + (${p}).split('/').filter(${s}, ${s} != '' && ${s} != '.').join('/'))`;
    }

    backsteps(p: string): string {
        const s = this.fresh();
        return `(${p}).split('/').exists(${s}, ${s} == '..')`;
    }

    /** P at or under a fileset (every fileset, when P has ".."). */
    inFileset(p: string): string {
        const f = this.fresh();
        const n = this.norm(p);
        return `(${this.backsteps(p)} || ${strs(this.filesets)}.exists(${f}, ${f} == '/' || ${n} == ${f} || ${n}.startsWith(${f} + '/')))`;
    }

    /** A fileset at or under R (a normalised path). */
    containsFileset(r: string): string {
        const f = this.fresh();
        return `(${r} == '/' || ${strs(this.filesets)}.exists(${f}, ${f} == ${r} || ${f}.startsWith(${r} + '/')))`;
    }

    /** A mount's subPath inside its volume, "" for all of it (no subPath, or a subPathExpr). */
    subPath(m: string): string {
        return `(has(${m}.subPath) ? ${this.norm(`${m}.subPath`)}.substring(1) : '')`;
    }

    /** Whether two subPaths (from subPath) share a file. */
    overlaps(a: string, b: string): string {
        const under = (x: string, y: string) => `('/' + ${x} == '/' + ${y} || ('/' + ${x}).startsWith('/' + ${y} + '/'))`;
        return `(${a} == '' || ${b} == '' || ${under(a, b)} || ${under(b, a)})`;
    }
}

const VOLUMES = "(variables.spec != null && has(variables.spec.volumes) ? variables.spec.volumes : [])";
const mounts = (c: string) => `(has(${c}.volumeMounts) ? ${c}.volumeMounts : [])`;
const writable = (m: string) => `!(has(${m}.readOnly) && ${m}.readOnly == true)`;

/** CHECK over every writable mount m of every container c. */
function everyWritableMount(check: (cel: Cel) => string, filesets: readonly string[]): string {
    return `variables.containers.all(c, ${mounts("c")}.all(m, !${writable("m")} || ${check(new Cel(filesets))}))`;
}

export function readOnlyFilesetsRule(config: ReadOnlyFilesetsConfig): AdmissionRule {
    const filesets = (Array.isArray(config.paths) ? config.paths : []).filter((p): p is string => typeof p === "string" && p !== "").map(normalizePath);
    const listed = filesets.join(", ") || "none";
    const cel = new Cel(filesets);
    const volumeOf = (m: string) => `${VOLUMES}.filter(w, w.name == ${m}.name)`;
    const source = (v: string) => `(has(${v}.hostPath) ? ${v}.hostPath.path : ${v}.nfs.path)`;
    const validations: Validation[] = [
        {
            expression: `${VOLUMES}.all(v, !has(v.nfs) || !${cel.inFileset("v.nfs.path")} || (has(v.nfs.readOnly) && v.nfs.readOnly == true))`,
            message: `an NFS volume exporting a fileset (${listed}) must set readOnly: true on the volume`,
            reason: "Forbidden",
        },
        {
            expression: everyWritableMount((c) => `!${c.inFileset("m.mountPath")}`, filesets),
            message: `a mount at or under a fileset (${listed}) must set readOnly: true`,
            reason: "Forbidden",
        },
        {
            expression: everyWritableMount((c) => {
                const reached = c.norm(`${source("v")} + '/' + ${c.subPath("m")}`);
                return `${volumeOf("m")}.all(v, !(has(v.hostPath) || has(v.nfs)) || !(${c.inFileset(`(${source("v")} + '/' + ${c.subPath("m")})`)} || ${c.containsFileset(reached)}))`;
            }, filesets),
            message: `a writable mount of a hostPath or NFS volume reaches a fileset (${listed}); set readOnly: true`,
            reason: "Forbidden",
        },
        {
            expression: everyWritableMount((c) => {
                const podLocal = `${volumeOf("m")}.exists(v, ${POD_LOCAL_VOLUMES.map((k) => `has(v.${k})`).join(" || ")})`;
                const twin = `variables.containers.exists(c2, ${mounts("c2")}.exists(o, o.name == m.name && ${c.inFileset("o.mountPath")} && ${c.overlaps(c.subPath("o"), c.subPath("m"))}))`;
                return `(${podLocal} || !${twin})`;
            }, filesets),
            message: `a writable mount of a volume also mounted at a fileset (${listed}) must set readOnly: true`,
            reason: "Forbidden",
        },
    ];
    return {
        policy: "read-only-filesets",
        spec: {
            failurePolicy: "Fail",
            matchConstraints: { resourceRules: WORKLOAD_RULES },
            matchConditions: conditions(config.exemptions),
            variables: POD_VARIABLES,
            validations,
        },
    };
}
