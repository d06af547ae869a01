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
 * Ignored (left to the network): LoRA slot contention and adapter loads, scheduler skips,
 * queueing transients over the window, length variance.
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
