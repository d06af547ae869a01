/**
 * Baseline placements, judged on the same workload, estimator and twin verification as ours.
 * Every baseline uses one GPU type (the one our plan uses most) and the flags the measured
 * systems use: `--max-loras` = its adapter count (all resident) capped by memory,
 * `--max-cpu-loras` = its adapter count, `--max-lora-rank` = smallest vLLM rank ≥ its
 * largest adapter, the fleet's batch and memory flags.
 *
 * - round-robin: adapter i (input order) on GPU i mod G, with G = our plan's GPU count.
 * - least-loaded: adapters by request rate, highest first, each to the GPU with the least
 *   aggregated request rate so far (LPT).
 * - loraserve: rank-aware packing in the spirit of LoRAServe (arXiv 2511.22880, Alg. 1
 *   without its fractional routing): each rank's utilisation = its demand ÷ the saturated
 *   throughput of a GPU of that rank (the twin's, the paper's "operating point"); GPUs are
 *   apportioned to ranks by utilisation (largest remainder); within a rank, adapters by
 *   demand, highest first, to its least-loaded GPU; ranks left without a GPU go to the least
 *   utilised GPU of a higher rank.
 * - first-fit-memory: adapters in input order, each on the first GPU whose memory still
 *   holds one more resident adapter slot at its slot rank; load is ignored, so the count
 *   is what memory alone dictates.
 * Least-loaded and loraserve need a GPU count: the smallest count (from the lower bound up)
 * at which the estimator finds every GPU acceptable — the same test our planner passes.
 */
import type { GpuId } from "../catalog/ids";
import {
  demandOf,
  engineFor,
  maxLoraRankFor,
  maxLorasCap,
  slotRankFor,
  type AdapterInfo,
  type FleetContext,
} from "./context";
import type { Candidate, Evaluator } from "./search";
import type { PlannedEngine } from "./types";

/** The measured systems' flags for a GPU holding `members` (all adapters resident, as memory allows). */
export function baselineEngine(
  ctx: FleetContext,
  gpu: GpuId,
  members: readonly AdapterInfo[],
): PlannedEngine {
  const cap = maxLorasCap(ctx, gpu, maxLoraRankFor(ctx, members));
  return engineFor(ctx, members, Math.max(1, Math.min(cap, members.length)));
}

export async function evaluateGroups(
  ev: Evaluator,
  gpu: GpuId,
  groups: readonly AdapterInfo[][],
): Promise<Candidate[]> {
  const nonEmpty = groups.filter((g) => g.length > 0);
  return ev.evaluate(
    nonEmpty.map((members) => ({ gpu, members, engine: baselineEngine(ev.ctx, gpu, members) })),
  );
}

export function roundRobin(adapters: readonly AdapterInfo[], g: number): AdapterInfo[][] {
  const out: AdapterInfo[][] = Array.from({ length: g }, () => []);
  adapters.forEach((a, i) => out[i % g]!.push(a));
  return out;
}

/** Index of the smallest value (first on ties). */
function argmin(xs: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[b]!) b = i;
  return b;
}

export function leastLoaded(adapters: readonly AdapterInfo[], g: number): AdapterInfo[][] {
  const out: AdapterInfo[][] = Array.from({ length: g }, () => []);
  const load = new Float64Array(g);
  const sorted = [...adapters].sort((a, b) => b.rateRps - a.rateRps || a.index - b.index);
  for (const a of sorted) {
    const i = argmin(load);
    out[i]!.push(a);
    load[i]! += a.rateRps;
  }
  return out;
}

/** Largest-remainder apportionment of `total` seats by `weights`. */
export function apportion(weights: readonly number[], total: number): number[] {
  const s = weights.reduce((x, y) => x + Math.max(0, y), 0);
  if (s <= 0 || total <= 0) return weights.map(() => 0);
  const quotas = weights.map((w) => (Math.max(0, w) / s) * total);
  const seats = quotas.map(Math.floor);
  let left = total - seats.reduce((x, y) => x + y, 0);
  const order = quotas
    .map((q, i) => ({ r: q - Math.floor(q), i }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) seats[order[j]!.i]!++;
  return seats;
}

/** LoRAServe-style packing onto g GPUs; `op` = saturated throughput per rank (tokens/s). */
export function loraServe(
  adapters: readonly AdapterInfo[],
  g: number,
  op: ReadonlyMap<number, number>,
): AdapterInfo[][] {
  const ranks = [...new Set(adapters.map((a) => a.rank))].sort((a, b) => a - b);
  const util = ranks.map(
    (r) => demandOf(adapters.filter((a) => a.rank === r)) / Math.max(1e-9, op.get(r) ?? 1),
  );
  const budget = apportion(util, g);
  const out: AdapterInfo[][] = [];
  const serverRank: number[] = [];
  const load: number[] = [];
  const byRank = new Map<number, number[]>();
  ranks.forEach((r, ri) => {
    const ids: number[] = [];
    for (let k = 0; k < budget[ri]!; k++) {
      ids.push(out.length);
      out.push([]);
      serverRank.push(r);
      load.push(0);
    }
    byRank.set(r, ids);
  });
  // ranks from highest to lowest so "higher max rank" servers exist for leftovers
  for (const r of [...ranks].sort((a, b) => b - a)) {
    const list = adapters
      .filter((a) => a.rank === r)
      .sort((a, b) => b.demandTokS - a.demandTokS || a.index - b.index);
    let servers = byRank.get(r)!;
    if (servers.length === 0) {
      servers = serverRank.map((_, i) => i).filter((i) => serverRank[i]! >= r);
      if (servers.length === 0) servers = serverRank.map((_, i) => i);
    }
    for (const a of list) {
      let best = servers[0]!;
      for (const i of servers) if (load[i]! < load[best]!) best = i;
      out[best]!.push(a);
      load[best]! += a.demandTokS / Math.max(1e-9, op.get(serverRank[best]!) ?? 1);
    }
  }
  return out;
}

export function firstFitMemory(
  ctx: FleetContext,
  gpu: GpuId,
  adapters: readonly AdapterInfo[],
): AdapterInfo[][] {
  const out: AdapterInfo[][] = [];
  const maxRank: number[] = [];
  for (const a of adapters) {
    let placed = false;
    for (let i = 0; i < out.length; i++) {
      const r = slotRankFor(Math.max(maxRank[i]!, a.rank));
      const rank = ctx.fixed.maxLoraRank ?? r;
      if (out[i]!.length + 1 <= maxLorasCap(ctx, gpu, rank)) {
        out[i]!.push(a);
        maxRank[i] = Math.max(maxRank[i]!, a.rank);
        placed = true;
        break;
      }
    }
    if (!placed) {
      out.push([a]);
      maxRank.push(a.rank);
    }
  }
  return out;
}

/**
 * Smallest GPU count in [gMin, gMax] at which `place(G)` passes the estimator on every GPU
 * (galloping up from gMin, then bisection). At gMax it returns gMax whatever the verdict.
 */
export async function sizeByEstimator(
  ev: Evaluator,
  gpu: GpuId,
  place: (g: number) => AdapterInfo[][],
  gMin: number,
  gMax: number,
): Promise<{ g: number; gpus: Candidate[]; ok: boolean }> {
  const memo = new Map<number, Candidate[]>();
  const check = async (g: number) => {
    let c = memo.get(g);
    if (!c) {
      c = await evaluateGroups(ev, gpu, place(g));
      memo.set(g, c);
    }
    // a GPU holding one adapter too hot for any GPU fails at every count: it does not count
    return c.every((x) => x.ok || x.members.length === 1);
  };
  let lo = gMin - 1;
  let g = Math.max(1, gMin);
  let step = 1;
  let found = false;
  while (g <= gMax) {
    if (await check(g)) {
      found = true;
      break;
    }
    lo = g;
    if (g === gMax) break;
    g = Math.min(gMax, g + step);
    step *= 2;
  }
  if (!found) return { g: gMax, gpus: memo.get(gMax)!, ok: false };
  let hi = g;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await check(mid)) hi = mid;
    else lo = mid;
  }
  return { g: hi, gpus: memo.get(hi)!, ok: true };
}
