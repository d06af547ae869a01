/**
 * The planner's view of a fleet request: defaults applied, each adapter's demand (tokens/s),
 * the GPU offers with prices, the objective, and the engine flags of a GPU given its adapters.
 */
import { getGpu, getModel } from "../catalog/derived";
import type { GpuId } from "../catalog/ids";
import type { GpuSpec, ModelSpec } from "../catalog/types";
import { InputError } from "../scenario/errors";
import type { ResolvedScenario } from "../scenario/resolve";
import { VLLM_DEFAULTS } from "../scenario/resolve";
import {
  LIMITS,
  VLLM_MAX_LORA_RANKS,
  type Adapter,
  type EngineInput,
  type LengthProfile,
} from "../scenario/schema";
import { memoryPlan } from "../twin/simulate";
import type { MemoryReport } from "../twin/types";
import { createLengthSampler } from "../workload/lengths";
import type { FleetRequest, GpuAssignment, Objective, PlannedEngine } from "./types";

export { STARVATION_RATIO } from "./verdict";

/**
 * `--max-num-seqs` the planner uses unless the user fixes it. vLLM's default is 256; the
 * measured runs used 2048. Larger batches raise throughput until the KV cache binds (the twin
 * finds ~20-25% more tokens/s at 1024 than at 256 on a busy multi-LoRA GPU).
 */
export const PLANNER_MAX_NUM_SEQS = 1024;

/** Default verification window, s (the measured runs' 1 h). */
export const DEFAULT_DURATION_S = 3600;

/** One adapter as the planner sees it. */
export interface AdapterInfo {
  /** index into `request.workload.adapters` */
  index: number;
  id: string;
  rank: number;
  rateRps: number;
  /** mean prompt + output tokens of its requests */
  meanTokens: number;
  /** demanded tokens/s = rate × mean tokens (from the trace when one is replayed) */
  demandTokS: number;
  adapter: Adapter;
}

export interface Offer {
  gpu: GpuId;
  spec: GpuSpec;
  costPerHour: number;
  /** Infinity when unlimited */
  maxCount: number;
}

export interface ResolvedObjective {
  kind: "min-gpus" | "min-cost";
  ttftP99Ms?: number;
  itlP99Ms?: number;
}

export interface FleetContext {
  request: FleetRequest;
  model: ModelSpec;
  /** the fleet's load settings with defaults applied (what every GPU scenario shares) */
  load: GpuAssignment["workload"];
  adapters: AdapterInfo[];
  byId: Map<string, AdapterInfo>;
  totalDemandTokS: number;
  offers: Offer[];
  objective: ResolvedObjective;
  /** user-fixed engine flags */
  fixed: EngineInput;
  maxModelLen: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  gpuMemoryUtilization: number;
}

/** Smallest `--max-lora-rank` vLLM accepts that holds an adapter of rank `rank`. */
export function slotRankFor(rank: number): number {
  return (
    VLLM_MAX_LORA_RANKS.find((r) => r >= rank) ??
    VLLM_MAX_LORA_RANKS[VLLM_MAX_LORA_RANKS.length - 1]!
  );
}

export function resolveObjective(o: Objective | undefined): ResolvedObjective {
  if (o === undefined || o === "min-gpus") return { kind: "min-gpus" };
  if (o === "min-cost") return { kind: "min-cost" };
  return {
    kind: o.minimize === "cost" ? "min-cost" : "min-gpus",
    ttftP99Ms: o.ttftP99Ms,
    itlP99Ms: o.itlP99Ms,
  };
}

/**
 * Build the planner's context. @throws InputError for requests the schema cannot catch:
 * an adapter rank above a fixed maxLoraRank, inconsistent fixed flags, no usable GPU type.
 */
export function createContext(request: FleetRequest): FleetContext {
  const model = getModel(request.model);
  const w = request.workload;
  const fixed: EngineInput = request.engine ?? {};
  const maxModelLen = fixed.maxModelLen ?? model.maxPositionEmbeddings;
  if (maxModelLen > model.maxPositionEmbeddings) {
    throw new InputError(
      "engine.maxModelLen",
      `must be at most ${model.maxPositionEmbeddings} for ${model.id}; got ${maxModelLen}`,
    );
  }
  const maxNumBatchedTokens = fixed.maxNumBatchedTokens ?? VLLM_DEFAULTS.maxNumBatchedTokens;
  const maxNumSeqs = fixed.maxNumSeqs ?? Math.min(PLANNER_MAX_NUM_SEQS, maxNumBatchedTokens);
  if (maxNumBatchedTokens < maxNumSeqs) {
    throw new InputError(
      "engine.maxNumBatchedTokens",
      `must be at least engine.maxNumSeqs (${maxNumSeqs}); got ${maxNumBatchedTokens}`,
    );
  }
  if (
    fixed.maxLoras !== undefined &&
    fixed.maxCpuLoras !== undefined &&
    fixed.maxCpuLoras < fixed.maxLoras
  ) {
    throw new InputError(
      "engine.maxCpuLoras",
      `must be at least engine.maxLoras (${fixed.maxLoras}); got ${fixed.maxCpuLoras}`,
    );
  }
  if (fixed.enableLora === false && w.adapters.length > 0) {
    throw new InputError("engine.enableLora", "must be true (or omitted) to serve adapters");
  }
  if (fixed.maxLoraRank !== undefined) {
    const bad = w.adapters.findIndex((a) => a.rank > fixed.maxLoraRank!);
    if (bad >= 0) {
      throw new InputError(
        `workload.adapters[${bad}].rank`,
        `rank ${w.adapters[bad]!.rank} exceeds engine.maxLoraRank ${fixed.maxLoraRank} (vLLM refuses to load it)`,
      );
    }
  }
  const lengths: LengthProfile = w.lengths ?? { profile: "sharegpt" };
  const load: GpuAssignment["workload"] = {
    durationS: w.durationS ?? DEFAULT_DURATION_S,
    seed: w.seed ?? 0,
    lengths,
    arrival: w.arrival ?? { kind: "poisson" },
    ...(w.maxPendingRequests !== undefined ? { maxPendingRequests: w.maxPendingRequests } : {}),
  };

  // Mean tokens per request, per length profile (adapters usually share the workload's).
  const meanCache = new Map<LengthProfile, number>();
  const meanOf = (p: LengthProfile): number => {
    let m = meanCache.get(p);
    if (m === undefined) {
      const s = createLengthSampler(p, { maxModelLen }).mean();
      m = s.prompt + s.output;
      meanCache.set(p, m);
    }
    return m;
  };
  // With a trace, demand is what the trace asks of each adapter.
  let traceTokens: Float64Array | null = null;
  if (w.trace) {
    traceTokens = new Float64Array(w.adapters.length);
    const t = w.trace;
    for (let j = 0; j < t.adapter.length; j++) {
      const p = Math.min(t.promptTokens[j]!, maxModelLen - 1);
      const o = Math.min(t.outputTokens[j]!, maxModelLen - p);
      traceTokens[t.adapter[j]!]! += p + o;
    }
  }
  const adapters: AdapterInfo[] = w.adapters.map((a, index) => {
    const meanTokens = meanOf(a.lengths ?? lengths);
    const demandTokS = traceTokens ? traceTokens[index]! / load.durationS : a.rateRps * meanTokens;
    return {
      index,
      id: a.id,
      rank: a.rank,
      rateRps: a.rateRps,
      meanTokens,
      demandTokS,
      adapter: a,
    };
  });
  const byId = new Map(adapters.map((a) => [a.id, a]));
  if (byId.size !== adapters.length) {
    const seen = new Set<string>();
    const i = adapters.findIndex((a) => (seen.has(a.id) ? true : (seen.add(a.id), false)));
    throw new InputError(`workload.adapters[${i}].id`, `duplicate adapter id "${adapters[i]!.id}"`);
  }
  const totalDemandTokS = adapters.reduce((s, a) => s + a.demandTokS, 0);

  if (request.gpuTypes.length === 0) throw new InputError("gpuTypes", "give at least one GPU type");
  const seenGpu = new Set<string>();
  const offers: Offer[] = request.gpuTypes.map((o, i) => {
    if (seenGpu.has(o.gpu))
      throw new InputError(`gpuTypes[${i}].gpu`, `"${o.gpu}" is listed twice`);
    seenGpu.add(o.gpu);
    const spec = getGpu(o.gpu);
    return {
      gpu: o.gpu,
      spec,
      costPerHour: o.costPerHour ?? spec.costPerHour,
      maxCount: o.maxCount ?? Infinity,
    };
  });

  return {
    request,
    model,
    load,
    adapters,
    byId,
    totalDemandTokS,
    offers,
    objective: resolveObjective(request.objective),
    fixed,
    maxModelLen,
    maxNumSeqs,
    maxNumBatchedTokens,
    gpuMemoryUtilization: fixed.gpuMemoryUtilization ?? VLLM_DEFAULTS.gpuMemoryUtilization,
  };
}

/** The `--max-lora-rank` of a GPU holding these adapters (the user's, or the smallest that fits). */
export function maxLoraRankFor(ctx: FleetContext, members: readonly AdapterInfo[]): number {
  if (ctx.fixed.maxLoraRank !== undefined) return ctx.fixed.maxLoraRank;
  let r = 0;
  for (const a of members) if (a.rank > r) r = a.rank;
  return slotRankFor(r);
}

/** Complete engine flags of a GPU with `members` and `maxLoras` GPU slots. */
export function engineFor(
  ctx: FleetContext,
  members: readonly AdapterInfo[],
  maxLoras: number,
  maxLoraRank = maxLoraRankFor(ctx, members),
): PlannedEngine {
  const ml = ctx.fixed.maxLoras ?? maxLoras;
  return {
    maxLoras: ml,
    maxCpuLoras: Math.max(ctx.fixed.maxCpuLoras ?? members.length, ml),
    maxLoraRank,
    maxNumSeqs: ctx.maxNumSeqs,
    maxNumBatchedTokens: ctx.maxNumBatchedTokens,
    gpuMemoryUtilization: ctx.gpuMemoryUtilization,
    maxModelLen: ctx.maxModelLen,
  };
}

/** The memory plan vLLM would make for this GPU and these flags. */
export function memoryFor(ctx: FleetContext, gpu: GpuId, engine: PlannedEngine): MemoryReport {
  const s: ResolvedScenario = {
    model: ctx.model,
    gpu: getGpu(gpu),
    engine: { ...engine, enableLora: true, blockSize: VLLM_DEFAULTS.blockSize },
    workload: { ...ctx.load, adapters: [] },
  };
  return memoryPlan(s);
}

const capCache = new WeakMap<FleetContext, Map<string, number>>();

/**
 * Most GPU adapter slots (`--max-loras`) that fit on `gpu` at slot rank `maxLoraRank` with the
 * fleet's memory flags (0: the model does not fit at all). Memory grows with slots, so the
 * largest fitting value is found by bisection.
 */
export function maxLorasCap(ctx: FleetContext, gpu: GpuId, maxLoraRank: number): number {
  let m = capCache.get(ctx);
  if (!m) capCache.set(ctx, (m = new Map()));
  const key = `${gpu}|${maxLoraRank}`;
  const hit = m.get(key);
  if (hit !== undefined) return hit;
  const fits = (n: number) =>
    memoryFor(ctx, gpu, { ...engineFor(ctx, [], n, maxLoraRank), maxLoras: n, maxCpuLoras: n })
      .fits;
  let cap = 0;
  if (fits(1)) {
    let lo = 1;
    let hi: number = LIMITS.maxLoras;
    if (fits(hi)) lo = hi;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    cap = lo;
  }
  if (ctx.fixed.maxLoras !== undefined) cap = ctx.fixed.maxLoras <= cap ? ctx.fixed.maxLoras : 0;
  m.set(key, cap);
  return cap;
}

/** Σ demand of a set of adapters, tokens/s. */
export function demandOf(members: readonly AdapterInfo[]): number {
  let s = 0;
  for (const a of members) s += a.demandTokS;
  return s;
}

/** The estimator's view of one GPU. */
export function assignmentFor(
  ctx: FleetContext,
  gpu: GpuId,
  members: readonly AdapterInfo[],
  engine: PlannedEngine,
): GpuAssignment {
  return {
    model: ctx.request.model,
    gpu,
    engine,
    adapters: members.map((a) => a.adapter),
    workload: ctx.load,
  };
}

/** Price of a GPU type in this request. */
export function priceOf(ctx: FleetContext, gpu: GpuId): number {
  return ctx.offers.find((o) => o.gpu === gpu)?.costPerHour ?? getGpu(gpu).costPerHour;
}
