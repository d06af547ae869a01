/**
 * Surrogate data worker: runs design samples through the twin (one per call) for in-browser
 * dataset generation. Spawned by `surrogate-pool.ts`; no logic of its own.
 */
import * as Comlink from "comlink";
import { runSample, type DatasetRow, type SampleTask } from "../src/core/surrogate/dataset";

export interface SurrogateSimWorkerApi {
  runSample(task: SampleTask): DatasetRow;
}

const api: SurrogateSimWorkerApi = { runSample };

Comlink.expose(api);
