/**
 * Estimator-driven building blocks of every placement algorithm here:
 * - {@link Evaluator}: estimates GPU assignments through the {@link Estimator} (batched, cached),
 *   and decides whether one is acceptable (fits, not starved with a safety margin, SLOs met);
 * - {@link Evaluator.tuneEngine}: the best `--max-loras` for a set of adapters on a GPU type
 *   (a local search over a geometric grid, within the memory limit; more slots are not always
 *   better: every slot adds idle CTAs to vLLM's LoRA kernels and takes KV-cache memory);
 * - {@link Evaluator.fill}: the most adapters of an ordered pool one GPU can take (bisection
 *   on the prefix length, steered by the capacity an overloaded probe reveals).
 */
import type { GpuId } from "../catalog/ids";
import type { ResolvedObjective } from "./context";
import {
  assignmentFor,
  demandOf,
  engineFor,
  maxLoraRankFor,
  maxLorasCap,
  STARVATION_RATIO,
  type AdapterInfo,
  type FleetContext,
} from "./context";
import { checkAborted } from "./twinEstimator";
import type { Estimator, GpuEstimate, PlannedEngine } from "./types";

/** `--max-loras` values the search visits (denser where it matters, then ×1.25–1.5 steps). */
export const MAX_LORAS_GRID: readonly number[] = [
  1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 448, 512,
  640, 768, 1024, 1280, 1536, 2048, 2560, 3072, 4096,
];

/** One evaluated GPU: a GPU type, its adapters, its flags and the estimate. */
export interface Candidate {
  gpu: GpuId;
  members: AdapterInfo[];
  engine: PlannedEngine;
  estimate: GpuEstimate;
  ok: boolean;
}

export interface EvalStats {
  calls: number;
  assignments: number;
  cacheHits: number;
}

export interface EvaluatorOptions {
  /** required throughput / demand above the starvation threshold (default 0.03) */
  margin?: number;
  /** SLO limits are met with this relative slack (default 0.1: estimate ≤ 0.9 × limit) */
  sloSlack?: number;
  signal?: AbortSignal;
}

function hashMembers(members: readonly AdapterInfo[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (const a of members) {
    h1 = Math.imul(h1 ^ a.index, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ (a.index + 0x9e3779b9), 0x85ebca6b) >>> 0;
  }
  return `${members.length}:${h1.toString(36)}:${h2.toString(36)}`;
}

/** Σ demand of the first k members for every k (prefix sums). */
export function prefixDemand(pool: readonly AdapterInfo[]): Float64Array {
  const p = new Float64Array(pool.length + 1);
  for (let i = 0; i < pool.length; i++) p[i + 1] = p[i]! + pool[i]!.demandTokS;
  return p;
}

/** Largest k in [0, n] with prefix[k] ≤ x. */
function prefixAtMost(prefix: Float64Array, x: number): number {
  let lo = 0;
  let hi = prefix.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (prefix[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export class Evaluator {
  readonly ctx: FleetContext;
  readonly estimator: Estimator;
  readonly margin: number;
  readonly sloSlack: number;
  readonly signal?: AbortSignal;
  readonly stats: EvalStats;
  private readonly cache: Map<string, GpuEstimate>;

  constructor(
    ctx: FleetContext,
    estimator: Estimator,
    opts: EvaluatorOptions = {},
    shared?: { cache: Map<string, GpuEstimate>; stats: EvalStats },
  ) {
    this.ctx = ctx;
    this.estimator = estimator;
    this.margin = opts.margin ?? 0.03;
    this.sloSlack = opts.sloSlack ?? 0.1;
    this.signal = opts.signal;
    this.cache = shared?.cache ?? new Map();
    this.stats = shared?.stats ?? { calls: 0, assignments: 0, cacheHits: 0 };
  }

  /** The same evaluator (cache, statistics) with another safety margin. */
  withMargin(margin: number): Evaluator {
    return new Evaluator(
      this.ctx,
      this.estimator,
      { margin, sloSlack: this.sloSlack, signal: this.signal },
      { cache: this.cache, stats: this.stats },
    );
  }

  get objective(): ResolvedObjective {
    return this.ctx.objective;
  }

  /** Is this estimate acceptable for a GPU of the plan? */
  acceptable(e: GpuEstimate, margin = this.margin): boolean {
    if (!e.fits) return false;
    if (e.demandTokS > 0 && e.throughputTokS < (STARVATION_RATIO + margin) * e.demandTokS)
      return false;
    const o = this.ctx.objective;
    const k = 1 - this.sloSlack;
    if (o.ttftP99Ms !== undefined && e.ttftP99Ms > k * o.ttftP99Ms) return false;
    if (o.itlP99Ms !== undefined && e.itlP99Ms > k * o.itlP99Ms) return false;
    return true;
  }

  /** Estimate many (gpu, members, engine) at once; cached by content. */
  async evaluate(
    items: ReadonlyArray<{ gpu: GpuId; members: AdapterInfo[]; engine: PlannedEngine }>,
  ): Promise<Candidate[]> {
    checkAborted(this.signal);
    const keys = items.map((it) => {
      const e = it.engine;
      return `${it.gpu}|${e.maxLoras}|${e.maxCpuLoras}|${e.maxLoraRank}|${hashMembers(it.members)}`;
    });
    const missing: number[] = [];
    const seen = new Set<string>();
    keys.forEach((k, i) => {
      if (this.cache.has(k)) this.stats.cacheHits++;
      else if (!seen.has(k)) {
        seen.add(k);
        missing.push(i);
      }
    });
    if (missing.length > 0) {
      this.stats.calls++;
      this.stats.assignments += missing.length;
      const assignments = missing.map((i) =>
        assignmentFor(this.ctx, items[i]!.gpu, items[i]!.members, items[i]!.engine),
      );
      const ests = await this.estimator.estimate(assignments, this.signal);
      missing.forEach((i, j) => this.cache.set(keys[i]!, ests[j]!));
    }
    return items.map((it, i) => {
      const estimate = this.cache.get(keys[i]!)!;
      return { ...it, estimate, ok: this.acceptable(estimate) };
    });
  }

  /** Prefer acceptable; then throughput ratio (saturating at 0.985, where every GPU keeps up); then low TTFT; then fewer slots. */
  better(a: Candidate, b: Candidate): boolean {
    if (a.ok !== b.ok) return a.ok;
    const ra = ratioOf(a.estimate);
    const rb = ratioOf(b.estimate);
    const ca = Math.min(ra, 0.985);
    const cb = Math.min(rb, 0.985);
    if (Math.abs(ca - cb) > 1e-9) return ca > cb;
    if (a.estimate.ttftP99Ms !== b.estimate.ttftP99Ms)
      return a.estimate.ttftP99Ms < b.estimate.ttftP99Ms;
    return a.engine.maxLoras < b.engine.maxLoras;
  }

  /** `--max-loras` candidates around `hint` within [1, limit]: up to `below` grid steps below and `above` above, plus `limit`. */
  static gridAround(hint: number, limit: number, below = 2, above = 2): number[] {
    if (limit <= 0) return [];
    const grid = MAX_LORAS_GRID.filter((g) => g < limit);
    grid.push(limit);
    let i = grid.findIndex((g) => g >= hint);
    if (i < 0) i = grid.length - 1;
    const out = new Set<number>();
    for (let j = Math.max(0, i - below); j <= Math.min(grid.length - 1, i + above); j++)
      out.add(grid[j]!);
    out.add(limit);
    return [...out].sort((a, b) => a - b);
  }

  /** The slot limit (`--max-loras` upper bound) of a GPU with these members. */
  slotLimit(gpu: GpuId, members: readonly AdapterInfo[]): number {
    const cap = maxLorasCap(this.ctx, gpu, maxLoraRankFor(this.ctx, members));
    if (this.ctx.fixed.maxLoras !== undefined) return cap;
    return Math.min(cap, Math.max(1, members.length));
  }

  /**
   * Best engine flags for `members` on `gpu`: evaluates `--max-loras` around `hint` and moves
   * the window while the best sits at its edge (at most `rounds` extra batches).
   * Returns null when the model does not fit on this GPU at all.
   */
  async tuneEngine(
    gpu: GpuId,
    members: AdapterInfo[],
    hint: number,
    rounds = 2,
    width = 2,
  ): Promise<{ best: Candidate; tried: Candidate[] } | null> {
    const limit = this.slotLimit(gpu, members);
    if (limit <= 0) return null;
    if (this.ctx.fixed.maxLoras !== undefined) {
      const [c] = await this.evaluate([
        { gpu, members, engine: engineFor(this.ctx, members, limit) },
      ]);
      return { best: c!, tried: [c!] };
    }
    const tried = new Map<number, Candidate>();
    let values = Evaluator.gridAround(Math.min(hint, limit), limit, width, width);
    let best: Candidate | null = null;
    for (let round = 0; round <= rounds; round++) {
      const todo = values.filter((v) => !tried.has(v));
      if (todo.length === 0) break;
      const cands = await this.evaluate(
        todo.map((v) => ({ gpu, members, engine: engineFor(this.ctx, members, v) })),
      );
      for (const c of cands) {
        tried.set(c.engine.maxLoras, c);
        if (!best || this.better(c, best)) best = c;
      }
      const sorted = [...tried.keys()].sort((a, b) => a - b);
      const b = best!.engine.maxLoras;
      if (b === sorted[0] && b > 1) values = Evaluator.gridAround(b, limit, width + 1, 0);
      else if (b === sorted[sorted.length - 1] && b < limit)
        values = Evaluator.gridAround(b, limit, 0, width + 1);
      else break;
    }
    return { best: best!, tried: [...tried.values()] };
  }

  /**
   * The largest prefix of `pool` one `gpu` takes acceptably, with its tuned flags.
   * `hint.demand` is a guess of the demand it can take (e.g. the previous GPU's);
   * `hint.maxLoras` seeds the flag search. When not even the first adapter is acceptable,
   * returns k = 1 with `ok: false` (the adapter alone is the best this GPU can do). `hi` is
   * the shortest prefix found unacceptable (n + 1 when none was).
   * Returns null when the model does not fit on this GPU.
   */
  async fill(
    gpu: GpuId,
    pool: AdapterInfo[],
    hint: { demand?: number; maxLoras?: number; tolerance?: number; maxDemand?: number } = {},
  ): Promise<{ k: number; best: Candidate; hi: number } | null> {
    const n = pool.length;
    if (n === 0) return null;
    const prefix = prefixDemand(pool);
    const tol = hint.tolerance ?? 0.03;
    let mlHint = hint.maxLoras ?? 32;
    let lo = 0;
    let loBest: Candidate | null = null;
    let hi = n + 1;
    if (hint.maxDemand !== undefined) {
      // never more demand than this (one adapter always passes the cap)
      hi = Math.min(hi, Math.max(2, prefixAtMost(prefix, hint.maxDemand) + 1));
    }
    let k =
      hint.demand !== undefined ? Math.max(1, prefixAtMost(prefix, hint.demand)) : Math.min(n, 16);
    k = Math.min(n, hi - 1, Math.max(1, k));
    let firstFail: Candidate | null = null;
    for (let probes = 0; probes < 24; probes++) {
      const members = pool.slice(0, k);
      const tuned = await this.tuneEngine(gpu, members, mlHint, 1, 1);
      if (!tuned) return null;
      const { best } = tuned;
      mlHint = best.engine.maxLoras;
      if (best.ok) {
        lo = k;
        loBest = best;
        if (k === n || k === hi - 1) break;
      } else {
        hi = k;
        if (k === 1) firstFail = best;
      }
      if (hi - lo <= Math.max(1, Math.floor(lo * tol))) break;
      let next: number;
      if (hi === n + 1) {
        // no upper bound yet: grow by demand (faster while the GPU keeps up easily)
        const r = ratioOf(best.estimate);
        const grow = r >= 0.985 ? 1.5 : 1.12;
        next = Math.max(k + 1, prefixAtMost(prefix, prefix[k]! * grow));
      } else if (!best.ok && best.estimate.fits) {
        // an overloaded GPU serves about its capacity: aim just under what that allows
        const cap = best.estimate.throughputTokS / (STARVATION_RATIO + this.margin);
        next = prefixAtMost(prefix, cap * 0.99);
        if (next <= lo || next >= hi) next = (lo + hi) >> 1;
      } else {
        next = (lo + hi) >> 1;
      }
      k = Math.min(n, Math.max(lo + 1, Math.min(hi - 1, next)));
      if (k <= lo || k >= hi) break;
    }
    if (!loBest) {
      if (!firstFail) {
        const t = await this.tuneEngine(gpu, pool.slice(0, 1), mlHint);
        if (!t) return null;
        firstFail = t.best;
      }
      return { k: 1, best: firstFail, hi: 1 };
    }
    // final flags: a wider search at the chosen size
    const wide = await this.tuneEngine(gpu, pool.slice(0, lo), loBest.engine.maxLoras, 2, 2);
    if (wide && wide.best.ok && this.better(wide.best, loBest)) loBest = wide.best;
    return { k: lo, best: loBest, hi };
  }

  /** Σ demand helper re-exported for callers. */
  static demand(members: readonly AdapterInfo[]): number {
    return demandOf(members);
  }
}

/** Estimated throughput / demand (1 for an empty GPU). */
export function ratioOf(e: GpuEstimate): number {
  return e.demandTokS > 0 ? e.throughputTokS / e.demandTokS : 1;
}
