import { maintainedKubernetesVersion } from "../../policies/maintained-kubernetes-version";
import { PackConfig, runPolicies, Subject } from "../../policies/lib/runner";
import { subject } from "./helpers";

const cluster = (props: Record<string, unknown> | undefined, name = "dev"): Subject => ({
    type: "lsst-k8s:cluster:Cluster",
    name,
    urn: `urn:pulumi:dev::lsst-k8s::lsst-k8s:cluster:Cluster::${name}`,
    props: props as Subject["props"],
});

const urnOf = (name: string) => `urn:pulumi:dev::lsst-k8s::lsst-k8s:cluster:Cluster::${name}`;

async function findings(subjects: Subject[], config: PackConfig = {}) {
    return (await runPolicies([maintainedKubernetesVersion], subjects, config)).map((v) => ({ urn: v.urn, message: v.message }));
}

const configMap = subject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "x" } });

describe("maintained-kubernetes-version", () => {
    it("passes every version inside the default window 1.35–1.37", async () => {
        for (const version of ["1.35.0", "1.36.3", "1.37.1"]) {
            expect(await findings([cluster({ kubernetesVersion: version }), configMap])).toEqual([]);
        }
    });

    it("is a mandatory stack policy", () => {
        expect(maintainedKubernetesVersion.enforcementLevel).toBe("mandatory");
        expect(typeof maintainedKubernetesVersion.validateStack).toBe("function");
    });

    it("reports a version older than the window", async () => {
        expect(await findings([cluster({ kubernetesVersion: "1.34.9" })]))
            .toEqual([{ urn: urnOf("dev"), message: "kubernetesVersion 1.34.9 is outside the maintained window (1.35–1.37)" }]);
        expect(await findings([cluster({ kubernetesVersion: "2.36.0" })]))
            .toEqual([{ urn: urnOf("dev"), message: "kubernetesVersion 2.36.0 is outside the maintained window (1.35–1.37)" }]);
    });

    it("reports a version newer than the newest release", async () => {
        expect(await findings([cluster({ kubernetesVersion: "1.38.0" })])).toEqual([{
            urn: urnOf("dev"),
            message: "kubernetesVersion 1.38.0 is newer than the newest release the policy knows (1.37); raise newestMinor in the policy config after reading the release notes",
        }]);
    });

    it("reports a version that is not exactly X.Y.Z", async () => {
        for (const version of ["1.36", "v1.36.3", "1.36.x", "1.36.03", " 1.36.3", "1.36.3-rc.1", ""]) {
            expect(await findings([cluster({ kubernetesVersion: version })]))
                .toEqual([{ urn: urnOf("dev"), message: `kubernetesVersion ${JSON.stringify(version)} is not an exact version X.Y.Z` }]);
        }
        expect(await findings([cluster({ kubernetesVersion: 1.36 })]))
            .toEqual([{ urn: urnOf("dev"), message: "kubernetesVersion 1.36 is not an exact version X.Y.Z" }]);
    });

    it("reports a Cluster that registers no version, and does not crash without props", async () => {
        expect(await findings([cluster({})])).toEqual([{ urn: urnOf("dev"), message: "registers no kubernetesVersion" }]);
        expect(await findings([cluster(undefined)])).toEqual([{ urn: urnOf("dev"), message: "registers no kubernetesVersion" }]);
    });

    it("checks every Cluster of the stack, each by URN", async () => {
        expect(await findings([cluster({ kubernetesVersion: "1.36.3" }, "a"), cluster({ kubernetesVersion: "1.30.0" }, "b")]))
            .toEqual([{ urn: urnOf("b"), message: "kubernetesVersion 1.30.0 is outside the maintained window (1.35–1.37)" }]);
    });

    it("takes the window from the config", async () => {
        const config = { "maintained-kubernetes-version": { newestMinor: 38, maintainedMinors: 2 } };
        expect(await findings([cluster({ kubernetesVersion: "1.38.0" })], config)).toEqual([]);
        expect(await findings([cluster({ kubernetesVersion: "1.37.1" })], config)).toEqual([]);
        expect(await findings([cluster({ kubernetesVersion: "1.36.3" })], config))
            .toEqual([{ urn: urnOf("dev"), message: "kubernetesVersion 1.36.3 is outside the maintained window (1.37–1.38)" }]);
        expect(await findings([cluster({ kubernetesVersion: "1.38.0" })], { "maintained-kubernetes-version": { maintainedMinors: 1 } }))
            .toEqual([{ urn: urnOf("dev"), message: "kubernetesVersion 1.38.0 is newer than the newest release the policy knows (1.37); raise newestMinor in the policy config after reading the release notes" }]);
    });

    it("is not applicable to a stack without a Cluster, nor to other types", async () => {
        const notApplicable = jest.fn();
        const report = jest.fn();
        expect(() => maintainedKubernetesVersion.validateStack({
            resources: [{ type: "kubernetes:core/v1:ConfigMap", props: { kubernetesVersion: "0.1.0" }, urn: "u", name: "c" }],
            getConfig: () => ({}),
            notApplicable: (reason?: string) => {
                notApplicable(reason);
                throw new Error("not applicable");
            },
        } as never, report)).toThrow("not applicable");
        expect(notApplicable).toHaveBeenCalledWith("the stack has no lsst-k8s:cluster:Cluster");
        expect(report).not.toHaveBeenCalled();
        expect(await findings([configMap])).toEqual([]);
    });
});
