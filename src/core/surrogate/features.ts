/**
 * Features of one GPU's assignment: what the surrogate network sees of a scenario.
 *
 * One vector per scenario (one vLLM server): adapter statistics (the paper's seven, plus
 * skew), engine flags, workload shape, the memory model's outputs and the GPU/model
 * descriptors. Every feature is a plain number, mostly on a log scale (rates span four
 * decades, adapter counts and slot counts three); `FEATURES` documents each one and the
 * reason it is there. The per-pair networks see the GPU/model descriptors as constants
 * (they carry no information there) but keep them, so one code path serves a catalog-wide
 * network and so a query for another pair is flagged out of distribution by range.
 *
 * Cost: O(adapters · log adapters) (one sort of the rates), about 20 µs for 1,000 adapters.
 */
import { kvBytesPerToken, loraAdapterBytes, weightsBytes } from "../catalog/derived";
import type { LengthProfile } from "../scenario/schema";
import type { ResolvedScenario } from "../scenario/resolve";
import { memoryPlan } from "../twin/simulate";
import { contentionEstimate, fluidEstimate, rateHistogram } from "./physics";
import type { MemoryReport } from "../twin/types";
import {
  clipOutputTokens,
  clipPromptTokens,
  createLengthSampler,
  type LengthMean,
} from "../workload/lengths";
import { SHAREGPT_MAX_TOTAL, SHAREGPT_MEAN } from "../workload/sharegpt-table";

/** One feature: its name (stable: saved models refer to features by name) and why it is there. */
export interface FeatureDef {
  name: string;
  /** what it is, with units and scale */
  doc: string;
  /** which group of the ablation it belongs to */
  group: FeatureGroup;
}

/**
 * Groups for the ablation in `bench/surrogate.ts`:
 * - `paper`: the seven features of Agulló et al. (sum/std of rates, max/mean/std of ranks,
 *   maxLoras, served adapters = maxCpuLoras);
 * - `engine`: the other flags users vary (maxLoraRank, maxNumSeqs, maxNumBatchedTokens);
 * - `workload`: lengths, burstiness, window, client queue cap, demanded tokens/s;
 * - `skew`: how unevenly the rate is spread over adapters (vLLM starves cold adapters when
 *   maxLoras < adapters);
 * - `memory`: the memory model's outputs (KV-cache capacity);
 * - `physics`: a fluid approximation of the twin's steady state from its own latency model
 *   (`physics.ts`): capacity, load relative to it, batch and step time;
 * - `hardware`: GPU and model descriptors (constant within a per-pair network).
 */
export type FeatureGroup =
  "paper" | "engine" | "workload" | "skew" | "memory" | "physics" | "hardware";

const log2 = Math.log2;
const log10 = Math.log10;

/** Rate floor inside logs, req/s (well below the smallest rate the schema allows in practice). */
const RATE_EPS = 1e-6;

/** Time scales (s) of the "adapters active within τ" features. */
export const ACTIVE_TAUS_S = [1, 10, 100] as const;

/** The features, in network input order. Append only; a saved model lists the names it used. */
export const FEATURES: readonly FeatureDef[] = [
  // ---- the paper's seven ----
  {
    name: "log10RateSum",
    group: "paper",
    doc: "log10 Σ adapter rates, req/s (the paper's sum of rates)",
  },
  {
    name: "rateCv",
    group: "paper",
    doc: "std / mean of the adapter rates (the paper's std of rates, scale-free)",
  },
  { name: "log2RankMax", group: "paper", doc: "log2 of the largest adapter rank" },
  { name: "log2RankMean", group: "paper", doc: "log2 of the mean adapter rank" },
  { name: "rankStdOver16", group: "paper", doc: "std of the adapter ranks / 16" },
  { name: "log2MaxLoras", group: "paper", doc: "log2 --max-loras (GPU adapter slots)" },
  {
    name: "log2MaxCpuLoras",
    group: "paper",
    doc: "log2 --max-cpu-loras (served adapters in the paper)",
  },
  // ---- engine flags ----
  {
    name: "log2Adapters",
    group: "engine",
    doc: "log2 number of adapters with traffic (may exceed maxCpuLoras: disk loads)",
  },
  {
    name: "log2MaxLoraRank",
    group: "engine",
    doc: "log2 --max-lora-rank (slot size: LoRA kernel grid, slot memory)",
  },
  { name: "log2MaxNumSeqs", group: "engine", doc: "log2 --max-num-seqs (batch size cap)" },
  {
    name: "log2MaxNumBatchedTokens",
    group: "engine",
    doc: "log2 --max-num-batched-tokens (step token budget)",
  },
  {
    name: "slotsOverAdapters",
    group: "engine",
    doc: "min(1, maxLoras / adapters): share of adapters that fit the GPU at once",
  },
  // ---- workload ----
  { name: "log2MeanPrompt", group: "workload", doc: "log2 rate-weighted mean prompt tokens" },
  { name: "log2MeanOutput", group: "workload", doc: "log2 rate-weighted mean output tokens" },
  {
    name: "log2ArrivalCv",
    group: "workload",
    doc: "log2 inter-arrival coefficient of variation (0 = Poisson; > 0 bursty)",
  },
  {
    name: "log10DurationS",
    group: "workload",
    doc: "log10 simulated window, s (unfinished requests are cancelled at its end)",
  },
  {
    name: "log10PendingCap",
    group: "workload",
    doc: "log10 client queue cap maxPendingRequests (1e8 when unlimited)",
  },
  {
    name: "log10DemandTokS",
    group: "workload",
    doc: "log10 expected demanded tokens/s = Σ rate × (E prompt + E output)",
  },
  {
    name: "log10RequestsInWindow",
    group: "workload",
    doc: "log10 expected requests in the window (statistical weight of the run)",
  },
  {
    name: "log2RankRateMean",
    group: "workload",
    doc: "log2 rate-weighted mean rank (rank of an average request)",
  },
  // ---- skew ----
  {
    name: "rateGini",
    group: "skew",
    doc: "Gini coefficient of the adapter rates (0 equal, →1 one adapter has all)",
  },
  { name: "rateMaxShare", group: "skew", doc: "largest adapter rate / Σ rates" },
  {
    name: "topSlotsShare",
    group: "skew",
    doc: "share of Σ rates carried by the maxLoras busiest adapters",
  },
  {
    name: "log2EffectiveAdapters",
    group: "skew",
    doc: "log2 of 1 / Σ share² (inverse Herfindahl: adapters that matter)",
  },
  ...ACTIVE_TAUS_S.map((tau): FeatureDef => ({
    name: `log2ActiveOverSlots${tau}s`,
    group: "skew",
    doc: `log2 of (expected adapters with a request within ${tau} s = Σ (1 − e^(−rate·${tau}))) / maxLoras: >0 means slot contention`,
  })),
  // ---- memory model ----
  {
    name: "log2KvCacheTokens",
    group: "memory",
    doc: "log2 KV-cache capacity, tokens (memory model; 0 when it does not fit)",
  },
  {
    name: "log2KvRequests",
    group: "memory",
    doc: "log2 KV tokens / mean tokens per request (requests the cache holds)",
  },
  { name: "loraSlotsShare", group: "memory", doc: "LoRA slot memory / memory budget" },
  // ---- physics (fluid approximation, physics.ts) ----
  {
    name: "log2FluidCapacityTokS",
    group: "physics",
    doc: "log2 tokens/s at the largest batch the flags and KV cache allow (fluid model)",
  },
  {
    name: "log2LoadOverCapacity",
    group: "physics",
    doc: "log2 expected demand / fluid capacity (> 0: overloaded before any LoRA effect)",
  },
  {
    name: "log2FluidBatchMax",
    group: "physics",
    doc: "log2 largest batch (maxNumSeqs, KV, token budget)",
  },
  {
    name: "log2FluidStepMsAtMax",
    group: "physics",
    doc: "log2 step time at the largest batch, ms (ITL of a saturated server)",
  },
  {
    name: "log2FluidBatchAtLoad",
    group: "physics",
    doc: "log2 (1 + batch at the offered load by Little's law)",
  },
  {
    name: "log2FluidStepMsAtLoad",
    group: "physics",
    doc: "log2 step time at the offered load, ms (ITL of a server that keeps up)",
  },
  {
    name: "log2ActiveOverSlotsResidence",
    group: "physics",
    doc: "log2 (adapters with a request within one request's residence O × step) / maxLoras",
  },
  {
    name: "log2TopSlotsBatch",
    group: "physics",
    doc: "log2 (1 + requests the maxLoras busiest adapters keep in flight: Σ_top rate × residence)",
  },
  {
    name: "log2CycleOverResidence",
    group: "physics",
    doc: "log2 (1 + slot polling cycle / residence): how many residences a cold adapter waits",
  },
  {
    name: "log2CycleOverWindow",
    group: "physics",
    doc: "log2 polling cycle / window (floored at 2^-14)",
  },
  {
    name: "fluidWindowLoss",
    group: "physics",
    doc: "share of the window's tokens left unfinished by waiting T/2 + R at its end (0..1)",
  },
  {
    name: "log2SkipShare",
    group: "physics",
    doc: "log2 (1 + scheduler skip cost per step / step time) from the waiting queue",
  },
  {
    name: "log2Waiting",
    group: "physics",
    doc: "log2 (1 + mean waiting requests: contention queue or overload growth, capped)",
  },
  {
    name: "log2OverloadQueue",
    group: "physics",
    doc: "log2 (1 + client queue at the window's end from overload alone, min(cap, (λ − μ) D))",
  },
  // ---- hardware ----
  { name: "log2BandwidthTBs", group: "hardware", doc: "log2 GPU memory bandwidth, TB/s" },
  { name: "log2Tflops", group: "hardware", doc: "log2 GPU dense BF16 TFLOPS" },
  { name: "log2MemoryGiB", group: "hardware", doc: "log2 GPU memory, GiB" },
  { name: "log2WeightGiB", group: "hardware", doc: "log2 model weights, GiB" },
  { name: "log2KvKiBPerToken", group: "hardware", doc: "log2 KV-cache KiB per token" },
  { name: "log2LoraMiBPerRank", group: "hardware", doc: "log2 LoRA adapter MiB per unit of rank" },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;

/** Everything derived from a scenario besides the feature vector (used to post-process). */
export interface ScenarioSummary {
  /** the memory plan (deterministic, from the twin's memory model) */
  memory: MemoryReport;
  /** expected demanded tokens/s: Σ rate × (E prompt + E output), after the maxModelLen clip */
  demandTokS: number;
  /** expected requests in the window */
  expectedRequests: number;
  /** adapters in the workload */
  adapters: number;
  /** rate-weighted mean lengths, tokens */
  meanLengths: LengthMean;
}

const meanCache = new WeakMap<LengthProfile, Map<number, LengthMean>>();

/** Exact mean (prompt, output) of a length profile after the maxModelLen clip (cached per profile object). */
export function profileMean(profile: LengthProfile, maxModelLen: number): LengthMean {
  if (profile.profile === "sharegpt" && maxModelLen >= SHAREGPT_MAX_TOTAL) return SHAREGPT_MEAN;
  if (profile.profile === "fixed" && profile.promptTokens + profile.outputTokens <= maxModelLen) {
    return { prompt: profile.promptTokens, output: profile.outputTokens };
  }
  let byLen = meanCache.get(profile);
  if (!byLen) {
    byLen = new Map();
    meanCache.set(profile, byLen);
  }
  let m = byLen.get(maxModelLen);
  if (!m) {
    m = createLengthSampler(profile, { maxModelLen }).mean();
    byLen.set(maxModelLen, m);
  }
  return m;
}

/** Per-adapter traffic of a workload: sampled rates, or the counts of a replayed trace. */
interface Traffic {
  rates: Float64Array;
  ranks: Float64Array;
  prompt: Float64Array;
  output: Float64Array;
  /** inter-arrival CV (1 = Poisson) */
  arrivalCv: number;
}

function trafficOf(s: ResolvedScenario): Traffic {
  const w = s.workload;
  const n = w.adapters.length;
  const rates = new Float64Array(n);
  const ranks = new Float64Array(n);
  const prompt = new Float64Array(n);
  const output = new Float64Array(n);
  const maxLen = s.engine.maxModelLen;
  for (let i = 0; i < n; i++) {
    const a = w.adapters[i]!;
    ranks[i] = a.rank;
    rates[i] = a.rateRps;
    const m = profileMean(a.lengths ?? w.lengths, maxLen);
    prompt[i] = m.prompt;
    output[i] = m.output;
  }
  let arrivalCv = w.arrival.kind === "gamma" ? w.arrival.cv : 1;
  if (w.trace) {
    // A replay: rates and lengths are what the trace holds inside the window.
    const t = w.trace;
    const counts = new Float64Array(n);
    prompt.fill(0);
    output.fill(0);
    const last = new Float64Array(n).fill(-1);
    let gapSum = 0;
    let gapSq = 0;
    let gaps = 0;
    for (let k = 0; k < t.arrivalS.length; k++) {
      const at = t.arrivalS[k]!;
      if (at >= w.durationS) break;
      const a = t.adapter[k]!;
      counts[a]!++;
      const p = clipPromptTokens(t.promptTokens[k]!, maxLen);
      prompt[a]! += p;
      output[a]! += clipOutputTokens(p, t.outputTokens[k]!, maxLen);
      if (last[a]! >= 0) {
        const g = at - last[a]!;
        gapSum += g;
        gapSq += g * g;
        gaps++;
      }
      last[a] = at;
    }
    for (let a = 0; a < n; a++) {
      const c = counts[a]!;
      rates[a] = c / w.durationS;
      prompt[a] = c > 0 ? prompt[a]! / c : 0;
      output[a] = c > 0 ? output[a]! / c : 0;
    }
    if (gaps > 1) {
      const mean = gapSum / gaps;
      const v = Math.max(0, gapSq / gaps - mean * mean);
      arrivalCv = mean > 0 ? Math.sqrt(v) / mean : 1;
    }
  }
  return { rates, ranks, prompt, output, arrivalCv };
}

/**
 * The feature vector of a resolved scenario, written into `out` at `offset` (a row of a
 * row-major matrix), and the summary the post-processing needs.
 */
export function extractFeatures(
  s: ResolvedScenario,
  out: Float32Array = new Float32Array(FEATURE_COUNT),
  offset = 0,
): ScenarioSummary {
  const e = s.engine;
  const w = s.workload;
  const memory = memoryPlan(s);
  const t = trafficOf(s);
  const n = t.rates.length;

  let rateSum = 0;
  let rateSq = 0;
  let rankSum = 0;
  let rankSq = 0;
  let rankMax = 0;
  let rankRate = 0;
  let promptRate = 0;
  let outputRate = 0;
  let rateMax = 0;
  for (let i = 0; i < n; i++) {
    const r = t.rates[i]!;
    const k = t.ranks[i]!;
    rateSum += r;
    rateSq += r * r;
    rankSum += k;
    rankSq += k * k;
    if (k > rankMax) rankMax = k;
    if (r > rateMax) rateMax = r;
    rankRate += r * k;
    promptRate += r * t.prompt[i]!;
    outputRate += r * t.output[i]!;
  }
  const tokRate = promptRate + outputRate;
  const rateMean = n > 0 ? rateSum / n : 0;
  const rateStd = n > 0 ? Math.sqrt(Math.max(0, rateSq / n - rateMean * rateMean)) : 0;
  const rankMean = n > 0 ? rankSum / n : 0;
  const rankStd = n > 0 ? Math.sqrt(Math.max(0, rankSq / n - rankMean * rankMean)) : 0;
  const meanPrompt = rateSum > 0 ? promptRate / rateSum : 0;
  const meanOutput = rateSum > 0 ? outputRate / rateSum : 0;

  // Sorted rates (descending) for Gini and top-slot share.
  const sorted = Float64Array.from(t.rates).sort().reverse();
  let gini = 0;
  let top = 0;
  let herf = 0;
  const slots = Math.min(e.maxLoras, n);
  if (rateSum > 0) {
    // Gini = Σ (2i − n + 1) x_(i) / (n Σ x) over ascending order, i from 0.
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const x = sorted[n - 1 - i]!; // ascending
      acc += (2 * i - n + 1) * x;
      const sh = x / rateSum;
      herf += sh * sh;
    }
    gini = n > 1 ? acc / (n * rateSum) : 0;
    for (let i = 0; i < slots; i++) top += sorted[i]!;
    top /= rateSum;
  }
  const active = ACTIVE_TAUS_S.map((tau) => {
    let a = 0;
    for (let i = 0; i < n; i++) a += -Math.expm1(-t.rates[i]! * tau);
    return a;
  });

  const g = s.gpu;
  const m = s.model;
  const meanTokens = meanPrompt + meanOutput;
  const fluid = fluidEstimate(s, {
    prompt: meanPrompt,
    output: meanOutput,
    rateRps: rateSum,
    adapters: n,
    kvTokens: memory.kvCacheTokens,
  });
  const cont = contentionEstimate(s, {
    h: rateHistogram(t.rates),
    rateRps: rateSum,
    prompt: meanPrompt,
    output: meanOutput,
    fluid,
  });
  // one request's residence in the batch (s): its output tokens at the step time at load
  const residenceS = (Math.max(1, meanOutput) * fluid.stepMsAtLoad) / 1000;
  let topRate = 0;
  for (let i = 0; i < slots; i++) topRate += sorted[i]!;
  const values = [
    log10(rateSum + RATE_EPS),
    rateMean > 0 ? rateStd / rateMean : 0,
    log2(Math.max(1, rankMax)),
    log2(Math.max(1, rankMean)),
    rankStd / 16,
    log2(e.maxLoras),
    log2(e.maxCpuLoras),
    log2(Math.max(1, n)),
    log2(e.maxLoraRank),
    log2(e.maxNumSeqs),
    log2(e.maxNumBatchedTokens),
    n > 0 ? Math.min(1, e.maxLoras / n) : 1,
    log2(Math.max(1, meanPrompt)),
    log2(Math.max(1, meanOutput)),
    log2(Math.max(0.05, t.arrivalCv)),
    log10(w.durationS),
    log10(Math.min(w.maxPendingRequests ?? 1e8, 1e8)),
    log10(tokRate + RATE_EPS),
    log10(rateSum * w.durationS + 1),
    log2(Math.max(1, rateSum > 0 ? rankRate / rateSum : rankMean)),
    gini,
    rateSum > 0 ? rateMax / rateSum : 0,
    rateSum > 0 ? top : 1,
    log2(herf > 0 ? 1 / herf : 1),
    ...active.map((a) => log2(Math.max(a, 1e-3) / e.maxLoras)),
    log2(Math.max(1, memory.kvCacheTokens)),
    log2(Math.max(1, memory.kvCacheTokens) / Math.max(1, meanTokens)),
    memory.loraSlotsGiB / memory.budgetGiB,
    log2(fluid.capacityTokS),
    log2(Math.max(tokRate, 1e-3) / fluid.capacityTokS),
    log2(fluid.batchMax),
    log2(fluid.stepMsAtMax),
    log2(1 + fluid.batchAtLoad),
    log2(fluid.stepMsAtLoad),
    log2(Math.max(cont.activeOverSlots, 1e-3)),
    log2(1 + topRate * residenceS),
    log2(1 + cont.cycleS / cont.residenceS),
    log2(Math.max(cont.cycleS / w.durationS, 2 ** -14)),
    cont.windowLoss,
    log2(1 + cont.skipMs / fluid.stepMsAtLoad),
    log2(1 + cont.waiting),
    log2(1 + cont.overloadQueue),
    log2(g.memoryBandwidthTBs),
    log2(g.bf16Tflops),
    log2(g.memoryGiB),
    log2(weightsBytes(m) / 2 ** 30),
    log2(kvBytesPerToken(m) / 1024),
    log2(loraAdapterBytes(m, 1) / 2 ** 20),
  ];
  for (let j = 0; j < FEATURE_COUNT; j++) out[offset + j] = values[j]!;
  return {
    memory,
    demandTokS: tokRate,
    expectedRequests: rateSum * w.durationS,
    adapters: n,
    meanLengths: { prompt: meanPrompt, output: meanOutput },
  };
}
