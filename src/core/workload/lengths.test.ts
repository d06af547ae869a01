import { describe, expect, it } from "vitest";
import { LengthProfileSchema } from "../scenario/schema";
import { createLengthSampler } from "./lengths";
import { createRng } from "./rng";
import {
  SHAREGPT_CLASS_STARTS,
  SHAREGPT_OUTPUT_EDGES,
  SHAREGPT_OUTPUT_WEIGHTS,
  SHAREGPT_PROMPT_EDGES,
  SHAREGPT_PROMPT_WEIGHTS,
} from "./sharegpt-table";

function draws(
  profile: Parameters<typeof createLengthSampler>[0],
  n: number,
  seed = 1,
  maxModelLen?: number,
) {
  const s = createLengthSampler(profile, { maxModelLen });
  const r = createRng(seed, 9);
  const prompt = new Int32Array(n);
  const output = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    s.sample(r);
    prompt[i] = s.prompt;
    output[i] = s.output;
  }
  return { prompt, output, sampler: s };
}

const mean = (xs: Int32Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
const quantile = (xs: Int32Array, q: number) =>
  Int32Array.from(xs).sort()[Math.floor(q * xs.length)]!;

describe("fixed and uniform profiles", () => {
  it("fixed always returns the same pair and draws nothing", () => {
    const { prompt, output, sampler } = draws(
      { profile: "fixed", promptTokens: 100, outputTokens: 20 },
      10,
    );
    expect([...new Set(prompt)]).toEqual([100]);
    expect([...new Set(output)]).toEqual([20]);
    expect(sampler.mean()).toEqual({ prompt: 100, output: 20 });
  });

  it("uniform covers the inclusive ranges with the right means", () => {
    const { prompt, output, sampler } = draws(
      { profile: "uniform", promptTokens: [10, 13], outputTokens: [1, 2] },
      100_000,
    );
    expect([...new Set(prompt)].sort()).toEqual([10, 11, 12, 13]);
    expect([...new Set(output)].sort()).toEqual([1, 2]);
    expect(sampler.mean()).toEqual({ prompt: 11.5, output: 1.5 });
    // sd of the prompt mean: sqrt(1.25 / 1e5) = 0.0035: 5 sigma
    expect(Math.abs(mean(prompt) - 11.5)).toBeLessThan(0.018);
  });

  it("empirical draws only the given pairs, about equally often", () => {
    const { prompt, output } = draws(
      { profile: "empirical", promptTokens: [5, 50, 500], outputTokens: [7, 70, 700] },
      30_000,
    );
    const counts = new Map<number, number>();
    let mismatched = 0;
    for (let i = 0; i < prompt.length; i++) {
      if (output[i] !== (prompt[i] === 5 ? 7 : prompt[i] === 50 ? 70 : 700)) mismatched++;
      counts.set(prompt[i]!, (counts.get(prompt[i]!) ?? 0) + 1);
    }
    expect(mismatched).toBe(0);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([5, 50, 500]);
    // Binomial(30000, 1/3): sd 81.6, 5 sigma = 410
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(410);
  });
});

describe("maxModelLen clip", () => {
  it("cuts the output so prompt + output <= maxModelLen, and an over-long prompt to maxModelLen - 1", () => {
    expect(
      draws({ profile: "fixed", promptTokens: 300, outputTokens: 300 }, 1, 1, 512).output[0],
    ).toBe(212);
    const long = draws({ profile: "fixed", promptTokens: 600, outputTokens: 100 }, 1, 1, 512);
    expect([long.prompt[0], long.output[0]]).toEqual([511, 1]);
    expect(long.sampler.mean()).toEqual({ prompt: 511, output: 1 });
  });

  it("mean() accounts for the clip (uniform: hand-computed)", () => {
    // prompt 8..9, output 1..4, maxModelLen 11:
    // prompt 8: outputs 1,2,3,3 -> 9/4; prompt 9: 1,2,2,2 -> 7/4; mean (9/4 + 7/4) / 2 = 2
    const s = createLengthSampler(
      { profile: "uniform", promptTokens: [8, 9], outputTokens: [1, 4] },
      { maxModelLen: 11 },
    );
    expect(s.mean()).toEqual({ prompt: 8.5, output: 2 });
  });

  it("keeps every sharegpt draw within maxModelLen", () => {
    const { prompt, output, sampler } = draws({ profile: "sharegpt" }, 100_000, 2, 256);
    let longest = 0;
    for (let i = 0; i < prompt.length; i++) longest = Math.max(longest, prompt[i]! + output[i]!);
    expect(longest).toBe(256);
    const m = sampler.mean();
    // sd of the output mean < 256 / sqrt(1e5) = 0.81: 5 sigma
    expect(Math.abs(mean(output) - m.output)).toBeLessThan(4.1);
    expect(Math.abs(mean(prompt) - m.prompt)).toBeLessThan(4.1);
  });

  it("rejects a maxModelLen below 2", () => {
    expect(() => createLengthSampler({ profile: "sharegpt" }, { maxModelLen: 1 })).toThrow(
      RangeError,
    );
  });
});

describe("sharegpt profile", () => {
  const n = 300_000;
  const { prompt, output, sampler } = draws({ profile: "sharegpt" }, n, 11);

  it("respects the vLLM benchmark filter on every draw", () => {
    for (let i = 0; i < n; i++) {
      const p = prompt[i]!;
      const o = output[i]!;
      if (p < 4 || p > 1024 || o < 4 || p + o > 2048) throw new Error(`draw ${i}: (${p}, ${o})`);
    }
  });

  it("has the measured runs' pool means, 222.7 prompt / 196.5 output (within 3 %)", () => {
    expect(Math.abs(mean(prompt) / 222.7 - 1)).toBeLessThan(0.03);
    expect(Math.abs(mean(output) / 196.5 - 1)).toBeLessThan(0.03);
    // the exact mean of the table is the target
    expect(sampler.mean().prompt).toBeCloseTo(222.7, 1);
    expect(sampler.mean().output).toBeCloseTo(196.5, 1);
  });

  it("is heavy-tailed like ShareGPT, not normal", () => {
    // Source pool (vidur sharegpt_v3_filtered.csv): prompt P25/P50/P75 20/103/367,
    // output 25/135/310; a normal with the same mean would have P25 near 70.
    expect(quantile(prompt, 0.25)).toBeGreaterThanOrEqual(15);
    expect(quantile(prompt, 0.25)).toBeLessThanOrEqual(30);
    expect(quantile(prompt, 0.5)).toBeGreaterThanOrEqual(85);
    expect(quantile(prompt, 0.5)).toBeLessThanOrEqual(125);
    expect(quantile(prompt, 0.75)).toBeGreaterThanOrEqual(330);
    expect(quantile(prompt, 0.75)).toBeLessThanOrEqual(410);
    expect(quantile(output, 0.25)).toBeGreaterThanOrEqual(18);
    expect(quantile(output, 0.25)).toBeLessThanOrEqual(35);
    expect(quantile(output, 0.75)).toBeGreaterThanOrEqual(270);
    expect(quantile(output, 0.75)).toBeLessThanOrEqual(350);
    expect(output.reduce((a, b) => Math.max(a, b), 0)).toBeGreaterThan(1000);
  });

  it("samples prompt and output jointly: long prompts get short answers", () => {
    // Source pool: mean output 197 for prompts 4..10, 277 for 17..25, 128 for 611..1024.
    let shortSum = 0;
    let shortN = 0;
    let longSum = 0;
    let longN = 0;
    for (let i = 0; i < n; i++) {
      if (prompt[i]! >= 17 && prompt[i]! <= 25) {
        shortSum += output[i]!;
        shortN++;
      } else if (prompt[i]! >= 611) {
        longSum += output[i]!;
        longN++;
      }
    }
    expect(shortSum / shortN).toBeGreaterThan(240);
    expect(longSum / longN).toBeLessThan(160);
  });

  it("is deterministic by seed", () => {
    const a = draws({ profile: "sharegpt" }, 50, 3);
    const b = draws({ profile: "sharegpt" }, 50, 3);
    const c = draws({ profile: "sharegpt" }, 50, 4);
    expect(a.prompt).toEqual(b.prompt);
    expect(a.output).toEqual(b.output);
    expect(a.prompt).not.toEqual(c.prompt);
  });

  it("has a consistent table", () => {
    const increasing = (xs: readonly number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
    expect(increasing(SHAREGPT_PROMPT_EDGES)).toBe(true);
    expect(increasing(SHAREGPT_OUTPUT_EDGES)).toBe(true);
    expect(SHAREGPT_PROMPT_EDGES[0]).toBe(4);
    expect(SHAREGPT_PROMPT_EDGES.at(-1)).toBeLessThanOrEqual(1025);
    expect(SHAREGPT_OUTPUT_EDGES[0]).toBe(4);
    expect(SHAREGPT_PROMPT_WEIGHTS.length).toBe(SHAREGPT_PROMPT_EDGES.length - 1);
    expect(SHAREGPT_CLASS_STARTS[0]).toBe(0);
    expect(SHAREGPT_CLASS_STARTS.at(-1)).toBe(SHAREGPT_PROMPT_WEIGHTS.length);
    expect(SHAREGPT_OUTPUT_WEIGHTS.length).toBe(SHAREGPT_CLASS_STARTS.length - 1);
    for (const row of SHAREGPT_OUTPUT_WEIGHTS) {
      expect(row.length).toBe(SHAREGPT_OUTPUT_EDGES.length - 1);
      expect(row.every((w) => Number.isInteger(w) && w >= 0)).toBe(true);
    }
  });
});

describe("profiles from the schema", () => {
  it("accepts every profile kind the schema accepts", () => {
    for (const p of [
      { profile: "sharegpt" },
      { profile: "fixed", promptTokens: 1, outputTokens: 1 },
      { profile: "uniform", promptTokens: [1, 1], outputTokens: [1, 1] },
      { profile: "empirical", promptTokens: [1], outputTokens: [1] },
    ]) {
      const s = createLengthSampler(LengthProfileSchema.parse(p));
      s.sample(createRng(0));
      expect(s.prompt).toBeGreaterThanOrEqual(1);
      expect(s.output).toBeGreaterThanOrEqual(1);
    }
  });
});
