/**
 * Collectors for the twin's metrics, defined as vLLM's `benchmark_serving.py` reports them
 * for the measured runs: TTFT per finished request; ITL over every inter-token gap of
 * finished requests (mean exact; percentiles from all gaps); plus a down-sampled time series.
 */
import type { Histogram, LatencyStats, TimePoint } from "./types";

/** A growable Float64Array (no per-sample allocation). */
export class FloatList {
  private data: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** p in [0, 1] of sorted values, nearest-rank with linear interpolation (numpy's default). */
function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** mean/p50/p99 of unweighted samples (ms). */
export function latencyStats(samples: Float64Array): LatencyStats {
  if (samples.length === 0) return { mean: 0, p50: 0, p99: 0 };
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    mean: sum / sorted.length,
    p50: quantileSorted(sorted, 0.5),
    p99: quantileSorted(sorted, 0.99),
  };
}

/**
 * Weighted samples (value, weight): percentiles of the distribution where each value
 * occurs `weight` times (one entry per engine step, weight = tokens it emitted).
 */
export function weightedQuantiles(
  values: Float64Array,
  weights: Float64Array,
  ps: readonly number[],
): number[] {
  const n = values.length;
  if (n === 0) return ps.map(() => 0);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a]! - values[b]!);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  const out: number[] = [];
  let acc = 0;
  let j = 0;
  for (const p of ps) {
    const target = p * total;
    while (j < n - 1 && acc + weights[order[j]!]! < target) {
      acc += weights[order[j]!]!;
      j++;
    }
    out.push(values[order[j]!]!);
  }
  return out;
}

/** Samples the engine state at evenly spaced times (≤ `points` points over the window). */
export class TimeSeries {
  readonly points: TimePoint[] = [];
  private readonly interval: number;
  private nextT: number;
  private tokensSince = 0;
  private lastT = 0;

  constructor(durationS: number, points: number) {
    this.interval = durationS / points;
    this.nextT = this.interval;
  }

  /** Count tokens processed by a step that ended at `t`. */
  addTokens(tokens: number): void {
    this.tokensSince += tokens;
  }

  /** Emit every sample point ≤ `t` with the given state. */
  advance(t: number, waiting: number, running: number, kvUsage: number): void {
    while (this.nextT <= t + 1e-12) {
      const span = this.nextT - this.lastT;
      this.points.push({
        t: this.nextT,
        waiting,
        running,
        kvUsage,
        throughputTokS: span > 0 ? this.tokensSince / span : 0,
      });
      this.tokensSince = 0;
      this.lastT = this.nextT;
      this.nextT += this.interval;
    }
  }
}

/**
 * Histogram of weighted samples on `bins` log-spaced bins from the smallest to the largest
 * positive value (ms). Empty input gives empty arrays.
 */
export function logHistogram(
  values: Float64Array,
  weights: Float64Array | null,
  bins = 40,
): Histogram {
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > 0) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi > 0)) return { edges: [], counts: [] };
  if (hi <= lo) hi = lo * 1.01;
  const logLo = Math.log(lo);
  const step = (Math.log(hi) - logLo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => Math.exp(logLo + i * step));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const b = v > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((Math.log(v) - logLo) / step))) : 0;
    counts[b]! += weights ? weights[i]! : 1;
  }
  return { edges, counts };
}
