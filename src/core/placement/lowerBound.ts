/**
 * Lower bound on the GPUs a workload needs: Σ demanded tokens/s ÷ the best per-GPU throughput
 * the twin finds for the workload's mix, rounded up. Also reported: the strict form, with
 * 0.9 × Σ demand (the starvation rule lets a GPU serve as little as 90% of its demand, so a
 * starvation-free fleet may run that much below the plain bound).
 *
 * How the best throughput is found, for each offered GPU type:
 * 1. guess G GPUs (start: demand / 10,000 tokens/s);
 * 2. build a representative GPU: every G-th adapter of the workload sorted by demand (so it has
 *    the workload's rank mix, rate skew and length profile, and N/G adapters as the average
 *    GPU of a G-GPU plan must), with every rate scaled up by the same factor until it asks for
 *    1.5 times what the GPU can serve (saturated);
 * 3. run the twin on it for `windowS` (default 150 s) at every power-of-two `--max-loras`
 *    from 1/16 of the memory limit up to that limit, then at the finer grid around the best
 *    (slot rank: the smallest vLLM rank that holds its largest adapter; later rounds search
 *    around the previous best), and take the best throughput; a saturated run's throughput
 *    counts finished requests plus the requests still running at the end of the window (they
 *    are being served);
 * 4. G' = ⌈demand / best⌉; repeat from 2 with G' until it no longer changes (≤ 4 rounds).
 * The bound is the smallest G' over the GPU types. The cost bound serves the demand with the
 * cheapest tokens first (each type's best throughput and price, up to its `maxCount`), in
 * fractional GPUs.
 * It assumes every GPU holds the workload's average mix (N/G adapters, the mix of ranks and
 * rates); a plan whose GPUs specialise (a few hot adapters alone) can beat the mix's
 * throughput, so it is a yardstick, not a proof.
 */
import { LIMITS } from "../scenario/schema";
import {
  demandOf,
  engineFor,
  maxLoraRankFor,
  maxLorasCap,
  STARVATION_RATIO,
  type AdapterInfo,
  type FleetContext,
  type Offer,
} from "./context";
import { scenarioOfAssignment } from "./scenario";
import { Evaluator, MAX_LORAS_GRID } from "./search";
import { assignmentFor } from "./context";
import { inThreadRunner } from "./twinEstimator";
import type { LowerBound, TwinRunner } from "./types";

export interface LowerBoundOptions {
  runner?: TwinRunner;
  windowS?: number;
  signal?: AbortSignal;
}

/** Representative slice: every g-th adapter by demand, starting in the middle of the first stride. */
export function representativeSlice(adapters: readonly AdapterInfo[], g: number): AdapterInfo[] {
  const sorted = [...adapters].sort((a, b) => b.demandTokS - a.demandTokS || a.index - b.index);
  const stride = Math.max(1, Math.min(g, sorted.length));
  const out: AdapterInfo[] = [];
  for (let i = Math.floor((stride - 1) / 2); i < sorted.length; i += stride) out.push(sorted[i]!);
  return out.length > 0 ? out : sorted.slice(0, 1);
}

interface TypeBound {
  gpus: number;
  /** the stride of the representative slice */
  stride: number;
  best: number;
  maxLoras: number;
  adapters: number;
  offer: Offer;
  members: AdapterInfo[];
}

async function boundForType(
  ctx: FleetContext,
  offer: Offer,
  runner: TwinRunner,
  windowS: number,
  signal?: AbortSignal,
): Promise<TypeBound | null> {
  const demand = ctx.totalDemandTokS;
  if (demand <= 0)
    return { gpus: 0, stride: 1, best: 0, maxLoras: 1, adapters: 0, offer, members: [] };
  let g = Math.max(1, Math.ceil(demand / 10_000));
  let last: TypeBound | null = null;
  const seenG = new Set<number>();
  for (let round = 0; round < 4; round++) {
    seenG.add(g);
    const slice = representativeSlice(ctx.adapters, g);
    const cap = maxLorasCap(ctx, offer.gpu, maxLoraRankFor(ctx, slice));
    if (cap <= 0) return null;
    const target: number = 1.5 * Math.max(demand / g, last?.best ?? 0, 5_000);
    const limit = Math.min(cap, slice.length);
    // first round: powers of two from limit/16 (fewer slots than that never win with many
    // adapters) and the limit; then the fine grid around the best. Later rounds: around the
    // previous best, scaled to the new slice.
    const coarse = last
      ? Evaluator.gridAround(
          Math.max(1, Math.round((last.maxLoras * slice.length) / last.adapters)),
          limit,
          1,
          1,
        )
      : MAX_LORAS_GRID.filter((v) => v < limit && (v & (v - 1)) === 0 && v >= limit / 16).concat([
          limit,
        ]);
    const first = await saturatedThroughput(
      ctx,
      offer.gpu,
      slice,
      coarse,
      target,
      runner,
      windowS,
      signal,
    );
    const fine = last
      ? []
      : MAX_LORAS_GRID.filter((v) => v < limit && v > first.maxLoras / 2 && v < first.maxLoras * 2)
          .concat(first.maxLoras * 2 > limit ? [limit] : [])
          .filter((v) => !coarse.includes(v));
    const second: { best: number; maxLoras: number } =
      fine.length > 0
        ? await saturatedThroughput(ctx, offer.gpu, slice, fine, target, runner, windowS, signal)
        : { best: 0, maxLoras: first.maxLoras };
    const pick = second.best > first.best ? second : first;
    if (pick.best <= 0) return null;
    const next = Math.max(1, Math.ceil(demand / pick.best));
    last = {
      gpus: next,
      stride: g,
      best: pick.best,
      maxLoras: pick.maxLoras,
      adapters: slice.length,
      offer,
      members: slice,
    };
    if (next === g || seenG.has(next)) break;
    g = next;
  }
  return last;
}

/**
 * Saturated throughput of `members` on `gpu` (rates scaled so they ask for `target` tokens/s):
 * the best over `maxLorasValues` of finished + still-running tokens per second of a twin run.
 */
export async function saturatedThroughput(
  ctx: FleetContext,
  gpu: Offer["gpu"],
  members: readonly AdapterInfo[],
  maxLorasValues: readonly number[],
  target: number,
  runner: TwinRunner,
  windowS: number,
  signal?: AbortSignal,
): Promise<{ best: number; maxLoras: number }> {
  const sliceDemand = Math.max(1e-9, demandOf(members));
  const scale = target / sliceDemand;
  const scaled: AdapterInfo[] = members.map((a) => ({
    ...a,
    rateRps: Math.min(LIMITS.rateRps, a.rateRps * scale),
    demandTokS: a.demandTokS * scale,
    adapter: { ...a.adapter, rateRps: Math.min(LIMITS.rateRps, a.rateRps * scale) },
  }));
  const scenarios = maxLorasValues.map((ml) =>
    scenarioOfAssignment(
      assignmentFor(ctx, gpu, scaled, engineFor(ctx, scaled, ml)),
      Math.min(windowS, ctx.load.durationS),
    ),
  );
  const results = await runner(scenarios, { signal, timeSeriesPoints: 2 });
  const meanTok =
    sliceDemand /
    Math.max(
      1e-12,
      members.reduce((s, a) => s + a.rateRps, 0),
    );
  let best = 0;
  let bestMl = maxLorasValues[0] ?? 1;
  results.forEach((r, i) => {
    if (!r.memory.fits) return;
    const served = r.throughputTokS + (r.unfinished.running * meanTok) / r.simulatedS;
    if (served > best) {
      best = served;
      bestMl = maxLorasValues[i]!;
    }
  });
  return { best, maxLoras: bestMl };
}

/** See the file comment. Returns null when no offered GPU type can hold the model. */
export async function lowerBound(
  ctx: FleetContext,
  opts: LowerBoundOptions = {},
): Promise<LowerBound | null> {
  const runner = opts.runner ?? inThreadRunner;
  const windowS = opts.windowS ?? 150;
  // the types are independent: bound them concurrently
  const bounds = (
    await Promise.all(
      ctx.offers.map((offer) => boundForType(ctx, offer, runner, windowS, opts.signal)),
    )
  ).filter((b): b is TypeBound => b !== null);
  if (bounds.length === 0) return null;
  let best = bounds[0]!;
  for (const b of bounds.slice(1)) {
    if (b.gpus < best.gpus || (b.gpus === best.gpus && b.best > best.best)) best = b;
  }
  const byType = bounds.map((b) => ({
    gpu: b.offer.gpu,
    gpus: b.gpus,
    bestGpuThroughputTokS: b.best,
    costPerHour: b.gpus * b.offer.costPerHour,
  }));
  // cost: the demand served by the cheapest tokens first (fractional GPUs), within maxCount
  let left = ctx.totalDemandTokS;
  let cost = 0;
  for (const b of [...bounds].sort(
    (x, y) => x.offer.costPerHour / x.best - y.offer.costPerHour / y.best,
  )) {
    if (left <= 0) break;
    const take = Math.min(left, b.offer.maxCount * b.best);
    cost += (take / b.best) * b.offer.costPerHour;
    left -= take;
  }
  const costPerHour = left > 1e-9 ? Infinity : cost;
  return {
    gpus: best.gpus,
    strictGpus: Math.max(
      best.gpus > 0 ? 1 : 0,
      Math.ceil((STARVATION_RATIO * ctx.totalDemandTokS) / Math.max(1e-9, best.best)),
    ),
    ...(Number.isFinite(costPerHour) ? { costPerHour } : {}),
    byType,
    demandTokS: ctx.totalDemandTokS,
    bestGpuThroughputTokS: best.best,
    gpu: best.offer.gpu,
    engine: engineFor(ctx, best.members, best.maxLoras),
    adapters: best.adapters,
    method:
      `twin (${windowS} s, saturated) on a representative GPU: every ${best.stride}-th adapter by demand ` +
      `(${best.adapters} adapters, the workload's rank and length mix), rates scaled to 1.5× capacity, ` +
      `best --max-loras within memory; bound = ceil(demand / best throughput), strict = ceil(0.9 × demand / best throughput); ` +
      `cost bound = demand served by the cheapest tokens first within maxCount, fractional GPUs`,
  };
}
