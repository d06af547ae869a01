import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScenario } from "../scenario/resolve";
import { initBackend } from "./backend";
import { designScenario } from "./design";
import { teacherLabelledRows } from "./distill";
import { extractFeatures, FEATURE_COUNT } from "./features";
import { encodeTargets } from "./targets";
import { syntheticDataset } from "./testing";
import { trainSurrogate, type TrainResult } from "./train";

let teacher: TrainResult;

beforeAll(async () => {
  tf.enableProdMode();
  await initBackend({ force: "cpu" });
  teacher = await trainSurrogate(syntheticDataset(120), { epochs: 10, hidden: [12], seed: 1 });
}, 60_000);

afterAll(() => teacher?.surrogate.dispose());

describe("distillation rows", () => {
  it("carry the design's features and the teacher's answers, with demand as the ideal", () => {
    const spec = {
      model: "llama-3.1-8b-instruct",
      gpu: "h100-64gb",
      seed: 3,
      samples: 12,
    } as const;
    const rows = teacherLabelledRows(teacher.surrogate, spec);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      // the features of design scenario r.index, computed here independently
      const x = new Float32Array(FEATURE_COUNT);
      const summary = extractFeatures(loadScenario(designScenario(spec, r.index).scenario), x);
      expect(r.features).toEqual(Array.from(x));
      const e = teacher.surrogate.estimateSync(x, 1);
      expect(r.labels.throughputTokS).toBe(e.throughputTokS[0]);
      expect(r.labels.starvedProbability).toBe(e.starvedProbability[0]);
      expect(r.labels.starved).toBe(e.starvedProbability[0]! >= 0.5);
      expect(r.labels.ttftP99Ms).toBe(e.ttftP99Ms[0]);
      expect(r.labels.idealTokS).toBe(summary.demandTokS);
      expect(r.labels.demandTokS).toBe(summary.demandTokS);
    }
  });

  it("a soft starvation label is the classification target; twin rows keep 0/1", () => {
    const base = {
      throughputTokS: 50,
      idealTokS: 100,
      demandTokS: 100,
      starved: true,
      itlMeanMs: 20,
      itlP99Ms: 40,
      ttftMeanMs: 100,
      ttftP99Ms: 300,
      arrived: 10,
      finished: 10,
    };
    expect(encodeTargets(base, "logratio").y[1]).toBe(1);
    expect(encodeTargets({ ...base, starved: false }, "logratio").y[1]).toBe(0);
    expect(encodeTargets({ ...base, starvedProbability: 0.3 }, "logratio").y[1]).toBe(0.3);
    expect(encodeTargets(base, "logratio").y[0]).toBeCloseTo(Math.log(0.5), 12);
  });
});
