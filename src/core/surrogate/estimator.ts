/**
 * The surrogate as the placement planner's estimator: one {@link GpuEstimate} per GPU
 * assignment, batched per model/GPU pair, with the twin (or any other estimator) answering
 * the assignments the surrogate cannot: no trained model for the pair, or out of distribution.
 */
import type { GpuId, ModelId } from "../catalog/ids";
import type { GpuEstimate, PlannedEngine } from "../placement/types";
import { resolveScenario, type ResolvedScenario } from "../scenario/resolve";
import type { Adapter, Arrival, LengthProfile } from "../scenario/schema";
import type { Surrogate, SurrogateEstimate } from "./runtime";

/** One GPU's assignment (the shape of the planner's `GpuAssignment`). */
export interface SurrogateQuery {
  model: ModelId;
  gpu: GpuId;
  engine: PlannedEngine;
  adapters: Adapter[];
  workload: {
    durationS: number;
    seed: number;
    lengths: LengthProfile;
    arrival: Arrival;
    maxPendingRequests?: number;
  };
}

/** Anything that estimates assignments (the planner's `Estimator`). */
export interface QueryEstimator {
  readonly name: string;
  estimate(queries: readonly SurrogateQuery[], signal?: AbortSignal): Promise<GpuEstimate[]>;
}

/** The planner's view of a surrogate estimate. */
export function toGpuEstimate(e: SurrogateEstimate): GpuEstimate {
  return {
    source: "surrogate",
    throughputTokS: e.throughputTokS,
    demandTokS: e.demandTokS,
    starvedProbability: e.starvedProbability,
    starved: e.starved,
    ttftP99Ms: e.ttftMs.p99,
    itlP99Ms: e.itlMs.p99,
    fits: e.memory.fits,
    kvCacheTokens: e.memory.kvCacheTokens,
    outOfDistribution: e.outOfDistribution,
  };
}

/** Resolve a query the way the twin would see it (no schema parse: the planner's values are valid). */
export function resolveQuery(q: SurrogateQuery): ResolvedScenario {
  return resolveScenario({
    model: q.model,
    gpu: q.gpu,
    engine: { enableLora: true, ...q.engine },
    workload: {
      durationS: q.workload.durationS,
      seed: q.workload.seed,
      lengths: q.workload.lengths,
      arrival: q.workload.arrival,
      ...(q.workload.maxPendingRequests !== undefined
        ? { maxPendingRequests: q.workload.maxPendingRequests }
        : {}),
      adapters: q.adapters,
    },
  });
}

export interface SurrogateEstimatorOptions {
  /** the pair's surrogate, or null when there is none (cached by the estimator) */
  load: (model: ModelId, gpu: GpuId) => Promise<Surrogate | null>;
  /** answers queries without a surrogate and, when `fallbackOnOod`, out-of-distribution ones */
  fallback?: QueryEstimator;
  /** default true */
  fallbackOnOod?: boolean;
}

/** An estimator that asks the surrogate first (see the file comment). */
export function createSurrogateEstimator(opts: SurrogateEstimatorOptions): QueryEstimator {
  const cache = new Map<string, Promise<Surrogate | null>>();
  const surrogateOf = (m: ModelId, g: GpuId) => {
    const key = `${m}__${g}`;
    let p = cache.get(key);
    if (!p) {
      p = opts.load(m, g).catch(() => null);
      cache.set(key, p);
    }
    return p;
  };
  return {
    name: opts.fallback ? `surrogate (fallback: ${opts.fallback.name})` : "surrogate",
    async estimate(queries, signal) {
      const out = new Array<GpuEstimate | undefined>(queries.length);
      const byPair = new Map<string, number[]>();
      queries.forEach((q, i) => {
        const key = `${q.model}__${q.gpu}`;
        byPair.set(key, [...(byPair.get(key) ?? []), i]);
      });
      const toFallback: number[] = [];
      for (const idx of byPair.values()) {
        if (signal?.aborted) throw signal.reason ?? new Error("aborted");
        const q0 = queries[idx[0]!]!;
        const s = await surrogateOf(q0.model, q0.gpu);
        if (!s) {
          toFallback.push(...idx);
          continue;
        }
        const est = await s.estimateScenarios(idx.map((i) => resolveQuery(queries[i]!)));
        idx.forEach((i, k) => {
          const e = est[k]!;
          if (e.outOfDistribution && opts.fallback && opts.fallbackOnOod !== false)
            toFallback.push(i);
          else out[i] = toGpuEstimate(e);
        });
      }
      if (toFallback.length > 0) {
        toFallback.sort((a, b) => a - b);
        if (!opts.fallback) {
          const q = queries[toFallback[0]!]!;
          throw new Error(`no surrogate for ${q.model} on ${q.gpu} and no fallback estimator`);
        }
        const fb = await opts.fallback.estimate(
          toFallback.map((i) => queries[i]!),
          signal,
        );
        toFallback.forEach((i, k) => (out[i] = fb[k]!));
      }
      return out as GpuEstimate[];
    },
  };
}
