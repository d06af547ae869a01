/**
 * Training data from the twin: run the design's scenarios, keep each one's features and
 * the twin's answers. Parallel through a {@link SampleRunner} (worker_threads in Node, Web
 * Workers in the browser; inline by default), deterministic whatever the runner: rows are
 * stored by sample index.
 */
import { loadScenario } from "../scenario/resolve";
import { simulate } from "../twin/simulate";
import type { TwinResult } from "../twin/types";
import { DESIGN_VERSION, designScenario, type DatasetSpec, type SampleInfo } from "./design";
import { extractFeatures, FEATURE_COUNT, FEATURE_NAMES, type ScenarioSummary } from "./features";

/** The twin's answers for one scenario (the surrogate's targets). */
export interface Labels {
  /** tokens/s */
  throughputTokS: number;
  /** realised ideal: requested tokens of arrived requests / window, tokens/s */
  idealTokS: number;
  /** expected ideal from the rates (what the surrogate can know), tokens/s */
  demandTokS: number;
  starved: boolean;
  /**
   * A soft starvation target in [0, 1] instead of `starved` (rows labelled by a teacher
   * network in distillation, `distill.ts`: its probability); absent for twin rows.
   */
  starvedProbability?: number;
  /** ms; 0 when no request finished */
  itlMeanMs: number;
  itlP99Ms: number;
  ttftMeanMs: number;
  ttftP99Ms: number;
  arrived: number;
  finished: number;
}

/** One sample: where it came from, what the network sees, what the twin said. */
export interface DatasetRow {
  index: number;
  features: number[];
  labels: Labels;
  info: SampleInfo;
  /** twin wall time, ms */
  twinMs: number;
}

export interface Dataset {
  /** format of this object */
  format: "lfp-surrogate-dataset";
  designVersion: number;
  spec: DatasetSpec;
  featureNames: string[];
  rows: DatasetRow[];
  /** total twin wall time, ms (summed over samples) */
  twinMs: number;
}

/** The targets of a twin result. */
export function labelsOf(r: TwinResult, summary: ScenarioSummary): Labels {
  return {
    throughputTokS: r.throughputTokS,
    idealTokS: r.idealThroughputTokS,
    demandTokS: summary.demandTokS,
    starved: r.starved,
    itlMeanMs: r.itlMs.mean,
    itlP99Ms: r.itlMs.p99,
    ttftMeanMs: r.ttftMs.mean,
    ttftP99Ms: r.ttftMs.p99,
    arrived: r.arrivedRequests,
    finished: r.finishedRequests,
  };
}

/** One unit of work for a runner. */
export interface SampleTask {
  spec: DatasetSpec;
  index: number;
}

/** Make and simulate sample `task.index` (pure; what every runner executes). */
export function runSample(task: SampleTask): DatasetRow {
  const { scenario, info } = designScenario(task.spec, task.index);
  const resolved = loadScenario(scenario);
  const x = new Float32Array(FEATURE_COUNT);
  const summary = extractFeatures(resolved, x);
  const r = simulate(resolved, { timeSeriesPoints: 1 });
  return {
    index: task.index,
    features: Array.from(x),
    labels: labelsOf(r, summary),
    info,
    twinMs: r.wallMs,
  };
}

/** Executes sample tasks, possibly in parallel (at most `concurrency` at once). */
export interface SampleRunner {
  concurrency: number;
  run(task: SampleTask): Promise<DatasetRow>;
}

/** Runs tasks on the calling thread, yielding between samples so progress and abort get through. */
export const inlineRunner: SampleRunner = {
  concurrency: 1,
  run: async (task) => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    return runSample(task);
  },
};

export interface GenerateProgress {
  done: number;
  total: number;
  /** twin wall time so far, ms (summed over samples) */
  twinMs: number;
  /** wall time since the start, ms */
  elapsedMs: number;
}

export interface GenerateOptions {
  runner?: SampleRunner;
  onProgress?: (p: GenerateProgress) => void;
  signal?: AbortSignal;
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}

/**
 * Generate a dataset: run samples
 * `offset … offset + samples − 1` of the design. Rejects with the signal's reason when aborted
 * (samples already running finish but are dropped).
 */
export async function generateDataset(
  spec: DatasetSpec,
  opts: GenerateOptions = {},
): Promise<Dataset> {
  const runner = opts.runner ?? inlineRunner;
  const t0 = performance.now();
  const offset = spec.offset ?? 0;
  const rows: DatasetRow[] = new Array(spec.samples);
  let next = 0;
  let done = 0;
  let twinMs = 0;
  const signal = opts.signal;
  const worker = async () => {
    while (next < spec.samples) {
      if (signal?.aborted) throw abortError(signal);
      const k = next++;
      const row = await runner.run({ spec, index: offset + k });
      if (signal?.aborted) throw abortError(signal);
      rows[k] = row;
      done++;
      twinMs += row.twinMs;
      opts.onProgress?.({ done, total: spec.samples, twinMs, elapsedMs: performance.now() - t0 });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, runner.concurrency) }, worker));
  return {
    format: "lfp-surrogate-dataset",
    designVersion: DESIGN_VERSION,
    spec,
    featureNames: [...FEATURE_NAMES],
    rows,
    twinMs,
  };
}

/**
 * Recompute every row's features with this build's {@link FEATURE_NAMES} (labels are kept):
 * sample i is reproducible from (spec, i), so a dataset outlives feature changes and only the
 * twin runs are expensive. Throws when the dataset comes from another design version.
 */
export function refreshFeatures(ds: Dataset): Dataset {
  if (ds.designVersion !== DESIGN_VERSION) {
    throw new Error(
      `dataset of design version ${ds.designVersion} cannot be refreshed by design version ${DESIGN_VERSION}; regenerate it`,
    );
  }
  const x = new Float32Array(FEATURE_COUNT);
  const rows = ds.rows.map((r) => {
    const { scenario } = designScenario(ds.spec, r.index);
    extractFeatures(loadScenario(scenario), x);
    return { ...r, features: Array.from(x) };
  });
  return { ...ds, featureNames: [...FEATURE_NAMES], rows };
}
