/**
 * Kubernetes manifests read the way `kubectl apply -f` / `kubectl create -f` (1.36) read them, so that
 * `policy check` judges what the API server will store, not what a YAML 1.2 parser thinks the file says.
 *
 * kubectl's path, verified in the Go module cache (k8s.io/cli-runtime v0.36.3, k8s.io/apimachinery
 * v0.36.3, sigs.k8s.io/yaml v1.6.0, go.yaml.in/yaml/v2 v2.4.3 — the fork of gopkg.in/yaml.v2 v2.4.0 that
 * sigs.k8s.io/yaml uses; its resolve.go is identical to gopkg.in/yaml.v2's) and against a real 1.36.3
 * kube-apiserver with kubectl 1.36.3:
 *
 * Each step lives in its own file, with what kubectl does there and why:
 * 1. documents.ts: framing — YAML documents, JSON streams — and each document decoded into JSON.
 * 2. scalars.ts: scalars, resolved as go-yaml v2's YAML 1.1 has them (goValues.ts: the Go values they become).
 * 3. decoder.ts: mappings — duplicate keys, `<<` merges, aliases — as go-yaml v2 decodes them; json.ts: the
 *    JSON sigs.k8s.io/yaml makes of the result, map keys made strings.
 * 4. lists.ts: List objects and their items unpacked, and what makes a Kubernetes object.
 *
 * Not mirrored: kubectl's RESTMapper check that a kind is served, its client-side OpenAPI validation of
 * List kinds, and the API server's own type checks (the pack judges the JSON kubectl sends, which the
 * server may still refuse, e.g. a boolean in a ConfigMap's data); integers beyond 2^53, which lose
 * precision as JavaScript numbers; implicit keys longer than 1024 characters inside a flow mapping, which
 * libyaml refuses; and nesting past the yaml package's limit (about 1,700 levels, against go-yaml's 10,000),
 * which is refused here as too deep. The yaml package (YAML 1.2 syntax, `version: "1.1"`) parses; every
 * meaning in these files is given here, on its nodes, since its 1.1 schema differs from go-yaml v2 (e.g. in
 * merge order, timestamps, key strings).
 *
 * This index only re-exports the public API.
 */
export { loadKubectlDocuments } from "./documents";
export type { KubectlDocument } from "./documents";
export { loadManifests } from "./lists";
