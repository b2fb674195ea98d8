/**
 * The backup CronJob and the control plane agree on where the encryption key lives: each pod mounts the
 * directory the API server reads its encryption configuration from, read-only, and tells etcd-backup.sh
 * to archive it; the script's own default is the same directory. (components/platform/ may not import
 * components/hosts/, so the two spell the path separately; this holds them equal.)
 */
import * as fs from "fs";
import * as path from "path";
import { validateConfig } from "../../config";
import { apiServerArgs, CONTROL_PLANE_CONFIG_DIR, ENCRYPTION_FILE } from "../../components/hosts/controlPlaneFiles";
import { declareAlone, rawConfig } from "../harness";
import { SCRIPT } from "./fixture";

const cluster = validateConfig(rawConfig("test").config).config!;
const controlPlanes = cluster.nodes.filter((n) => n.role === "control-plane");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

async function podsOfCronJobs(): Promise<Obj[]> {
    const resources = await declareAlone((_k8s, provider) => {
        const { EtcdBackup } = require("../../components/platform/EtcdBackup");
        new EtcdBackup("lsst-test-platform-etcd-backup", { config: cluster.platform!.etcdBackup!, controlPlanes, provider });
    });
    return resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob").map((r) => (r.inputs as Obj).spec.jobTemplate.spec.template.spec);
}

describe("the etcd backup CronJob", () => {
    test("mounts the control plane's lsst-k8s directory read-only and names it CONFIG_DIR", async () => {
        const pods = await podsOfCronJobs();
        expect(pods).toHaveLength(controlPlanes.length);
        expect(pods.length).toBeGreaterThan(0);
        for (const pod of pods) {
            const container = pod.containers[0];
            const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
            expect(env.CONFIG_DIR).toBe(CONTROL_PLANE_CONFIG_DIR);
            const mount = (container.volumeMounts as Obj[]).find((m) => m.mountPath === CONTROL_PLANE_CONFIG_DIR);
            expect(mount).toEqual({ name: "lsst-k8s-config", mountPath: CONTROL_PLANE_CONFIG_DIR, readOnly: true });
            // Not "Directory": a control plane without the directory yet must still be backed up.
            expect(pod.volumes).toContainEqual({ name: "lsst-k8s-config", hostPath: { path: CONTROL_PLANE_CONFIG_DIR, type: "DirectoryOrCreate" } });
            expect(container.volumeMounts).toContainEqual({ name: "pki", mountPath: "/etc/kubernetes/pki", readOnly: true });
            expect(pod.volumes).toContainEqual({ name: "pki", hostPath: { path: "/etc/kubernetes/pki", type: "Directory" } });
        }
    });

    test("archives the directory the API server reads its encryption key from, as lsst-k8s/ beside pki/", () => {
        const file = apiServerArgs(cluster)["encryption-provider-config"];
        expect(file).toBe(path.posix.join(CONTROL_PLANE_CONFIG_DIR, ENCRYPTION_FILE));
        expect(path.posix.dirname(CONTROL_PLANE_CONFIG_DIR)).toBe("/etc/kubernetes");
        expect(path.posix.basename(CONTROL_PLANE_CONFIG_DIR)).toBe("lsst-k8s");
        const script = fs.readFileSync(SCRIPT, "utf8");
        expect(script).toContain(`\nCONFIG_DIR=\${CONFIG_DIR:-${CONTROL_PLANE_CONFIG_DIR}}\n`);
        expect(script).toContain("\nPKI_DIR=${PKI_DIR:-/etc/kubernetes/pki}\n");
    });
});
