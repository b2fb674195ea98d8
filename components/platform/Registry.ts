import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { RegistryConfig } from "../../config";
import { configHash } from "./configHash";
import { htpasswdLine, registryConfig, renderRegistryConfig } from "./registryConfig";

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
const USER = "lsst-k8s";
const PORT = 5000;

/**
 * The cluster's own image registry (technote 000/001 "Docker Registry": faster pulls, security, images
 * kept locally and vetted by security): the official registry image on a persistent volume, TLS with its
 * own certificate, htpasswd authentication with a generated password, and a Service on a fixed address
 * in the service network, which every node's containerd reaches through kube-proxy (NodePrep writes
 * containerd's hosts.toml and trusts the certificate). Pods pull with a secret bound to the default
 * ServiceAccount of each namespace that uses it.
 */
export class Registry extends pulumi.ComponentResource {
    /** The password of the registry's user (secret); a stack output. */
    readonly password: pulumi.Output<string>;
    /** The user name. */
    readonly user: string = USER;
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

        const password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this });
        // A fixed salt, drawn from bcrypt's own alphabet, keeps the htpasswd line (and so the secret)
        // the same from one deploy to the next.
        const salt = new random.RandomString(`${name}-salt`, { length: 22, special: true, overrideSpecial: "./" }, { parent: this });
        this.password = pulumi.secret(password.result);

        const files = pulumi.secret(pulumi.all([password.result, salt.result, cert.certPem, key.privateKeyPem]).apply(([pw, s, crt, pem]) => ({
            "config.yml": renderRegistryConfig(registryConfig({
                listen: `:${PORT}`,
                htpasswdPath: "/etc/registry/htpasswd",
                tlsCertificate: "/etc/registry/tls.crt",
                tlsKey: "/etc/registry/tls.key",
            })),
            htpasswd: `${htpasswdLine(USER, pw, 10, s)}\n`,
            "tls.crt": crt,
            "tls.key": pem,
        })));
        const secret = new k8s.core.v1.Secret(`${name}-files`, {
            metadata: { name: "registry", namespace: NAMESPACE },
            type: "Opaque",
            stringData: files,
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
        // The HMAC key of the pod's config hash, which covers the Secret's password and TLS key.
        const hashKey = new random.RandomBytes(`${name}-hash-key`, { length: 32 }, { parent: this });
        new k8s.apps.v1.Deployment(`${name}-server`, {
            metadata: { name: "registry", namespace: NAMESPACE, labels },
            spec: {
                replicas: 1,
                // One writer on a ReadWriteOnce volume: the old pod stops before the new one starts.
                strategy: { type: "Recreate" },
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels, annotations: configHash({ "secret/registry": files }, hashKey.base64) },
                    spec: {
                        securityContext: {
                            runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [{
                            name: "registry",
                            image: config.image,
                            args: ["/etc/registry/config.yml"],
                            ports: [{ name: "https", containerPort: PORT }],
                            // /v2/ answers 401 without credentials, so the probes only check that it listens.
                            readinessProbe: { tcpSocket: { port: PORT } },
                            livenessProbe: { tcpSocket: { port: PORT }, initialDelaySeconds: 10 },
                            resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "2", memory: "1Gi" } },
                            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                            volumeMounts: [
                                { name: "files", mountPath: "/etc/registry", readOnly: true },
                                { name: "storage", mountPath: "/var/lib/registry" },
                            ],
                        }],
                        volumes: [
                            { name: "files", secret: { secretName: "registry", defaultMode: 0o440 } },
                            { name: "storage", persistentVolumeClaim: { claimName: "registry-storage" } },
                        ],
                    },
                },
            },
        }, { ...o, dependsOn: [...(args.dependsOn ?? []), secret, storage] });
        new k8s.core.v1.Service(`${name}-service`, {
            metadata: { name: "registry", namespace: NAMESPACE, labels },
            spec: {
                type: "ClusterIP",
                // Fixed, so containerd on every node can be told where the registry is before it exists.
                clusterIP: config.clusterIP,
                selector: labels,
                ports: [{ name: "https", port: 443, targetPort: PORT }],
            },
        }, o);

        // Pull credentials in each namespace that pulls from the registry, on its default ServiceAccount.
        const dockerConfig = pulumi.secret(password.result.apply((pw) => JSON.stringify({
            auths: { [config.host]: { username: USER, password: pw, auth: Buffer.from(`${USER}:${pw}`).toString("base64") } },
        })));
        for (const ns of args.pullers) {
            const pull = new k8s.core.v1.Secret(`${name}-pull-${ns}`, {
                metadata: { name: "registry-pull", namespace: ns },
                type: "kubernetes.io/dockerconfigjson",
                stringData: { ".dockerconfigjson": dockerConfig },
            }, o);
            new k8s.core.v1.ServiceAccountPatch(`${name}-pull-${ns}-default`, {
                metadata: { name: "default", namespace: ns },
                imagePullSecrets: [{ name: "registry-pull" }],
            }, { ...o, dependsOn: [...(args.dependsOn ?? []), pull] });
        }
        this.registerOutputs({ password: this.password, certificate: this.certificate, storageClass: this.storageClass });
    }
}
