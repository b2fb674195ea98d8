/** The validated config's types, inferred from the schemas and made deeply read-only. */
import type { ClusterSection } from "./cluster";
import type { NodeConfig as Node } from "./nodes";
import type { OidcConfig as Oidc } from "./oidc";
import type * as P from "./platform";
import type { BastionConfig as Bastion, SshConfig as Ssh } from "./ssh";

/** What the schemas produce, frozen: nothing downstream can change the config it was given. */
export type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[]
    : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type NodeConfig = DeepReadonly<Node>;
export type SshConfig = DeepReadonly<Ssh>;
export type OidcConfig = DeepReadonly<Oidc>;
export type BastionConfig = DeepReadonly<Bastion>;
export type PlatformConfig = DeepReadonly<P.PlatformConfig>;
export type PlatformGroups = DeepReadonly<P.PlatformGroups>;
export type DeveloperGroup = DeepReadonly<P.DeveloperGroup>;
export type JupyterConfig = DeepReadonly<P.JupyterConfig>;
export type NotebookProfile = DeepReadonly<P.NotebookProfile>;
export type FilesetsConfig = DeepReadonly<P.FilesetsConfig>;
export type CondorConfig = DeepReadonly<P.CondorConfig>;
export type CondorPool = DeepReadonly<P.CondorPool>;
export type EtcdBackupConfig = DeepReadonly<P.EtcdBackupConfig>;
export type RegistryConfig = DeepReadonly<P.RegistryConfig>;
export type Endpoint = DeepReadonly<ClusterSection["controlPlaneEndpoint"]>;
/** The cluster section with the platform beside it; `platform` is absent when the stack has none. */
export type ClusterConfig = DeepReadonly<ClusterSection & { platform?: P.PlatformConfig }>;
