import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { RegistryConfig } from "../../config";
import { configHash } from "./configHash";
import { htpasswdLine, REGISTRY_PULL_PORT, REGISTRY_PUSH_PORT, registryConfig, renderRegistryConfig } from "./registryConfig";

export interface RegistryArgs {
    /** Host, fixed Service address, storage and image from the platform config; no default. */
    readonly config: RegistryConfig;
    /** Namespaces whose pods pull from the registry: their default ServiceAccount gets the pull secret. */
    readonly pullers: readonly string[];
    /** The cluster's Kubernetes provider; no default. */
    readonly provider: k8s.Provider;
    /** What every object waits for: the namespaces it goes into; default none. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

const NAMESPACE = "registry";
/** The pull credential's user: the one in every puller's secret, which the reader alone knows. */
const USER = "lsst-k8s";
/** The push credential's user, which the writer alone knows and no namespace holds. */
const PUSH_USER = "lsst-k8s-push";
const PORT = REGISTRY_PULL_PORT;

/**
 * The cluster's own image registry (technote 000/001 "Docker Registry": faster pulls, security, images
 * kept locally and vetted by security): the official registry image on a persistent volume, TLS with its
 * own certificate, and a Service on a fixed address in the service network, which every node's
 * containerd reaches through kube-proxy (NodePrep writes containerd's hosts.toml and trusts the
 * certificate). Pods pull with a secret bound to the default ServiceAccount of each namespace that uses it.
 *
 * Pulling and pushing take different credentials. distribution's htpasswd auth gives every user it
 * knows every right, so the pod runs it twice on the one volume, each knowing one user: the reader
 * (Service port 443, what containerd dials) in read-only mode with the pull user, and the writer
 * (port REGISTRY_PUSH_PORT) with the push user. The pull credential, which every developer namespace
 * can read, is refused every write by the reader and is unknown to the writer; the push credential is
 * only in the stack's secret outputs (for `npm run mirror`) and the writer's Secret in `registry`.
 */
export class Registry extends pulumi.ComponentResource {
    /** The password of the pull user (secret); a stack output. */
    readonly password: pulumi.Output<string>;
    /** The pull user's name. */
    readonly user: string = USER;
    /** The password of the push user (secret); a stack output, in no namespace but the registry's. */
    readonly pushPassword: pulumi.Output<string>;
    /** The push user's name. */
    readonly pushUser: string = PUSH_USER;
    /** The registry's certificate (PEM), which nodes trust. */
    readonly certificate: pulumi.Output<string>;
    /** The storage class of its claim, a stack output the gate compares a new config against; absent, the default class. */
    readonly storageClass?: string;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lsst-k8s:platform:Registry", name, {}, opts);
        const { config } = args;
        const o = { parent: this, provider: args.provider, dependsOn: args.dependsOn };
        this.storageClass = config.storageClass;

        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const cert = new tls.SelfSignedCert(`${name}-cert`, {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: config.host, organization: "lsst-k8s" },
            dnsNames: [config.host, `registry.${NAMESPACE}.svc`, `registry.${NAMESPACE}.svc.cluster.local`],
            ipAddresses: [config.clusterIP],
            validityPeriodHours: 5 * 365 * 24,
            earlyRenewalHours: 30 * 24,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        }, { parent: this });
        this.certificate = cert.certPem;

        // A fixed salt per user, drawn from bcrypt's own alphabet, keeps each htpasswd line (and so the
        // Secrets) the same from one deploy to the next.
        const credential = (suffix: string) => ({
            password: new random.RandomPassword(`${name}-${suffix}password`, { length: 32, special: false }, { parent: this }).result,
            salt: new random.RandomString(`${name}-${suffix}salt`, { length: 22, special: true, overrideSpecial: "./" }, { parent: this }).result,
        });
        const pull = credential("");
        const push = credential("push-");
        this.password = pulumi.secret(pull.password);
        this.pushPassword = pulumi.secret(push.password);

        // Each instance's files: its config, the htpasswd of its one user, the certificate of both.
        const filesOf = (listen: number, readOnly: boolean, user: string, c: typeof pull) =>
            pulumi.secret(pulumi.all([c.password, c.salt, cert.certPem, key.privateKeyPem]).apply(([pw, s, crt, pem]) => ({
                "config.yml": renderRegistryConfig(registryConfig({
                    listen: `:${listen}`,
                    htpasswdPath: "/etc/registry/htpasswd",
                    tlsCertificate: "/etc/registry/tls.crt",
                    tlsKey: "/etc/registry/tls.key",
                    readOnly,
                })),
                htpasswd: `${htpasswdLine(user, pw, 10, s)}\n`,
                "tls.crt": crt,
                "tls.key": pem,
            })));
        const files = filesOf(PORT, true, USER, pull);
        const pushFiles = filesOf(REGISTRY_PUSH_PORT, false, PUSH_USER, push);
        const secret = new k8s.core.v1.Secret(`${name}-files`, {
            metadata: { name: "registry", namespace: NAMESPACE },
            type: "Opaque",
            stringData: files,
        }, o);
        const pushSecret = new k8s.core.v1.Secret(`${name}-push-files`, {
            metadata: { name: "registry-push", namespace: NAMESPACE },
            type: "Opaque",
            stringData: pushFiles,
        }, o);
        const storage = new k8s.core.v1.PersistentVolumeClaim(`${name}-storage`, {
            metadata: { name: "registry-storage", namespace: NAMESPACE },
            spec: {
                accessModes: ["ReadWriteOnce"],
                ...(config.storageClass ? { storageClassName: config.storageClass } : {}),
                resources: { requests: { storage: config.storageSize } },
            },
            // The images live here: no edit of the program may delete them. A replace (a new class, which
            // the gate refuses anyway) fails on the name still taken instead, and a destroy leaves the
            // claim and its volume for an admin to delete by hand.
        }, { ...o, retainOnDelete: true });
        const labels = { app: "registry" };
        // The HMAC key of the pod's config hash, which covers the Secrets' passwords and TLS key.
        const hashKey = new random.RandomBytes(`${name}-hash-key`, { length: 32 }, { parent: this });
        const container = (containerName: string, portName: string, port: number, secretVolume: string, storageReadOnly: boolean): k8s.types.input.core.v1.Container => ({
            name: containerName,
            image: config.image,
            args: ["/etc/registry/config.yml"],
            ports: [{ name: portName, containerPort: port }],
            // /v2/ answers 401 without credentials, so the probes only check that it listens.
            readinessProbe: { tcpSocket: { port } },
            livenessProbe: { tcpSocket: { port }, initialDelaySeconds: 10 },
            resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "2", memory: "1Gi" } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
            volumeMounts: [
                { name: secretVolume, mountPath: "/etc/registry", readOnly: true },
                // The reader's read-only mode needs no write: the kernel holds it to that too.
                { name: "storage", mountPath: "/var/lib/registry", readOnly: storageReadOnly },
            ],
        });
        new k8s.apps.v1.Deployment(`${name}-server`, {
            metadata: { name: "registry", namespace: NAMESPACE, labels },
            spec: {
                replicas: 1,
                // One writer on a ReadWriteOnce volume: the old pod stops before the new one starts.
                strategy: { type: "Recreate" },
                selector: { matchLabels: labels },
                template: {
                    metadata: {
                        labels,
                        annotations: configHash({ "secret/registry": files, "secret/registry-push": pushFiles }, hashKey.base64),
                    },
                    spec: {
                        securityContext: {
                            runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [
                            container("registry", "https", PORT, "files", true),
                            container("push", "push", REGISTRY_PUSH_PORT, "push-files", false),
                        ],
                        volumes: [
                            { name: "files", secret: { secretName: "registry", defaultMode: 0o440 } },
                            { name: "push-files", secret: { secretName: "registry-push", defaultMode: 0o440 } },
                            { name: "storage", persistentVolumeClaim: { claimName: "registry-storage" } },
                        ],
                    },
                },
            },
        }, { ...o, dependsOn: [...(args.dependsOn ?? []), secret, pushSecret, storage] });
        new k8s.core.v1.Service(`${name}-service`, {
            metadata: { name: "registry", namespace: NAMESPACE, labels },
            spec: {
                type: "ClusterIP",
                // Fixed, so containerd on every node can be told where the registry is before it exists.
                clusterIP: config.clusterIP,
                selector: labels,
                // Same address, so the one name and certificate serve both; the writer on its own port.
                ports: [
                    { name: "https", port: 443, targetPort: PORT },
                    { name: "push", port: REGISTRY_PUSH_PORT, targetPort: REGISTRY_PUSH_PORT },
                ],
            },
        }, o);

        // Pull credentials in each namespace that pulls from the registry, on its default ServiceAccount.
        const dockerConfig = pulumi.secret(pull.password.apply((pw) => JSON.stringify({
            auths: { [config.host]: { username: USER, password: pw, auth: Buffer.from(`${USER}:${pw}`).toString("base64") } },
        })));
        for (const ns of args.pullers) {
            const pullSecret = new k8s.core.v1.Secret(`${name}-pull-${ns}`, {
                metadata: { name: "registry-pull", namespace: ns },
                type: "kubernetes.io/dockerconfigjson",
                stringData: { ".dockerconfigjson": dockerConfig },
            }, o);
            new k8s.core.v1.ServiceAccountPatch(`${name}-pull-${ns}-default`, {
                metadata: { name: "default", namespace: ns },
                imagePullSecrets: [{ name: "registry-pull" }],
            }, { ...o, dependsOn: [...(args.dependsOn ?? []), pullSecret] });
        }
        this.registerOutputs({
            password: this.password, pushPassword: this.pushPassword, certificate: this.certificate, storageClass: this.storageClass,
        });
    }
}
