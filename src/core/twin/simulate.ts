/**
 * The twin's public entry point: simulate one vLLM server (one GPU) serving a scenario's
 * adapters for `workload.durationS` seconds and report what the measured runs report.
 */
import { loadScenario } from "../scenario/resolve";
import type { ResolvedScenario } from "../scenario/resolve";
import { createRequestStream } from "../workload/arrivals";
import { calibrationFor } from "./calibration";
import { runEngine } from "./engine";
import type { ArrivalSource, StepInfo } from "./engine";
import { loraShape } from "./latencyModel";
import { planMemory } from "./memoryModel";
import { latencyStats, logHistogram, weightedQuantiles } from "./metrics";
import { STARVATION_THRESHOLD } from "./starvation";
import type { MemoryReport, TwinResult } from "./types";

/** The starvation rule (see `starvation.ts`), re-exported for the twin's callers. */
export { STARVATION_THRESHOLD };

export interface SimulateOptions {
  /** time-series points over the window (default 500) */
  timeSeriesPoints?: number;
  /** replace the workload's request stream (tests) */
  source?: ArrivalSource;
  /** called after every (bulk) step (tests check invariants with it) */
  onStep?: (info: StepInfo) => void;
}


/** The memory plan of a resolved scenario (no simulation). */
export function memoryPlan(s: ResolvedScenario): MemoryReport {
  const cal = calibrationFor(s.model.id, s.gpu.id);
  return planMemory({
    model: s.model,
    gpu: s.gpu,
    maxLoras: s.engine.maxLoras,
    maxLoraRank: s.engine.maxLoraRank,
    enableLora: s.engine.enableLora,
    gpuMemoryUtilization: s.engine.gpuMemoryUtilization,
    maxModelLen: s.engine.maxModelLen,
    maxNumBatchedTokens: s.engine.maxNumBatchedTokens,
    fit: cal.memoryFit,
    reserveRule: cal.reserveRule,
  });
}

/**
 * Simulate a resolved scenario. Deterministic for a given scenario (its `workload.seed`).
 * A server that would not start returns `memory.fits = false`, zero throughput and
 * `starved = true` when requests arrived.
 */
export function simulate(s: ResolvedScenario, opts: SimulateOptions = {}): TwinResult {
  const t0 = performance.now();
  const cal = calibrationFor(s.model.id, s.gpu.id);
  const memory = memoryPlan(s);
  const w = s.workload;
  const duration = w.durationS;
  const source = opts.source ?? createRequestStream(w, { maxModelLen: s.engine.maxModelLen });
  const points = opts.timeSeriesPoints ?? 500;

  if (!memory.fits) {
    let arrived = 0;
    let arrivedTokens = 0;
    if (source.drainRemaining) {
      const rest = source.drainRemaining();
      arrived = rest.requests;
      arrivedTokens = rest.tokens;
    } else {
      const spec = { arrivalS: 0, adapter: 0, prompt: 0, output: 0 };
      while (source.next(spec) && spec.arrivalS < duration) {
        arrived++;
        arrivedTokens += spec.prompt + spec.output;
      }
    }
    return {
      throughputTokS: 0,
      inputThroughputTokS: 0,
      outputThroughputTokS: 0,
      requestThroughputRps: 0,
      idealThroughputTokS: arrivedTokens / duration,
      arrivedRequests: arrived,
      finishedRequests: 0,
      starved: arrived > 0,
      ttftMs: { mean: 0, p50: 0, p99: 0 },
      itlMs: { mean: 0, p50: 0, p99: 0 },
      memory,
      preemptions: 0,
      adapterLoads: 0,
      adapterDiskLoads: 0,
      steps: 0,
      meanRunning: 0,
      meanWaiting: 0,
      unfinished: { running: 0, waiting: 0, heldBack: arrived },
      extrapolated: cal.extrapolated,
      simulatedS: duration,
      wallMs: performance.now() - t0,
      timeSeries: [],
      distributions: { ttftMs: { edges: [], counts: [] }, itlMs: { edges: [], counts: [] } },
    };
  }

  const e = s.engine;
  const o = runEngine(
    {
      adapters: w.adapters.length,
      adapterRanks: w.adapters.map((a) => a.rank),
      enableLora: e.enableLora,
      maxLoras: e.maxLoras,
      maxCpuLoras: e.maxCpuLoras,
      maxLoraRank: e.maxLoraRank,
      maxNumSeqs: e.maxNumSeqs,
      maxNumBatchedTokens: e.maxNumBatchedTokens,
      kvCacheTokens: memory.kvCacheTokens,
      blockSize: e.blockSize,
      durationS: duration,
      maxPendingRequests: w.maxPendingRequests ?? Infinity,
      coefficients: cal.coefficients,
      loraShape: loraShape(s.model),
      timeSeriesPoints: points,
      onStep: opts.onStep,
    },
    source,
  );
  const throughput = (o.finishedPromptTokens + o.finishedOutputTokens) / duration;
  const ideal = o.arrivedTokens / duration;
  const [p50, p99] = weightedQuantiles(o.itlValues, o.itlWeights, [0.5, 0.99]);
  return {
    throughputTokS: throughput,
    inputThroughputTokS: o.finishedPromptTokens / duration,
    outputThroughputTokS: o.finishedOutputTokens / duration,
    requestThroughputRps: o.finished / duration,
    idealThroughputTokS: ideal,
    arrivedRequests: o.arrived,
    finishedRequests: o.finished,
    starved: throughput < STARVATION_THRESHOLD * ideal,
    ttftMs: latencyStats(o.ttftMs),
    itlMs: { mean: o.itlCount > 0 ? o.itlSumMs / o.itlCount : 0, p50: p50!, p99: p99! },
    memory,
    preemptions: o.preemptions,
    adapterLoads: o.gpuLoads,
    adapterDiskLoads: o.diskLoads,
    steps: o.steps,
    meanRunning: o.runningTimeIntegral / duration,
    meanWaiting: o.waitingTimeIntegral / duration,
    unfinished: {
      running: o.unfinishedRunning,
      waiting: o.unfinishedWaiting,
      heldBack: o.heldBack,
    },
    extrapolated: cal.extrapolated,
    simulatedS: duration,
    wallMs: performance.now() - t0,
    timeSeries: o.timeSeries,
    distributions: {
      ttftMs: logHistogram(o.ttftMs, null),
      itlMs: logHistogram(o.itlValues, o.itlWeights),
    },
  };
}

/** Parse, resolve and simulate untrusted input. @throws InputError for bad input. */
export function runTwin(input: unknown, opts: SimulateOptions = {}): TwinResult {
  return simulate(loadScenario(input), opts);
}
