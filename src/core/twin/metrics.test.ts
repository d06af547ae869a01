import { describe, expect, it } from "vitest";
import { latencyStats, logHistogram, weightedQuantiles } from "./metrics";

describe("twin metrics", () => {
  it("bins samples on log-spaced edges from the smallest to the largest value", () => {
    // 1, 10, 100 ms on 2 bins: edges 1, 10, 100; 10 and 100 fall in the last bin
    const h = logHistogram(Float64Array.from([1, 10, 100]), null, 2);
    expect(h.edges.map((e) => Math.round(e * 1000) / 1000)).toEqual([1, 10, 100]);
    expect(h.counts).toEqual([1, 2]);
  });

  it("weights samples and returns empty arrays for no data", () => {
    const h = logHistogram(Float64Array.from([2, 8]), Float64Array.from([3, 5]), 1);
    expect(h.counts).toEqual([8]);
    expect(logHistogram(new Float64Array(0), null)).toEqual({ edges: [], counts: [] });
  });

  it("takes weighted quantiles as if each value occurred `weight` times", () => {
    // values 10 (x1), 20 (x8), 30 (x1): the median is 20, p99 is 30
    const q = weightedQuantiles(
      Float64Array.from([30, 10, 20]),
      Float64Array.from([1, 1, 8]),
      [0.5, 0.99],
    );
    expect(q).toEqual([20, 30]);
  });

  it("gives mean, median and p99 of plain samples", () => {
    const s = latencyStats(Float64Array.from([4, 1, 3, 2]));
    expect(s.mean).toBe(2.5);
    expect(s.p50).toBe(2.5); // between 2 and 3
    expect(s.p99).toBeCloseTo(3.97, 10); // 3 + 0.97 × (4 − 3)
  });
});
