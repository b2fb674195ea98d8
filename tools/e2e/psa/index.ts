/**
 * Generated cases for the Pod Security differential test ("Pod Security, differential"): the pack's
 * pod-security-restricted policy and the API server's Pod Security admission (restricted, at
 * enforce-version v1.<minor>) must agree on every one of them.
 *
 *   psaCases(minor)               ≥ 2 000 cases, always the same for a minor (no randomness but a
 *                                 seeded PRNG): each a full manifest (`object`: apiVersion, kind,
 *                                 metadata.name unique and a DNS-1123 label of at most 52
 *                                 characters, no namespace: the caller sets it) and its `pod` form.
 *   judgeWithPack(object, minor)  the pack's verdict on one object, with no exemptions.
 *
 * Submitting the cases. The API server enforces Pod Security only on Pods: for a Deployment, Job or
 * CronJob it only warns (and only if the namespace has the `warn` labels). So each case carries
 * `pod`: the metadata (name = the case's name, the template's labels and annotations) and spec of
 * the Pod the object describes; submit `{ apiVersion: "v1", kind: "Pod", ...pod }` with
 * `--dry-run=server` to a namespace labelled `pod-security.kubernetes.io/enforce: restricted` and
 * `enforce-version: v1.<minor>` and compare allowed/forbidden with `judgeWithPack(object, minor)`.
 * The workload form can be submitted too, with the namespace's `warn`/`warn-version` labels set the
 * same way: a PodSecurity warning then stands for "forbidden".
 *
 * Every case is valid for the API server of 1.35 and later, so a rejection is Pod Security's and
 * not validation's (the rules kept are in `apiValid`, valid.ts; checked against a real 1.36
 * kube-apiserver). Two things the server needs for that:
 *  - `--allow-privileged=true` (kubeadm's setting): without it privileged and hostProcess
 *    containers fail validation instead of Pod Security (still a rejection, for another reason).
 *  - A server older than the minor judges with its own newest rules: a 1.36 server evaluates
 *    `enforce-version: v1.37` as v1.36, and v1.37 added two safe sysctls
 *    (net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat). Against such a server pass
 *    the server's minor, not the label's, to judgeWithPack.
 *
 * Ephemeral containers are not in any of these cases: a Pod create with `spec.ephemeralContainers`
 * fails validation ("spec.ephemeralContainers: Forbidden: cannot be set on create"); they are only
 * added later through the pods/ephemeralcontainers subresource, which Pod Security also judges.
 *   ephemeralCases(minor)         ≥ 300 cases (ephemeral.ts), each an ephemeral container and the
 *                                 base Pod (admitted by restricted) to add it to: create the base,
 *                                 then PUT it with the container to its ephemeralcontainers
 *                                 subresource with dryRun=All, and compare with judgeWithPack of
 *                                 that same Pod.
 *
 * What is varied (dimensions.ts), for every container slot (containers[0] "app", containers[1]
 * "side", initContainers[0] "init") and at pod level where the field exists there: runAsNonRoot,
 * runAsUser, seccompProfile, seLinuxOptions, appArmorProfile (both levels); privileged,
 * allowPrivilegeEscalation, capabilities, procMount, windowsOptions.hostProcess, host ports,
 * probe/lifecycle hosts (containers); host namespaces, hostUsers, sysctls, volume types, the legacy
 * AppArmor annotation, os (pod). Families (the name's prefix; drafts.ts):
 *   mut-   one change from a compliant pod, for every value of every dimension
 *   two-   two such changes together (seeded sample)
 *   pw-    a pairwise covering array over every dimension; pwp- one over the dimensions that a
 *          container may set and otherwise inherits from the pod (the rest compliant)
 *   mx-    full pod × containers matrices of those inherited settings, and of hostUsers with them
 *   win-   Windows pods (os.name windows), with only the fields a Windows pod may have
 *   dep-/job-/cj-  a share of the above wrapped in a Deployment, Job or CronJob
 */
export type { PsaCase } from "./cases";
export { psaCases } from "./drafts";
export type { EphemeralCase } from "./ephemeral";
export { EPHEMERAL_IMAGE, EPHEMERAL_NAME, ephemeralCases } from "./ephemeral";
export { judgeWithPack } from "./judge";
export { apiValid } from "./valid";
