import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GpuEstimate } from "../placement/types";
import { initBackend } from "./backend";
import { createSurrogateEstimator, type QueryEstimator, type SurrogateQuery } from "./estimator";
import { syntheticDataset } from "./testing";
import { trainSurrogate, type TrainResult } from "./train";

let trained: TrainResult;

beforeAll(async () => {
  tf.enableProdMode();
  await initBackend({ force: "cpu" });
  trained = await trainSurrogate(syntheticDataset(100), {
    epochs: 3,
    hidden: [8],
    validateEvery: 1,
  });
}, 60_000);

afterAll(() => trained?.surrogate.dispose());

const query = (gpu: SurrogateQuery["gpu"], rate: number): SurrogateQuery => ({
  model: "llama-3.1-8b-instruct",
  gpu,
  engine: {
    maxLoras: 4,
    maxCpuLoras: 8,
    maxLoraRank: 16,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 2048,
    gpuMemoryUtilization: 0.9,
    maxModelLen: 4096,
  },
  adapters: Array.from({ length: 8 }, (_, i) => ({ id: `a${i}`, rank: 16, rateRps: rate })),
  workload: {
    durationS: 300,
    seed: 0,
    lengths: { profile: "sharegpt" },
    arrival: { kind: "poisson" },
  },
});

function fakeTwin(): QueryEstimator & { asked: SurrogateQuery[] } {
  const asked: SurrogateQuery[] = [];
  return {
    name: "fake twin",
    asked,
    async estimate(qs) {
      asked.push(...qs);
      return qs.map((): GpuEstimate => ({
        source: "twin",
        throughputTokS: 1,
        demandTokS: 1,
        starvedProbability: 0,
        starved: false,
        ttftP99Ms: 1,
        itlP99Ms: 1,
        fits: true,
        kvCacheTokens: 1,
        outOfDistribution: false,
      }));
    },
  };
}

describe("surrogate estimator", () => {
  it("answers with the surrogate; pairs without one and OOD queries go to the fallback", async () => {
    const fallback = fakeTwin();
    const est = createSurrogateEstimator({
      load: async (m, g) =>
        m === "llama-3.1-8b-instruct" && g === "h100-64gb" ? trained.surrogate : null,
      fallback,
    });
    // rate 1e4 req/s per adapter is far outside the training range → OOD
    const qs = [query("h100-64gb", 0.5), query("l40s", 0.5), query("h100-64gb", 1e4)];
    const r = await est.estimate(qs);
    expect(r.map((e) => e.source)).toEqual(["surrogate", "twin", "twin"]);
    expect(fallback.asked).toEqual([qs[1], qs[2]]);
    expect(r[0]!.demandTokS).toBeCloseTo(8 * 0.5 * (222.6994 + 196.5), 1);
    expect(r[0]!.fits).toBe(true);
  });

  it("without a fallback, OOD answers are kept (flagged) and a missing pair throws", async () => {
    const est = createSurrogateEstimator({
      load: async (_m, g) => (g === "h100-64gb" ? trained.surrogate : null),
    });
    const [e] = await est.estimate([query("h100-64gb", 1e4)]);
    expect(e!.outOfDistribution).toBe(true);
    await expect(est.estimate([query("l40s", 0.5)])).rejects.toThrow(/no surrogate/);
  });
});
