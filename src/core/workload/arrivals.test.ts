import { randomExponential } from "d3-random";
import { describe, expect, it } from "vitest";
import { type WorkloadInput, WorkloadSchema } from "../scenario/schema";
import { createRequestStream, newRequestSpec, type RequestSpec } from "./arrivals";
import { createLengthSampler } from "./lengths";
import { createRng } from "./rng";

const workload = (w: Partial<WorkloadInput> & Pick<WorkloadInput, "adapters">) =>
  WorkloadSchema.parse(w);
const adapters = (rates: number[]) =>
  rates.map((rateRps, i) => ({ id: `a${i}`, rank: 8, rateRps }));

function drain(w: ReturnType<typeof workload>, maxModelLen?: number): RequestSpec[] {
  const s = createRequestStream(w, { maxModelLen });
  const out: RequestSpec[] = [];
  const r = newRequestSpec();
  while (s.next(r)) out.push({ ...r });
  return out;
}

describe("sampled streams", () => {
  it("Poisson: 10 req/s for 1000 s gives 10,000 +- 4 sigma requests", () => {
    // N ~ Poisson(10 * 1000): mean 10,000, sd sqrt(10,000) = 100
    for (const seed of [1, 2, 3]) {
      const n = drain(workload({ durationS: 1000, seed, adapters: adapters([10]) })).length;
      expect(Math.abs(n - 10_000)).toBeLessThanOrEqual(400);
    }
    const s = createRequestStream(workload({ durationS: 1000, adapters: adapters([10, 2.5]) }));
    expect(s.expectedRequests()).toBe(12_500);
  });

  it("Poisson inter-arrivals are exponential (CV 1, mean 1/rate)", () => {
    const reqs = drain(workload({ durationS: 10_000, seed: 4, adapters: adapters([5]) }));
    const gaps = reqs.slice(1).map((r, i) => r.arrivalS - reqs[i]!.arrivalS);
    const m = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - m) ** 2, 0) / (gaps.length - 1));
    // ~50,000 gaps: sd of the mean 0.2 / sqrt(5e4) = 9e-4; of the CV about 1 / sqrt(5e4) * 1.1
    expect(Math.abs(m - 0.2)).toBeLessThan(0.0045);
    expect(Math.abs(sd / m - 1)).toBeLessThan(0.025);
  });

  it("gamma: measured CV and rate match the requested ones", () => {
    for (const cv of [0.5, 2]) {
      const reqs = drain(
        workload({
          durationS: 1000,
          seed: 5,
          arrival: { kind: "gamma", cv },
          adapters: adapters([100]),
        }),
      );
      const gaps = reqs.slice(1).map((r, i) => r.arrivalS - reqs[i]!.arrivalS);
      const m = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - m) ** 2, 0) / (gaps.length - 1));
      // ~100,000 gaps. Mean gap 0.01 s: sd of the mean cv * 0.01 / sqrt(1e5) <= 6.3e-5.
      expect(Math.abs(m - 0.01)).toBeLessThan(5 * 6.3e-5);
      // Sample variance of Gamma(k): relative sd sqrt((2 + 6/k) / n), k = 1/cv^2:
      // cv 2 -> sqrt(26 / 1e5) = 1.6 %, so the CV is within ~0.8 % (1 sigma); allow 5 %.
      expect(Math.abs(sd / m / cv - 1)).toBeLessThan(0.05);
    }
  });

  it("gamma starts stationary: the count is rate x duration in expectation", () => {
    // 400 adapters x 0.5 req/s x 20 s = 4,000 expected; renewal count variance ~ rate T cv^2 = 16,000
    // (sd 126); an ordinary renewal start would add (cv^2 - 1) / 2 = 1.5 per adapter (+600).
    const w = workload({
      durationS: 20,
      seed: 6,
      arrival: { kind: "gamma", cv: 2 },
      adapters: adapters(new Array<number>(400).fill(0.5)),
    });
    expect(createRequestStream(w).expectedRequests()).toBe(4000);
    expect(Math.abs(drain(w).length - 4000)).toBeLessThan(500);
  });

  it("merges adapters in time order inside [0, durationS), ties by adapter index", () => {
    const w = workload({ durationS: 50, seed: 7, adapters: adapters([3, 0.5, 20, 0.01, 7]) });
    const reqs = drain(w);
    expect(reqs.length).toBeGreaterThan(0);
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!;
      expect(r.arrivalS).toBeGreaterThanOrEqual(0);
      expect(r.arrivalS).toBeLessThan(50);
      expect(r.adapter).toBeGreaterThanOrEqual(0);
      expect(r.adapter).toBeLessThan(5);
      if (i > 0) {
        const p = reqs[i - 1]!;
        expect(
          p.arrivalS < r.arrivalS || (p.arrivalS === r.arrivalS && p.adapter < r.adapter),
        ).toBe(true);
      }
    }
  });

  it("equals a straightforward per-adapter generation, merged and sorted", () => {
    // Reference: each adapter's Poisson process and lengths drawn on their own (sub-streams 2i
    // and 2i + 1), then all requests sorted by (time, adapter).
    const rates = [40, 1, 0.2, 300, 5];
    const w = workload({ durationS: 30, seed: 8, adapters: adapters(rates) });
    const expected: RequestSpec[] = [];
    rates.forEach((rate, i) => {
      const rng = createRng(8, 2 * i);
      const gap = randomExponential.source(() => rng.next())(rate);
      const lr = createRng(8, 2 * i + 1);
      const ls = createLengthSampler({ profile: "sharegpt" });
      for (let t = gap(); t < 30; t += gap()) {
        ls.sample(lr);
        expected.push({ arrivalS: t, adapter: i, prompt: ls.prompt, output: ls.output });
      }
    });
    expected.sort((a, b) => a.arrivalS - b.arrivalS || a.adapter - b.adapter);
    expect(drain(w)).toEqual(expected);
  });

  it("is deterministic by seed, and adding an adapter does not change the others' requests", () => {
    const base = workload({ durationS: 100, seed: 9, adapters: adapters([1, 2, 3]) });
    const more = workload({ durationS: 100, seed: 9, adapters: adapters([1, 2, 3, 4]) });
    const a = drain(base);
    expect(drain(base)).toEqual(a);
    expect(drain({ ...base, seed: 10 })).not.toEqual(a);
    expect(drain(more).filter((r) => r.adapter < 3)).toEqual(a);
  });

  it("uses each adapter's own length profile, else the workload's", () => {
    const w = workload({
      durationS: 100,
      lengths: { profile: "fixed", promptTokens: 11, outputTokens: 22 },
      adapters: [
        { id: "a", rank: 8, rateRps: 1 },
        {
          id: "b",
          rank: 8,
          rateRps: 1,
          lengths: { profile: "fixed", promptTokens: 33, outputTokens: 44 },
        },
      ],
    });
    for (const r of drain(w)) {
      expect([r.prompt, r.output]).toEqual(r.adapter === 0 ? [11, 22] : [33, 44]);
    }
  });

  it("clips lengths to maxModelLen", () => {
    const w = workload({ durationS: 100, adapters: adapters([50]) });
    const reqs = drain(w, 300);
    expect(reqs.some((r) => r.prompt + r.output === 300)).toBe(true);
    for (const r of reqs) expect(r.prompt + r.output).toBeLessThanOrEqual(300);
  });

  it("survives very bursty gamma arrivals (cv 20) and adapters with no request", () => {
    const w = workload({
      durationS: 100,
      seed: 11,
      arrival: { kind: "gamma", cv: 20 },
      adapters: adapters([200, 0.0001, 50]),
    });
    const reqs = drain(w);
    for (let i = 1; i < reqs.length; i++)
      expect(reqs[i]!.arrivalS).toBeGreaterThanOrEqual(reqs[i - 1]!.arrivalS);
    expect(drain(workload({ durationS: 10, adapters: [] }))).toEqual([]);
  });

  it("drains 2,000 adapters x 1.3 million requests quickly", () => {
    const rates = Array.from({ length: 2000 }, (_, i) => ((i % 4) + 1) * (1_300_000 / 3600 / 5000));
    const w = workload({ durationS: 3600, seed: 12, adapters: adapters(rates) });
    const t0 = performance.now();
    const s = createRequestStream(w);
    const r = newRequestSpec();
    let n = 0;
    let prev = 0;
    let ordered = true;
    while (s.next(r)) {
      n++;
      if (r.arrivalS < prev) ordered = false;
      prev = r.arrivalS;
    }
    const ms = performance.now() - t0;
    console.log(`drained ${n} requests from 2000 adapters in ${ms.toFixed(0)} ms`);
    expect(ordered).toBe(true);
    // Poisson(1.3e6): sd 1140, 5 sigma
    expect(s.expectedRequests()).toBeCloseTo(1_300_000, 3);
    expect(Math.abs(n - 1_300_000)).toBeLessThan(5700);
    // ~250 ms on the 2-core dev machine; the bound only catches gross regressions.
    expect(ms).toBeLessThan(5000);
  });
});

describe("trace replay", () => {
  const trace = {
    arrivalS: [0, 0.5, 0.5, 2, 9.99, 10, 12],
    adapter: [1, 0, 1, 1, 0, 0, 1],
    promptTokens: [10, 20, 30, 400, 50, 60, 70],
    outputTokens: [1, 2, 3, 200, 5, 6, 7],
  };

  it("replays arrivals, adapters and lengths in order up to the window end, ignoring rates", () => {
    const w = workload({ durationS: 10, adapters: adapters([1000, 1000]), trace });
    expect(createRequestStream(w).expectedRequests()).toBe(5);
    expect(drain(w)).toEqual([
      { arrivalS: 0, adapter: 1, prompt: 10, output: 1 },
      { arrivalS: 0.5, adapter: 0, prompt: 20, output: 2 },
      { arrivalS: 0.5, adapter: 1, prompt: 30, output: 3 },
      { arrivalS: 2, adapter: 1, prompt: 400, output: 200 },
      { arrivalS: 9.99, adapter: 0, prompt: 50, output: 5 },
    ]);
  });

  it("clips replayed lengths to maxModelLen", () => {
    const w = workload({ durationS: 10, adapters: adapters([1, 1]), trace });
    expect(drain(w, 450)[3]).toEqual({ arrivalS: 2, adapter: 1, prompt: 400, output: 50 });
  });
});

describe("drainRemaining", () => {
  const w = WorkloadSchema.parse({
    durationS: 200,
    seed: 5,
    lengths: { profile: "fixed", promptTokens: 100, outputTokens: 30 },
    adapters: [
      { id: "a", rank: 8, rateRps: 3 },
      { id: "b", rank: 16, rateRps: 0.5 },
    ],
  } satisfies WorkloadInput);

  it("counts exactly the requests `next` would still have returned, at the profile's tokens", () => {
    const all = createRequestStream(w);
    const out = newRequestSpec();
    let total = 0;
    while (all.next(out)) total++;
    const part = createRequestStream(w);
    for (let k = 0; k < 100; k++) expect(part.next(out)).toBe(true);
    const rest = part.drainRemaining();
    expect(rest.requests).toBe(total - 100);
    // fixed lengths: 100 + 30 tokens per request
    expect(rest.tokens).toBe(130 * (total - 100));
    expect(part.next(out)).toBe(false);
  });

  it("sums a replayed trace's own tokens", () => {
    const t = WorkloadSchema.parse({
      durationS: 10,
      adapters: [{ id: "a", rank: 8, rateRps: 1 }],
      trace: {
        arrivalS: [0, 1, 2, 30],
        adapter: [0, 0, 0, 0],
        promptTokens: [5, 6, 7, 8],
        outputTokens: [1, 2, 3, 4],
      },
    } satisfies WorkloadInput);
    const s = createRequestStream(t);
    const out = newRequestSpec();
    expect(s.next(out)).toBe(true);
    // the arrival at 30 s is outside the 10 s window
    expect(s.drainRemaining()).toEqual({ requests: 2, tokens: 6 + 2 + 7 + 3 });
  });
});
