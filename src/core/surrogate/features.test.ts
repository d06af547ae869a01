import { describe, expect, it } from "vitest";
import { loadScenario } from "../scenario/resolve";
import type { ScenarioInput } from "../scenario/schema";
import { extractFeatures, FEATURE_COUNT, FEATURE_NAMES, FEATURES } from "./features";

// Every expected number below is computed by hand (shown in the comment), not by the code
// under test.

function features(input: ScenarioInput) {
  const x = new Float32Array(FEATURE_COUNT);
  const summary = extractFeatures(loadScenario(input), x);
  const f = (name: string) => {
    const j = FEATURE_NAMES.indexOf(name);
    if (j < 0) throw new Error(`no feature ${name}`);
    return x[j]!;
  };
  return { f, summary, x };
}

const base = (
  adapters: ScenarioInput["workload"]["adapters"],
  extra: Partial<ScenarioInput> = {},
) =>
  ({
    model: "llama-3.1-8b-instruct",
    gpu: "h100-64gb",
    engine: {
      maxLoras: 2,
      maxCpuLoras: 3,
      maxLoraRank: 32,
      maxNumSeqs: 256,
      maxNumBatchedTokens: 2048,
      maxModelLen: 4096,
    },
    workload: { durationS: 1000, adapters },
    ...extra,
  }) as ScenarioInput;

describe("surrogate features", () => {
  it("has unique names and one doc each", () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
    for (const f of FEATURES) expect(f.doc.length).toBeGreaterThan(10);
  });

  it("three adapters, rates 1/2/3 req/s, ranks 8/16/32, ShareGPT", () => {
    const { f, summary } = features(
      base([
        { id: "a", rank: 8, rateRps: 1 },
        { id: "b", rank: 16, rateRps: 2 },
        { id: "c", rank: 32, rateRps: 3 },
      ]),
    );
    // Σ rates = 6
    expect(f("log10RateSum")).toBeCloseTo(Math.log10(6), 5);
    // mean 2, population std sqrt(((1-2)² + 0 + (3-2)²)/3) = sqrt(2/3) = 0.81650 → CV 0.40825
    expect(f("rateCv")).toBeCloseTo(0.40825, 4);
    // ranks: max 32 → 5; mean 56/3 = 18.667 → log2 = 4.2224
    expect(f("log2RankMax")).toBeCloseTo(5, 6);
    expect(f("log2RankMean")).toBeCloseTo(4.22239, 4);
    // std of 8,16,32 = sqrt((113.78 + 7.11 + 177.78)/3) = sqrt(99.556) = 9.9778 → /16 = 0.62361
    expect(f("rankStdOver16")).toBeCloseTo(0.62361, 4);
    expect(f("log2MaxLoras")).toBeCloseTo(1, 6);
    expect(f("log2MaxCpuLoras")).toBeCloseTo(Math.log2(3), 5);
    expect(f("log2Adapters")).toBeCloseTo(Math.log2(3), 5);
    expect(f("log2MaxLoraRank")).toBeCloseTo(5, 6);
    expect(f("log2MaxNumSeqs")).toBeCloseTo(8, 6);
    expect(f("log2MaxNumBatchedTokens")).toBeCloseTo(11, 6);
    // 2 slots / 3 adapters
    expect(f("slotsOverAdapters")).toBeCloseTo(2 / 3, 6);
    // ShareGPT means 222.6994 / 196.5 (no clip at maxModelLen 4096 ≥ 2048)
    expect(f("log2MeanPrompt")).toBeCloseTo(Math.log2(222.6994), 4);
    expect(f("log2MeanOutput")).toBeCloseTo(Math.log2(196.5), 4);
    expect(f("log2ArrivalCv")).toBeCloseTo(0, 6); // Poisson: CV 1
    expect(f("log10DurationS")).toBeCloseTo(3, 6);
    expect(f("log10PendingCap")).toBeCloseTo(8, 6); // unlimited
    // demand = 6 × (222.6994 + 196.5) = 2515.196 tok/s
    expect(summary.demandTokS).toBeCloseTo(2515.196, 2);
    expect(f("log10DemandTokS")).toBeCloseTo(Math.log10(2515.196), 4);
    // 6 req/s × 1000 s = 6000 requests → log10(6001)
    expect(f("log10RequestsInWindow")).toBeCloseTo(Math.log10(6001), 4);
    // rate-weighted rank (8 + 32 + 96)/6 = 22.667
    expect(f("log2RankRateMean")).toBeCloseTo(Math.log2(22.6667), 4);
    // Gini of 1,2,3: Σ|xi−xj| over ordered pairs = 8, / (2 n² mean) = 8 / 36 = 0.22222
    expect(f("rateGini")).toBeCloseTo(0.22222, 4);
    expect(f("rateMaxShare")).toBeCloseTo(0.5, 6);
    // two busiest (3 + 2) / 6
    expect(f("topSlotsShare")).toBeCloseTo(5 / 6, 5);
    // 1 / ((1 + 4 + 9)/36) = 36/14 = 2.5714
    expect(f("log2EffectiveAdapters")).toBeCloseTo(Math.log2(36 / 14), 4);
    // within 1 s: (1 − e^-1) + (1 − e^-2) + (1 − e^-3) = 0.63212 + 0.86466 + 0.95021 = 2.44699, / 2 slots
    expect(f("log2ActiveOverSlots1s")).toBeCloseTo(Math.log2(2.44699 / 2), 4);
    // within 100 s every adapter is active: 3 / 2
    expect(f("log2ActiveOverSlots100s")).toBeCloseTo(Math.log2(1.5), 4);
    // Llama KV: 2 × 32 layers × 8 heads × 128 × 2 B = 131072 B = 128 KiB → 7
    expect(f("log2KvKiBPerToken")).toBeCloseTo(7, 6);
    expect(f("log2BandwidthTBs")).toBeCloseTo(Math.log2(1.64), 5);
    expect(f("log2Tflops")).toBeCloseTo(Math.log2(989.4), 5);
    expect(f("log2MemoryGiB")).toBeCloseTo(Math.log2(63.35), 5);
    // 8.03e9 × 2 B = 14.957 GiB
    expect(f("log2WeightGiB")).toBeCloseTo(Math.log2((8.03e9 * 2) / 2 ** 30), 5);
    // memory outputs come from the twin's memory model
    expect(summary.memory.fits).toBe(true);
    expect(f("log2KvCacheTokens")).toBeCloseTo(Math.log2(summary.memory.kvCacheTokens), 4);
    expect(f("log2KvRequests")).toBeCloseTo(Math.log2(summary.memory.kvCacheTokens / 419.1994), 4);
  });

  it("one adapter, fixed lengths, bursty, capped queue", () => {
    const { f, summary } = features(
      base([{ id: "only", rank: 16, rateRps: 0.5 }], {
        engine: { maxLoras: 1, maxCpuLoras: 1, maxLoraRank: 16, maxModelLen: 4096 },
        workload: {
          durationS: 3600,
          lengths: { profile: "fixed", promptTokens: 100, outputTokens: 50 },
          arrival: { kind: "gamma", cv: 2 },
          maxPendingRequests: 1000,
          adapters: [{ id: "only", rank: 16, rateRps: 0.5 }],
        },
      }),
    );
    expect(f("rateCv")).toBe(0);
    expect(f("rateGini")).toBe(0);
    expect(f("rateMaxShare")).toBe(1);
    expect(f("topSlotsShare")).toBe(1);
    expect(f("log2EffectiveAdapters")).toBe(0);
    expect(f("rankStdOver16")).toBe(0);
    expect(f("log2MeanPrompt")).toBeCloseTo(Math.log2(100), 5);
    expect(f("log2MeanOutput")).toBeCloseTo(Math.log2(50), 5);
    expect(f("log2ArrivalCv")).toBeCloseTo(1, 6); // cv 2
    expect(f("log10PendingCap")).toBeCloseTo(3, 6);
    // 0.5 × 150 = 75 tok/s
    expect(summary.demandTokS).toBeCloseTo(75, 6);
    // defaults of vLLM 0.8.5: maxNumSeqs 256, maxNumBatchedTokens 2048
    expect(f("log2MaxNumSeqs")).toBeCloseTo(8, 6);
    // within 10 s: 1 − e^-5 = 0.99326 adapters, 1 slot
    expect(f("log2ActiveOverSlots10s")).toBeCloseTo(Math.log2(0.99326), 4);
  });

  it("a replayed trace: rates are counts in the window, lengths its means", () => {
    const { f, summary } = features(
      base(
        [
          { id: "a", rank: 8, rateRps: 100 },
          { id: "b", rank: 8, rateRps: 100 },
        ],
        {
          engine: { maxLoras: 2, maxCpuLoras: 2, maxLoraRank: 8, maxModelLen: 4096 },
          workload: {
            durationS: 10,
            adapters: [
              { id: "a", rank: 8, rateRps: 100 },
              { id: "b", rank: 8, rateRps: 100 },
            ],
            trace: {
              // a at 0, 2, 4 (gaps 2, 2); b at 1; the row at 12 s is outside the window
              arrivalS: [0, 1, 2, 4, 12],
              adapter: [0, 1, 0, 0, 1],
              promptTokens: [10, 20, 30, 40, 1000],
              outputTokens: [5, 5, 5, 5, 1000],
            },
          },
        },
      ),
    );
    // a: 3 requests / 10 s = 0.3, b: 0.1 → Σ 0.4
    expect(f("log10RateSum")).toBeCloseTo(Math.log10(0.4), 5);
    expect(f("rateMaxShare")).toBeCloseTo(0.75, 5);
    // tokens: a (10+30+40) + 3×5 = 95, b 25 → 120 tokens / 10 s
    expect(summary.demandTokS).toBeCloseTo(12, 5);
    // gaps of a: 2, 2 → CV 0 → floored at 0.05
    expect(f("log2ArrivalCv")).toBeCloseTo(Math.log2(0.05), 5);
  });
});
