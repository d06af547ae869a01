/**
 * A fluid (mean-value) approximation of the twin's steady state, used as features: the
 * network then learns corrections to a physically scaled answer instead of the whole
 * throughput and latency surface, which makes it far more sample-efficient and lets the
 * load scale follow the twin's latency model (these numbers come from the twin's own
 * coefficients, `calibrationFor`, and step-time function, `stepMs`).
 *
 * Steady state with B requests in the batch, mean prompt P and output O tokens: each step
 * decodes B tokens and prefills B·P/O prompt tokens (every request's prompt spread over its
 * O decode steps), each decoding request reads ~P + O/2 KV tokens, and the adapters in the
 * batch are min(maxLoras, adapters, B). Then
 *   step(B)      = stepMs(that load)                      (ms, the ITL at batch B)
 *   tokens/s(B)  = B (P + O) / O / step(B)
 *   B_max        = min(maxNumSeqs, KV tokens / (P + O/2), maxNumBatchedTokens / (1 + P/O))
 *   capacity     = tokens/s(B_max)
 *   B at load λ  : Little's law B = λ · O · step(B) (fixed point), capped at B_max.
 *
 * Slot contention ({@link contentionEstimate}): with more adapters wanting a slot than
 * `maxLoras`, vLLM's scheduler serves the waiting queue in order but admits only requests
 * of the ≤ maxLoras adapters in the batch, so each slot "visits" one adapter at a time and
 * serves its backlog for about one request residence R = O × step. A polling fluid model:
 *   cycle T     = N_act(T) × R / maxLoras,  N_act(T) = Σ_i (1 − e^(−r_i T))  (fixed point)
 *   waiting     = λ T / 2 requests (Little), each step pays perSkippedUs per skipped one,
 *   R           = O × (step + skip cost)
 * Requests wait ~T/2 for their adapter's turn, so those arriving in the last T/2 + R of the
 * window do not finish: the window loses ~(T/2 + R) / D of its tokens (starvation without
 * overload). Overload adds a growing queue: (λ − capacity) × D, capped by the client.
 * Ignored (left to the network): adapter load times, transients, length variance.
 */
import type { ResolvedScenario } from "../scenario/resolve";
import { calibrationFor } from "../twin/calibration";
import {
  loraShape,
  stepMs,
  type LatencyCoefficients,
  type LoraShape,
  type StepLoad,
} from "../twin/latencyModel";

export interface FluidEstimate {
  /** largest batch the server reaches (requests) */
  batchMax: number;
  /** step time at batch B_max, ms */
  stepMsAtMax: number;
  /** tokens/s at batch B_max */
  capacityTokS: number;
  /** batch at the offered load (≤ B_max) */
  batchAtLoad: number;
  /** step time at that batch, ms (the ITL a server that keeps up would show) */
  stepMsAtLoad: number;
}

const pairCache = new Map<string, { c: LatencyCoefficients; shape: LoraShape }>();

function pairOf(s: ResolvedScenario) {
  const key = `${s.model.id}__${s.gpu.id}`;
  let p = pairCache.get(key);
  if (!p) {
    p = { c: calibrationFor(s.model.id, s.gpu.id).coefficients, shape: loraShape(s.model) };
    pairCache.set(key, p);
  }
  return p;
}

/**
 * Fluid estimate of a scenario whose requests average `prompt`/`output` tokens, arriving at
 * `rateRps` in total over `adapters` adapters, with a KV cache of `kvTokens` tokens.
 */
export function fluidEstimate(
  s: ResolvedScenario,
  p: { prompt: number; output: number; rateRps: number; adapters: number; kvTokens: number },
): FluidEstimate {
  const { c, shape } = pairOf(s);
  const e = s.engine;
  const P = Math.max(1, p.prompt);
  const O = Math.max(1, p.output);
  const ctx = P + O / 2;
  const batchMax = Math.max(
    1,
    Math.min(e.maxNumSeqs, p.kvTokens / ctx, e.maxNumBatchedTokens / (1 + P / O)),
  );
  const load: StepLoad = {
    tokens: 0,
    decodes: 0,
    kvTokens: 0,
    prefillAttn: 0,
    prefills: 0,
    adapters: 0,
    sumCeil32: 0,
    sumCeil64: 0,
    skipped: 0,
  };
  const step = (b: number): number => {
    const prefillTokens = (b * P) / O;
    const tokens = Math.max(1, Math.round(b + prefillTokens));
    const a = e.enableLora ? Math.max(1, Math.min(e.maxLoras, p.adapters, Math.ceil(b))) : 0;
    load.tokens = tokens;
    load.decodes = b;
    load.kvTokens = b * ctx;
    load.prefillAttn = (b * P * P) / (2 * O);
    load.prefills = prefillTokens >= 1 ? 1 : 0;
    load.adapters = a;
    load.sumCeil32 = a > 0 ? a * Math.ceil(tokens / a / 32) : 0;
    load.sumCeil64 = a > 0 ? a * Math.ceil(tokens / a / 64) : 0;
    return stepMs(c, shape, e.maxLoras, e.maxLoraRank, load);
  };
  const stepMsAtMax = step(batchMax);
  const capacityTokS = (batchMax * (P + O)) / O / (stepMsAtMax / 1000);
  // Little's law fixed point B = λ O step(B)/1000 (step is increasing in B: monotone iteration)
  let b = 0;
  if (p.rateRps > 0) {
    b = Math.min(batchMax, (p.rateRps * O * step(1)) / 1000);
    for (let k = 0; k < 40; k++) {
      const next = Math.min(batchMax, (p.rateRps * O * step(Math.max(1, b))) / 1000);
      if (Math.abs(next - b) < 1e-3 * Math.max(1, b)) {
        b = next;
        break;
      }
      b = next;
    }
  }
  return {
    batchMax,
    stepMsAtMax,
    capacityTokS,
    batchAtLoad: b,
    stepMsAtLoad: step(Math.max(1, b)),
  };
}

/** Rates grouped into log-spaced bins (0.05 decade): contention sums cost O(bins), not O(adapters). */
export interface RateHistogram {
  /** mean rate of each non-empty bin, req/s */
  rate: Float64Array;
  /** adapters in it */
  count: Float64Array;
}

export function rateHistogram(rates: ArrayLike<number>): RateHistogram {
  const sum = new Map<number, [number, number]>();
  for (let i = 0; i < rates.length; i++) {
    const r = rates[i]!;
    if (!(r > 0)) continue;
    const b = Math.floor(Math.log10(r) * 20);
    const e = sum.get(b);
    if (e) {
      e[0] += r;
      e[1]++;
    } else sum.set(b, [r, 1]);
  }
  const keys = [...sum.keys()].sort((a, b) => a - b);
  return {
    rate: Float64Array.from(keys, (k) => sum.get(k)![0] / sum.get(k)![1]),
    count: Float64Array.from(keys, (k) => sum.get(k)![1]),
  };
}

/** Expected adapters with at least one request in a window of `t` seconds. */
export function activeWithin(h: RateHistogram, t: number): number {
  let a = 0;
  for (let b = 0; b < h.rate.length; b++) a += h.count[b]! * -Math.expm1(-h.rate[b]! * t);
  return a;
}

export interface ContentionEstimate {
  /** adapters wanting a slot within one residence / maxLoras (> 1: contention) */
  activeOverSlots: number;
  /** polling cycle, s (0 without contention) */
  cycleS: number;
  /** requests waiting on average (contention queue, and overload growth when overloaded) */
  waiting: number;
  /** scheduler skip cost per step, ms */
  skipMs: number;
  /** residence of a request in the batch, s (O × (step + skip)) */
  residenceS: number;
  /** share of the window's tokens expected to be left unfinished: min(1, (T/2 + R) / D) */
  windowLoss: number;
  /** client queue at the end of the window from overload alone: min(cap, (λ − μ) D) */
  overloadQueue: number;
}

/**
 * Slot-contention fluid estimate (see the file comment): `h` the adapters' rates, `rateRps`
 * their sum, `output` mean output tokens, `f` the fluid estimate of the same scenario.
 */
export function contentionEstimate(
  s: ResolvedScenario,
  p: { h: RateHistogram; rateRps: number; prompt: number; output: number; fluid: FluidEstimate },
): ContentionEstimate {
  const { c } = pairOf(s);
  const w = s.workload;
  const L = s.engine.enableLora ? s.engine.maxLoras : Infinity;
  const O = Math.max(1, p.output);
  const D = w.durationS;
  const cap = w.maxPendingRequests ?? Infinity;
  const mu = p.fluid.capacityTokS / Math.max(1, p.prompt + O); // req/s at capacity
  const overloadQueue = Math.min(cap, Math.max(0, p.rateRps - mu) * D);
  const perSkipMs = c.scheduler.perSkippedUs * 1e-3;
  let residenceS = (O * p.fluid.stepMsAtLoad) / 1000;
  const activeOverSlots = activeWithin(p.h, residenceS) / L;
  let cycleS = 0;
  let waiting = overloadQueue / 2;
  let skipMs = 0;
  if (activeOverSlots > 1) {
    // fixed point T = N_act(T) R / L with R growing with the skip cost of λT/2 waiting
    let t = (activeWithin(p.h, residenceS) * residenceS) / L;
    for (let k = 0; k < 30; k++) {
      waiting = Math.min(cap, Math.max((p.rateRps * t) / 2, overloadQueue / 2));
      skipMs = perSkipMs * waiting;
      residenceS = (O * (p.fluid.stepMsAtLoad + skipMs)) / 1000;
      const next = Math.min(100 * D, (activeWithin(p.h, t) * residenceS) / L);
      if (Math.abs(next - t) <= 1e-4 * t) {
        t = next;
        break;
      }
      t = 0.5 * t + 0.5 * next;
    }
    cycleS = t;
  } else {
    skipMs = 0; // every waiting request's adapter is in the batch: nothing is skipped
  }
  return {
    activeOverSlots,
    cycleS,
    waiting,
    skipMs,
    residenceS,
    windowLoss: Math.min(1, (cycleS / 2 + residenceS) / D),
    overloadQueue,
  };
}
