import { describe, expect, it } from "vitest";
import { createAliasTable } from "./alias";
import { createRng, uniformInt } from "./rng";

describe("createRng", () => {
  it("matches an independent reference implementation (SplitMix64 seeding + xoroshiro128+)", () => {
    // Expected values from a separate Python implementation of Vigna's splitmix64.c and
    // xoroshiro128plus.c (a=24, b=16, c=37), low 32 bits of each output, top 27 + 26 bits per double.
    const g = createRng(42, 7);
    expect(g.next()).toBe(0.22395526837222268);
    expect(g.next()).toBe(0.7193053085473686);
    expect(g.next()).toBe(0.6610888648628721);
    expect(g.next32()).toBe(0.32568864710628986);
    const h = createRng(0);
    expect(h.next()).toBe(0.1126587197691521);
    expect(h.next()).toBe(0.8898847074350588);
  });

  it("is deterministic per (seed, stream) and differs across streams and seeds", () => {
    const draw = (seed: number, stream: number) => {
      const r = createRng(seed, stream);
      return Array.from({ length: 5 }, () => r.next());
    };
    expect(draw(7, 3)).toEqual(draw(7, 3));
    expect(draw(7, 3)).not.toEqual(draw(7, 4));
    expect(draw(7, 3)).not.toEqual(draw(8, 3));
  });

  it("draws uniform doubles in [0, 1)", () => {
    const r = createRng(1, 2);
    const n = 1_000_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      const u = r.next();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      deciles[Math.floor(u * 10)]!++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // mean 1/2, sd of the mean sqrt(1/12/n) = 2.9e-4: 5 sigma
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * 2.9e-4);
    // each decile ~ Binomial(n, 0.1): sd sqrt(n * 0.09) = 300: 5 sigma
    for (const c of deciles) expect(Math.abs(c - 100_000)).toBeLessThan(1500);
  });

  it("rejects seeds and streams outside [0, 2^32)", () => {
    expect(() => createRng(-1)).toThrow(RangeError);
    expect(() => createRng(2 ** 32)).toThrow(RangeError);
    expect(() => createRng(1.5)).toThrow(RangeError);
    expect(() => createRng(1, -1)).toThrow(RangeError);
    expect(() => createRng(2 ** 32 - 1, 2 ** 32 - 1)).not.toThrow();
  });

  it("uniformInt covers both ends of the inclusive range", () => {
    const r = createRng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(uniformInt(r, 4, 7));
    expect([...seen].sort()).toEqual([4, 5, 6, 7]);
  });
});

describe("createAliasTable", () => {
  it("draws outcomes in proportion to their weights", () => {
    const t = createAliasTable([1, 0, 2, 3, 4]);
    const r = createRng(5);
    const n = 400_000;
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < n; i++) counts[t.draw(r)]!++;
    // expected n * w / 10; sd sqrt(n p (1 - p)) <= 316: 5 sigma = 1600
    expect(counts[1]).toBe(0);
    [40_000, 0, 80_000, 120_000, 160_000].forEach((e, i) => {
      expect(Math.abs(counts[i]! - e)).toBeLessThan(1600);
    });
  });

  it("handles one outcome and rejects bad weights", () => {
    const r = createRng(1);
    expect(createAliasTable([5]).draw(r)).toBe(0);
    expect(() => createAliasTable([])).toThrow(RangeError);
    expect(() => createAliasTable([0, 0])).toThrow(RangeError);
    expect(() => createAliasTable([1, -1])).toThrow(RangeError);
    expect(() => createAliasTable([1, Number.NaN])).toThrow(RangeError);
  });
});
