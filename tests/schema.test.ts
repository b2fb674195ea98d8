/**
 * schema/stack.schema.json, the JSON Schema editors use for the stack files: generated from config/'s zod
 * schemas and kept in step with them, pointed at by every stack file, accepting the three committed
 * stack files under a real validator (ajv, draft 2020-12, strict mode), and refusing what the program
 * refuses for each mutation an editor can see.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import Ajv2020 from "ajv/dist/2020";
import { CONDOR_TOKEN, PROJECT, SSH_KEY, validateConfig } from "../config";
import { PLACEHOLDER_CONDOR_TOKEN } from "../tools/offline";
import { SCHEMA_FILE, schemaText } from "../tools/schema";
import { FAKE_SSH_KEY, REPO, STACKS } from "./harness";

type Doc = { config: Record<string, any>; [key: string]: unknown };

function stackFile(stack: string): { text: string; doc: Doc } {
    const text = fs.readFileSync(path.join(REPO, `Pulumi.${stack}.yaml`), "utf8");
    return { text, doc: yaml.load(text) as Doc };
}

// A cpu quantity may be written 2 or "2": that is `type: ["string", "number"]`, which strict mode wants allowed by name.
const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")));

/** What the schema says of a document: "" when it accepts it, else ajv's errors as "path message". */
function schemaErrors(doc: unknown): string {
    return validate(doc) ? "" : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join("\n");
}

/** The engine's view of a stack file: each value as a string (objects as JSON), plus the secret key. */
function engineConfig(doc: Doc): Record<string, string> {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config)) {
        raw[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    raw[`${PROJECT}:${SSH_KEY}`] = FAKE_SSH_KEY;
    return raw;
}

describe("schema/stack.schema.json", () => {
    it("is exactly what `npm run schema` generates from config/", () => {
        const committed = fs.readFileSync(SCHEMA_FILE, "utf8");
        if (committed !== schemaText()) {
            throw new Error("schema/stack.schema.json is out of date with config/: run `npm run schema` and commit the result");
        }
    });

    it("describes every key an editor completes", () => {
        const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8"));
        const cluster = schema.properties.config.properties[`${PROJECT}:cluster`];
        expect(Object.keys(cluster.properties)).toEqual(["name", "kubernetesVersion", "controlPlaneEndpoint", "networks", "ssh", "nodes", "oidc", "upgrade"]);
        expect(cluster.additionalProperties).toBe(false);
        const node = cluster.properties.nodes.items;
        expect(node.properties.role.enum).toEqual(["control-plane", "worker"]);
        expect(node.properties.unreachable.default).toBe(false);
        for (const [key, field] of Object.entries<Record<string, unknown>>(node.properties)) {
            expect([key, typeof field.description]).toEqual([key, "string"]);
        }
    });

    describe.each(STACKS)("Pulumi.%s.yaml", (stack) => {
        const { text, doc } = stackFile(stack);

        it("names the schema on its first line, for the YAML language server", () => {
            expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./schema/stack.schema.json");
        });

        it("is accepted by the schema", () => {
            expect(schemaErrors(doc)).toBe("");
        });
    });

    // Each mutation of a valid stack file is one an editor flags and the program refuses alike.
    const mutations: [string, (d: Doc) => void, RegExp][] = [
        ["a misspelt project key", (d) => { d.config[`${PROJECT}:clustr`] = d.config[`${PROJECT}:cluster`]; }, /must NOT be valid|boolean schema is false/],
        ["a missing cluster", (d) => { delete d.config[`${PROJECT}:cluster`]; }, /must have required property 'lsst-k8s:cluster'/],
        ["an unknown node key", (d) => { d.config[`${PROJECT}:cluster`].nodes[0].adress = "10.0.0.1"; }, /must NOT have additional properties/],
        ["a cluster name that is not a DNS label", (d) => { d.config[`${PROJECT}:cluster`].name = "Lab"; }, /\/name must match pattern/],
        ["a version YAML read as a number", (d) => { d.config[`${PROJECT}:cluster`].kubernetesVersion = 1.36; }, /\/kubernetesVersion must be string/],
        ["a loose version", (d) => { d.config[`${PROJECT}:cluster`].kubernetesVersion = "1.36"; }, /\/kubernetesVersion must match pattern/],
        ["an SSH port out of range", (d) => { d.config[`${PROJECT}:cluster`].ssh.port = 70000; }, /\/ssh\/port must be <= 65535/],
        ["an unknown role", (d) => { d.config[`${PROJECT}:cluster`].nodes[0].role = "master"; }, /\/role must be equal to one of the allowed values/],
        ["an address that is not IPv4", (d) => { d.config[`${PROJECT}:cluster`].nodes[0].address = "10.0.0.300"; }, /\/address must match pattern/],
        ["a switch that is not a boolean", (d) => { d.config[`${PROJECT}:platform`].kubeBench = "yes"; }, /\/kubeBench must be boolean/],
        ["an unpinned registry image", (d) => { d.config[`${PROJECT}:platform`].registry.image = "registry.example.org/registry"; }, /\/image must match pattern/],
        ["the SSH key in plain text", (d) => { d.config[`${PROJECT}:${SSH_KEY}`] = FAKE_SSH_KEY; }, /sshPrivateKey must be object/],
    ];

    describe.each(mutations)("refuses %s, as the program does", (_, mutate, expected) => {
        it.each(STACKS)("on %s", (stack) => {
            const { doc } = stackFile(stack);
            expect(schemaErrors(doc)).toBe("");
            mutate(doc);
            expect(schemaErrors(doc)).toMatch(expected);
            if (!(`${PROJECT}:${SSH_KEY}` in doc.config)) {
                expect(validateConfig(engineConfig(doc)).problems).not.toEqual([]);
            }
        });
    });

    it.each(STACKS)("refuses the HTCondor token in plain text on %s, as the program does", (stack) => {
        const { doc } = stackFile(stack);
        doc.config[`${PROJECT}:${CONDOR_TOKEN}`] = PLACEHOLDER_CONDOR_TOKEN;
        expect(schemaErrors(doc)).toMatch(/condorToken must be object/);
        expect(validateConfig(engineConfig(doc), [`${PROJECT}:${SSH_KEY}`]).problems).toEqual([expect.stringMatching(/^condorToken: is in the stack file in plain text/)]);
    });

    it.each([SSH_KEY, CONDOR_TOKEN])("accepts the encrypted form of %s that `pulumi config set --secret` writes", (key) => {
        const { doc } = stackFile("test");
        doc.config[`${PROJECT}:${key}`] = { secure: "v1:bm90LWEtcmVhbC1jaXBoZXJ0ZXh0:c2FsdA==" };
        expect(schemaErrors(doc)).toBe("");
    });

    it("leaves other namespaces' keys to their owners", () => {
        const { doc } = stackFile("test");
        doc.config["kubernetes:context"] = "lsst-test";
        doc.config["pulumi:disable-default-providers"] = ["*"];
        expect(schemaErrors(doc)).toBe("");
    });
});
