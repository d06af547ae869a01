/**
 * Small values shared by the planner, its workers and the app's main thread (no twin code, so
 * the main-thread bundle can import them).
 */
import type { TwinResult } from "../twin/types";
import type { GpuEstimate, TwinVerdict } from "./types";

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
