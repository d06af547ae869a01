/**
 * The planner answers with the best twin-verified partition it has: a baseline partition that
 * passes verification with fewer GPUs than our construction is adopted (with a note), and one
 * that fails verification never is.
 */
import { describe, expect, it } from "vitest";
import { createContext } from "../../src/core/placement/context";
import { planFleet } from "../../src/core/placement/plan";
import type { TwinVerdict, Verifier } from "../../src/core/placement/types";
import type { MemoryReport } from "../../src/core/twin/types";
import { fakeEstimator, zipfFleet } from "./helpers";

const MEMORY = {
  fits: true,
  reason: null,
  kvCacheTokens: 100_000,
  weightsGiB: 15,
  loraSlotsGiB: 1,
  reserveGiB: 4,
  kvCacheGiB: 30,
  budgetGiB: 57,
  totalGiB: 63.35,
} as unknown as MemoryReport;

/** A stand-in for the twin: a GPU is starved when it holds more than `maxAdapters` adapters. */
function verifier(maxAdapters: number): Verifier & { batches: number[] } {
  const v = {
    batches: [] as number[],
    async verify(scenarios: Parameters<Verifier["verify"]>[0]): Promise<TwinVerdict[]> {
      v.batches.push(scenarios.length);
      return scenarios.map((s) => {
        const starved = s.workload.adapters.length > maxAdapters;
        return {
          throughputTokS: starved ? 500 : 1000,
          idealThroughputTokS: 1000,
          starved,
          ttftMs: { mean: 100, p50: 90, p99: 300 },
          itlMs: { mean: 20, p50: 19, p99: 40 },
          memory: MEMORY,
          preemptions: 0,
          extrapolated: false,
          wallMs: 1,
        };
      });
    },
  };
  return v;
}

describe("adopting a verified baseline partition", () => {
  const req = zipfFleet(60, 40, { alpha: 0.8 });
  const opts = {
    lowerBound: false,
    baselines: ["round-robin", "first-fit-memory"] as const,
  };

  it("takes first-fit-by-memory's fewer GPUs when the twin finds them sound", async () => {
    const plan = await planFleet(req, {
      estimator: fakeEstimator(),
      verifier: verifier(1e9),
      ...opts,
    });
    const ff = plan.baselines["first-fit-memory"]!;
    expect(ff.starvedGpus).toBe(0);
    expect(ff.gpuCount).toBeLessThan(plan.baselines["round-robin"]!.gpuCount);
    // round-robin runs on our construction's count: the adopted plan has fewer
    expect(plan.gpuCount).toBe(ff.gpuCount);
    expect(plan.gpus.map((g) => g.adapters)).toEqual(ff.gpus);
    expect(plan.starvedGpus).toBe(0);
    expect(plan.gpus.every((g) => g.verified && !g.verified.starved)).toBe(true);
    expect(plan.notes?.join(" ")).toMatch(/adopted the first-fit-memory partition/);
    const placed = plan.gpus.flatMap((g) => g.adapters).sort();
    expect(placed).toEqual(req.workload.adapters.map((a) => a.id).sort());
  });

  it("keeps our construction when the twin finds the baseline starved", async () => {
    // first-fit packs many adapters per GPU; a twin that starves GPUs over 12 adapters rejects it
    const plan = await planFleet(req, {
      estimator: fakeEstimator(),
      verifier: verifier(12),
      ...opts,
    });
    expect(plan.baselines["first-fit-memory"]!.starvedGpus).toBeGreaterThan(0);
    expect(plan.notes?.join(" ") ?? "").not.toMatch(/adopted/);
    expect(plan.gpus.every((g) => g.adapters.length <= 12)).toBe(true);
  });

  it("without verified baselines, never adopts a partition the estimator finds starved", async () => {
    const plan = await planFleet(req, {
      estimator: fakeEstimator(),
      verifier: verifier(1e9),
      ...opts,
      verifyBaselines: false,
    });
    expect(plan.gpuCount).toBe(plan.baselines["round-robin"]!.gpuCount);
    expect(plan.notes?.join(" ") ?? "").not.toMatch(/adopted/);
  });

  it("repair pools the adapters shed by several starved GPUs onto one new GPU", async () => {
    // the estimator lets 20-40 adapters onto a GPU; the stand-in twin starves any GPU over 14
    // adapters (serving 85% of its demand) and keeps up with the rest
    const demand = new Map(createContext(req).adapters.map((a) => [a.id, a.demandTokS]));
    const batches: number[][] = [];
    const twin: Verifier = {
      async verify(scenarios) {
        batches.push(scenarios.map((s) => s.workload.adapters.length));
        const base = await verifier(14).verify(scenarios);
        return scenarios.map((s, i) => {
          const ideal = s.workload.adapters.reduce((d, a) => d + demand.get(a.id)!, 0);
          const starved = base[i]!.starved;
          return {
            ...base[i]!,
            idealThroughputTokS: ideal,
            throughputTokS: (starved ? 0.85 : 1) * ideal,
          };
        });
      },
    };
    const plan = await planFleet(req, {
      estimator: fakeEstimator(),
      verifier: twin,
      lowerBound: false,
      baselines: [],
    });
    const starvedFirst = batches[0]!.filter((n) => n > 14).length;
    expect(starvedFirst).toBeGreaterThanOrEqual(2);
    // the first repair round re-verifies the starved GPUs it trimmed and ONE new GPU holding
    // everything they shed (not one new GPU per starved GPU)
    expect(batches[1]!.length).toBe(starvedFirst + 1);
    expect(plan.starvedGpus).toBe(0);
    const placed = plan.gpus.flatMap((g) => g.adapters).sort();
    expect(placed).toEqual(req.workload.adapters.map((a) => a.id).sort());
  });
});
