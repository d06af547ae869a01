/**
 * The sampling design: which scenarios the twin is run on to make a surrogate's training set.
 *
 * It covers what the placement planner asks of one GPU: a subset of the fleet's adapters
 * (1 to 4,096), per-adapter rates spread over four decades with realistic skew (equal,
 * cyclic levels as in the measured runs, Zipf, log-normal), ranks 8–64 in mixes, slots from
 * 1 up to the memory limit or the adapter count, and a total load from 2% to 16× the
 * server's saturation (with extra mass around saturation, where placement decisions are made).
 *
 * Reproducible: sample `i` of design seed `s` draws only from its own random stream
 * `createRng(s, i)`, so any sample can be (re)made alone, in any order, on any worker, and
 * adding samples never changes earlier ones. The load scale is the twin's own latency model
 * (via `physics.ts`), so the design follows the twin when it is re-tuned.
 */
import type { GpuId, ModelId } from "../catalog/ids";
import { getGpu, getModel } from "../catalog/derived";
import type { ResolvedScenario } from "../scenario/resolve";
import { loadScenario } from "../scenario/resolve";
import type { ScenarioInput } from "../scenario/schema";
import { VLLM_MAX_LORA_RANKS, LIMITS } from "../scenario/schema";
import { memoryPlan } from "../twin/simulate";
import { createRng, type Rng } from "../workload/rng";
import { profileMean } from "./features";
import { fluidEstimate } from "./physics";

/** Bump when the design changes what sample `i` is (recorded in datasets and models). */
export const DESIGN_VERSION = 2;

/** What to generate. */
export interface DatasetSpec {
  model: ModelId;
  gpu: GpuId;
  /** number of scenarios */
  samples: number;
  /** design seed: sample i uses random stream (seed, i) */
  seed: number;
  /** first sample index (default 0): a held-out set is just another index range or seed */
  offset?: number;
  /**
   * simulated window of every sample, s; default: a mix, 40% at the measured runs' 3600 s and
   * 60% log-uniform in [600, 3600] s (see {@link designScenario})
   */
  durationS?: number;
}

/** The measured runs' window, s: the design puts 40% of its samples there. */
export const MEASURED_DURATION_S = 3600;
/** Shortest window of the design, s. */
export const MIN_DURATION_S = 600;

/** Client queue cap of the measured runs (their load generator saturated near it). */
export const MEASURED_PENDING_CAP = 25_500;

const RANKS = [8, 16, 32, 64] as const;

function logUniform(rng: Rng, lo: number, hi: number): number {
  return lo * Math.exp(rng.next() * Math.log(hi / lo));
}

function pick<T>(rng: Rng, items: readonly T[], weights?: readonly number[]): T {
  if (!weights) return items[Math.floor(rng.next() * items.length)]!;
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.next() * total;
  for (let i = 0; i < items.length; i++) {
    u -= weights[i]!;
    if (u < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

function normal(rng: Rng): number {
  // Box-Muller (one of the pair); 1 - u avoids log(0).
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Largest `--max-loras` for which the server starts (memory model), at most `cap`; 0 when
 * even one slot does not fit.
 */
export function maxLorasLimit(s: ResolvedScenario, cap: number = LIMITS.maxLoras): number {
  const fits = (k: number) => memoryPlan({ ...s, engine: { ...s.engine, maxLoras: k } }).fits;
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = cap;
  if (fits(hi)) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Relative adapter popularity shares (sum 1) in one of the design's patterns. */
function rateShares(rng: Rng, n: number): { shares: Float64Array; pattern: string } {
  const w = new Float64Array(n);
  const pattern = pick(rng, ["equal", "levels", "zipf", "lognormal"], [0.15, 0.3, 0.25, 0.3]);
  if (pattern === "equal") w.fill(1);
  else if (pattern === "levels") {
    // Cyclic rate levels as the measured runs assign them (e.g. 3.2-1.6-0.025).
    const k = pick(rng, [2, 3, 4]);
    const levels = Array.from({ length: k }, () => 10 ** (-rng.next() * 3));
    for (let i = 0; i < n; i++) w[i] = levels[i % k]!;
  } else if (pattern === "zipf") {
    const s = 0.3 + 1.3 * rng.next();
    // random popularity order, so popularity is not tied to the adapter index
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let i = 0; i < n; i++) w[order[i]!] = 1 / (i + 1) ** s;
  } else {
    const sigma = 0.2 + 2.3 * rng.next();
    for (let i = 0; i < n; i++) w[i] = Math.exp(sigma * normal(rng));
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += w[i]!;
  for (let i = 0; i < n; i++) w[i] = w[i]! / sum;
  return { shares: w, pattern };
}

/** What a sample is, in a few numbers (for logs and stratified metrics). */
export interface SampleInfo {
  adapters: number;
  pattern: string;
  /** nominal load: expected demand / the scenario's fluid capacity */
  load: number;
}

/**
 * Scenario `index` of the design (pure: depends only on the spec and the index). Scenarios
 * that would not start (memory) are never produced: slot counts are drawn below the memory
 * limit. The total rate is a drawn load factor times the scenario's own fluid capacity
 * (`physics.ts`: the twin's latency model at the largest batch these flags allow), so every
 * GPU, model, flag set and length profile gets the same spread around its saturation point.
 *
 * Weights follow what the planner asks (window 3600 s, maxNumSeqs 1024, unlimited client
 * queue, ShareGPT, Poisson, maxCpuLoras = adapters, maxLoraRank = smallest fitting rank,
 * tuned maxLoras) and what the measured runs did (maxNumSeqs 2048, 25,500-request client cap,
 * loads up to 14× capacity), with the rest of the input space covered more thinly.
 */
export function designScenario(
  spec: DatasetSpec,
  index: number,
): { scenario: ScenarioInput; info: SampleInfo } {
  const rng = createRng(spec.seed, index);
  getModel(spec.model); // throws for unknown ids
  getGpu(spec.gpu);

  // adapters: a few often (single hot adapters are common), else log-uniform up to 4,096
  const n =
    rng.next() < 0.1 ? 1 + Math.floor(rng.next() * 4) : Math.round(logUniform(rng, 1, 4096));

  // ranks: a mix of 1-4 distinct ranks in random proportions
  const mix = pick(rng, [1, 2, 3, 4], [0.35, 0.3, 0.2, 0.15]);
  const pool = [...RANKS];
  const chosen: number[] = [];
  for (let k = 0; k < mix; k++)
    chosen.push(pool.splice(Math.floor(rng.next() * pool.length), 1)[0]!);
  const props = chosen.map(() => 0.2 + rng.next());
  const ranks = Array.from({ length: n }, () => pick(rng, chosen, props));
  const rankMax = Math.max(...ranks);
  let maxLoraRank: number = VLLM_MAX_LORA_RANKS.find((r) => r >= rankMax)!;
  if (rng.next() < 0.1) {
    maxLoraRank =
      VLLM_MAX_LORA_RANKS[VLLM_MAX_LORA_RANKS.indexOf(maxLoraRank as 8) + 1] ?? maxLoraRank;
  }

  // request lengths
  const lengthKind = pick(rng, ["sharegpt", "fixed", "uniform"], [0.75, 0.1, 0.15]);
  let lengths: ScenarioInput["workload"]["lengths"];
  if (lengthKind === "sharegpt") lengths = { profile: "sharegpt" };
  else if (lengthKind === "fixed") {
    lengths = {
      profile: "fixed",
      promptTokens: Math.round(logUniform(rng, 8, 2048)),
      outputTokens: Math.round(logUniform(rng, 8, 1024)),
    };
  } else {
    const p0 = Math.round(logUniform(rng, 4, 512));
    const o0 = Math.round(logUniform(rng, 4, 256));
    lengths = {
      profile: "uniform",
      promptTokens: [p0, p0 + Math.round(logUniform(rng, 1, 2048))],
      outputTokens: [o0, o0 + Math.round(logUniform(rng, 1, 1024))],
    };
  }

  // engine flags
  const maxNumSeqs = pick(rng, [128, 256, 512, 1024, 2048], [0.05, 0.15, 0.1, 0.35, 0.35]);
  const maxNumBatchedTokens = Math.max(
    maxNumSeqs,
    pick(rng, [2048, 4096, 8192], [0.75, 0.15, 0.1]),
  );
  let maxModelLen: number | undefined =
    rng.next() < 0.6 ? undefined : pick(rng, [4096, 8192, 16384, 32768]);
  const arrival =
    rng.next() < 0.8
      ? { kind: "poisson" as const }
      : { kind: "gamma" as const, cv: logUniform(rng, 0.3, 4) };
  const maxPendingRequests = rng.next() < 0.5 ? MEASURED_PENDING_CAP : undefined;

  // load factor against the fluid capacity: light, around saturation, overloaded
  const { shares, pattern } = rateShares(rng, n);
  const band = rng.next();
  const load =
    band < 0.3
      ? logUniform(rng, 0.02, 0.6)
      : band < 0.75
        ? logUniform(rng, 0.6, 1.5)
        : logUniform(rng, 1.5, 16);

  // The window is an input (overloaded servers are not stationary: their queue, TTFT and, with
  // LoRA slot contention, throughput grow over the window), so the design varies it; short
  // windows are also cheaper to simulate (twin cost is proportional to tokens processed).
  // (Both draws are always made, so a fixed-window spec makes the same scenarios otherwise.)
  const atMeasured = rng.next() < 0.6;
  const shortD = 10 * Math.round(logUniform(rng, MIN_DURATION_S, MEASURED_DURATION_S) / 10);
  const durationS = spec.durationS ?? (atMeasured ? MEASURED_DURATION_S : shortD);
  const uAllSlots = rng.next();
  const uSlots = rng.next();
  const uCpu = rng.next();
  const uCpuCount = rng.next();

  const scenario: ScenarioInput = {
    model: spec.model,
    gpu: spec.gpu,
    engine: {
      maxLoras: 1,
      maxCpuLoras: n,
      maxLoraRank,
      maxNumSeqs,
      maxNumBatchedTokens,
      maxModelLen,
    },
    workload: {
      durationS,
      seed: index,
      lengths,
      arrival,
      maxPendingRequests,
      adapters: ranks.map((rank, i) => ({ id: `a${i}`, rank, rateRps: shares[i]! })),
    },
  };
  // slots: up to the memory limit and the adapter count; shorten maxModelLen if nothing fits
  let resolved = loadScenario(scenario);
  let limit = maxLorasLimit(resolved, Math.min(n, LIMITS.maxLoras));
  if (limit === 0) {
    maxModelLen = 4096;
    scenario.engine = { ...scenario.engine, maxModelLen };
    resolved = loadScenario(scenario);
    limit = maxLorasLimit(resolved, Math.min(n, LIMITS.maxLoras));
  }
  if (limit === 0)
    throw new Error(`design: ${spec.model} on ${spec.gpu} cannot start with one LoRA slot`);
  const maxLoras =
    uAllSlots < 0.3 ? limit : Math.max(1, Math.min(limit, Math.round((limit + 1) ** uSlots - 0.5)));
  const maxCpuLoras = uCpu < 0.9 ? n : maxLoras + Math.floor(uCpuCount * (n - maxLoras + 1));
  scenario.engine = { ...scenario.engine, maxLoras, maxCpuLoras };
  resolved = loadScenario(scenario);

  // rates: shares × (load × fluid capacity / mean tokens per request)
  const mean = profileMean(resolved.workload.lengths, resolved.engine.maxModelLen);
  const cap = fluidEstimate(resolved, {
    prompt: mean.prompt,
    output: mean.output,
    rateRps: 0,
    adapters: n,
    kvTokens: memoryPlan(resolved).kvCacheTokens,
  }).capacityTokS;
  const totalRps = (load * cap) / (mean.prompt + mean.output);
  scenario.workload.adapters = ranks.map((rank, i) => ({
    id: `a${i}`,
    rank,
    rateRps: Math.min(LIMITS.rateRps, Math.max(1e-6, totalRps * shares[i]!)),
  }));
  return { scenario, info: { adapters: n, pattern, load } };
}
