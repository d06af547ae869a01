/**
 * The UI's workers: one bridge per job kind, so cancelling a job (terminating its worker)
 * never touches another. The main thread only sends messages and renders.
 */
import * as Comlink from "comlink";
import type {
  GpuEstimate,
  LowerBound,
  Plan,
  PlannedGpu,
  PlanProgress,
  TwinVerdict,
} from "../../core/placement/types";
import type { ScenarioInput } from "../../core/scenario/schema";
import type { Dataset, GenerateProgress } from "../../core/surrogate/dataset";
import type { TrainOptions, TrainProgress } from "../../core/surrogate/train";
import type { TwinResult } from "../../core/twin/types";
import type { BackendProbe } from "../../core/surrogate/backend";
import { verdictOf } from "../../core/placement/verdict";
import type {
  EstimatedGpu,
  EstimatorMode,
  EstimatorReport,
  GpuToEstimate,
  PlanWorkerApi,
} from "../../../workers/plan.worker";
import type { PairSource } from "../../../workers/surrogateModels";
import type { SurrogateWorkerApi } from "../../../workers/surrogate.worker";
import type { TwinWorkerApi } from "../../../workers/twin.worker";
import { toFleetRequest, type FleetScenario } from "../fleet";
import type { CodecWorkerApi } from "./codec.worker";
import type { ToolsWorkerApi } from "./tools.worker";
import type { TraceImportOptions, TraceImportResult } from "./traceTypes";
import { WorkerBridge, WorkerPool } from "./workerBridge";

export type ProgressFn = (fraction: number, message: string) => void;

const twinFactory = () =>
  new Worker(new URL("../../../workers/twin.worker.ts", import.meta.url), {
    type: "module",
    name: "twin",
  });
const planFactory = () =>
  new Worker(new URL("../../../workers/plan.worker.ts", import.meta.url), {
    type: "module",
    name: "planner",
  });
const toolsFactory = () =>
  new Worker(new URL("./tools.worker.ts", import.meta.url), { type: "module", name: "tools" });

const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 2 : 2;

/** Twin workers for background work: one core is left to the main thread. */
export const TWIN_WORKERS = Math.max(1, Math.min(4, cores - 1));

/** Absolute URL of the app's `models/` directory (shipped surrogates). */
export function modelsBase(): string {
  return new URL("models/", document.baseURI).href;
}

/**
 * Twin verification after hand edits (background, parallel). One core is left to the main
 * thread: on a 2-core machine two busy workers would stretch every UI task into a long task.
 */
export const verifyPool = new WorkerPool<TwinWorkerApi>(twinFactory, TWIN_WORKERS, {
  name: "twin",
  idleMs: 15_000,
});
/** Quick estimates after a drag or a restored link: surrogate, twin fallback. Kept warm. */
export const estimateBridge = new WorkerBridge<PlanWorkerApi>(planFactory, {
  name: "estimator",
  idleMs: 120_000,
});
/** Twin details (time series) of the selected GPU. */
export const detailsBridge = new WorkerBridge<TwinWorkerApi>(twinFactory, {
  name: "twin details",
  idleMs: 15_000,
});
/** URL-hash encoding of large scenarios. */
export const codecBridge = new WorkerBridge<CodecWorkerApi>(
  () =>
    new Worker(new URL("./codec.worker.ts", import.meta.url), { type: "module", name: "codec" }),
  { name: "link encoder", idleMs: 30_000 },
);
/** Planning: `planFleet` with the surrogate and nested twin workers. Kept warm between plans. */
export const planBridge = new WorkerBridge<PlanWorkerApi>(planFactory, {
  name: "planner",
  idleMs: 60_000,
});
/** Trace import. */
export const traceBridge = new WorkerBridge<ToolsWorkerApi>(toolsFactory, {
  name: "trace import",
  idleMs: 5_000,
});
/** Surrogate training (dataset generation with nested twin workers, then TF.js training). */
export const trainBridge = new WorkerBridge<SurrogateWorkerApi>(
  () =>
    new Worker(new URL("../../../workers/surrogate.worker.ts", import.meta.url), {
      type: "module",
      name: "surrogate trainer",
    }),
  { name: "surrogate trainer", idleMs: 5_000 },
);

/**
 * Benchmarks: µs per estimate of a shipped surrogate in batches of 1,024 on each TF.js backend
 * this browser offers (WebGPU only on a real adapter), in a fresh surrogate worker.
 */
export function benchSurrogateInWorker(pair: string): Promise<Record<string, BackendProbe>> {
  return trainBridge.run(async (api) => {
    await api.init({ modelUrl: new URL(`${pair}/`, modelsBase()).href });
    return api.benchBackends({ batch: 1024, reps: 5 });
  });
}

export interface PlanCallbacks {
  onProgress: (p: PlanProgress) => void;
  onPlaced: (gpus: PlannedGpu[]) => void;
  onVerified: (index: number, verdict: TwinVerdict) => void;
  onLowerBound: (lb: LowerBound) => void;
  onEstimator: (r: EstimatorReport) => void;
}

export function planFleetInWorker(
  s: FleetScenario,
  cb: PlanCallbacks,
  signal: AbortSignal,
  estimator: EstimatorMode = "auto",
): Promise<Plan> {
  const request = toFleetRequest({ ...s, placement: undefined });
  return planBridge.run(
    (api) =>
      api.planFleet(
        request,
        { estimator, modelsBase: modelsBase() },
        Comlink.proxy({
          onProgress: cb.onProgress,
          onPlaced: cb.onPlaced,
          onVerified: cb.onVerified,
          onLowerBound: cb.onLowerBound,
          onEstimator: cb.onEstimator,
        }),
      ),
    signal,
  );
}

/** Estimate hand-edited GPUs (both ends of a drag, a restored link), surrogate first. */
export function estimateGpusInWorker(
  s: FleetScenario,
  gpus: GpuToEstimate[],
  signal: AbortSignal,
  onEstimator?: (r: EstimatorReport) => void,
): Promise<EstimatedGpu[]> {
  const request = toFleetRequest({ ...s, placement: undefined });
  return estimateBridge.run(
    (api) =>
      api.estimateGpus(
        request,
        gpus,
        { modelsBase: modelsBase() },
        onEstimator ? Comlink.proxy({ onEstimator }) : undefined,
      ),
    signal,
  );
}

/** Which (model, GPU) pairs of the scenario have a surrogate (shipped or trained here). */
export function modelSourcesInWorker(s: FleetScenario): Promise<Record<string, PairSource>> {
  const request = toFleetRequest({ ...s, placement: undefined });
  return estimateBridge.run((api) => api.modelSources(request, modelsBase()));
}

export function importTraceInWorker(
  file: Blob | string,
  opts: TraceImportOptions,
  onProgress: ProgressFn,
  signal: AbortSignal,
): Promise<TraceImportResult> {
  return traceBridge.run((api) => api.importTrace(file, opts, Comlink.proxy(onProgress)), signal);
}

export type Verified = NonNullable<PlannedGpu["verified"]>;

/** What the store keeps of a twin run (the planner's verdict). */
export const toVerified: (r: TwinResult) => Verified = verdictOf;

/** Verify GPUs with the full twin, in parallel workers. */
export function verifyInWorkers(
  scenarios: readonly ScenarioInput[],
  signal: AbortSignal,
  onDone: (index: number, r: TwinResult) => void,
): Promise<TwinResult[]> {
  return verifyPool.map(
    scenarios,
    (api, s) => api.simulate(s, { timeSeriesPoints: 200 }),
    signal,
    onDone,
  );
}

export function twinDetailsInWorker(s: ScenarioInput, signal: AbortSignal): Promise<TwinResult> {
  return detailsBridge.run((api) => api.simulate(s, { timeSeriesPoints: 200 }), signal);
}

/** Browser training settings: fewer samples than the shipped models (minutes, not hours). */
export const BROWSER_TRAINING = { samples: 200, seed: 1, epochs: 200 } as const;

/** Generate a training set with the twin and train a surrogate for one pair. */
export async function trainSurrogateInWorker(
  spec: { model: string; gpu: string },
  signal: AbortSignal,
  onGenerate: (p: GenerateProgress) => void,
  onTrain: (p: TrainProgress) => void,
  options: Omit<TrainOptions, "onProgress" | "signal">,
): Promise<{
  dataset: Dataset;
  result: Awaited<ReturnType<SurrogateWorkerApi["train"]>>;
}> {
  const dataset = await trainBridge.run(
    (api) =>
      api.generate(
        {
          model: spec.model as Dataset["spec"]["model"],
          gpu: spec.gpu as Dataset["spec"]["gpu"],
          samples: BROWSER_TRAINING.samples,
          seed: BROWSER_TRAINING.seed,
        },
        TWIN_WORKERS,
        Comlink.proxy(onGenerate),
      ),
    signal,
  );
  const result = await trainBridge.run(
    (api) => api.train(dataset, options, Comlink.proxy(onTrain)),
    signal,
  );
  return { dataset, result };
}

/** After a model was trained: workers drop the models they loaded (next use reloads). */
export function forgetLoadedModels(): void {
  if (!planBridge.busy) planBridge.cancel("models changed");
  if (!estimateBridge.busy) estimateBridge.cancel("models changed");
}

/** Tests: crash whichever worker is busy. */
export function crashBusyWorkers(): string[] {
  const hit: string[] = [];
  for (const b of [
    planBridge,
    traceBridge,
    estimateBridge,
    detailsBridge,
    trainBridge,
    ...verifyPool.bridges,
  ]) {
    if (b.busy) {
      b.crash("killed by test");
      hit.push(b.name);
    }
  }
  return hit;
}

/** Tests: the twin on one scenario in a twin worker (the determinism check). */
export function runTwinInWorker(s: unknown, timeSeriesPoints = 50): Promise<TwinResult> {
  return detailsBridge.run((api) => api.simulate(s, { timeSeriesPoints }));
}

/** Tests: `planFleet` in the plan worker with the given estimator and options. */
export function planRequestInWorker(
  request: unknown,
  opts: { estimator?: EstimatorMode; lowerBound?: "after" | "inline" | false; baselines?: boolean },
): Promise<Plan> {
  return planBridge.run((api) => api.planFleet(request, opts));
}

export type { EstimatedGpu, EstimatorReport, GpuEstimate, PairSource };
