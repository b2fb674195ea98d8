/**
 * CertificateCheck under Pulumi's mocks (tools/evaluate.ts): the read-only check's command, its parent
 * and dependencies, the triggers that run it again (the last deploy's reading, then the pin), the
 * report it exports, and the month's warning: from the last deploy's reading, or from a fresh reading
 * that is due when the last one was not, never twice.
 */
import type * as pulumiType from "@pulumi/pulumi";
import { decodeBundle } from "../components/hosts/bundle";
import { evaluate, Evaluation } from "../tools/evaluate";
import { testCluster } from "./init/fixtures";

const DAY_MS = 24 * 60 * 60 * 1000;
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Declares one CertificateCheck after a stand-in for the node's API server files, the host printing `earliest`. */
async function check(previousEarliest: string | undefined, earliest: string): Promise<{ e: Evaluation; warnings: string[] }> {
    const warnings: string[] = [];
    const e = await evaluate({
        stack: "test",
        config: {},
        secretKeys: [],
        mockOutputs: (type, _name, inputs) => {
            const stdin = inputs.stdin;
            return type === "command:remote:Command" && typeof stdin === "string" && stdin.includes("cert-expiry.sh")
                ? { stdout: `${JSON.stringify({ node: "test-cp01", earliest, certificates: [{ name: "apiserver", expires: earliest }] })}\n` }
                : {};
        },
        load: () => {
            let exports: Record<string, unknown> = {};
            jest.isolateModules(() => {
                const pulumi = require("@pulumi/pulumi") as typeof pulumiType;
                jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => {
                    warnings.push(message);
                });
                const command = require("@pulumi/command");
                const { CertificateCheck } = require("../components/hosts/CertificateCheck");
                const cluster = testCluster();
                const connection = { host: "203.0.113.11", user: "root", privateKey: pulumi.secret("key") };
                const before = new command.remote.Command("lsst-test-test-cp01-api-config-run", { connection, create: "true" });
                const c = new CertificateCheck("lsst-test-test-cp01-cert-expiry", {
                    cluster, node: cluster.nodes[0], connection, dependsOn: [before], gate: "1.37.1", previousEarliest,
                });
                exports = { report: c.report };
            });
            return exports;
        },
    });
    return { e, warnings };
}

const run = (e: Evaluation) => e.resources.find((r) => r.name === "lsst-test-test-cp01-cert-expiry-run")!;

it("runs cert-expiry.sh on the node after its API server files, as a child of the component", async () => {
    const { e } = await check(undefined, inDays(300));
    const component = e.resources.find((r) => r.type === "lsst-k8s:cluster:CertificateCheck")!;
    const r = run(e);
    expect(r.type).toBe("command:remote:Command");
    expect(r.parent).toBe(component.urn);
    expect(r.dependencies).toContain(e.resources.find((x) => x.name === "lsst-test-test-cp01-api-config-run")!.urn);
    expect(decodeBundle(String(r.inputs.stdin)).entry).toBe("cert-expiry.sh");
    expect(r.ignoreChanges).toContain("stdin");
    // Read-only: nothing runs on delete or update.
    expect(r.inputs.delete).toBeUndefined();
    expect(r.inputs.update).toBeUndefined();
});

it.each([
    ["a first deploy", undefined, "unknown"],
    ["a reading more than a month away", inDays(200), "current"],
])("triggers on %s with the pin", async (_, previous, trigger) => {
    const { e } = await check(previous, inDays(300));
    expect(run(e).inputs.triggers).toEqual([trigger, "1.37.1"]);
});

it("runs again once the last reading is due, and warns once", async () => {
    const due = inDays(10);
    const { e, warnings } = await check(due, inDays(10));
    expect(run(e).inputs.triggers).toEqual([`due ${due}`, "1.37.1"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("control plane test-cp01 expires in");
});

it("exports the report and warns about a fresh reading that is due", async () => {
    const earliest = inDays(5);
    const { e, warnings } = await check(undefined, earliest);
    expect((e.outputs.report.value as { earliest: string }).earliest).toBe(earliest);
    expect(warnings).toEqual([expect.stringContaining(`(${earliest})`)]);
});

it("is quiet while nothing is due", async () => {
    const { warnings } = await check(inDays(200), inDays(300));
    expect(warnings).toEqual([]);
});
