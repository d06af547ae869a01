/**
 * Contract of the placement planner: a fleet request (which adapters, which GPU types,
 * what objective) and a plan (which adapters on which GPU, with which vLLM flags, and
 * what the estimator estimated and the twin verified for each GPU).
 *
 * Two seams keep the planner independent of how performance is predicted:
 * - an {@link Estimator} answers "what would the twin say about this GPU?" quickly (the
 *   twin on a shorter window today, the TF.js surrogate later);
 * - a {@link Verifier} runs the twin on the full window for every GPU of a plan, in
 *   parallel workers (worker_threads in Node, Web Workers in the browser).
 */
import type { GpuId, ModelId } from "../catalog/ids";
import type {
  Adapter,
  Arrival,
  EngineInput,
  LengthProfile,
  Scenario,
  TraceReplay,
} from "../scenario/schema";
import type { TwinResult } from "../twin/types";

/** A GPU type the planner may use, with its price and how many are available. */
export interface GpuOffer {
  gpu: GpuId;
  /** $/h per GPU (defaults to the catalog's typical price) */
  costPerHour?: number;
  /** most GPUs of this type the plan may use (default: unlimited) */
  maxCount?: number;
}

/**
 * What the plan optimises. Latency SLOs are limits every GPU must meet (p99 over the twin's
 * window, ms), on top of fewest GPUs (`minimize: "gpus"`, the default) or lowest $/h
 * (`minimize: "cost"`).
 */
export type Objective =
  | "min-gpus"
  | "min-cost"
  | { ttftP99Ms?: number; itlP99Ms?: number; minimize?: "gpus" | "cost" };

/** Fleet-wide load generator settings shared by every GPU's scenario. */
export interface FleetWorkload {
  /** simulated window of each verification run, s */
  durationS?: number;
  seed?: number;
  lengths?: LengthProfile;
  arrival?: Arrival;
  maxPendingRequests?: number;
  adapters: Adapter[];
  /**
   * Recorded requests to replay in verification instead of sampled arrivals (`adapter`
   * indexes `adapters`), e.g. an imported trace. Estimates use Poisson arrivals at each
   * adapter's `rateRps`; every GPU's verification replays its adapters' requests.
   */
  trace?: TraceReplay;
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
  /**
   * Throughput the twin would report for this GPU over the fleet's full window
   * (`workload.durationS`), tokens/s. `throughputTokS / demandTokS < 0.9` is starvation.
   */
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

/** The twin's verdict for one GPU (what a plan keeps of a full-window run). */
export type TwinVerdict = Pick<
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

/** One GPU of a plan. */
export interface PlannedGpu {
  gpu: GpuId;
  engine: PlannedEngine;
  /** adapter ids placed on this GPU */
  adapters: string[];
  estimate: GpuEstimate;
  /** the twin's verdict for this GPU (absent until verified) */
  verified?: TwinVerdict;
  /** why this GPU is unacceptable (starved, out of memory, SLO missed), or null */
  problem: string | null;
  /** the `vllm serve` arguments that realise it */
  vllmArgs: string;
  /** $/h of this GPU */
  costPerHour?: number;
  /** demanded tokens/s of its adapters */
  demandTokS?: number;
}

export interface BaselineResult {
  gpuCount: number;
  /** starved (or out-of-memory, or SLO-violating) GPUs after twin verification; estimated when not verified */
  starvedGpus: number;
  costPerHour: number;
  /** true when `starvedGpus` comes from full-window twin runs, false when from the estimator */
  verified?: boolean;
  /** how the GPU count was chosen */
  sizing?: string;
  /** adapter ids per GPU */
  gpus?: string[][];
  planMs?: number;
  verifyMs?: number;
}

/** How the lower bound was computed. */
export interface LowerBound {
  /** ⌈Σ demand ÷ best per-GPU throughput⌉ */
  gpus: number;
  /** ⌈0.9 × Σ demand ÷ best per-GPU throughput⌉: what the starvation rule strictly requires */
  strictGpus: number;
  /** $/h of serving the demand with the cheapest tokens first (best throughput and price of each type, within maxCount; fractional GPUs) */
  costPerHour?: number;
  /** the bound of each offered GPU type on its own */
  byType?: Array<{ gpu: GpuId; gpus: number; bestGpuThroughputTokS: number; costPerHour: number }>;
  /** Σ demanded tokens/s of the workload */
  demandTokS: number;
  /** the best per-GPU throughput the twin found for this workload's mix, tokens/s */
  bestGpuThroughputTokS: number;
  gpu: GpuId;
  engine: PlannedEngine;
  /** adapters on the probed GPU */
  adapters: number;
  method: string;
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
  objective?: Objective;
  /** Σ demanded tokens/s of the workload */
  demandTokS?: number;
  lowerBound?: LowerBound;
  /** ms spent placing our GPUs (estimator calls included; not the lower bound, baselines or verification) */
  planMs?: number;
  /** ms spent on the lower bound's twin runs */
  lowerBoundMs?: number;
  /** ms spent verifying our GPUs with the twin (repairs and verified consolidation included) */
  verifyMs?: number;
  /** ms of the first full verification pass over every GPU */
  firstVerifyMs?: number;
  /** estimator name and number of assignments it was asked about */
  estimator?: { name: string; calls: number; assignments: number };
  /** after verification: repair rounds, adapters moved and GPUs added to fix problems, GPUs removed by verified consolidation */
  repairs?: { rounds: number; movedAdapters: number; addedGpus: number; removedGpus?: number };
  /** GPUs our greedy found with each adapter order (before verification) */
  orderings?: Record<string, number>;
  /** notes for the user (e.g. an adapter too hot for one GPU) */
  notes?: string[];
}

/**
 * One GPU's assignment as an estimator sees it: self-contained (model, GPU, complete engine
 * flags, the adapters with their ranks and rates, and the fleet's load settings).
 */
export interface GpuAssignment {
  model: ModelId;
  gpu: GpuId;
  engine: PlannedEngine;
  adapters: Adapter[];
  workload: {
    /** the verification window the estimate is for, s */
    durationS: number;
    seed: number;
    lengths: LengthProfile;
    arrival: Arrival;
    maxPendingRequests?: number;
  };
}

/** Fast performance estimates of GPU assignments (twin on a short window; surrogate). */
export interface Estimator {
  readonly name: string;
  /** One estimate per assignment, in order. Must not throw for valid assignments. */
  estimate(assignments: readonly GpuAssignment[], signal?: AbortSignal): Promise<GpuEstimate[]>;
}

/** Runs the twin on complete scenarios (the full window), typically in parallel workers. */
export interface Verifier {
  /**
   * One verdict per scenario, in order. `onResult` is called as each finishes (any order).
   * Rejects with an AbortError when `signal` aborts.
   */
  verify(
    scenarios: readonly Scenario[],
    opts?: { signal?: AbortSignal; onResult?: (index: number, verdict: TwinVerdict) => void },
  ): Promise<TwinVerdict[]>;
}

/** Runs the twin on complete scenarios and returns whole results (estimators use this). */
export type TwinRunner = (
  scenarios: readonly Scenario[],
  opts?: { signal?: AbortSignal; timeSeriesPoints?: number },
) => Promise<TwinResult[]>;

export type PlanPhase =
  "prepare" | "lower-bound" | "paper-greedy" | "ours" | "verify" | "repair" | "baselines" | "done";

export interface PlanProgress {
  phase: PlanPhase;
  /** 0..1 of the whole run (rough) */
  fraction: number;
  message: string;
  /** GPUs of our plan so far */
  gpus?: number;
}

/** Names of the baselines a plan can report. */
export const BASELINE_NAMES = [
  "round-robin",
  "least-loaded",
  "loraserve",
  "first-fit-memory",
  "paper-greedy",
] as const;
export type BaselineName = (typeof BASELINE_NAMES)[number];

export interface PlanOptions {
  estimator: Estimator;
  /** full-window twin verification (default: the twin in this thread, one GPU at a time) */
  verifier?: Verifier;
  onProgress?: (p: PlanProgress) => void;
  signal?: AbortSignal;
  /** which baselines to compute (default: all); `false`: none */
  baselines?: boolean | readonly BaselineName[];
  /** verify baselines with the full-window twin too (default true when baselines are computed) */
  verifyBaselines?: boolean;
  /** skip verification and repair (estimates only) */
  skipVerify?: boolean;
  /**
   * Required estimated throughput / demand for a GPU to count as safe, on top of the
   * starvation threshold 0.9 (default 0.03: commit at ≥ 0.93).
   */
  safetyMargin?: number;
  /** most repair rounds after verification (default 5) */
  maxRepairRounds?: number;
}
