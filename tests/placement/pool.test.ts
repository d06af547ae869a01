/**
 * The Node worker_threads twin pool: same results as the twin in this thread, in order;
 * cancellation rejects with the signal's reason; bad scenarios reject with their InputError.
 */
import { afterAll, describe, expect, it } from "vitest";
import { loadScenario } from "../../src/core/scenario/resolve";
import type { Scenario } from "../../src/core/scenario/schema";
import { simulate } from "../../src/core/twin/simulate";
import { createTwinPool } from "../../workers/planPool";

const pool = createTwinPool(2);
afterAll(() => pool.close());

function scenario(rate: number, seed: number): Scenario {
  return {
    model: "llama-3.1-8b-instruct",
    gpu: "h100-64gb",
    engine: { maxLoras: 2, maxCpuLoras: 3 },
    workload: {
      durationS: 30,
      seed,
      lengths: { profile: "sharegpt" },
      arrival: { kind: "poisson" },
      adapters: [
        { id: "a", rank: 8, rateRps: rate },
        { id: "b", rank: 16, rateRps: rate / 2 },
        { id: "c", rank: 8, rateRps: rate / 4 },
      ],
    },
  };
}

describe("twin pool", () => {
  it("returns what the twin says, in order", async () => {
    const scenarios = [scenario(4, 1), scenario(8, 2), scenario(2, 3)];
    const got = await pool.runner(scenarios, { timeSeriesPoints: 10 });
    scenarios.forEach((s, i) => {
      const want = simulate(loadScenario(s), { timeSeriesPoints: 10 });
      expect(got[i]!.throughputTokS).toBe(want.throughputTokS);
      expect(got[i]!.ttftMs).toEqual(want.ttftMs);
    });
    const verdicts = await pool.verifier.verify(scenarios);
    expect(verdicts.map((v) => v.throughputTokS)).toEqual(got.map((r) => r.throughputTokS));
  }, 60_000);

  it("rejects with the abort reason, and keeps working afterwards", async () => {
    const c = new AbortController();
    const reason = new Error("stop");
    const p = pool.runner([scenario(40, 1), scenario(40, 2), scenario(40, 3)], {
      signal: c.signal,
    });
    c.abort(reason);
    await expect(p).rejects.toBe(reason);
    const [r] = await pool.runner([scenario(2, 9)]);
    expect(r!.arrivedRequests).toBeGreaterThan(0);
  }, 60_000);

  it("rejects a bad scenario with its field", async () => {
    const bad = { ...scenario(1, 1), gpu: "nope" } as unknown as Scenario;
    await expect(pool.runner([bad])).rejects.toThrow(/gpu/);
  }, 60_000);
});
