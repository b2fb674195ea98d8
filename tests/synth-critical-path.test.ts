/**
 * The critical path proven from what the synth writes (resources.json, dependencies and providers), at
 * 10, 100 and 1 000 workers: a first deploy runs 2 + 2 × control planes remote commands one after another,
 * whatever the number of workers (bench/critical-path.ts prints the same figures).
 */
import { synthChain } from "../bench/critical-path";

// Three control planes, the general case (tests/critical-path.test.ts has one, under the mocks).
describe.each([10, 100, 1000])("the synth of the test stack with %i workers", (workers) => {
    it("has a critical path of 2 + 2 × 3 remote commands", () => {
        const controlPlanes = 3;
        const chain = synthChain({ controlPlanes, workers });
        expect(chain.length).toBe(2 + 2 * controlPlanes);
        expect(chain.steps[0]).toBe("lsst-test-cp01-prepare");
        expect(chain.steps[1]).toBe("lsst-test-control-plane-init");
        expect(chain.steps.slice(2, 6)).toEqual(["lsst-test-cp02-join-token", "lsst-test-cp02-join-run", "lsst-test-cp03-join-token", "lsst-test-cp03-join-run"]);
        expect(chain.steps.at(-1)).toMatch(/-(join-run|cert-expiry-run)$/);
    }, 600_000);
});
