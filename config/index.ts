/**
 * The one place that reads and validates stack config. Everything is checked before any resource is
 * created and every problem is reported at once, each with its key path, so an operator fixes a stack
 * file in one pass instead of one `pulumi up` per typo. The rules are zod schemas, one module per
 * section; schema/stack.schema.json is generated from the same schemas for editors.
 */
export { ConfigError, readConfig, validateConfig } from "./read";
export type { StackConfig } from "./read";
export { ETCD_BACKUP_PREFIX, PROJECT, SSH_KEY } from "./stack";
export { CONDOR_TOKEN, FILESETS, PLATFORM_NAMESPACES } from "./platform";
export type { FilesetName } from "./platform";
export type { NodeRole } from "./nodes";
export type * from "./types";
export type { KubernetesVersion } from "../components/hosts/versions";
