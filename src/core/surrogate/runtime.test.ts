import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario } from "../scenario/resolve";
import { initBackend } from "./backend";
import { extractFeatures, FEATURE_COUNT, FEATURE_NAMES } from "./features";
import { loadSurrogateFromDir, writeArtifacts } from "./node";
import { Surrogate } from "./runtime";
import { syntheticDataset } from "./testing";
import { trainSurrogate, type TrainResult } from "./train";

let trained: TrainResult;
let dir: string;

beforeAll(async () => {
  tf.enableProdMode();
  await initBackend({ force: "cpu" });
  trained = await trainSurrogate(syntheticDataset(120), {
    epochs: 10,
    hidden: [16],
    validateEvery: 5,
  });
  dir = mkdtempSync(join(tmpdir(), "lfp-surrogate-"));
}, 60_000);

afterAll(() => {
  trained?.surrogate.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const rowsOf = (n: number) => {
  const ds = syntheticDataset(n, { seed: 99 });
  return Float32Array.from(ds.rows.flatMap((r) => r.features));
};

describe("surrogate runtime", () => {
  it("save → load gives identical predictions", async () => {
    await writeArtifacts(dir, trained.artifacts);
    const loaded = await loadSurrogateFromDir(dir);
    const x = rowsOf(32);
    const a = trained.surrogate.estimateSync(x);
    const b = loaded.estimateSync(x);
    const c = await loaded.estimate(x);
    for (const k of [
      "throughputTokS",
      "starvedProbability",
      "itlMeanMs",
      "itlP99Ms",
      "ttftMeanMs",
      "ttftP99Ms",
    ] as const) {
      expect(Array.from(b[k])).toEqual(Array.from(a[k]));
      expect(Array.from(c[k])).toEqual(Array.from(a[k]));
    }
    expect(Array.from(b.outOfDistribution)).toEqual(Array.from(a.outOfDistribution));
    loaded.dispose();
  });

  it("writes the TF.js layers format and a normalisation file", () => {
    const model = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
    expect(model.format).toBe("layers-model");
    expect(model.weightsManifest[0].paths).toEqual(["weights.bin"]);
    const meta = JSON.parse(readFileSync(join(dir, "normalisation.json"), "utf8"));
    expect(meta.featureNames).toEqual([...FEATURE_NAMES]);
    expect(meta.featureMean).toHaveLength(FEATURE_COUNT);
    expect(meta.training.validation.rows).toBeGreaterThan(0);
  });

  it("training is deterministic", async () => {
    const again = await trainSurrogate(syntheticDataset(120), {
      epochs: 10,
      hidden: [16],
      validateEvery: 5,
    });
    expect(new Uint8Array(again.artifacts.weights)).toEqual(
      new Uint8Array(trained.artifacts.weights),
    );
    again.surrogate.dispose();
  });

  it("flags features outside the training range (beyond the margin)", () => {
    const s = trained.surrogate;
    const m = s.meta;
    const x = new Float32Array(FEATURE_COUNT * 3);
    // row 0: every feature at the middle of its range → in distribution
    for (let j = 0; j < m.featureNames.length; j++) {
      const col = FEATURE_NAMES.indexOf(m.featureNames[j]!);
      const mid = (m.featureMin[j]! + m.featureMax[j]!) / 2;
      x[col] = mid;
      x[FEATURE_COUNT + col] = mid;
      x[2 * FEATURE_COUNT + col] = mid;
    }
    // row 1: sum of rates just inside the margin; row 2: far beyond it
    const j = m.featureNames.indexOf("log10RateSum");
    const range = m.featureMax[j]! - m.featureMin[j]!;
    const col = FEATURE_NAMES.indexOf("log10RateSum");
    x[FEATURE_COUNT + col] = m.featureMax[j]! + 0.5 * m.oodMargin * range;
    x[2 * FEATURE_COUNT + col] = m.featureMax[j]! + 3 * m.oodMargin * range;
    const b = s.estimateSync(x, 3);
    expect(Array.from(b.outOfDistribution)).toEqual([0, 0, 1]);
    expect(s.oodFeatures(x, 2)).toEqual(["log10RateSum"]);
  });

  it("flags a scenario for another GPU (descriptors constant in training)", async () => {
    const scenario = (gpu: string) =>
      loadScenario({
        model: "llama-3.1-8b-instruct",
        gpu,
        engine: { maxLoras: 4, maxCpuLoras: 8, maxLoraRank: 16, maxModelLen: 4096 },
        workload: {
          durationS: 300,
          adapters: Array.from({ length: 8 }, (_, i) => ({ id: `a${i}`, rank: 16, rateRps: 0.5 })),
        },
      });
    const [same, other] = await trained.surrogate.estimateScenarios([
      scenario("h100-64gb"),
      scenario("a100-80gb"),
    ]);
    expect(other!.outOfDistribution).toBe(true);
    expect(other!.oodFeatures).toContain("log2BandwidthTBs");
    expect(same!.oodFeatures).not.toContain("log2BandwidthTBs");
  });

  it("answers deterministic cases without the network", async () => {
    const tooBig = loadScenario({
      model: "llama-3.1-8b-instruct",
      gpu: "h100-64gb",
      engine: { maxLoras: 4000, maxCpuLoras: 4000, maxLoraRank: 64 },
      workload: { durationS: 300, adapters: [{ id: "a", rank: 64, rateRps: 1 }] },
    });
    const empty = loadScenario({
      model: "llama-3.1-8b-instruct",
      gpu: "h100-64gb",
      workload: { durationS: 300, adapters: [] },
    });
    const [big, none] = await trained.surrogate.estimateScenarios([tooBig, empty]);
    expect(big!.memory.fits).toBe(false);
    expect(big!.throughputTokS).toBe(0);
    expect(big!.starved).toBe(true);
    expect(none!.throughputTokS).toBe(0);
    expect(none!.starved).toBe(false);
    const x = new Float32Array(FEATURE_COUNT);
    expect(extractFeatures(tooBig, x).memory.kvCacheTokens).toBe(big!.memory.kvCacheTokens);
  });

  it("refuses a model whose outputs or format it does not know", () => {
    const bad = { ...trained.artifacts, meta: { ...trained.artifacts.meta, version: 2 as never } };
    expect(() => Surrogate.fromArtifacts(bad)).toThrow(/unsupported/);
    const unknown = {
      ...trained.artifacts,
      meta: {
        ...trained.artifacts.meta,
        featureNames: ["nope", ...trained.artifacts.meta.featureNames.slice(1)],
      },
    };
    expect(() => Surrogate.fromArtifacts(unknown)).toThrow(/feature "nope"/);
  });
});
