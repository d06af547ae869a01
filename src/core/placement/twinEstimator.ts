/**
 * The twin as the planner's estimator and verifier.
 *
 * Estimator: the twin on a shorter window W (default 300 s) than the fleet's D (default
 * 3600 s), projected to D. Throughput over a window counts only requests finished inside it,
 * so what matters is the backlog (requests waiting or running) at the end of the window:
 * the D-long run reports throughput / ideal = 1 − backlog(D) / (demand × D). A short window
 * cannot be read directly (a 300 s window loses as many tokens to the same backlog as an
 * hour), so the backlog is projected:
 *
 *   backlog(D) = backlog(W) + max(0, slope) × (D − W)        (in requests × mean tokens)
 *
 * where slope is the least-squares trend of waiting + running requests over the second half
 * of W: 0 when the queue is stationary (the GPU keeps up, whatever its queue length), the
 * growth rate when it is overloaded. A transient still filling up at W reads as growth, so
 * the projection errs towards starvation; on 45 random single-GPU configurations it never
 * accepted (≥ 0.93) one that an hour-long run found starved.
 */
import { InputError } from "../scenario/errors";
import { loadScenario } from "../scenario/resolve";
import type { Scenario } from "../scenario/schema";
import { simulate, STARVATION_THRESHOLD } from "../twin/simulate";
import type { TwinResult } from "../twin/types";
import { scenarioOfAssignment } from "./scenario";
import type { Estimator, GpuAssignment, GpuEstimate, TwinRunner, Verifier } from "./types";
import { servedShare, verdictOf } from "./verdict";
import { createLengthSampler } from "../workload/lengths";
import type { LengthProfile } from "../scenario/schema";

export { EMPTY_ESTIMATE, verdictOf } from "./verdict";

/** Yield to the event loop (lets an abort or a progress repaint through between runs). */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The plan was cancelled", "AbortError");
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** Run scenarios one after the other in this thread (Node, a worker, or a test). */
export const inThreadRunner: TwinRunner = async (scenarios, opts = {}) => {
  const out: TwinResult[] = [];
  for (const s of scenarios) {
    checkAborted(opts.signal);
    await yieldToLoop();
    checkAborted(opts.signal);
    out.push(simulate(loadScenario(s), { timeSeriesPoints: opts.timeSeriesPoints ?? 50 }));
  }
  return out;
};

/** A verifier over any runner (default: this thread, one GPU at a time). */
export function runnerVerifier(runner: TwinRunner = inThreadRunner): Verifier {
  return {
    async verify(scenarios, opts = {}) {
      const results = await runner(scenarios, { signal: opts.signal, timeSeriesPoints: 2 });
      const verdicts = results.map(verdictOf);
      verdicts.forEach((v, i) => opts.onResult?.(i, v));
      return verdicts;
    },
  };
}

/** The in-thread verifier: full-window twin runs, one GPU at a time. */
export const inThreadVerifier: Verifier = runnerVerifier(inThreadRunner);

export interface TwinEstimatorOptions {
  /** simulated window of each estimate, s (default 300; capped at the fleet's window) */
  windowS?: number;
  /** where the twin runs (default: this thread); pass a worker pool's runner to parallelise */
  runner?: TwinRunner;
}

const meanCache = new WeakMap<LengthProfile, Map<number, number>>();

function meanTokens(p: LengthProfile, maxModelLen: number): number {
  let m = meanCache.get(p);
  if (!m) meanCache.set(p, (m = new Map()));
  let v = m.get(maxModelLen);
  if (v === undefined) {
    const s = createLengthSampler(p, { maxModelLen }).mean();
    v = s.prompt + s.output;
    m.set(maxModelLen, v);
  }
  return v;
}

/** Demanded tokens/s of an assignment: Σ rate × mean tokens. */
export function assignmentDemand(a: GpuAssignment): number {
  let d = 0;
  for (const ad of a.adapters) {
    d += ad.rateRps * meanTokens(ad.lengths ?? a.workload.lengths, a.engine.maxModelLen);
  }
  return d;
}

/**
 * Project a W-window run to the throughput / ideal ratio a D-window run reports (see the
 * file comment). `demand` is the analytic demand (tokens/s), `meanTok` the mean tokens per
 * request.
 */
export function projectRatio(
  r: TwinResult,
  windowS: number,
  fullS: number,
  demand: number,
  meanTok: number,
): number {
  if (demand <= 0 || r.arrivedRequests === 0) return 1;
  if (windowS >= fullS) return servedShare(r);
  // Backlog growth: least-squares slope of (waiting + running) over the second half of W.
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of r.timeSeries) {
    if (p.t < windowS / 2 - 1e-9) continue;
    const y = p.waiting + p.running;
    n++;
    sx += p.t;
    sy += y;
    sxx += p.t * p.t;
    sxy += p.t * y;
  }
  const den = n * sxx - sx * sx;
  const slope = n >= 3 && den > 0 ? (n * sxy - sx * sy) / den : 0;
  const u = r.unfinished;
  const backlogNow = (u.running + u.waiting + u.heldBack) * meanTok;
  const backlogEnd = backlogNow + Math.max(0, slope) * meanTok * (fullS - windowS);
  return Math.max(0, Math.min(1, 1 - backlogEnd / (demand * fullS)));
}

/** Smooth starvation probability from a projected ratio (σ ≈ the short window's noise). */
export function starvationProbability(ratio: number, sigma = 0.015): number {
  return 1 / (1 + Math.exp((ratio - STARVATION_THRESHOLD) / sigma));
}

/** Convert one (projected) twin run into an estimate. */
export function estimateFromRun(a: GpuAssignment, r: TwinResult, windowS: number): GpuEstimate {
  const demand = assignmentDemand(a);
  const meanTok =
    a.adapters.length > 0
      ? demand /
        Math.max(
          1e-12,
          a.adapters.reduce((s, x) => s + x.rateRps, 0),
        )
      : 0;
  const fits = r.memory.fits;
  const ratio = fits ? projectRatio(r, windowS, a.workload.durationS, demand, meanTok) : 0;
  const starved = demand > 0 && ratio < STARVATION_THRESHOLD;
  return {
    source: "twin",
    throughputTokS: ratio * demand,
    demandTokS: demand,
    starvedProbability: demand > 0 ? (fits ? starvationProbability(ratio) : 1) : 0,
    starved: fits ? starved : demand > 0,
    ttftP99Ms: r.ttftMs.p99,
    itlP99Ms: r.itlMs.p99,
    fits,
    kvCacheTokens: r.memory.kvCacheTokens,
    outOfDistribution: false,
  };
}

/** The twin as an {@link Estimator}: W-window runs projected to the fleet's window. */
export function createTwinEstimator(opts: TwinEstimatorOptions = {}): Estimator {
  const windowS = opts.windowS ?? 300;
  if (!(windowS > 0)) throw new InputError("windowS", `must be positive (got ${windowS})`);
  const runner = opts.runner ?? inThreadRunner;
  return {
    name: `twin-${windowS}s`,
    async estimate(assignments, signal) {
      const windows = assignments.map((a) => Math.min(windowS, a.workload.durationS));
      const scenarios: Scenario[] = assignments.map((a, i) => scenarioOfAssignment(a, windows[i]));
      const results = await runner(scenarios, { signal, timeSeriesPoints: 40 });
      return assignments.map((a, i) => estimateFromRun(a, results[i]!, windows[i]!));
    },
  };
}
