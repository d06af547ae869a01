/**
 * Surrogate worker: the TF.js surrogate off the main thread (Comlink). Thin: everything it
 * does lives in src/core/surrogate; this file only wires the browser in (wasm asset URLs, the
 * WebGPU adapter check, Web Workers for dataset generation).
 *
 * Start-up: `init({ modelUrl })` loads a model and picks the backend by a short measured
 * probe (WebGPU only on a real adapter, then wasm, WebGL, cpu), unless `backend` forces one.
 */
import * as Comlink from "comlink";
import { configureTfjs } from "./tfjsWasm";
import { loadScenario } from "../src/core/scenario/resolve";
import {
  benchmarkBackends,
  initBackend,
  probeSurrogate,
  type BackendChoice,
  type BackendEnvironment,
  type BackendProbe,
} from "../src/core/surrogate/backend";
import {
  generateDataset,
  type Dataset,
  type GenerateProgress,
} from "../src/core/surrogate/dataset";
import type { DatasetSpec } from "../src/core/surrogate/design";
import {
  loadSurrogateFromUrl,
  Surrogate,
  type EstimateBatch,
  type SurrogateArtifacts,
  type SurrogateEstimate,
} from "../src/core/surrogate/runtime";
import { trainSurrogate, type TrainOptions, type TrainProgress } from "../src/core/surrogate/train";
import type { ValidationMetrics } from "../src/core/surrogate/runtime";
import { createBrowserRunner } from "./surrogate-pool";

configureTfjs();

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean };
}

/** What WebGPU this browser offers (headless Chromium: a software fallback adapter). */
async function webgpuAdapter(): Promise<BackendEnvironment["webgpuAdapter"]> {
  const gpu = (
    navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }
  ).gpu;
  if (!gpu) return "none";
  try {
    const a = await gpu.requestAdapter();
    if (!a) return "none";
    return (a.info?.isFallbackAdapter ?? a.isFallbackAdapter) ? "fallback" : "real";
  } catch {
    return "none";
  }
}

let envPromise: Promise<BackendEnvironment> | undefined;
function environment(): Promise<BackendEnvironment> {
  envPromise ??= webgpuAdapter().then((webgpu) => ({
    webgpuAdapter: webgpu,
    // importing the WebGPU backend registers it (and makes it the default): only on demand
    loaders: { webgpu: () => import("@tensorflow/tfjs-backend-webgpu") },
  }));
  return envPromise;
}

let surrogate: Surrogate | undefined;
let choice: BackendChoice | undefined;
let running: AbortController | undefined;

function current(): Surrogate {
  if (!surrogate) throw new Error("surrogate worker: call init() first");
  return surrogate;
}

export interface SurrogateInitOptions {
  /** directory URL of a model (`model.json`, `weights.bin`, `normalisation.json`) */
  modelUrl: string;
  /** force a backend (webgpu, wasm, webgl, cpu); it falls back if it does not work */
  backend?: string;
}

export interface SurrogateWorkerApi {
  /** Load a model and choose the backend; returns the choice (backend in use, probe times). */
  init(opts: SurrogateInitOptions): Promise<BackendChoice>;
  /** Backend in use and how it was chosen (null before init). */
  backendInfo(): BackendChoice | null;
  /** Batch estimate of feature rows (row-major, FEATURE_COUNT columns). */
  estimate(x: Float32Array, rows: number): Promise<EstimateBatch>;
  /** Estimate scenarios (untrusted input: parsed with the scenario schema; throws InputError). */
  estimateScenarios(inputs: unknown[]): Promise<SurrogateEstimate[]>;
  /** µs per estimate in batches of `batch` on each backend (the e2e timing hook). */
  benchBackends(opts?: {
    batch?: number;
    reps?: number;
    backends?: string[];
  }): Promise<Record<string, BackendProbe>>;
  /** Generate a training set with `threads` twin workers. */
  generate(
    spec: DatasetSpec,
    threads: number,
    onProgress?: (p: GenerateProgress) => void,
  ): Promise<Dataset>;
  /**
   * Train on a dataset; the new model becomes the worker's model. Returns the artifacts
   * (model.json, weights, normalisation) to store, and validation metrics.
   */
  train(
    dataset: Dataset,
    opts?: Omit<TrainOptions, "onProgress" | "signal">,
    onProgress?: (p: TrainProgress) => void,
  ): Promise<{ artifacts: SurrogateArtifacts; validation: ValidationMetrics; backend: string }>;
  /** Abort a running generate() or train(). */
  abort(): void;
}

const api: SurrogateWorkerApi = {
  async init(opts) {
    const env = await environment();
    const next = await loadSurrogateFromUrl(opts.modelUrl);
    surrogate?.dispose();
    surrogate = next;
    choice = await initBackend({
      force: opts.backend,
      env,
      probe: () => probeSurrogate(next, 1024, 3),
    });
    return choice;
  },
  backendInfo() {
    return choice ?? null;
  },
  async estimate(x, rows) {
    const b = await current().estimate(x, rows);
    return Comlink.transfer(b, [
      b.throughputTokS.buffer,
      b.starvedProbability.buffer,
      b.itlMeanMs.buffer,
      b.itlP99Ms.buffer,
      b.ttftMeanMs.buffer,
      b.ttftP99Ms.buffer,
      b.outOfDistribution.buffer,
    ]);
  },
  estimateScenarios(inputs) {
    return current().estimateScenarios(inputs.map((i) => loadScenario(i)));
  },
  async benchBackends(opts = {}) {
    return benchmarkBackends(current(), { ...opts, env: await environment() });
  },
  async generate(spec, threads, onProgress) {
    running?.abort();
    const ctl = new AbortController();
    running = ctl;
    const runner = createBrowserRunner(threads);
    try {
      return await generateDataset(spec, { runner, onProgress, signal: ctl.signal });
    } finally {
      runner.close();
    }
  },
  async train(dataset, opts = {}, onProgress) {
    running?.abort();
    const ctl = new AbortController();
    running = ctl;
    if (!choice) choice = await initBackend({ env: await environment() });
    const r = await trainSurrogate(dataset, { ...opts, onProgress, signal: ctl.signal });
    surrogate?.dispose();
    surrogate = r.surrogate;
    return Comlink.transfer(
      { artifacts: r.artifacts, validation: r.validation, backend: r.backend },
      [r.artifacts.weights],
    );
  },
  abort() {
    running?.abort(new Error("aborted by the caller"));
  },
};

Comlink.expose(api);
