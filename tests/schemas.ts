/** Validates Kubernetes objects against the API's own schemas (kubernetes-models). */
import { KubeObject } from "../policies/lib/kube";

/** The schema errors of one object; throws when its apiVersion/kind has no model. */
export function schemaErrors(obj: KubeObject): string[] {
    const models = require(`kubernetes-models/${obj.apiVersion}`) as Record<string, new (o: KubeObject) => { validate(): void }>;
    const Model = models[obj.kind];
    if (!Model) {
        throw new Error(`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
    }
    try {
        new Model(obj).validate();
        return [];
    } catch (e) {
        return [(e as Error).message];
    }
}
