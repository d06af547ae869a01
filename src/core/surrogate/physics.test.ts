import { describe, expect, it } from "vitest";
import { loadScenario } from "../scenario/resolve";
import { calibrationFor } from "../twin/calibration";
import { loraShape, stepMs } from "../twin/latencyModel";
import { memoryPlan } from "../twin/simulate";
import { fluidEstimate } from "./physics";

const scenario = (maxNumSeqs: number, rate: number, n = 16) =>
  loadScenario({
    model: "llama-3.1-8b-instruct",
    gpu: "h100-64gb",
    engine: {
      maxLoras: n,
      maxCpuLoras: n,
      maxLoraRank: 16,
      maxNumSeqs,
      maxNumBatchedTokens: 2048,
      maxModelLen: 4096,
    },
    workload: {
      durationS: 600,
      adapters: Array.from({ length: n }, (_, i) => ({ id: `a${i}`, rank: 16, rateRps: rate })),
    },
  });

const fluid = (maxNumSeqs: number, rate: number, n = 16) => {
  const s = scenario(maxNumSeqs, rate, n);
  return fluidEstimate(s, {
    prompt: 200,
    output: 200,
    rateRps: rate * n,
    adapters: n,
    kvTokens: memoryPlan(s).kvCacheTokens,
  });
};

describe("fluid estimate", () => {
  it("batch cap: maxNumSeqs, else KV tokens / (P + O/2) or the token budget 2048 / (1 + P/O)", () => {
    expect(fluid(256, 0.1).batchMax).toBe(256);
    expect(fluid(512, 0.1).batchMax).toBe(512);
    const kv = memoryPlan(scenario(2048, 0.1)).kvCacheTokens;
    expect(fluid(2048, 0.1).batchMax).toBeCloseTo(Math.min(kv / 300, 1024), 9);
  });

  it("capacity = B (P + O) / O / step(B) at B_max, and grows with the batch", () => {
    const f = fluid(256, 0.1);
    // P = O: 2 tokens per decode step per request
    expect(f.capacityTokS).toBeCloseTo((256 * 2) / (f.stepMsAtMax / 1000), 6);
    expect(fluid(512, 0.1).capacityTokS).toBeGreaterThan(f.capacityTokS);
  });

  it("the batch at load satisfies Little's law B = λ O step(B)", () => {
    const f = fluid(1024, 0.5); // λ = 8 req/s
    expect(f.batchAtLoad).toBeGreaterThan(1);
    expect(f.batchAtLoad).toBeLessThan(f.batchMax);
    expect(f.batchAtLoad).toBeCloseTo((8 * 200 * f.stepMsAtLoad) / 1000, 1);
    // overloaded: capped at B_max, step at load = step at max
    const o = fluid(256, 10);
    expect(o.batchAtLoad).toBe(o.batchMax);
    expect(o.stepMsAtLoad).toBeCloseTo(o.stepMsAtMax, 9);
  });

  it("a batch of one costs the twin's step time for one decode with its prefill share", () => {
    const s = scenario(256, 0.001, 1);
    const f = fluidEstimate(s, {
      prompt: 10,
      output: 10,
      rateRps: 1e-9,
      adapters: 1,
      kvTokens: 1e6,
    });
    const c = calibrationFor("llama-3.1-8b-instruct", "h100-64gb").coefficients;
    // B = 1: 1 decode + 1 prefill token (P/O = 1), KV 10 + 5 = 15, prefill attention 1·10·10/(2·10) = 5
    const t = stepMs(c, loraShape(s.model), 1, 16, {
      tokens: 2,
      decodes: 1,
      kvTokens: 15,
      prefillAttn: 5,
      prefills: 1,
      adapters: 1,
      sumCeil32: 1,
      sumCeil64: 1,
      skipped: 0,
    });
    expect(f.stepMsAtLoad).toBeCloseTo(t, 9);
  });
});
