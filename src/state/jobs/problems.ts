/**
 * Why a GPU of the plan is unacceptable, in the planner's words: out of memory, starved (serves
 * < 90% of its demand), or over a latency SLO. From the twin's verdict when there is one (the
 * planner's own `verdictProblem`, src/core/placement/verdict.ts, light enough for the main
 * thread), else from the quick estimate (marked "estimated").
 */
import type { GpuEstimate, PlannedGpu, TwinVerdict } from "../../core/placement/types";
import { verdictProblem as coreVerdictProblem } from "../../core/placement/verdict";
import type { FleetScenario } from "../fleet";

type Objective = FleetScenario["objective"];

const slo = (o: Objective) => (typeof o === "object" ? o : {});

/** The twin's verdict's problem under `objective` (the planner's own {@link coreVerdictProblem}). */
export function verdictProblem(v: TwinVerdict, objective: Objective): string | null {
  return coreVerdictProblem(v, slo(objective));
}

export function estimateProblem(e: GpuEstimate, objective: Objective): string | null {
  if (e.demandTokS <= 0) return null;
  if (!e.fits) return "out of memory (estimated): vLLM would not start with these flags";
  if (e.starved) {
    return `starved (estimated): ${Math.round(e.throughputTokS)} of ${Math.round(e.demandTokS)} tokens/s`;
  }
  const o = slo(objective);
  if (o.ttftP99Ms !== undefined && e.ttftP99Ms > o.ttftP99Ms) {
    return `TTFT p99 ≈ ${Math.round(e.ttftP99Ms)} ms over the ${o.ttftP99Ms} ms SLO (estimated)`;
  }
  if (o.itlP99Ms !== undefined && e.itlP99Ms > o.itlP99Ms) {
    return `ITL p99 ≈ ${e.itlP99Ms.toFixed(1)} ms over the ${o.itlP99Ms} ms SLO (estimated)`;
  }
  return null;
}

/** The GPU's problem: the twin's verdict wins over the estimate. */
export function gpuProblem(
  g: Pick<PlannedGpu, "verified" | "estimate">,
  objective: Objective,
): string | null {
  return g.verified
    ? verdictProblem(g.verified, objective)
    : estimateProblem(g.estimate, objective);
}
