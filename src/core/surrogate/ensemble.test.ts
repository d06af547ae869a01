import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "./backend";
import { mergeEnsemble } from "./ensemble";
import { FEATURE_COUNT, FEATURE_NAMES } from "./features";
import { Surrogate } from "./runtime";
import { syntheticDataset } from "./testing";
import { trainSurrogate, type TrainResult } from "./train";

const members: TrainResult[] = [];
const DEMAND = FEATURE_NAMES.indexOf("log10DemandTokS");

beforeAll(async () => {
  tf.enableProdMode();
  await initBackend({ force: "cpu" });
  const ds = syntheticDataset(120);
  for (const seed of [1, 2, 3]) {
    members.push(await trainSurrogate(ds, { epochs: 10, hidden: [12, 8], validateEvery: 5, seed }));
  }
}, 60_000);

afterAll(() => members.forEach((m) => m.surrogate.dispose()));

const geo = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const logit = (p: number) => Math.log(p / (1 - p));

describe("surrogate ensemble", () => {
  it("is one network whose outputs are the mean of the members' (in the network's space)", async () => {
    const merged = Surrogate.fromArtifacts(await mergeEnsemble(members.map((m) => m.artifacts)));
    // three members of 12-8 hidden units: 36-24, the output layer unchanged
    expect(merged.meta.layers.map((l) => l.units)).toEqual([36, 24, 6]);
    expect(merged.meta.training.ensembleSeeds).toEqual([1, 2, 3]);
    const x = Float32Array.from(syntheticDataset(40, { seed: 99 }).rows.flatMap((r) => r.features));
    const rows = x.length / FEATURE_COUNT;
    const each = members.map((m) => m.surrogate.estimateSync(x, rows));
    const got = merged.estimateSync(x, rows);
    let throughputChecked = 0;
    for (let r = 0; r < rows; r++) {
      for (const k of ["itlMeanMs", "itlP99Ms", "ttftMeanMs", "ttftP99Ms"] as const) {
        expect(got[k][r]).toBeCloseTo(geo(each.map((e) => e[k][r]!)), 3);
      }
      const z = each.map((e) => logit(e.starvedProbability[r]!)).reduce((s, v) => s + v, 0) / 3;
      expect(got.starvedProbability[r]).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
      // throughput: a geometric mean of the members' where none is clamped at the demand
      const thr = each.map((e) => e.throughputTokS[r]!);
      const demand = 10 ** x[r * FEATURE_COUNT + DEMAND]!;
      if (thr.every((t) => t > 0) && thr.every((t) => t < 0.999 * demand)) {
        expect(got.throughputTokS[r]! / geo(thr)).toBeCloseTo(1, 4);
        throughputChecked++;
      }
      // the merged training range is the union of the members': in range for one, in range
      if (each.some((e) => e.outOfDistribution[r] === 0)) expect(got.outOfDistribution[r]).toBe(0);
    }
    expect(throughputChecked).toBeGreaterThan(5);
    merged.dispose();
  });

  it("flags out of distribution only outside every member's training range", async () => {
    const merged = await mergeEnsemble(members.map((m) => m.artifacts));
    const j = 0;
    expect(merged.meta.featureMin[j]).toBe(
      Math.min(...members.map((m) => m.artifacts.meta.featureMin[j]!)),
    );
    expect(merged.meta.featureMax[j]).toBe(
      Math.max(...members.map((m) => m.artifacts.meta.featureMax[j]!)),
    );
  });

  it("refuses members of different shapes, and no members", async () => {
    const other = await trainSurrogate(syntheticDataset(60), { epochs: 5, hidden: [12], seed: 4 });
    await expect(mergeEnsemble([members[0]!.artifacts, other.artifacts])).rejects.toThrow(
      /member 1 differs from member 0 in its depth/,
    );
    other.surrogate.dispose();
    await expect(mergeEnsemble([])).rejects.toThrow(/no member/);
  });
});
