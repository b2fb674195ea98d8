/**
 * The suite's tiers (ARCHITECTURE.md, "Testing tiers"), one jest project each, so tools/test.sh runs and
 * times them one at a time (`npx jest --selectProjects <tier>`). A file is in the first tier one of whose
 * patterns matches its path under tests/ up to ".test.ts"; a new file no pattern names is a unit test.
 * The fast tiers are unit, policies, scripts, services and synth; control-plane and engine need the
 * upstream build (tools/upstream/build.sh).
 */
const tiers = [
    // Start Go-built binaries (tools/upstream/build.sh): etcd and kube-apiserver, kubeadm, kubectl.
    ["control-plane", [
        "admission", "cert-expiry\\.kubeadm", "etcd-backup/encrypted-restore", "id-ranges\\.real", "kubeconfig-user", "network-policies\\.real",
    ]],
    // Runs the Go-built Pulumi CLI.
    ["engine", ["workflow"]],
    // The synth and the tools' command lines, run as child processes.
    ["synth", ["synth[^/]*", "yaml-inputs"]],
    ["policies", ["policies/[^/]*", "policy-check[^/]*", "e2e-psa-cases"]],
    // Shell and Python scripts executed for real: sandboxes, the bootstrap command, network namespaces.
    ["scripts", ["[^/]*\\.sandbox", "bundle", "multicast-check"]],
    // Debian's docker-registry, skopeo, etcd and openssl, HTCondor's own config reader, kubernetes-models.
    ["services", ["registry", "mirror", "etcd-backup/(failures|https|settings|snapshots)", "condor", "manifests", "oidc-issuer"]],
];

const file = (pattern) => `/tests/(.*/)?${pattern}\\.test\\.ts$`;
const ts = { "^.+\\.ts$": "ts-jest" };
const project = (displayName, testRegex, testPathIgnorePatterns) => ({
    displayName, rootDir: __dirname, roots: ["<rootDir>/tests"], testEnvironment: "node", transform: ts, testRegex, testPathIgnorePatterns,
});

/** @type {import('jest').Config} */
module.exports = {
    projects: [
        project("unit", file("[^/]*"), tiers.flatMap(([, patterns]) => patterns.map(file))),
        ...tiers.map(([name, patterns], i) => project(
            name,
            patterns.map(file),
            tiers.slice(0, i).flatMap(([, earlier]) => earlier.map(file)),
        )),
    ],
    testTimeout: 60000,
    // jest's default on two cores is one worker, but most suites wait on child processes (the program
    // under mocks, sshd, etcd, the API server): two workers halve the wall time (581 s to 324 s, measured
    // with /usr/bin/time on this 2-core machine) for 1.2 GB peak memory.
    maxWorkers: 2,
};
