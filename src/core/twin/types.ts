/**
 * Result of one twin run: what the measured runs report, defined exactly as they
 * define it (`../shared/data/README.md`):
 * - throughput = (prompt + generated tokens of requests finished inside the window) / duration, tokens/s;
 * - TTFT and ITL over finished requests (ms), ITL over every inter-token gap;
 * - starved = throughput < 0.9 × ideal, ideal = all requested tokens of all arrived requests / duration.
 */
export interface LatencyStats {
  /** ms */
  mean: number;
  /** ms */
  p50: number;
  /** ms */
  p99: number;
}

/**
 * GPU memory plan of the server, as vLLM 0.8.5 computes it at start-up.
 * `fits: false` means vLLM would refuse to start; `reason` says why in vLLM's terms.
 */
export interface MemoryReport {
  fits: boolean;
  reason: string | null;
  /** KV-cache capacity, tokens (a multiple of the 16-token block) */
  kvCacheTokens: number;
  /** model weights, GiB */
  weightsGiB: number;
  /** LoRA slot reservation: maxLoras × adapter size at maxLoraRank, GiB */
  loraSlotsGiB: number;
  /** activation peak + CUDA graphs + non-torch reserve, GiB */
  reserveGiB: number;
  /** KV cache, GiB */
  kvCacheGiB: number;
  /** gpuMemoryUtilization × total memory, GiB */
  budgetGiB: number;
  /** total device memory, GiB */
  totalGiB: number;
}

/** One down-sampled point of the run's time series (≤ 500 points per run). */
export interface TimePoint {
  /** simulated time, s */
  t: number;
  /** requests in the engine's waiting queue */
  waiting: number;
  /** requests in the running batch */
  running: number;
  /** fraction of KV-cache blocks in use, 0..1 */
  kvUsage: number;
  /** tokens/s processed (prompt + generated) since the previous point */
  throughputTokS: number;
}

export interface TwinResult {
  /** (prompt + generated tokens of finished requests) / duration, tokens/s */
  throughputTokS: number;
  /** prompt tokens of finished requests / duration, tokens/s */
  inputThroughputTokS: number;
  /** generated tokens of finished requests / duration, tokens/s */
  outputThroughputTokS: number;
  /** finished requests / duration, req/s */
  requestThroughputRps: number;
  /** all requested tokens (prompt + output) of all arrived requests / duration, tokens/s */
  idealThroughputTokS: number;
  /** requests that arrived (were sent by the client) inside the window */
  arrivedRequests: number;
  /** requests finished inside the window */
  finishedRequests: number;
  /** throughput < 0.9 × ideal */
  starved: boolean;
  ttftMs: LatencyStats;
  itlMs: LatencyStats;
  memory: MemoryReport;
  /** preemptions by recompute (KV cache exhausted) */
  preemptions: number;
  /** adapter loads into a GPU slot (CPU → GPU) */
  adapterLoads: number;
  /** adapter loads from disk into the CPU cache */
  adapterDiskLoads: number;
  /** engine steps (forward passes) simulated */
  steps: number;
  /** mean requests in the running batch over the window */
  meanRunning: number;
  /** mean requests in the waiting queue over the window */
  meanWaiting: number;
  /** requests still running / waiting / held back by the client at the end (cancelled) */
  unfinished: { running: number; waiting: number; heldBack: number };
  /** true when the step-latency model is scaled from another GPU/model pair by the roofline rule */
  extrapolated: boolean;
  /** simulated window, s */
  simulatedS: number;
  /** wall time of the simulation, ms */
  wallMs: number;
  timeSeries: TimePoint[];
  /** TTFT and ITL distributions of finished requests (for charts) */
  distributions: { ttftMs: Histogram; itlMs: Histogram };
}

/**
 * A histogram on log-spaced bins: `counts[i]` samples fell in [edges[i], edges[i+1]) ms
 * (`edges.length === counts.length + 1`); samples outside the range go to the end bins.
 */
export interface Histogram {
  edges: number[];
  counts: number[];
}
