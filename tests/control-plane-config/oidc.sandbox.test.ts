/**
 * control-plane-config.sh when the cluster's OIDC provider comes or goes (cluster.oidc in the stack
 * file). Gone: the bundle carries no authentication.yaml, and the API server's flag for it must go before
 * the file does, as an API server started on a manifest that names a missing file does not start. Come:
 * the file is in place before the manifest that names it is regenerated.
 */
import * as fs from "fs";
import { Bundle } from "../../components/hosts/bundle";
import { ClusterConfig, NodeConfig } from "../../config";
import { apiServerFiles, expectSuccess, LEAKS, RootEntry, Sandbox } from "../sandbox";
import {
    AUDIT_DIR, AUTHENTICATION, configBundle, CONTROL_PLANE, controlPlaneHost, DEV, DEV_FIRST, FILES_DIR, HostSetup, isFirst, MANIFEST,
    manifestCurrent, NO_OIDC, own, regenerationCalls, SCRIPT, uploadCall,
} from "./fixtures";

const FLAG = "--authentication-config=/etc/kubernetes/lsst-k8s/authentication.yaml";
const REMOVED = `${SCRIPT}:   changed: /etc/kubernetes/lsst-k8s/authentication.yaml removed (cluster.oidc is gone)`;
const REGENERATED = `${SCRIPT}:   changed: API server manifest regenerated with the program's flags`;

/** The API server's files of BUNDLE as a run of it left them: 0600 files in 0700 directories. */
function filesOf(bundle: Bundle): Record<string, RootEntry> {
    return Object.fromEntries(apiServerFiles(bundle).map((f) => [`${FILES_DIR}/${f}`, { content: bundle.files[f].content, mode: "0600" }]));
}

/** A control plane as a run of FROM's bundle left it, with MANIFEST, to run TO's bundle on. */
function hostAfter(from: ClusterConfig, to: ClusterConfig, node: NodeConfig, manifest: string, setup: HostSetup = {}): Sandbox {
    const sb = controlPlaneHost(to, node, { manifest, files: filesOf(configBundle(from, node)), ...setup });
    fs.mkdirSync(sb.rootPath(AUDIT_DIR), { recursive: true });
    for (const dir of [FILES_DIR, AUDIT_DIR]) {
        fs.chmodSync(sb.rootPath(dir), 0o700);
    }
    return sb;
}

describe.each([
    ["dev's first control plane", DEV_FIRST],
    ["another of dev's control planes", CONTROL_PLANE],
])("on %s", (_, node) => {
    const first = isFirst(DEV, node);
    const upload = (sb: Sandbox): string[] => (first ? [uploadCall(sb)] : []);

    test("OIDC removed, the manifest naming the file: the manifest regenerated without the flag, then the stale file removed", () => {
        const sb = hostAfter(DEV, NO_OIDC, node, manifestCurrent(DEV, node));
        expect(sb.readRoot(MANIFEST)).toContain(`    - ${FLAG}\n`);
        const r = sb.run(SCRIPT);
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", ...regenerationCalls(sb, node), ...upload(sb)]);
        // The other files are the same with or without OIDC: only the manifest and the stale file change.
        expect(own(r)).toEqual([
            `${SCRIPT}: step host`,
            `${SCRIPT}: step files`,
            `${SCRIPT}: step api-server`,
            REGENERATED,
            REMOVED,
            ...(first ? [`${SCRIPT}: step upload-config`] : []),
            `${SCRIPT}: done: 2 change(s)`,
        ]);
        expect(sb.readRoot(MANIFEST)).toBe(manifestCurrent(NO_OIDC, node));
        expect(sb.readRoot(MANIFEST)).not.toContain("--authentication-config");
        expect(sb.existsRoot(AUTHENTICATION)).toBe(false);
        expect(fs.readdirSync(sb.rootPath(FILES_DIR)).sort()).toEqual(["audit-policy.yaml", "encryption.yaml"]);

        const again = sb.run(SCRIPT);
        expectSuccess(again);
        expect(again.calls).toEqual(["id -u", ...upload(sb)]);
        expect(again.stderr).toContain(`${SCRIPT}: done: 0 change(s)`);
    });

    test("OIDC removed, the manifest no longer naming the file: the stale file removed, no regeneration", () => {
        const sb = hostAfter(DEV, NO_OIDC, node, manifestCurrent(NO_OIDC, node));
        const r = sb.run(SCRIPT);
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", ...upload(sb)]);
        expect(own(r)).toEqual([
            `${SCRIPT}: step host`,
            `${SCRIPT}: step files`,
            `${SCRIPT}: step api-server`,
            `${SCRIPT}:   the API server already runs with the program's flags`,
            REMOVED,
            ...(first ? [`${SCRIPT}: step upload-config`] : []),
            `${SCRIPT}: done: 1 change(s)`,
        ]);
        expect(sb.readRoot(MANIFEST)).toBe(manifestCurrent(NO_OIDC, node));
        expect(sb.existsRoot(AUTHENTICATION)).toBe(false);
    });

    test("OIDC removed but the manifest cannot be regenerated: the file stays, as the manifest put back still names it", () => {
        const sb = hostAfter(DEV, NO_OIDC, node, manifestCurrent(DEV, node), { kubeadmFails: "control-plane/apiserver" });
        const r = sb.run(SCRIPT);
        expect(r.stderr).not.toMatch(LEAKS);
        expect(r.status).toBe(1);
        expect(own(r)).not.toContain(REMOVED);
        expect(sb.readRoot(MANIFEST)).toBe(manifestCurrent(DEV, node));
        expect(sb.readRoot(AUTHENTICATION)).toBe(configBundle(DEV, node).files["authentication.yaml"].content);
    });

    test("OIDC added: authentication.yaml in place before the manifest that names it is regenerated", () => {
        const sb = hostAfter(NO_OIDC, DEV, node, manifestCurrent(NO_OIDC, node));
        const r = sb.run(SCRIPT);
        expectSuccess(r);
        expect(r.calls).toEqual(["id -u", ...regenerationCalls(sb, node), ...upload(sb)]);
        expect(own(r)).toEqual([
            `${SCRIPT}: step host`,
            `${SCRIPT}: step files`,
            `${SCRIPT}:   changed: /etc/kubernetes/lsst-k8s/authentication.yaml`,
            `${SCRIPT}: step api-server`,
            REGENERATED,
            ...(first ? [`${SCRIPT}: step upload-config`] : []),
            `${SCRIPT}: done: 2 change(s)`,
        ]);
        expect(sb.readRoot(MANIFEST)).toBe(manifestCurrent(DEV, node));
        expect(sb.readRoot(AUTHENTICATION)).toBe(configBundle(DEV, node).files["authentication.yaml"].content);
        expect(sb.modeOf(AUTHENTICATION)).toBe("0600");
    });
});
