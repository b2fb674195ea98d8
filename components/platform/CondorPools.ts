import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { CondorConfig, CondorPool } from "../../config";
import { configHash } from "./configHash";
import { claimName, FILESET_MOUNTS, FILESETS_FOR } from "./Filesets";

export interface CondorPoolsArgs {
    /** The HTCondor settings from the platform config; no default. */
    readonly config: CondorConfig;
    /** The IDTOKEN every startd presents to the central manager (the condorToken secret); no default. */
    readonly token: pulumi.Input<string>;
    /** Whether the filesets are declared, so the batch ones can be mounted; default false. */
    readonly filesets?: boolean;
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: the namespaces it goes into; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The namespace of a pool: each pool has its own (technote 000 "Batch Services", K8s assumption 4). */
export function poolNamespace(pool: CondorPool): string {
    return `htcondor-${pool.name}`;
}

/** Where HTCondor daemons look for their tokens (SEC_TOKEN_SYSTEM_DIRECTORY). */
export const TOKEN_DIRECTORY = "/etc/condor/tokens.d";
/** The token's file there; HTCondor skips names LOCAL_CONFIG_DIR_EXCLUDE_REGEXP matches (dot files, *.sh...). */
export const TOKEN_FILE = "lsst-k8s";
/** The condor user and group of the execute image, which the daemons run as. */
const CONDOR_ID = 64;

/** A ClassAd string list. Group names are checked in config to need no escaping. */
function classAdList(items: readonly string[]): string {
    return `{${items.map((i) => JSON.stringify(i)).join(", ")}}`;
}

/**
 * The startd configuration of one pool, written as HTCondor's `KEY = value` lines from an object.
 * The LSSTProcessingType ClassAd names what the pool is for; which jobs it runs is decided by the job's
 * AcctGroup, which the access points set from the authenticated owner (see CondorPools), never by an
 * attribute the job sets itself: a science user cannot take another pool's capacity by claiming its
 * processing type (technote 000 "K8s containers and standalone batch"). Move capacity (BCS 1-4) by
 * changing a pool's replicas, processingType or accountingGroups in config.
 */
export function condorConfig(config: CondorConfig, pool: CondorPool): string {
    const settings: Record<string, string> = {
        CONDOR_HOST: config.centralManager,
        DAEMON_LIST: "MASTER, STARTD",
        // Pods come and go: each advertises itself under its pod name.
        STARTD_NAME: "$(HOSTNAME)",
        // Pod addresses are not reachable from the access points outside the cluster: they reach the
        // startd through the collector's connection broker, to which the startd connects out.
        CCB_ADDRESS: "$(COLLECTOR_HOST)",
        // Only IDTOKENS, encrypted and integrity-checked: the token in TOKEN_DIRECTORY is the pod's identity.
        SEC_DEFAULT_AUTHENTICATION: "REQUIRED",
        SEC_DEFAULT_AUTHENTICATION_METHODS: "IDTOKENS",
        SEC_CLIENT_AUTHENTICATION: "REQUIRED",
        SEC_CLIENT_AUTHENTICATION_METHODS: "IDTOKENS",
        SEC_DEFAULT_ENCRYPTION: "REQUIRED",
        SEC_DEFAULT_INTEGRITY: "REQUIRED",
        SEC_TOKEN_SYSTEM_DIRECTORY: TOKEN_DIRECTORY,
        LSSTProcessingType: JSON.stringify(pool.processingType),
        LSSTAccountingGroups: classAdList(pool.accountingGroups),
        STARTD_ATTRS: "$(STARTD_ATTRS) LSSTProcessingType LSSTAccountingGroups",
        // `=?= true`: a job with no AcctGroup makes member() undefined, which must not start either.
        START: "member(TARGET.AcctGroup, MY.LSSTAccountingGroups) =?= true",
        // The whole pod is one partitionable slot, as a whole node would be.
        NUM_SLOTS: "1",
        NUM_SLOTS_TYPE_1: "1",
        SLOT_TYPE_1: "100%",
        SLOT_TYPE_1_PARTITIONABLE: "True",
    };
    return "# Written by lsst-k8s; changes here are overwritten.\n" +
        Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n";
}

/**
 * HTCondor worker pools inside the cluster (technote 000 "Batch Services"): long-running startds that
 * join the central manager outside the cluster, one Deployment per pool in the pool's namespace, with
 * the volumes batch sees (the batch filesets, read-only ones read-only), HTCondor and the LSST stack
 * read from /software. A change of a pool's configuration or of the token rolls its pods.
 *
 * Joining: every startd authenticates with the IDTOKEN of the condorToken secret, made on the central
 * manager by `condor_token_create -identity <identity> -authz READ -authz ADVERTISE_MASTER
 * -authz ADVERTISE_STARTD -authz DAEMON`. The central manager must allow that identity:
 *
 *     ALLOW_READ = $(ALLOW_READ) <identity>
 *     ALLOW_ADVERTISE_MASTER = $(ALLOW_ADVERTISE_MASTER) <identity>
 *     ALLOW_ADVERTISE_STARTD = $(ALLOW_ADVERTISE_STARTD) <identity>
 *     # CCB registration, at DAEMON level: the access points reach the pods only through it
 *     ALLOW_DAEMON = $(ALLOW_DAEMON) <identity>
 *     # Only the access points of lsst-dev and the K8s commons (technote 000 "Batch Services")
 *     ALLOW_ADVERTISE_SCHEDD = <their schedds' identities>
 *
 * The startds take no remote administration (they hold no signing key to check a token with): capacity
 * moves through config, each change rolling the pods.
 *
 * Which jobs start: START admits a job only for its AcctGroup, which each of those access points sets
 * from the job's Owner (immutable, the authenticated submitter) and keeps from being edited:
 *
 *     SCHEDD_CLASSAD_USER_MAP_NAMES = $(SCHEDD_CLASSAD_USER_MAP_NAMES) LsstGroups
 *     # one line per user: * alice group_l3,group_prompt
 *     CLASSAD_USER_MAPFILE_LsstGroups = /etc/condor/lsst-groups.map
 *     JOB_TRANSFORM_NAMES = $(JOB_TRANSFORM_NAMES) LsstGroup
 *     JOB_TRANSFORM_LsstGroup @=end
 *         EVALSET AcctGroup = userMap("LsstGroups", Owner, AcctGroup)
 *         EVALSET AcctGroupUser = Owner
 *         EVALSET AccountingGroup = join(".", AcctGroup, Owner)
 *     @end
 *     PROTECTED_JOB_ATTRS = $(PROTECTED_JOB_ATTRS) AcctGroup AcctGroupUser AccountingGroup
 *
 * A job asking for a group its owner is not in gets the owner's first group; an owner in no group gets
 * none, which no pool starts.
 */
export class CondorPools extends pulumi.ComponentResource {
    constructor(name: string, args: CondorPoolsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:CondorPools", name, {}, opts);
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        // The HMAC key of the pods' config hash, which covers the token.
        const hashKey = new random.RandomBytes(`${name}-hash-key`, { length: 32 }, { parent: this });
        const filesets = args.filesets ? FILESETS_FOR.batch : [];
        for (const pool of args.config.pools) {
            const namespace = poolNamespace(pool);
            const labels = { app: "htcondor-startd", "lsst-k8s.io/pool": pool.name };
            const configData = { "50-lsst-k8s.conf": condorConfig(args.config, pool) };
            const config = new k8s.core.v1.ConfigMap(`${name}-${pool.name}-config`, {
                metadata: { name: "condor-config", namespace },
                data: configData,
            }, o);
            const tokenData = pulumi.secret(pulumi.output(args.token).apply((token) => ({ [TOKEN_FILE]: token })));
            const token = new k8s.core.v1.Secret(`${name}-${pool.name}-token`, {
                metadata: { name: "condor-token", namespace },
                type: "Opaque",
                stringData: tokenData,
            }, o);
            new k8s.apps.v1.Deployment(`${name}-${pool.name}`, {
                metadata: { name: `startd-${pool.name}`, namespace, labels },
                spec: {
                    replicas: pool.replicas,
                    selector: { matchLabels: labels },
                    template: {
                        metadata: {
                            labels,
                            annotations: configHash({ "configmap/condor-config": configData, "secret/condor-token": tokenData }, hashKey.base64),
                        },
                        spec: {
                            // fsGroup makes the token (0440) readable by the daemons and nobody else in the pod.
                            securityContext: {
                                runAsNonRoot: true, runAsUser: CONDOR_ID, runAsGroup: CONDOR_ID, fsGroup: CONDOR_ID,
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            // A startd finishing its jobs is given the time to hand them back.
                            terminationGracePeriodSeconds: 300,
                            containers: [{
                                name: "startd",
                                image: args.config.image,
                                env: [{ name: "CONDOR_HOST", value: args.config.centralManager }],
                                resources: {
                                    requests: { cpu: pool.cpu, memory: pool.memory },
                                    limits: { cpu: pool.cpu, memory: pool.memory },
                                },
                                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                                volumeMounts: [
                                    { name: "condor-config", mountPath: "/etc/condor/config.d/50-lsst-k8s.conf", subPath: "50-lsst-k8s.conf", readOnly: true },
                                    { name: "condor-token", mountPath: TOKEN_DIRECTORY, readOnly: true },
                                    ...filesets.map((f) => ({ name: claimName(f), mountPath: FILESET_MOUNTS[f].path, readOnly: FILESET_MOUNTS[f].readOnly })),
                                ],
                            }],
                            volumes: [
                                { name: "condor-config", configMap: { name: "condor-config" } },
                                { name: "condor-token", secret: { secretName: "condor-token", defaultMode: 0o440 } },
                                ...filesets.map((f) => ({
                                    name: claimName(f),
                                    persistentVolumeClaim: { claimName: claimName(f), readOnly: FILESET_MOUNTS[f].readOnly },
                                })),
                            ],
                        },
                    },
                },
            }, { ...o, dependsOn: [...(args.dependsOn ?? []), config, token] });
        }
        this.registerOutputs({});
    }
}
