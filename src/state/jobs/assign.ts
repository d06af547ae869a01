/**
 * Helpers shared by the UI and its workers: the one-GPU scenario of a planned GPU (what the
 * twin verifies), adapters' demanded tokens/s, and the per-GPU engine flags for a set of adapters.
 */
import { getModel } from "../../core/catalog/derived";
import type { GpuId } from "../../core/catalog/ids";
import type { PlannedEngine, PlannedGpu } from "../../core/placement/types";
import type { Adapter, LengthProfile, ScenarioInput } from "../../core/scenario/schema";
import { VLLM_MAX_LORA_RANKS } from "../../core/scenario/schema";
import { SHAREGPT_MEAN } from "../../core/workload/sharegpt-table";
import type { FleetScenario } from "../fleet";

/** Mean prompt + output tokens of a length profile. */
export function meanTokens(p: LengthProfile | undefined): number {
  if (!p || p.profile === "sharegpt") return SHAREGPT_MEAN.prompt + SHAREGPT_MEAN.output;
  if (p.profile === "fixed") return p.promptTokens + p.outputTokens;
  if (p.profile === "uniform") {
    return (
      (p.promptTokens[0] + p.promptTokens[1]) / 2 + (p.outputTokens[0] + p.outputTokens[1]) / 2
    );
  }
  let s = 0;
  for (let i = 0; i < p.promptTokens.length; i++)
    s += p.promptTokens[i]! + (p.outputTokens[i] ?? 0);
  return s / Math.max(1, p.promptTokens.length);
}

/** Demanded tokens/s of one adapter under the fleet's default lengths. */
export function adapterDemand(a: Adapter, fleetLengths: LengthProfile | undefined): number {
  return a.rateRps * meanTokens(a.lengths ?? fleetLengths);
}

export function demandOf(
  adapters: readonly Adapter[],
  fleetLengths: LengthProfile | undefined,
): number {
  let s = 0;
  for (const a of adapters) s += adapterDemand(a, fleetLengths);
  return s;
}

/** The smallest `--max-lora-rank` that holds every adapter. */
export function maxRankFor(adapters: readonly Adapter[]): number {
  const r = adapters.reduce((m, a) => Math.max(m, a.rank), 8);
  return VLLM_MAX_LORA_RANKS.find((x) => x >= r) ?? 512;
}

/**
 * Engine flags for a GPU holding `adapters`, chosen as the planner does for a new GPU
 * (`engineFor` in src/core/placement/context.ts): user-fixed flags win; `--max-cpu-loras` holds
 * every adapter, `--max-lora-rank` the largest, `--max-num-seqs` min(1024, batched tokens).
 * The plan worker recomputes them when it estimates the GPU; this is what the card shows until then.
 */
export function engineFor(
  s: FleetScenario,
  adapters: readonly Adapter[],
  maxLoras?: number,
): PlannedEngine {
  const e = s.engine ?? {};
  const n = Math.max(1, adapters.length);
  const ml = e.maxLoras ?? maxLoras ?? Math.min(n, 32);
  const batched = e.maxNumBatchedTokens ?? 2048;
  return {
    maxLoras: ml,
    maxCpuLoras: Math.max(e.maxCpuLoras ?? n, ml),
    maxLoraRank: e.maxLoraRank ?? maxRankFor(adapters),
    maxNumSeqs: e.maxNumSeqs ?? Math.min(1024, batched),
    maxNumBatchedTokens: batched,
    gpuMemoryUtilization: e.gpuMemoryUtilization ?? 0.9,
    maxModelLen: e.maxModelLen ?? getModel(s.model).maxPositionEmbeddings,
  };
}

/** The one-GPU twin scenario of a planned GPU. */
export function gpuScenario(
  s: FleetScenario,
  gpu: { gpu: GpuId; engine: PlannedEngine; adapters: readonly string[] },
  byId: ReadonlyMap<string, Adapter>,
  opts: { maxDurationS?: number } = {},
): ScenarioInput {
  const adapters = gpu.adapters.map((id) => byId.get(id)).filter((a): a is Adapter => !!a);
  const w = s.workload;
  const dur = w.durationS ?? 3600;
  const e = gpu.engine;
  return {
    model: s.model,
    gpu: gpu.gpu,
    engine: {
      enableLora: true,
      maxLoras: e.maxLoras,
      maxCpuLoras: Math.max(e.maxCpuLoras, e.maxLoras),
      maxLoraRank: e.maxLoraRank,
      maxNumSeqs: e.maxNumSeqs,
      maxNumBatchedTokens: Math.max(e.maxNumBatchedTokens, e.maxNumSeqs),
      gpuMemoryUtilization: e.gpuMemoryUtilization,
      maxModelLen: e.maxModelLen,
    },
    workload: {
      durationS: opts.maxDurationS ? Math.min(dur, opts.maxDurationS) : dur,
      seed: w.seed ?? 0,
      ...(w.lengths ? { lengths: w.lengths } : {}),
      ...(w.arrival ? { arrival: w.arrival } : {}),
      ...(w.maxPendingRequests ? { maxPendingRequests: w.maxPendingRequests } : {}),
      adapters,
    },
  };
}

/** A stable key of a GPU's assignment (type, flags, adapters): caches twin details by it. */
export function assignmentKey(
  scenarioKey: string,
  g: Pick<PlannedGpu, "gpu" | "engine" | "adapters">,
): string {
  return `${scenarioKey}|${g.gpu}|${JSON.stringify(g.engine)}|${g.adapters.join("\u0000")}`;
}
