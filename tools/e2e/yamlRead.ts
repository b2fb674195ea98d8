/**
 * Step 5 of the control-plane tier: `policy check` judges what the API server stores. Each manifest of
 * yamlCases.ts, written the ways YAML 1.1 and 1.2 read differently, is applied with kubectl into a
 * namespace of the tier's; what the server stored is read back and compared, field by field, with what
 * loadManifests read (which is what the pack judged). A case kubectl or the server must refuse is
 * refused, and stores nothing.
 */
import * as fs from "fs";
import * as path from "path";
import { ApiServer, request } from "./api";
import { kubectl } from "./apply";
import { YAML_CASES } from "./yamlCases";

export interface YamlResult {
    readonly checked: number;
    readonly agreed: number;
    readonly problems: string[];
}

const NAMESPACE = "e2e-yaml";
const PATHS: Record<string, string> = { Pod: "pods", ConfigMap: "configmaps", Secret: "secrets", Service: "services" };

function at(root: unknown, keys: readonly (string | number)[]): unknown {
    return keys.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[k] : undefined), root);
}

async function stored(api: ApiServer, kind: string, name: string): Promise<Record<string, unknown> | undefined> {
    const plural = PATHS[kind];
    if (!plural) {
        throw new Error(`yamlRead: no path for kind ${kind}`);
    }
    const r = await request(api, "GET", `/api/v1/namespaces/${NAMESPACE}/${plural}/${name}`);
    return r.status === 200 ? r.body : undefined;
}

export async function yamlRoundTrip(kubectlBin: string, api: ApiServer, dir: string): Promise<YamlResult> {
    // No Pod Security labels: the privileged case must reach the server's storage.
    await request(api, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
    const problems: string[] = [];
    let agreed = 0;
    for (const c of YAML_CASES) {
        const file = path.join(dir, `yaml11-${c.name}.yaml`);
        fs.writeFileSync(file, c.yaml);
        const r = kubectl(kubectlBin, api, ["apply", "-n", NAMESPACE, "-f", file]);
        const wrong: string[] = [];
        if (c.expectRejected) {
            if (r.ok) {
                wrong.push("kubectl applied it, where it must be refused");
            } else if (c.rejection && !c.rejection.test(r.out)) {
                wrong.push(`refused, but not as expected: ${r.out}`);
            }
            for (const o of c.expected) {
                const meta = o.metadata as { name: string };
                if (await stored(api, String(o.kind), meta.name)) {
                    wrong.push(`${String(o.kind)} ${meta.name} was stored although the apply was refused`);
                }
            }
        } else if (!r.ok) {
            wrong.push(`kubectl refused it: ${r.out}`);
        } else {
            for (const f of c.stored ?? []) {
                const live = await stored(api, f.kind, f.name);
                const value = at(live, f.path);
                if (JSON.stringify(value) !== JSON.stringify(f.value)) {
                    wrong.push(`${f.kind} ${f.name} ${f.path.join(".")}: the server stored ${JSON.stringify(value)}, policy check read ${JSON.stringify(f.value)}`);
                }
            }
            for (const n of c.notStored ?? []) {
                if (await stored(api, n.kind, n.name)) {
                    wrong.push(`${n.kind} ${n.name} was stored, where kubectl unpacks it as a list`);
                }
            }
        }
        if (wrong.length) {
            problems.push(...wrong.map((w) => `yaml case ${c.name}: ${w}`));
        } else {
            agreed++;
        }
    }
    return { checked: YAML_CASES.length, agreed, problems };
}
