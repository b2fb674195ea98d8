/** Every policy of the pack, in one list the pack, the synth, `policy check` and the tests share. */
import { Policy } from "@pulumi/policy";
import { clusterAdminBinding } from "./cluster-admin-binding";
import { containerResources } from "./container-resources";
import { jupyterlabBounds } from "./jupyterlab-bounds";
import { maintainedKubernetesVersion } from "./maintained-kubernetes-version";
import { noDefaultNamespace } from "./no-default-namespace";
import { podSecurityRestricted } from "./pod-security-restricted";
import { publicExposure } from "./public-exposure";
import { readOnlyFilesets } from "./read-only-filesets";
import { restrictedRoles } from "./restricted-roles";
import { trustedImages } from "./trusted-images";

export const policies: Policy[] = [
    podSecurityRestricted,
    trustedImages,
    publicExposure,
    restrictedRoles,
    noDefaultNamespace,
    readOnlyFilesets,
    jupyterlabBounds,
    maintainedKubernetesVersion,
    clusterAdminBinding,
    containerResources,
];
