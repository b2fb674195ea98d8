/** The restricted profile's own controls (beyond baseline), judged as the API server judges them. */
import { KubeObject } from "../../policies/lib/kube";
import { P, check, checkAt, app } from "./pod-security-fixtures";

describe("pod-security-restricted: restricted controls", () => {
    describe("restricted controls", () => {
        it("allows only NET_BIND_SERVICE to be added, even from the baseline set", async () => {
            expect(await check((s) => (app(s).securityContext.capabilities.add = ["NET_BIND_SERVICE"]))).toEqual([]);
            expect(await check((s) => (app(s).securityContext.capabilities.add = ["SYS_ADMIN", "CHOWN", "NET_BIND_SERVICE"])))
                .toEqual(["containers[0] (app): securityContext.capabilities.add includes SYS_ADMIN, CHOWN; only NET_BIND_SERVICE may be added"]);
        });

        it("requires dropping ALL capabilities", async () => {
            expect(await check((s) => (app(s).securityContext.capabilities.drop = ["NET_RAW"])))
                .toEqual(["containers[0] (app): securityContext.capabilities.drop does not include ALL; every container must drop ALL capabilities"]);
            expect(await check((s) => delete app(s).securityContext.capabilities))
                .toEqual(["containers[0] (app): securityContext.capabilities.drop is not set; every container must drop ALL capabilities"]);
        });

        it("reports volume types outside the restricted list", async () => {
            expect(await check((s) => s.volumes.push({ name: "home", nfs: { server: "nfs", path: "/home" } })))
                .toEqual([`${P}.volumes[8] (home) uses nfs; only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret volumes are allowed`]);
            // No source: the API server makes it an emptyDir
            expect(await check((s) => s.volumes.push({ name: "plain" }))).toEqual([]);
        });

        it("allows image volumes, and a volume with any allowed source, as admission does", async () => {
            expect(await check((s) => s.volumes.push({ name: "tools", image: { reference: "registry.lsst.org/tools:1.0" } }))).toEqual([]);
            expect(await check((s) => s.volumes.push({ name: "odd", configMap: { name: "c" }, hostPath: { path: "/" } }))).toEqual([]);
        });

        it("requires allowPrivilegeEscalation: false", async () => {
            expect(await check((s) => (app(s).securityContext.allowPrivilegeEscalation = true)))
                .toEqual(["containers[0] (app): securityContext.allowPrivilegeEscalation is true; it must be false"]);
            expect(await check((s) => delete app(s).securityContext.allowPrivilegeEscalation))
                .toEqual(["containers[0] (app): securityContext.allowPrivilegeEscalation is not set (so true); it must be false"]);
        });

        it("requires seccomp RuntimeDefault or Localhost, for the pod or on every container", async () => {
            expect(await check((s) => (s.securityContext.seccompProfile = { type: "Unconfined" })))
                .toEqual([`${P}.securityContext.seccompProfile.type is Unconfined; it must be RuntimeDefault or Localhost`]);
            expect(await check((s) => (app(s).securityContext.seccompProfile = { type: "Unconfined" })))
                .toEqual(["containers[0] (app): securityContext.seccompProfile.type is Unconfined; it must be RuntimeDefault or Localhost"]);
            expect(await check((s) => delete s.securityContext.seccompProfile))
                .toEqual([`seccompProfile is set neither in ${P}.securityContext nor on containers[0] (app), initContainers[0] (init); set seccompProfile.type to RuntimeDefault or Localhost for the pod or on each of them`]);
            expect(await check((s) => {
                delete s.securityContext.seccompProfile;
                app(s).securityContext.seccompProfile = { type: "Localhost", localhostProfile: "profiles/app.json" };
            })).toEqual([`seccompProfile is set neither in ${P}.securityContext nor on initContainers[0] (init); set seccompProfile.type to RuntimeDefault or Localhost for the pod or on each of them`]);
        });

        it("judges the pod's seccomp profile on its own, as admission does, and a container that sets none inherits it", async () => {
            expect(await check((s) => {
                s.securityContext.seccompProfile = { type: "Unconfined" };
                app(s).securityContext.seccompProfile = { type: "RuntimeDefault" };
                s.initContainers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
            })).toEqual([`${P}.securityContext.seccompProfile.type is Unconfined; it must be RuntimeDefault or Localhost`]);
            expect(await check((s) => {
                delete s.securityContext.seccompProfile;
                app(s).securityContext.seccompProfile = { type: "RuntimeDefault" };
                s.initContainers[0].securityContext.seccompProfile = { type: "RuntimeDefault" };
            })).toEqual([]);
        });

        it("requires runAsNonRoot: true, for the pod or on every container", async () => {
            expect(await check((s) => (s.securityContext.runAsNonRoot = false)))
                .toEqual([`${P}.securityContext.runAsNonRoot is false; it must be true`]);
            expect(await check((s) => (app(s).securityContext.runAsNonRoot = false)))
                .toEqual(["containers[0] (app): securityContext.runAsNonRoot is false; it must be true"]);
            expect(await check((s) => delete s.securityContext.runAsNonRoot))
                .toEqual([`runAsNonRoot is set neither in ${P}.securityContext nor on containers[0] (app), initContainers[0] (init); set runAsNonRoot: true for the pod or on each of them`]);
            // The pod's value is judged on its own, even when every container sets its own
            expect(await check((s) => {
                s.securityContext.runAsNonRoot = false;
                app(s).securityContext.runAsNonRoot = true;
                s.initContainers[0].securityContext.runAsNonRoot = true;
            })).toEqual([`${P}.securityContext.runAsNonRoot is false; it must be true`]);
            expect(await check((s) => {
                delete s.securityContext.runAsNonRoot;
                app(s).securityContext.runAsNonRoot = true;
                s.initContainers[0].securityContext.runAsNonRoot = true;
            })).toEqual([]);
        });

        it("forbids runAsUser 0, on the pod (even when every container sets its own) or on a container", async () => {
            expect(await check((s) => (s.securityContext.runAsUser = 0)))
                .toEqual([`${P}.securityContext.runAsUser is 0 (root); it must be a non-zero user ID`]);
            expect(await check((s) => (s.initContainers[0].securityContext.runAsUser = 0)))
                .toEqual(["initContainers[0] (init): securityContext.runAsUser is 0 (root); it must be a non-zero user ID"]);
            expect(await check((s) => {
                s.securityContext.runAsUser = 0;
                app(s).securityContext.runAsUser = 1000;
                s.initContainers[0].securityContext.runAsUser = 1001;
            })).toEqual([`${P}.securityContext.runAsUser is 0 (root); it must be a non-zero user ID`]);
            expect(await check((s) => delete s.securityContext.runAsUser)).toEqual([]);
        });

        it("does not require a pod in its own user namespace to run as non-root (1.35+), but still restricts /proc", async () => {
            const root = (s: KubeObject) => {
                s.hostUsers = false;
                s.securityContext.runAsNonRoot = false;
                s.securityContext.runAsUser = 0;
                app(s).securityContext.runAsUser = 0;
            };
            expect(await check(root)).toEqual([]);
            expect(await checkAt(34, root)).toEqual([
                `${P}.securityContext.runAsNonRoot is false; it must be true`,
                `${P}.securityContext.runAsUser is 0 (root); it must be a non-zero user ID`,
                "containers[0] (app): securityContext.runAsUser is 0 (root); it must be a non-zero user ID",
            ]);
            expect(await check((s) => {
                s.hostUsers = true;
                s.securityContext.runAsNonRoot = false;
            })).toEqual([`${P}.securityContext.runAsNonRoot is false; it must be true`]);
            expect(await check((s) => {
                s.hostUsers = false;
                app(s).securityContext.procMount = "Unmasked";
            })).toEqual(["containers[0] (app): securityContext.procMount is Unmasked; only Default is allowed"]);
        });

        it("checks ephemeral containers too", async () => {
            expect(await check((s) => (s.ephemeralContainers = [{ name: "debug", securityContext: { privileged: true } }]))).toEqual([
                "ephemeralContainers[0] (debug): securityContext.privileged is true; privileged containers are not allowed",
                "ephemeralContainers[0] (debug): securityContext.capabilities.drop is not set; every container must drop ALL capabilities",
                "ephemeralContainers[0] (debug): securityContext.allowPrivilegeEscalation is not set (so true); it must be false",
            ]);
        });

        it("exempts Windows pods from privilege escalation, seccomp and capabilities (restricted's controls replace baseline's)", async () => {
            const windows = (change: (spec: KubeObject) => void = () => undefined) => check((s) => {
                s.os = { name: "windows" };
                delete s.securityContext.seccompProfile;
                delete s.securityContext.runAsUser;
                for (const c of [app(s), s.initContainers[0]]) {
                    c.securityContext = {};
                }
                change(s);
            });
            expect(await windows()).toEqual([]);
            expect(await windows((s) => (app(s).securityContext.capabilities = { add: ["CHOWN"] }))).toEqual([]);
            expect(await windows((s) => (app(s).securityContext.capabilities = { add: ["SYS_ADMIN"] }))).toEqual([]);
            expect(await windows((s) => (s.securityContext.seccompProfile = { type: "Unconfined" }))).toEqual([]);
            expect(await windows((s) => delete s.securityContext.runAsNonRoot))
                .toEqual([`runAsNonRoot is set neither in ${P}.securityContext nor on containers[0] (app), initContainers[0] (init); set runAsNonRoot: true for the pod or on each of them`]);
        });
    });
});
