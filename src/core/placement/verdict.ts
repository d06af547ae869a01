/**
 * Small values shared by the planner, its workers and the app's main thread (no twin code, so
 * the main-thread bundle can import them).
 */
import { STARVATION_THRESHOLD } from "../twin/starvation";
import type { TwinResult } from "../twin/types";
import type { GpuEstimate, TwinVerdict } from "./types";

/** The twin's starvation rule ({@link STARVATION_THRESHOLD}): throughput below 90% of the ideal. */
export const STARVATION_RATIO = STARVATION_THRESHOLD;

/**
 * Share of its demand a verified GPU served over the window: throughput ÷ the tokens its
 * arrived requests asked for (1 when nothing arrived).
 */
export function servedShare(
  v: Pick<TwinVerdict, "throughputTokS" | "idealThroughputTokS">,
): number {
  return v.idealThroughputTokS > 0 ? v.throughputTokS / v.idealThroughputTokS : 1;
}

/**
 * Why a verified GPU is unacceptable, or null: out of memory, starved (below
 * {@link STARVATION_RATIO} of its demand), or over a latency SLO (`slo`, ms; absent = none).
 * One function for the planner (`problemOf`) and the app's main thread.
 */
export function verdictProblem(
  v: Pick<
    TwinVerdict,
    "memory" | "starved" | "throughputTokS" | "idealThroughputTokS" | "ttftMs" | "itlMs"
  >,
  slo: { ttftP99Ms?: number; itlP99Ms?: number },
): string | null {
  if (!v.memory.fits) return `out of memory: ${v.memory.reason ?? "vLLM would not start"}`;
  if (v.starved) {
    const pct = v.idealThroughputTokS > 0 ? (100 * v.throughputTokS) / v.idealThroughputTokS : 0;
    return (
      `starved: serves ${Math.round(v.throughputTokS)} of ${Math.round(v.idealThroughputTokS)} tokens/s ` +
      `(${pct.toFixed(1)}%, below ${100 * STARVATION_RATIO}%)`
    );
  }
  if (slo.ttftP99Ms !== undefined && v.ttftMs.p99 > slo.ttftP99Ms) {
    return `TTFT p99 ${Math.round(v.ttftMs.p99)} ms exceeds the ${slo.ttftP99Ms} ms SLO`;
  }
  if (slo.itlP99Ms !== undefined && v.itlMs.p99 > slo.itlP99Ms) {
    return `ITL p99 ${v.itlMs.p99.toFixed(1)} ms exceeds the ${slo.itlP99Ms} ms SLO`;
  }
  return null;
}

/** The estimate of a GPU not estimated yet (or with no adapters): zeros, fits, not starved. */
export const EMPTY_ESTIMATE: Readonly<GpuEstimate> = {
  source: "twin",
  throughputTokS: 0,
  demandTokS: 0,
  starvedProbability: 0,
  starved: false,
  ttftP99Ms: 0,
  itlP99Ms: 0,
  fits: true,
  kvCacheTokens: 0,
  outOfDistribution: false,
};

/** What a plan keeps of a full-window twin run. */
export function verdictOf(r: TwinResult): TwinVerdict {
  return {
    throughputTokS: r.throughputTokS,
    idealThroughputTokS: r.idealThroughputTokS,
    starved: r.starved,
    ttftMs: r.ttftMs,
    itlMs: r.itlMs,
    memory: r.memory,
    preemptions: r.preemptions,
    extrapolated: r.extrapolated,
    wallMs: r.wallMs,
  };
}
