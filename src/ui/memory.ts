import type { PlannedEngine } from "../core/placement/types";
import { loadScenario } from "../core/scenario/resolve";
import { memoryPlan } from "../core/twin/simulate";
import type { MemoryReport } from "../core/twin/types";

const cache = new Map<string, MemoryReport | null>();

/** vLLM's start-up memory plan for a GPU's flags (no simulation; cached). */
export function memoryFor(model: string, gpu: string, e: PlannedEngine): MemoryReport | null {
  const key = `${model}|${gpu}|${e.maxLoras}|${e.maxLoraRank}|${e.maxNumBatchedTokens}|${e.maxModelLen}|${e.gpuMemoryUtilization}`;
  let m = cache.get(key);
  if (m === undefined) {
    try {
      m = memoryPlan(
        loadScenario({
          model,
          gpu,
          engine: {
            enableLora: true,
            maxLoras: e.maxLoras,
            maxCpuLoras: Math.max(e.maxLoras, e.maxCpuLoras),
            maxLoraRank: e.maxLoraRank,
            maxNumSeqs: e.maxNumSeqs,
            maxNumBatchedTokens: Math.max(e.maxNumBatchedTokens, e.maxNumSeqs),
            gpuMemoryUtilization: e.gpuMemoryUtilization,
            maxModelLen: e.maxModelLen,
          },
          workload: { adapters: [] },
        }),
      );
    } catch {
      m = null;
    }
    if (cache.size > 500) cache.clear();
    cache.set(key, m);
  }
  return m;
}
