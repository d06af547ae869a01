import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { benchmarkBackends, initBackend, probeSurrogate, syntheticFeatures } from "./backend";
import { syntheticDataset } from "./testing";
import { trainSurrogate, type TrainResult } from "./train";

// A backend that fails to initialise, as WebGPU/WebGL do where the browser lacks them.
tf.registerBackend("broken-test", () => {
  throw new Error("simulated init failure");
});
// A backend that initialises but cannot run the model (a missing kernel).
class NoKernels extends tf.KernelBackend {}
tf.registerBackend("nokernels-test", () => new NoKernels());

let trained: TrainResult;

beforeAll(async () => {
  tf.enableProdMode();
  await initBackend({ force: "cpu" });
  trained = await trainSurrogate(syntheticDataset(60), {
    epochs: 2,
    hidden: [8],
    validateEvery: 1,
  });
}, 60_000);

afterAll(() => trained?.surrogate.dispose());

describe("surrogate backend choice", () => {
  it("skips a backend that fails to initialise and reports why", async () => {
    const c = await initBackend({ candidates: ["broken-test", "cpu"] });
    expect(c.backend).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(c.probe["broken-test"]?.error).toBeTruthy();
  });

  it("falls back when a forced backend fails", async () => {
    const c = await initBackend({ force: "broken-test", candidates: ["cpu"] });
    expect(c.backend).toBe("cpu");
    expect(c.forcedError).toBeTruthy();
  });

  it("skips a backend that initialises but cannot run the model (probe fails)", async () => {
    const s = trained.surrogate;
    const c = await initBackend({
      candidates: ["nokernels-test", "cpu"],
      probe: () => probeSurrogate(s, 64, 1),
    });
    expect(c.backend).toBe("cpu");
    expect(c.reason).toBe("probe");
    expect(c.probe["nokernels-test"]?.error).toBeTruthy();
    expect(c.probe.cpu?.usPerEstimate).toBeGreaterThan(0);
    // the model still answers on the chosen backend
    const b = await s.estimate(syntheticFeatures(s, 4), 4);
    expect(b.throughputTokS.every(Number.isFinite)).toBe(true);
  });

  it("picks the fastest backend in the probe", async () => {
    const s = trained.surrogate;
    const c = await initBackend({
      candidates: ["cpu", "wasm"],
      probe: () => probeSurrogate(s, 256, 2),
    });
    const times = Object.entries(c.probe).filter(([, p]) => p.usPerEstimate !== undefined);
    expect(times.length).toBe(2);
    const fastest = times.reduce((a, b) => (b[1].usPerEstimate! < a[1].usPerEstimate! ? b : a));
    expect(c.backend).toBe(fastest[0]);
    expect(tf.getBackend()).toBe(c.backend);
  });

  it("never offers WebGPU without a real adapter", async () => {
    const c = await initBackend({
      candidates: ["webgpu", "cpu"],
      env: { webgpuAdapter: "fallback" },
    });
    expect(c.backend).toBe("cpu");
    expect(c.probe.webgpu?.skipped).toMatch(/fallback/);
  });

  it("times each backend and restores the active one", async () => {
    await initBackend({ force: "cpu" });
    const r = await benchmarkBackends(trained.surrogate, {
      backends: ["broken-test", "cpu"],
      batch: 64,
      reps: 1,
    });
    expect(r["broken-test"]?.error).toBeTruthy();
    expect(r.cpu?.usPerEstimate).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe("cpu");
  });
});
