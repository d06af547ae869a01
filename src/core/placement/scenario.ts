/**
 * The twin scenario of one GPU of a plan: the fleet's model and load settings, the GPU's
 * engine flags and its adapters (and, when the fleet replays a trace, the trace's requests
 * of those adapters). What the verifier runs, and what a user can re-run with `cli twin`.
 */
import type { GpuId } from "../catalog/ids";
import type { Scenario, TraceReplay } from "../scenario/schema";
import type { FleetContext } from "./context";
import type { GpuAssignment, PlannedEngine, PlannedGpu } from "./types";

/** Scenario of an estimator assignment (sampled arrivals), optionally on a shorter window. */
export function scenarioOfAssignment(a: GpuAssignment, durationS = a.workload.durationS): Scenario {
  return {
    model: a.model,
    gpu: a.gpu,
    engine: { enableLora: true, ...a.engine },
    workload: {
      durationS,
      seed: a.workload.seed,
      lengths: a.workload.lengths,
      arrival: a.workload.arrival,
      ...(a.workload.maxPendingRequests !== undefined
        ? { maxPendingRequests: a.workload.maxPendingRequests }
        : {}),
      adapters: a.adapters,
    },
  };
}

/** The trace rows of the given adapters (fleet indices), re-indexed to their position in `indices`. */
export function traceSubset(trace: TraceReplay, indices: readonly number[]): TraceReplay {
  const pos = new Map<number, number>();
  indices.forEach((fleetIndex, i) => pos.set(fleetIndex, i));
  const out: TraceReplay = { arrivalS: [], adapter: [], promptTokens: [], outputTokens: [] };
  for (let j = 0; j < trace.adapter.length; j++) {
    const p = pos.get(trace.adapter[j]!);
    if (p === undefined) continue;
    out.arrivalS.push(trace.arrivalS[j]!);
    out.adapter.push(p);
    out.promptTokens.push(trace.promptTokens[j]!);
    out.outputTokens.push(trace.outputTokens[j]!);
  }
  return out;
}

/** Full-window scenario of a GPU holding `ids` (fleet adapter ids) with `engine`. */
export function scenarioForIds(
  ctx: FleetContext,
  gpu: GpuId,
  engine: PlannedEngine,
  ids: readonly string[],
): Scenario {
  const members = ids.map((id) => {
    const a = ctx.byId.get(id);
    if (!a) throw new Error(`unknown adapter id ${JSON.stringify(id)}`);
    return a;
  });
  const w = ctx.request.workload;
  const s: Scenario = {
    model: ctx.request.model,
    gpu,
    engine: { enableLora: true, ...engine },
    workload: {
      durationS: ctx.load.durationS,
      seed: ctx.load.seed,
      lengths: ctx.load.lengths,
      arrival: ctx.load.arrival,
      ...(ctx.load.maxPendingRequests !== undefined
        ? { maxPendingRequests: ctx.load.maxPendingRequests }
        : {}),
      adapters: members.map((a) => a.adapter),
    },
  };
  if (w.trace) {
    s.workload.trace = traceSubset(
      w.trace,
      members.map((a) => a.index),
    );
  }
  return s;
}

/** The twin scenario that verifies one GPU of a plan made for `request`. */
export function scenarioForGpu(
  ctx: FleetContext,
  gpu: Pick<PlannedGpu, "gpu" | "engine" | "adapters">,
): Scenario {
  return scenarioForIds(ctx, gpu.gpu, gpu.engine, gpu.adapters);
}
