/**
 * Contract of the placement planner: a fleet request (which adapters, which GPU types,
 * what objective) and a plan (which adapters on which GPU, with which vLLM flags, and
 * what the surrogate estimated and the twin verified for each GPU).
 */
import type { GpuId, ModelId } from "../catalog/ids";
import type { Adapter, EngineInput, LengthProfile, Arrival } from "../scenario/schema";
import type { TwinResult } from "../twin/types";

/** A GPU type the planner may use, with its price and how many are available. */
export interface GpuOffer {
  gpu: GpuId;
  /** $/h per GPU (defaults to the catalog's typical price) */
  costPerHour?: number;
  /** most GPUs of this type the plan may use (default: unlimited) */
  maxCount?: number;
}

/** What the plan optimises. Latency SLOs are limits every GPU must meet, on top of min-gpus. */
export type Objective =
  | "min-gpus"
  | "min-cost"
  | { ttftP99Ms?: number; itlP99Ms?: number };

/** Fleet-wide load generator settings shared by every GPU's scenario. */
export interface FleetWorkload {
  /** simulated window of each verification run, s */
  durationS?: number;
  seed?: number;
  lengths?: LengthProfile;
  arrival?: Arrival;
  maxPendingRequests?: number;
  adapters: Adapter[];
}

/** Input of the planner (the `plan` CLI's fleet file once a trace is mapped to adapters). */
export interface FleetRequest {
  model: ModelId;
  gpuTypes: GpuOffer[];
  objective?: Objective;
  /** engine flags fixed by the user; the planner chooses the others per GPU */
  engine?: EngineInput;
  workload: FleetWorkload;
}

/** The per-GPU engine flags the planner chose. */
export interface PlannedEngine {
  maxLoras: number;
  maxCpuLoras: number;
  maxLoraRank: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  gpuMemoryUtilization: number;
  maxModelLen: number;
}

/** A quick estimate of one GPU's assignment (surrogate, or the twin when the surrogate is unsure). */
export interface GpuEstimate {
  source: "surrogate" | "twin";
  throughputTokS: number;
  /** demanded tokens/s of the adapters on this GPU */
  demandTokS: number;
  starvedProbability: number;
  starved: boolean;
  ttftP99Ms: number;
  itlP99Ms: number;
  fits: boolean;
  kvCacheTokens: number;
  outOfDistribution: boolean;
}

/** One GPU of a plan. */
export interface PlannedGpu {
  gpu: GpuId;
  engine: PlannedEngine;
  /** adapter ids placed on this GPU */
  adapters: string[];
  estimate: GpuEstimate;
  /** the twin's verdict for this GPU (absent until verified) */
  verified?: Pick<
    TwinResult,
    | "throughputTokS"
    | "idealThroughputTokS"
    | "starved"
    | "ttftMs"
    | "itlMs"
    | "memory"
    | "preemptions"
    | "extrapolated"
    | "wallMs"
  >;
  /** why this GPU is unacceptable (starved, out of memory, SLO missed), or null */
  problem: string | null;
  /** the `vllm serve` arguments that realise it */
  vllmArgs: string;
}

export interface BaselineResult {
  gpuCount: number;
  starvedGpus: number;
  costPerHour: number;
}

/** The planner's answer. */
export interface Plan {
  model: ModelId;
  gpuCount: number;
  costPerHour: number;
  /** Σ demanded tokens/s ÷ best per-GPU throughput the twin finds for this mix, rounded up */
  lowerBoundGpus: number;
  starvedGpus: number;
  gpus: PlannedGpu[];
  baselines: Record<string, BaselineResult>;
  wallMs: number;
}
