/**
 * Test helpers for the planner: a fast analytic estimator (so property tests can run many
 * plans) and small fleet builders.
 */
import { createContext, memoryFor } from "../../src/core/placement/context";
import { assignmentDemand } from "../../src/core/placement/twinEstimator";
import type {
  Estimator,
  FleetRequest,
  GpuAssignment,
  GpuEstimate,
} from "../../src/core/placement/types";
import type { GpuId } from "../../src/core/catalog/ids";

/**
 * A toy performance model: capacity (tokens/s) falls with the adapters on the GPU, with too
 * few or too many slots, and with the slot rank; faster GPUs serve more. Deterministic and
 * instant. Only for exercising the planner's logic, never for numbers.
 */
export function fakeEstimator(speed: Partial<Record<GpuId, number>> = {}): Estimator & {
  calls: number;
} {
  const est = {
    name: "fake",
    calls: 0,
    async estimate(assignments: readonly GpuAssignment[]): Promise<GpuEstimate[]> {
      est.calls++;
      return assignments.map((a) => {
        const n = a.adapters.length;
        const ml = a.engine.maxLoras;
        const s = speed[a.gpu] ?? 1;
        const ideal = Math.min(n, 24);
        const slotPenalty = ml < ideal ? 0.5 + (0.5 * ml) / ideal : 1 - 0.002 * (ml - ideal);
        const capacity =
          s * 12_000 * (1 - 0.0015 * n) * slotPenalty * (a.engine.maxLoraRank > 16 ? 0.95 : 1);
        const demand = assignmentDemand(a);
        const ctx = createContext({
          model: a.model,
          gpuTypes: [{ gpu: a.gpu }],
          workload: { adapters: [] },
        } as FleetRequest);
        const mem = memoryFor(ctx, a.gpu, a.engine);
        const ratio = mem.fits ? Math.min(1, capacity / Math.max(1e-9, demand)) : 0;
        const load = demand / Math.max(1, capacity);
        return {
          source: "surrogate" as const,
          throughputTokS: ratio * demand,
          demandTokS: demand,
          starvedProbability: ratio < 0.9 ? 1 : 0,
          starved: ratio < 0.9,
          ttftP99Ms: 80 + 4_000 * Math.max(0, load - 0.6),
          itlP99Ms: 30 + 60 * Math.min(1, load),
          fits: mem.fits,
          kvCacheTokens: mem.kvCacheTokens,
          outOfDistribution: false,
        };
      });
    },
  };
  return est;
}

/** `n` adapters with Zipf(alpha) rates summing to `totalRps`, ranks cycling over `ranks`. */
export function zipfFleet(
  n: number,
  totalRps: number,
  opts: {
    alpha?: number;
    ranks?: readonly number[];
    gpuTypes?: FleetRequest["gpuTypes"];
    durationS?: number;
    objective?: FleetRequest["objective"];
    seed?: number;
    prefix?: string;
  } = {},
): FleetRequest {
  const alpha = opts.alpha ?? 1;
  const ranks = opts.ranks ?? [8, 16, 32];
  const w = Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, alpha));
  const s = w.reduce((a, b) => a + b, 0);
  return {
    model: "llama-3.1-8b-instruct",
    gpuTypes: opts.gpuTypes ?? [{ gpu: "h100-64gb" }],
    ...(opts.objective !== undefined ? { objective: opts.objective } : {}),
    workload: {
      durationS: opts.durationS ?? 120,
      seed: opts.seed ?? 0,
      adapters: w.map((x, i) => ({
        id: `${opts.prefix ?? "a"}${i}`,
        rank: ranks[i % ranks.length] as 8,
        rateRps: (x / s) * totalRps,
      })),
    },
  };
}
