import { describe, expect, it } from "vitest";
import { loadScenario } from "../scenario/resolve";
import { memoryPlan } from "../twin/simulate";
import { generateDataset, type DatasetRow, type SampleRunner } from "./dataset";
import { designScenario, maxLorasLimit } from "./design";

const spec = {
  model: "llama-3.1-8b-instruct" as const,
  gpu: "h100-64gb" as const,
  samples: 3,
  seed: 3,
  durationS: 30,
};
const strip = (r: DatasetRow) => ({ ...r, twinMs: 0 });

describe("sampling design and dataset generation", () => {
  it("sample i depends only on (seed, i), and every sample starts (memory)", () => {
    for (let i = 0; i < 40; i++) {
      const a = designScenario({ ...spec, durationS: undefined }, i);
      const b = designScenario({ ...spec, durationS: undefined, samples: 999 }, i);
      expect(a).toEqual(b);
      const s = loadScenario(a.scenario);
      expect(memoryPlan(s).fits).toBe(true);
      expect(s.engine.maxLoras).toBeLessThanOrEqual(
        Math.min(s.workload.adapters.length, maxLorasLimit(s)),
      );
      expect(s.engine.maxCpuLoras).toBeGreaterThanOrEqual(s.engine.maxLoras);
      expect(s.workload.durationS).toBeGreaterThanOrEqual(600);
      expect(s.workload.durationS).toBeLessThanOrEqual(3600);
    }
  });

  it("is reproducible whatever the runner's concurrency and completion order", async () => {
    const a = await generateDataset(spec);
    // a runner that finishes tasks out of order
    let k = 0;
    const shuffled: SampleRunner = {
      concurrency: 3,
      run: async (task) => {
        const { runSample } = await import("./dataset");
        await new Promise((r) => setTimeout(r, (3 - (k++ % 3)) * 5));
        return runSample(task);
      },
    };
    const progress: number[] = [];
    const b = await generateDataset(spec, {
      runner: shuffled,
      onProgress: (p) => progress.push(p.done),
    });
    expect(b.rows.map(strip)).toEqual(a.rows.map(strip));
    expect(progress).toEqual([1, 2, 3]);
    expect(a.rows.map((r) => r.index)).toEqual([0, 1, 2]);
  }, 60_000);

  it("a dataset grown from a cached prefix (offset) equals one generated whole", async () => {
    const whole = await generateDataset(spec);
    const head = await generateDataset({ ...spec, samples: 2 });
    const tail = await generateDataset({ ...spec, offset: 2, samples: 1 });
    expect(tail.rows[0]!.index).toBe(2);
    expect([...head.rows, ...tail.rows].map(strip)).toEqual(whole.rows.map(strip));
  }, 60_000);

  it("stops when aborted", async () => {
    const ctl = new AbortController();
    ctl.abort(new Error("stop"));
    await expect(generateDataset(spec, { signal: ctl.signal })).rejects.toThrow("stop");
  });
});
