/**
 * A stack file for N nodes, for the synth benchmarks: the test stack's platform (every component the
 * program has) with an inventory of 3 control planes and N - 3 workers (1 control plane below 3 nodes),
 * in networks wide enough for 10 000 nodes.
 *   node bin/bench/synth/stack.js NODES FILE
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { repositoryOf } from "../../tools/build/tree";

const REPO = repositoryOf(path.resolve(__dirname, "..", ".."));

export const MAX_NODES = 10_000;

/** The stack file's text for that many nodes. */
export function scaledStack(nodes: number): string {
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
        throw new Error(`NODES must be a whole number from 1 to ${MAX_NODES}, not ${nodes}`);
    }
    const doc = yaml.load(fs.readFileSync(path.join(REPO, "Pulumi.test.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> };
    const cluster = doc.config["lsst-k8s:cluster"];
    const controlPlanes = nodes < 3 ? 1 : 3;
    // 172.16.0.0/12: .0.1 onwards, skipping each /24's network and broadcast address for readability.
    const address = (i: number) => `172.16.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    cluster.networks = { nodes: "172.16.0.0/12", pods: "10.128.0.0/9", services: "10.96.0.0/12" };
    cluster.controlPlaneEndpoint = `${address(0)}:6443`;
    cluster.nodes = Array.from({ length: nodes }, (_, i) => i < controlPlanes
        ? { name: `cp${String(i + 1).padStart(2, "0")}`, role: "control-plane", address: address(i) }
        : { name: `node${String(i - controlPlanes + 1).padStart(5, "0")}`, role: "worker", address: address(i) });
    return yaml.dump(doc, { lineWidth: -1 });
}

if (require.main === module) {
    const [count, file] = process.argv.slice(2);
    if (!count || !file) {
        process.stderr.write("usage: node bin/bench/synth/stack.js NODES FILE\n");
        process.exit(2);
    }
    fs.writeFileSync(file, scaledStack(Number(count)));
    console.log(file);
}
