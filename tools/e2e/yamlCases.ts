/**
 * Manifests that YAML 1.2 and kubectl read differently, with what `loadManifests` (tools/manifests/)
 * reads from each, for the e2e tier to prove against the real API server that `policy check` judges what
 * the server stores: apply each case's `yaml` with `kubectl apply -n NS -f FILE`, read back the objects
 * (`kubectl get -o json`), and compare each `stored` field; a case with `expectRejected` must make kubectl
 * exit non-zero with output matching `rejection`, and store nothing.
 *
 * tests/manifests.test.ts checks that `loadManifests(yaml)` is `expected` and that every `stored` value is
 * the one loadManifests read, so these stay what the pack judges. Every object is namespace-less (apply
 * it in a namespace of the tier's) and named `yaml11-<case>...`, unique across the cases. Checked with
 * kubectl and kube-apiserver v1.36.3 (`--allow-privileged=true`, as kubeadm runs it: needed by the
 * `privileged` case; the namespace must not enforce Pod Security baseline or restricted for that one).
 */
import type { KubeObject } from "../../policies/lib/kube";

export interface YamlCase {
    /** Unique; every object's metadata.name starts with `yaml11-${name}`. */
    readonly name: string;
    /** What the case shows. */
    readonly about: string;
    /** The manifest file's text. */
    readonly yaml: string;
    /** Every object loadManifests reads from `yaml`, in order; [] when it refuses the file (`loadError`). */
    readonly expected: KubeObject[];
    /** Fields the API server stores, each with the value loadManifests read there. */
    readonly stored?: readonly StoredField[];
    /** Objects the file names that must NOT be stored (the outer object of a list). */
    readonly notStored?: readonly { kind: string; name: string }[];
    /** kubectl apply fails and stores nothing: `rejection` matches its output. */
    readonly expectRejected?: true;
    /** Who refuses it: the API server (the JSON does not fit the type), or kubectl before sending anything. */
    readonly rejectedBy?: "api-server" | "kubectl";
    readonly rejection?: RegExp;
    /** loadManifests refuses the file too (an InputError whose message matches), as kubectl does. */
    readonly loadError?: RegExp;
}

export interface StoredField {
    readonly kind: string;
    readonly name: string;
    /** From the object's root, e.g. ["spec", "containers", 0, "securityContext", "privileged"]. */
    readonly path: readonly (string | number)[];
    readonly value: unknown;
}

const IMAGE = "registry.k8s.io/pause:3.10";

const pod = (name: string, spec: KubeObject): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec });
const container = (name: string, extra: KubeObject = {}): KubeObject => ({ name, image: IMAGE, ...extra });
const configMap = (name: string, data?: KubeObject): KubeObject =>
    ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, ...(data ? { data } : {}) });
const sc = (name: string, i: number, field: string, value: unknown): StoredField =>
    ({ kind: "Pod", name, path: ["spec", "containers", i, "securityContext", field], value });

export const YAML_CASES: readonly YamlCase[] = [
    {
        name: "bools",
        about: "go-yaml v2's booleans (y, Yes, on, n, NO, off, False) in Pod and container fields the server stores as booleans",
        yaml: `apiVersion: v1
kind: Pod
metadata:
  name: yaml11-bools
spec:
  enableServiceLinks: n
  automountServiceAccountToken: NO
  shareProcessNamespace: on
  hostNetwork: off
  containers:
  - name: c
    image: ${IMAGE}
    stdin: y
    tty: Yes
    securityContext:
      allowPrivilegeEscalation: no
      readOnlyRootFilesystem: ON
      runAsNonRoot: False
`,
        expected: [pod("yaml11-bools", {
            enableServiceLinks: false,
            automountServiceAccountToken: false,
            shareProcessNamespace: true,
            hostNetwork: false,
            containers: [container("c", {
                stdin: true,
                tty: true,
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: false },
            })],
        })],
        stored: [
            { kind: "Pod", name: "yaml11-bools", path: ["spec", "enableServiceLinks"], value: false },
            { kind: "Pod", name: "yaml11-bools", path: ["spec", "automountServiceAccountToken"], value: false },
            { kind: "Pod", name: "yaml11-bools", path: ["spec", "shareProcessNamespace"], value: true },
            { kind: "Pod", name: "yaml11-bools", path: ["spec", "containers", 0, "stdin"], value: true },
            { kind: "Pod", name: "yaml11-bools", path: ["spec", "containers", 0, "tty"], value: true },
            sc("yaml11-bools", 0, "allowPrivilegeEscalation", false),
            sc("yaml11-bools", 0, "readOnlyRootFilesystem", true),
            sc("yaml11-bools", 0, "runAsNonRoot", false),
        ],
    },
    {
        name: "privileged",
        about: "`privileged: yes` and `privileged: on` are true: the pack reports both containers as privileged " +
            "(needs --allow-privileged=true and a namespace without Pod Security baseline/restricted enforcement)",
        yaml: `apiVersion: v1
kind: Pod
metadata:
  name: yaml11-privileged
spec:
  containers:
  - name: a
    image: ${IMAGE}
    securityContext:
      privileged: yes
  - name: b
    image: ${IMAGE}
    securityContext: {privileged: on}
`,
        expected: [pod("yaml11-privileged", {
            containers: [container("a", { securityContext: { privileged: true } }), container("b", { securityContext: { privileged: true } })],
        })],
        stored: [sc("yaml11-privileged", 0, "privileged", true), sc("yaml11-privileged", 1, "privileged", true)],
    },
    {
        name: "strings",
        about: "what stays a string: quoted and !!str text, other spellings (yEs), timestamps, sexagesimal, hex floats, words",
        yaml: `apiVersion: v1
kind: ConfigMap
metadata:
  name: yaml11-strings
data:
  quoted: "yes"
  single: 'on'
  tagged: !!str off
  spelling: yEs
  date: 2001-12-14
  stamp: 2001-12-14T21:59:43.10Z
  clock: 12:30:00
  ratio: 1:20
  hexfloat: 0x1p-2
  word: Infinity
  block: |
    no
`,
        expected: [configMap("yaml11-strings", {
            quoted: "yes", single: "on", tagged: "off", spelling: "yEs", date: "2001-12-14", stamp: "2001-12-14T21:59:43.10Z",
            clock: "12:30:00", ratio: "1:20", hexfloat: "0x1p-2", word: "Infinity", block: "no\n",
        })],
        stored: [
            ["quoted", "yes"], ["single", "on"], ["tagged", "off"], ["spelling", "yEs"], ["date", "2001-12-14"],
            ["stamp", "2001-12-14T21:59:43.10Z"], ["clock", "12:30:00"], ["ratio", "1:20"], ["hexfloat", "0x1p-2"], ["word", "Infinity"],
            ["block", "no\n"],
        ].map(([k, value]) => ({ kind: "ConfigMap", name: "yaml11-strings", path: ["data", k], value })),
    },
    {
        name: "configmap-bool",
        about: "`data: {enabled: yes}` is a boolean, which a ConfigMap's data (strings only) does not take",
        yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml11-configmap-bool\ndata:\n  enabled: yes\n",
        expected: [configMap("yaml11-configmap-bool", { enabled: true })],
        expectRejected: true,
        rejectedBy: "api-server",
        rejection: /cannot unmarshal bool into Go struct field ConfigMap\.data of type string/,
    },
    {
        name: "configmap-octal",
        about: "`data: {mode: 0755}` is the number 493, which a ConfigMap's data does not take",
        yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml11-configmap-octal\ndata:\n  mode: 0755\n",
        expected: [configMap("yaml11-configmap-octal", { mode: 493 })],
        expectRejected: true,
        rejectedBy: "api-server",
        rejection: /cannot unmarshal number into Go struct field ConfigMap\.data of type string/,
    },
    {
        name: "numbers",
        about: "go-yaml v2's integers: a leading 0 and 0o are octal, 0x hex, 0b binary, _ ignored",
        yaml: `apiVersion: v1
kind: Pod
metadata:
  name: yaml11-numbers
spec:
  terminationGracePeriodSeconds: 030
  securityContext:
    runAsUser: 0x3E8
    runAsGroup: 1_000
    fsGroup: 0b1111101000
  containers:
  - name: c
    image: ${IMAGE}
  volumes:
  - name: v
    configMap:
      name: yaml11-numbers
      defaultMode: 0644
      items:
      - {key: k, path: k, mode: 0o600}
`,
        expected: [pod("yaml11-numbers", {
            terminationGracePeriodSeconds: 24,
            securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
            containers: [container("c")],
            volumes: [{ name: "v", configMap: { name: "yaml11-numbers", defaultMode: 420, items: [{ key: "k", path: "k", mode: 384 }] } }],
        })],
        stored: [
            { kind: "Pod", name: "yaml11-numbers", path: ["spec", "terminationGracePeriodSeconds"], value: 24 },
            { kind: "Pod", name: "yaml11-numbers", path: ["spec", "securityContext", "runAsUser"], value: 1000 },
            { kind: "Pod", name: "yaml11-numbers", path: ["spec", "securityContext", "runAsGroup"], value: 1000 },
            { kind: "Pod", name: "yaml11-numbers", path: ["spec", "securityContext", "fsGroup"], value: 1000 },
            { kind: "Pod", name: "yaml11-numbers", path: ["spec", "volumes", 0, "configMap", "defaultMode"], value: 420 },
            { kind: "Pod", name: "yaml11-numbers", path: ["spec", "volumes", 0, "configMap", "items", 0, "mode"], value: 384 },
        ],
    },
    {
        name: "merge",
        about: "`<<` merge keys in go-yaml v2's order: a key after `<<` wins, a key before it loses, and in `<<: [*a, *b]` *a wins",
        yaml: `apiVersion: v1
kind: Pod
metadata:
  name: yaml11-merge
spec:
  containers:
  - name: base
    image: ${IMAGE}
    securityContext: &restricted
      allowPrivilegeEscalation: no
      readOnlyRootFilesystem: yes
  - name: after
    image: ${IMAGE}
    securityContext: &loose
      <<: *restricted
      allowPrivilegeEscalation: yes
  - name: before
    image: ${IMAGE}
    securityContext:
      allowPrivilegeEscalation: yes
      <<: *restricted
  - name: list
    image: ${IMAGE}
    securityContext:
      <<: [*restricted, *loose]
`,
        expected: [pod("yaml11-merge", {
            containers: [
                container("base", { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true } }),
                container("after", { securityContext: { allowPrivilegeEscalation: true, readOnlyRootFilesystem: true } }),
                container("before", { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true } }),
                container("list", { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true } }),
            ],
        })],
        stored: [
            sc("yaml11-merge", 0, "allowPrivilegeEscalation", false),
            sc("yaml11-merge", 1, "allowPrivilegeEscalation", true),
            sc("yaml11-merge", 2, "allowPrivilegeEscalation", false),
            sc("yaml11-merge", 3, "allowPrivilegeEscalation", false),
            sc("yaml11-merge", 3, "readOnlyRootFilesystem", true),
        ],
    },
    {
        name: "duplicate",
        about: "a duplicate key: the last one wins, silently, even with kubectl's default --validate=strict",
        yaml: `apiVersion: v1
kind: Pod
metadata:
  name: yaml11-duplicate
spec:
  containers:
  - name: c
    image: ${IMAGE}
    securityContext:
      allowPrivilegeEscalation: yes
      allowPrivilegeEscalation: no
`,
        expected: [pod("yaml11-duplicate", { containers: [container("c", { securityContext: { allowPrivilegeEscalation: false } })] })],
        stored: [sc("yaml11-duplicate", 0, "allowPrivilegeEscalation", false)],
    },
    {
        name: "keys",
        about: "keys become strings after they are resolved: on → \"true\", 0x10 → \"16\", 1e3 → \"1000\"",
        yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml11-keys\ndata:\n  on: a\n  0x10: b\n  1e3: c\n  080: d\n",
        expected: [configMap("yaml11-keys", { true: "a", 16: "b", 1000: "c", 80: "d" })],
        stored: [["true", "a"], ["16", "b"], ["1000", "c"], ["80", "d"]]
            .map(([k, value]) => ({ kind: "ConfigMap", name: "yaml11-keys", path: ["data", k], value })),
    },
    {
        name: "list",
        about: "a v1 List is unpacked into its items",
        yaml: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: yaml11-list-pod}
  spec:
    containers:
    - {name: c, image: ${IMAGE}, securityContext: {allowPrivilegeEscalation: off}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: yaml11-list-cm}
  data: {a: "on"}
`,
        expected: [
            pod("yaml11-list-pod", { containers: [container("c", { securityContext: { allowPrivilegeEscalation: false } })] }),
            configMap("yaml11-list-cm", { a: "on" }),
        ],
        stored: [sc("yaml11-list-pod", 0, "allowPrivilegeEscalation", false), { kind: "ConfigMap", name: "yaml11-list-cm", path: ["data", "a"], value: "on" }],
    },
    {
        name: "typed-list",
        about: "a ConfigMapList's items without kind and apiVersion get ConfigMap and v1",
        yaml: "apiVersion: v1\nkind: ConfigMapList\nitems:\n- metadata: {name: yaml11-typed-list-a}\n  data: {k: v}\n",
        expected: [{ metadata: { name: "yaml11-typed-list-a" }, data: { k: "v" }, kind: "ConfigMap", apiVersion: "v1" }],
        stored: [{ kind: "ConfigMap", name: "yaml11-typed-list-a", path: ["data", "k"], value: "v" }],
    },
    {
        name: "items",
        about: "any object with an items list is a list to kubectl: the ConfigMap itself is dropped, its items applied",
        yaml: `apiVersion: v1
kind: ConfigMap
metadata: {name: yaml11-items-outer}
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: yaml11-items-inner}, data: {k: v}}
`,
        expected: [configMap("yaml11-items-inner", { k: "v" })],
        stored: [{ kind: "ConfigMap", name: "yaml11-items-inner", path: ["data", "k"], value: "v" }],
        notStored: [{ kind: "ConfigMap", name: "yaml11-items-outer" }],
    },
    {
        name: "nested-list",
        about: "kubectl apply refuses a List inside a List (it unpacks one level only)",
        yaml: `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: yaml11-nested-list-a}}
- apiVersion: v1
  kind: List
  items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: yaml11-nested-list-b}}
`,
        expected: [],
        expectRejected: true,
        rejectedBy: "kubectl",
        rejection: /is not a list: no Items field in this object/,
        loadError: /items\[1\]: List is itself a list/,
        notStored: [{ kind: "ConfigMap", name: "yaml11-nested-list-a" }, { kind: "ConfigMap", name: "yaml11-nested-list-b" }],
    },
    {
        name: "documents",
        about: "documents cut at lines that start with ---: empty, null and comment-only ones skipped, text after ... ignored",
        yaml: `--- # first
apiVersion: v1
kind: ConfigMap
metadata: {name: yaml11-documents-a}
---

---
# nothing here
---
~
---
apiVersion: v1
kind: ConfigMap
metadata: {name: yaml11-documents-b}
data: {k: "yes"}
...
this: is ignored
`,
        expected: [configMap("yaml11-documents-a"), configMap("yaml11-documents-b", { k: "yes" })],
        stored: [{ kind: "ConfigMap", name: "yaml11-documents-b", path: ["data", "k"], value: "yes" }],
    },
    {
        name: "json-stream",
        about: "a file that starts with { is a stream of JSON objects, one after another",
        yaml: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "yaml11-json-stream-a"}, "data": {"k": "1"}}' +
            '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "yaml11-json-stream-b"}, "data": {"k": "2"}}\n',
        expected: [configMap("yaml11-json-stream-a", { k: "1" }), configMap("yaml11-json-stream-b", { k: "2" })],
        stored: [
            { kind: "ConfigMap", name: "yaml11-json-stream-a", path: ["data", "k"], value: "1" },
            { kind: "ConfigMap", name: "yaml11-json-stream-b", path: ["data", "k"], value: "2" },
        ],
    },
    {
        name: "infinity",
        about: "`.inf` is a float JSON cannot hold: kubectl refuses the file",
        yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml11-infinity\ndata:\n  k: .inf\n",
        expected: [],
        expectRejected: true,
        rejectedBy: "kubectl",
        rejection: /json: unsupported value: \+Inf/,
        loadError: /data\.k is \+Inf/,
        notStored: [{ kind: "ConfigMap", name: "yaml11-infinity" }],
    },
];
