import { describe, expect, it } from "vitest";
import { scenarioOfAssignment } from "../src/core/placement/scenario";
import { loadScenario } from "../src/core/scenario/resolve";
import { plannerAssignments, queryWorkload } from "../scripts/surrogate/planner-queries";
import { SHIPPED_PAIRS } from "../scripts/surrogate/config";
import { fakeEstimator } from "./placement/helpers";

const spec = { pairs: SHIPPED_PAIRS, seed: 5, workloads: 40, perWorkload: 3 };

describe("query design", () => {
  it("workload k is a pure function of (seed, k) within the stated ranges", () => {
    expect(queryWorkload(spec, 3)).toEqual(queryWorkload(spec, 3));
    expect(queryWorkload(spec, 3)).not.toEqual(queryWorkload(spec, 4));
    expect(queryWorkload({ ...spec, seed: 6 }, 3)).not.toEqual(queryWorkload(spec, 3));
    const objectives = new Set<string>();
    for (let k = 0; k < spec.workloads; k++) {
      const r = queryWorkload(spec, k);
      const n = r.workload.adapters.length;
      expect(n).toBeGreaterThanOrEqual(16);
      expect(n).toBeLessThanOrEqual(3000);
      const d = r.workload.durationS!;
      expect(d).toBeGreaterThanOrEqual(300);
      expect(d).toBeLessThanOrEqual(3600);
      const total = r.workload.adapters.reduce((t, a) => t + a.rateRps, 0);
      expect(total).toBeGreaterThan(4.9);
      expect(total).toBeLessThan(251);
      for (const a of r.workload.adapters) expect([8, 16, 32, 64]).toContain(a.rank);
      for (const g of r.gpuTypes) {
        expect(SHIPPED_PAIRS.some(([m, gpu]) => m === r.model && gpu === g.gpu)).toBe(true);
      }
      objectives.add(typeof r.objective === "string" ? r.objective : "slo");
    }
    expect([...objectives].sort()).toEqual(["min-cost", "min-gpus", "slo"]);
  });

  it("records each distinct assignment the planner asks about once, as valid scenarios", async () => {
    const request = {
      ...queryWorkload(spec, 0),
      gpuTypes: [{ gpu: "h100-64gb" as const }],
      objective: "min-gpus" as const,
    };
    const est = fakeEstimator();
    const asked = await plannerAssignments(request, est);
    expect(asked.length).toBeGreaterThan(1);
    const keys = asked.map((a) => JSON.stringify(scenarioOfAssignment(a)));
    expect(new Set(keys).size).toBe(keys.length);
    for (const a of asked.slice(0, 5))
      expect(() => loadScenario(scenarioOfAssignment(a))).not.toThrow();
  });
});
