/**
 * The planner with the real twin (small fleets, short windows so the run stays quick):
 * verified results are exactly what the twin says for each GPU's scenario; objectives move
 * the answer the expected way; repair fixes what an over-optimistic estimator let through.
 */
import { describe, expect, it } from "vitest";
import { createContext } from "../../src/core/placement/context";
import { planFleet } from "../../src/core/placement/plan";
import { scenarioForGpu } from "../../src/core/placement/scenario";
import { createTwinEstimator, verdictOf } from "../../src/core/placement/twinEstimator";
import type { Estimator, FleetRequest } from "../../src/core/placement/types";
import { loadScenario } from "../../src/core/scenario/resolve";
import { simulate } from "../../src/core/twin/simulate";
import { zipfFleet } from "./helpers";

const QUICK = { lowerBound: false, baselines: false, orderings: ["hot-first"] } as const;

describe("planFleet with the twin", () => {
  it("each GPU's verified result is what the twin says for that GPU's scenario", async () => {
    const req = zipfFleet(24, 40, { durationS: 90 });
    const plan = await planFleet(req, {
      estimator: createTwinEstimator({ windowS: 45 }),
      ...QUICK,
    });
    expect(plan.gpuCount).toBeGreaterThan(0);
    const ctx = createContext(req);
    for (const g of plan.gpus) {
      expect(g.verified).toBeDefined();
      const twin = verdictOf(simulate(loadScenario(scenarioForGpu(ctx, g))));
      const { wallMs: _a, ...rest } = twin;
      const { wallMs: _b, ...got } = g.verified!;
      expect(got).toEqual(rest);
      expect(g.problem === null).toBe(!twin.starved && twin.memory.fits);
    }
    expect(plan.starvedGpus).toBe(plan.gpus.filter((g) => g.problem !== null).length);
  }, 60_000);

  it("min-cost picks the GPU type that is cheaper per token", async () => {
    const fleet = (gpuTypes: FleetRequest["gpuTypes"]) =>
      zipfFleet(12, 20, { durationS: 120, objective: "min-cost", gpuTypes });
    const opts = { estimator: createTwinEstimator({ windowS: 60 }), ...QUICK, skipVerify: true };
    const a = await planFleet(
      fleet([
        { gpu: "h100-64gb", costPerHour: 10 },
        { gpu: "h100-sxm-80gb", costPerHour: 2 },
      ]),
      opts,
    );
    expect(a.gpus.every((g) => g.gpu === "h100-sxm-80gb")).toBe(true);
    const b = await planFleet(
      fleet([
        { gpu: "h100-64gb", costPerHour: 2 },
        { gpu: "h100-sxm-80gb", costPerHour: 40 },
      ]),
      opts,
    );
    expect(b.gpus.every((g) => g.gpu === "h100-64gb")).toBe(true);
  }, 60_000);

  it("a TTFT SLO forces more GPUs than min-gpus", async () => {
    const opts = { estimator: createTwinEstimator({ windowS: 40 }), ...QUICK, skipVerify: true };
    const free = await planFleet(zipfFleet(40, 45, { durationS: 80 }), opts);
    const slo = await planFleet(
      zipfFleet(40, 45, { durationS: 80, objective: { ttftP99Ms: 250 } }),
      opts,
    );
    expect(slo.gpuCount).toBeGreaterThan(free.gpuCount);
    for (const g of slo.gpus) expect(g.estimate.ttftP99Ms).toBeLessThanOrEqual(250);
  }, 60_000);

  it("repairs GPUs an over-optimistic estimator let through (moves adapters, adds GPUs)", async () => {
    const liar: Estimator = {
      name: "liar",
      async estimate(assignments) {
        const real = await createTwinEstimator({ windowS: 60 }).estimate(assignments);
        // claims everything is fine, so the greedy overfills the first GPU
        return real.map((e) => ({
          ...e,
          throughputTokS: e.demandTokS,
          starved: false,
          ttftP99Ms: 1,
        }));
      },
    };
    const req = zipfFleet(30, 50, { durationS: 120 });
    const plan = await planFleet(req, { estimator: liar, ...QUICK });
    expect(plan.repairs!.rounds).toBeGreaterThan(0);
    expect(plan.repairs!.addedGpus).toBeGreaterThan(0);
    expect(plan.starvedGpus).toBe(0);
    expect(plan.gpus.flatMap((g) => g.adapters).sort()).toEqual(
      req.workload.adapters.map((a) => a.id).sort(),
    );
  }, 120_000);
});
