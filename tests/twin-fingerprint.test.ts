import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, twinFingerprint, twinSourceFiles } from "../scripts/surrogate/common";

describe("twinFingerprint", () => {
  it("covers what the twin imports and nothing the app or planner adds", () => {
    const files = twinSourceFiles().map((f) => relative(ROOT, f));
    for (const f of [
      "src/core/twin/simulate.ts",
      "src/core/twin/latencyModel.ts",
      "src/core/twin/calibration/h100-64gb.json",
      "src/core/workload/arrivals.ts",
      "src/core/catalog/gpus.ts",
      "src/core/scenario/resolve.ts",
    ]) {
      expect(files).toContain(f);
    }
    for (const f of [
      "src/core/scenario/fleet.ts",
      "src/core/scenario/urlCodec.ts",
      "src/core/placement/plan.ts",
      "src/core/surrogate/features.ts",
    ]) {
      expect(files).not.toContain(f);
    }
    expect(files).toEqual([...files].sort());
  });

  it("is 16 hex digits and changes with an LFP_ switch", () => {
    const a = twinFingerprint();
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    process.env.LFP_TEST_SWITCH = "1";
    try {
      expect(twinFingerprint()).not.toBe(a);
    } finally {
      delete process.env.LFP_TEST_SWITCH;
    }
    expect(twinFingerprint()).toBe(a);
  });
});
