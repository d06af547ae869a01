/**
 * The UI's workers: one bridge per job kind, so cancelling a job (terminating its worker)
 * never touches another. The main thread only sends messages and renders.
 */
import * as Comlink from "comlink";
import type { GpuEstimate, Plan, PlannedGpu } from "../../core/placement/types";
import type { ScenarioInput } from "../../core/scenario/schema";
import type { TwinResult } from "../../core/twin/types";
import type { TwinWorkerApi } from "../../../workers/twin.worker";
import type { FleetScenario } from "../fleet";
import type { CodecWorkerApi } from "./codec.worker";
import type { ToolsWorkerApi } from "./tools.worker";
import type { TraceImportOptions, TraceImportResult } from "./traceTypes";
import { WorkerBridge, WorkerPool } from "./workerBridge";
import { estimateFromTwin } from "./interimPlanner";

export type ProgressFn = (fraction: number, message: string) => void;

const twinFactory = () =>
  new Worker(new URL("../../../workers/twin.worker.ts", import.meta.url), {
    type: "module",
    name: "twin",
  });
const toolsFactory = () =>
  new Worker(new URL("./tools.worker.ts", import.meta.url), { type: "module", name: "tools" });

const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 2 : 2;

/**
 * Twin verification (background, parallel). One core is left to the main thread: on a
 * 2-core machine two busy workers would stretch every UI task into a long task.
 */
export const verifyPool = new WorkerPool<TwinWorkerApi>(
  twinFactory,
  Math.max(1, Math.min(4, cores - 1)),
  {
    name: "twin",
    idleMs: 15_000,
  },
);
/** Quick estimates after a drag (twin fallback while no surrogate is available). */
export const estimateBridge = new WorkerBridge<TwinWorkerApi>(twinFactory, {
  name: "estimator",
  idleMs: 30_000,
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

/** Planning. */
export const planBridge = new WorkerBridge<ToolsWorkerApi>(toolsFactory, {
  name: "planner",
  idleMs: 20_000,
});
/** Trace import. */
export const traceBridge = new WorkerBridge<ToolsWorkerApi>(toolsFactory, {
  name: "trace import",
  idleMs: 5_000,
});

export function planFleetInWorker(
  s: FleetScenario,
  onProgress: ProgressFn,
  signal: AbortSignal,
): Promise<Plan> {
  return planBridge.run((api) => api.plan(s, Comlink.proxy(onProgress)), signal);
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

export function toVerified(r: TwinResult): Verified {
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

/** Re-estimate GPUs at once (both ends of a drag). Twin fallback with a short window. */
export async function estimateInWorker(
  scenarios: readonly ScenarioInput[],
  demands: readonly number[],
  signal: AbortSignal,
  onProgress?: ProgressFn,
): Promise<GpuEstimate[]> {
  const out: GpuEstimate[] = [];
  for (let i = 0; i < scenarios.length; i++) {
    onProgress?.(i / scenarios.length, `estimating GPU ${i + 1} of ${scenarios.length}`);
    const s = scenarios[i]!;
    const short = {
      ...s,
      workload: { ...s.workload, durationS: Math.min(s.workload.durationS ?? 3600, 300) },
    };
    const r = await estimateBridge.run(
      (api) => api.simulate(short, { timeSeriesPoints: 2 }),
      signal,
    );
    out.push(estimateFromTwin(r, demands[i] ?? 0));
  }
  return out;
}

export function twinDetailsInWorker(s: ScenarioInput, signal: AbortSignal): Promise<TwinResult> {
  return detailsBridge.run((api) => api.simulate(s, { timeSeriesPoints: 200 }), signal);
}

/** Which estimator answers drags (shown in the backend badge). */
export function estimatorBackend(): string {
  return "twin (surrogate not available)";
}

/** Tests: crash whichever worker is busy. */
export function crashBusyWorkers(): string[] {
  const hit: string[] = [];
  for (const b of [planBridge, traceBridge, estimateBridge, detailsBridge, ...verifyPool.bridges]) {
    if (b.busy) {
      b.crash("killed by test");
      hit.push(b.name);
    }
  }
  return hit;
}
