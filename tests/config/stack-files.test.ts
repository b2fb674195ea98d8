/**
 * The three committed stack files validate, and the baseline the rule tests start from derives every field.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONDOR_TOKEN, PROJECT, SSH_KEY, validateConfig } from "../../config";
import { PLACEHOLDER_CONDOR_TOKEN } from "../../tools/offline";
import { NEWEST_MINOR, OLDEST_MINOR } from "../../components/hosts/versions";
import { accepted, ED25519, expectDeeplyFrozen, FAKE_KEY } from "./rules";

const ROOT = path.join(__dirname, "..", "..");

// ---- the stack files -------------------------------------------------------------------------------

const STACKS = ["dev", "prod", "test"] as const;

function loadStack(stack: string): { raw: Record<string, string>; cluster: Record<string, unknown> } {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config)) {
        // As the engine passes it: strings as they are, objects JSON-encoded.
        raw[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    // Secrets: never in the stack file.
    expect(raw).not.toHaveProperty(`${PROJECT}:${SSH_KEY}`);
    expect(raw).not.toHaveProperty(`${PROJECT}:${CONDOR_TOKEN}`);
    raw[`${PROJECT}:${SSH_KEY}`] = FAKE_KEY;
    raw[`${PROJECT}:${CONDOR_TOKEN}`] = PLACEHOLDER_CONDOR_TOKEN;
    return { raw, cluster: doc.config[`${PROJECT}:cluster`] as Record<string, unknown> };
}

describe("the stack files", () => {
    describe.each(STACKS)("Pulumi.%s.yaml", (stack) => {
        const { raw, cluster: yamlCluster } = loadStack(stack);
        const result = validateConfig(raw);
        const yamlSsh = yamlCluster.ssh as Record<string, unknown>;
        const yamlBastion = yamlSsh.bastion as Record<string, unknown> | undefined;

        it("validates with no problems", () => {
            expect(result.problems).toEqual([]);
            expect(result.config).toBeDefined();
        });

        it("returns a deeply frozen config", () => {
            expectDeeplyFrozen(result.config);
            expect(() => {
                (result.config!.nodes[0] as { address: string }).address = "10.9.9.9";
            }).toThrow(TypeError);
            expect(() => {
                (result.config!.nodes as unknown as unknown[]).push({});
            }).toThrow(TypeError);
        });

        it("pins an exact version inside the maintained window, with its minor tag", () => {
            const v = result.config!.kubernetesVersion;
            const [major, minor, patch] = String(yamlCluster.kubernetesVersion).split(".").map(Number);
            expect(v).toEqual({ major, minor, patch, text: yamlCluster.kubernetesVersion, minorTag: `v${major}.${minor}` });
            expect(v.major).toBe(1);
            expect(v.minor).toBeGreaterThanOrEqual(OLDEST_MINOR);
            expect(v.minor).toBeLessThanOrEqual(NEWEST_MINOR);
        });

        it("splits the control-plane endpoint into host and port", () => {
            const text = String(yamlCluster.controlPlaneEndpoint);
            const [host, port] = text.split(":");
            expect(result.config!.controlPlaneEndpoint).toEqual({ host, port: Number(port), text });
            expect(result.config!.controlPlaneEndpoint.port).toBe(6443);
        });

        it("fills the SSH defaults (port 22, 30 dial attempts of 15 s) and the bastion defaults", () => {
            const s = result.config!.ssh;
            expect(s.user).toBe(yamlSsh.user);
            expect(s.port).toBe(22);
            expect(s.dialErrorLimit).toBe(30);
            expect(s.perDialTimeout).toBe(15);
            if (yamlBastion) {
                expect(s.bastion).toEqual({ host: yamlBastion.host, port: 22, user: yamlBastion.user ?? yamlSsh.user });
            } else {
                expect(s.bastion).toBeUndefined();
                expect(s).not.toHaveProperty("bastion");
            }
        });

        it("keeps every node, in order, with its host key", () => {
            const yamlNodes = yamlCluster.nodes as Record<string, unknown>[];
            expect(result.config!.nodes).toEqual(yamlNodes.map((n) => ({ name: n.name, role: n.role, address: n.address, hostKey: n.hostKey, unreachable: false })));
            const cps = result.config!.nodes.filter((n) => n.role === "control-plane").length;
            expect(cps % 2).toBe(1);
        });
    });

    it("pin three different versions, all inside the window", () => {
        const versions = STACKS.map((s) => validateConfig(loadStack(s).raw).config!.kubernetesVersion);
        expect(new Set(versions.map((v) => v.text)).size).toBe(3);
        for (const v of versions) {
            expect(v.minor).toBeGreaterThanOrEqual(OLDEST_MINOR);
            expect(v.minor).toBeLessThanOrEqual(NEWEST_MINOR);
        }
    });
});

// ---- the baseline ----------------------------------------------------------------------------------

describe("the baseline used by the rule tests", () => {
    it("is valid and derives every field", () => {
        const config = accepted(() => undefined);
        expect(config).toEqual({
            name: "lab",
            kubernetesVersion: { major: 1, minor: NEWEST_MINOR, patch: 2, text: `1.${NEWEST_MINOR}.2`, minorTag: `v1.${NEWEST_MINOR}` },
            controlPlaneEndpoint: { host: "k8s.example.org", port: 6443, text: "k8s.example.org:6443" },
            networks: { nodes: "10.0.0.0/24", pods: "10.32.0.0/12", services: "10.96.0.0/12" },
            ssh: { user: "root", port: 22, dialErrorLimit: 30, perDialTimeout: 15 },
            upgrade: { workersAtOnce: 1 },
            nodes: [
                { name: "cp1", role: "control-plane", address: "10.0.0.11", hostKey: ED25519, unreachable: false },
                { name: "w1", role: "worker", address: "10.0.0.21", unreachable: false },
            ],
        });
        expectDeeplyFrozen(config);
    });
});
