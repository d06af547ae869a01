/**
 * Node worker_threads entry of the planner's twin pool (see `planPool.ts`): runs one twin
 * scenario per message. Every message is validated by the scenario schema inside `runTwin`.
 */
import { parentPort } from "node:worker_threads";
import { runTwin } from "../src/core/twin/simulate";

export interface TwinJob {
  id: number;
  scenario: unknown;
  timeSeriesPoints: number;
}

parentPort?.on("message", (job: TwinJob) => {
  try {
    const points = Math.max(2, Math.min(500, Math.floor(job.timeSeriesPoints)));
    const result = runTwin(job.scenario, { timeSeriesPoints: points });
    parentPort!.postMessage({ id: job.id, result });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    parentPort!.postMessage({ id: job.id, error: { name: e.name, message: e.message } });
  }
});
