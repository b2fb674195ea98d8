/**
 * Lists: the Kubernetes objects in a file's documents (documents.ts), List objects unpacked into their items
 * as kubectl apply unpacks them, so a policy sees each object the server gets.
 *
 * Lists (apimachinery unstructured/helpers.go `decode`/`decodeToList`, cli-runtime visitor.go
 *    `FlattenListVisitor`): any top-level object that has an `items` key is a list, whatever its kind
 *    (kubectl only asks the server's RESTMapper that the kind exists: List, or <Kind>List for a served
 *    kind); its items are the objects, and an item with neither kind nor apiVersion gets the list's
 *    apiVersion and its kind less the "List" suffix. A list inside a list is an error in kubectl apply and
 *    create ("*unstructured.Unstructured is not a list: no Items field in this object": the unstructured
 *    path flattens one level only), and so here. `items` that is not a list, and items that are not
 *    objects, fail kubectl's client-side validation of List kinds; both are refused here, also for kinds
 *    the server validates (where kubectl would apply nothing for `items: null`).
 */
import type { KubeObject } from "../../policies/lib/kube";
import { InputError } from "../inputs";
import { loadKubectlDocuments } from "./documents";

const isObject = (v: unknown): v is KubeObject => typeof v === "object" && v !== null && !Array.isArray(v);
const isNamed = (o: KubeObject) => typeof o.apiVersion === "string" && o.apiVersion !== "" && typeof o.kind === "string" && o.kind !== "";
const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/**
 * Every Kubernetes object in a manifest file (YAML, multi-document, or JSON) as kubectl apply reads it and
 * the API server gets it: YAML 1.1 scalars as go-yaml v2 resolves them, `<<` merges, lists unpacked. Any
 * file kubectl would refuse, or that this cannot read, is an InputError naming the file.
 */
export function loadManifests(text: string, file: string): KubeObject[] {
    const docs = loadKubectlDocuments(text, file);
    const objects: KubeObject[] = [];
    for (const { value: o, where } of docs) {
        if (!isObject(o) || !isNamed(o)) {
            throw new InputError(`${where}: not a Kubernetes object (apiVersion and kind are required)`);
        }
        if (!has(o, "items")) {
            objects.push(o);
            continue;
        }
        // unstructuredJSONScheme.decode: an `items` key makes the object a list, whatever its kind.
        if (!Array.isArray(o.items)) {
            throw new InputError(`${where}: ${o.kind} has items that is not a list (${o.items === null ? "null" : typeof o.items}); ` +
                "kubectl takes any object with items for a list of objects: make items a list, or remove it");
        }
        const itemKind = o.kind.endsWith("List") ? o.kind.slice(0, -"List".length) : o.kind;
        o.items.forEach((item: unknown, j: number) => {
            const at = `${where}: items[${j}]`;
            if (!isObject(item)) {
                throw new InputError(`${at}: not a Kubernetes object (apiVersion and kind are required)`);
            }
            // decodeToList: an item with neither kind nor apiVersion gets the list's.
            const unset = (v: unknown) => typeof v !== "string" || v === "";
            let obj: KubeObject = item;
            if (unset(item.kind) && unset(item.apiVersion)) {
                obj = { ...item, kind: itemKind, apiVersion: typeof o.apiVersion === "string" ? o.apiVersion : "" };
            }
            if (Array.isArray(obj.items)) {
                throw new InputError(`${at}: ${String(obj.kind)} is itself a list (it has items), and kubectl apply refuses a list inside a ` +
                    "list (\"*unstructured.Unstructured is not a list: no Items field in this object\"): put its items in the outer list");
            }
            if (!isNamed(obj)) {
                throw new InputError(`${at}: not a Kubernetes object (apiVersion and kind are required)`);
            }
            objects.push(obj);
        });
    }
    return objects;
}
