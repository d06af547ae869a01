/**
 * Invariants every plan keeps, over many random fleets (fast analytic estimator, no twin):
 * every adapter placed exactly once (ours and every baseline), memory limits never exceeded,
 * flags consistent (slot rank holds every adapter, --max-cpu-loras ≥ adapters and slots),
 * deterministic, cancellable.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createContext,
  maxLoraRankFor,
  maxLorasCap,
  memoryFor,
} from "../../src/core/placement/context";
import { planFleet } from "../../src/core/placement/plan";
import {
  apportion,
  leastLoaded,
  loraServe,
  roundRobin,
  firstFitMemory,
} from "../../src/core/placement/baselines";
import { zigzag } from "../../src/core/placement/paperGreedy";
import type { FleetRequest, Plan } from "../../src/core/placement/types";
import { fakeEstimator, zipfFleet } from "./helpers";

const FAST = {
  lowerBound: false,
  skipVerify: true,
  baselines: ["round-robin", "least-loaded", "first-fit-memory", "paper-greedy"] as const,
};

function checkPlan(req: FleetRequest, plan: Plan): void {
  const ctx = createContext(req);
  const ids = req.workload.adapters.map((a) => a.id).sort();
  const placed = plan.gpus.flatMap((g) => g.adapters).sort();
  expect(placed).toEqual(ids);
  for (const g of plan.gpus) {
    const members = g.adapters.map((id) => ctx.byId.get(id)!);
    const mem = memoryFor(ctx, g.gpu, g.engine);
    expect(mem.fits, `${g.gpu} ${JSON.stringify(g.engine)}`).toBe(true);
    expect(g.engine.maxLoras).toBeLessThanOrEqual(maxLorasCap(ctx, g.gpu, g.engine.maxLoraRank));
    expect(g.engine.maxLoraRank).toBeGreaterThanOrEqual(Math.max(...members.map((a) => a.rank)));
    expect(g.engine.maxLoraRank).toBe(maxLoraRankFor(ctx, members));
    expect(g.engine.maxCpuLoras).toBeGreaterThanOrEqual(
      Math.max(g.engine.maxLoras, members.length),
    );
    expect(g.vllmArgs).toContain(`--max-loras ${g.engine.maxLoras} `);
  }
  for (const [name, b] of Object.entries(plan.baselines)) {
    expect(b.gpus, name).toBeDefined();
    expect(b.gpus!.flat().sort(), name).toEqual(ids);
    expect(b.gpuCount, name).toBe(b.gpus!.length);
  }
}

describe("planFleet invariants (analytic estimator)", () => {
  it("places every adapter exactly once and never exceeds memory, on random fleets", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 160 }),
        fc.double({ min: 0.5, max: 120, noNaN: true }),
        fc.double({ min: 0, max: 1.6, noNaN: true }),
        fc.subarray([8, 16, 32, 64], { minLength: 1 }),
        fc.constantFrom<FleetRequest["gpuTypes"]>(
          [{ gpu: "h100-64gb" }],
          [{ gpu: "a100-40gb" }, { gpu: "h100-sxm-80gb", costPerHour: 5 }],
          [{ gpu: "l40s" }],
        ),
        fc.constantFrom<FleetRequest["objective"]>("min-gpus", "min-cost", { ttftP99Ms: 2000 }),
        async (n, rps, alpha, ranks, gpuTypes, objective) => {
          const req = zipfFleet(n, rps, { alpha, ranks, gpuTypes, objective });
          const plan = await planFleet(req, { estimator: fakeEstimator(), ...FAST });
          checkPlan(req, plan);
        },
      ),
      { numRuns: 25, seed: 42 },
    );
  });

  it("is deterministic for a given request", async () => {
    const req = zipfFleet(90, 60, { alpha: 0.9 });
    // everything but wall-clock timings
    const strip = (p: Plan) => JSON.stringify(p, (k, v: unknown) => (k.endsWith("Ms") ? 0 : v));
    const a = await planFleet(req, { estimator: fakeEstimator(), ...FAST });
    const b = await planFleet(req, { estimator: fakeEstimator(), ...FAST });
    expect(strip(a)).toBe(strip(b));
  });

  it("rejects with the abort reason when cancelled", async () => {
    const c = new AbortController();
    const reason = new Error("stop");
    const est = fakeEstimator();
    const wrapped = {
      name: "abort-after-3",
      async estimate(...args: Parameters<typeof est.estimate>) {
        if (est.calls === 3) c.abort(reason);
        return est.estimate(...args);
      },
    };
    await expect(
      planFleet(zipfFleet(120, 80), { estimator: wrapped, signal: c.signal, ...FAST }),
    ).rejects.toBe(reason);
  });

  it("uses more GPUs of the faster type under min-gpus, and the cheaper-per-token one under min-cost", async () => {
    const req = (objective: FleetRequest["objective"]) =>
      zipfFleet(60, 90, {
        objective,
        gpuTypes: [
          { gpu: "h100-64gb", costPerHour: 1 },
          { gpu: "h100-sxm-80gb", costPerHour: 4 },
        ],
      });
    // the sxm part is twice as fast but four times the price
    const est = () => fakeEstimator({ "h100-sxm-80gb": 2 });
    const fewest = await planFleet(req("min-gpus"), {
      estimator: est(),
      ...FAST,
      baselines: false,
    });
    const cheapest = await planFleet(req("min-cost"), {
      estimator: est(),
      ...FAST,
      baselines: false,
    });
    expect(fewest.gpus.every((g) => g.gpu === "h100-sxm-80gb")).toBe(true);
    expect(cheapest.gpus.filter((g) => g.gpu === "h100-64gb").length).toBeGreaterThan(0);
    expect(cheapest.costPerHour).toBeLessThan(fewest.costPerHour);
    expect(fewest.gpuCount).toBeLessThanOrEqual(cheapest.gpuCount);
  });

  it("an SLO with minimize: cost keeps the limit and picks the cheaper-per-token type", async () => {
    const req = (minimize: "gpus" | "cost") =>
      zipfFleet(60, 90, {
        objective: { ttftP99Ms: 600, minimize },
        gpuTypes: [
          { gpu: "h100-64gb", costPerHour: 1 },
          { gpu: "h100-sxm-80gb", costPerHour: 4 },
        ],
      });
    const opts = () => ({
      estimator: fakeEstimator({ "h100-sxm-80gb": 2 }),
      ...FAST,
      baselines: false,
    });
    const fewest = await planFleet(req("gpus"), opts());
    const cheapest = await planFleet(req("cost"), opts());
    expect(fewest.gpus.filter((g) => g.gpu === "h100-sxm-80gb").length).toBeGreaterThan(0);
    expect(cheapest.gpus.every((g) => g.gpu === "h100-64gb")).toBe(true);
    expect(cheapest.costPerHour).toBeLessThan(fewest.costPerHour);
    expect(fewest.gpuCount).toBeLessThan(cheapest.gpuCount);
    for (const g of [...fewest.gpus, ...cheapest.gpus]) {
      expect(g.estimate.ttftP99Ms).toBeLessThanOrEqual(600);
    }
  });

  it("respects maxCount and reports when the offered GPUs are not enough", async () => {
    const req = zipfFleet(60, 90, {
      gpuTypes: [{ gpu: "h100-sxm-80gb", maxCount: 1 }, { gpu: "h100-64gb" }],
    });
    const plan = await planFleet(req, {
      estimator: fakeEstimator({ "h100-sxm-80gb": 2 }),
      ...FAST,
      baselines: false,
    });
    expect(plan.gpus.filter((g) => g.gpu === "h100-sxm-80gb").length).toBeLessThanOrEqual(1);
    const tight = zipfFleet(60, 90, { gpuTypes: [{ gpu: "h100-64gb", maxCount: 1 }] });
    await expect(
      planFleet(tight, { estimator: fakeEstimator(), ...FAST, baselines: false }),
    ).rejects.toThrow(/gpuTypes: the offered GPUs \(maxCount\) are not enough/);
  });

  it("an SLO forces more GPUs", async () => {
    const base = await planFleet(zipfFleet(80, 70), {
      estimator: fakeEstimator(),
      ...FAST,
      baselines: false,
    });
    const slo = await planFleet(zipfFleet(80, 70, { objective: { ttftP99Ms: 300 } }), {
      estimator: fakeEstimator(),
      ...FAST,
      baselines: false,
    });
    expect(slo.gpuCount).toBeGreaterThan(base.gpuCount);
    for (const g of slo.gpus) expect(g.estimate.ttftP99Ms).toBeLessThanOrEqual(300);
  });
});

describe("baseline placements", () => {
  const ctx = createContext(zipfFleet(50, 30));
  it("round-robin, least-loaded, loraserve and first-fit place every adapter once", () => {
    const all = ctx.adapters.map((a) => a.id).sort();
    const op = new Map([
      [8, 9000],
      [16, 8800],
      [32, 8000],
    ]);
    for (const groups of [
      roundRobin(ctx.adapters, 4),
      leastLoaded(ctx.adapters, 4),
      loraServe(ctx.adapters, 4, op),
      firstFitMemory(ctx, "h100-64gb", ctx.adapters),
    ]) {
      expect(
        groups
          .flat()
          .map((a) => a.id)
          .sort(),
      ).toEqual(all);
    }
  });
  it("least-loaded balances aggregated rate", () => {
    const groups = leastLoaded(ctx.adapters, 3);
    const loads = groups.map((g) => g.reduce((s, a) => s + a.rateRps, 0));
    const hottest = Math.max(...ctx.adapters.map((a) => a.rateRps));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(hottest + 1e-9);
  });
  it("apportions seats by largest remainder", () => {
    expect(apportion([1, 1, 1], 4)).toEqual([2, 1, 1]);
    expect(apportion([0.2, 0.5, 0.3], 10)).toEqual([2, 5, 3]);
    expect(apportion([0, 0], 3)).toEqual([0, 0]);
  });
  it("zig-zags by rate like the paper (largest, smallest, next largest, …)", () => {
    const z = zigzag(ctx.adapters.slice(0, 5));
    const rates = z.map((a) => a.rateRps);
    const sorted = [...rates].sort((a, b) => a - b);
    expect(rates).toEqual([sorted[4], sorted[0], sorted[3], sorted[1], sorted[2]]);
  });
});
