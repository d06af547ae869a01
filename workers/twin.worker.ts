/**
 * Twin worker: runs the digital twin (src/core/twin) off the main thread. Every message is
 * validated by the scenario schema inside `runTwin` (bad input rejects with the InputError).
 */
import * as Comlink from "comlink";
import { runTwin } from "../src/core/twin/simulate";
import type { TwinResult } from "../src/core/twin/types";

export interface TwinWorkerApi {
  /** Parse, resolve and simulate one scenario (untrusted input). */
  simulate(input: unknown, opts?: { timeSeriesPoints?: number }): TwinResult;
  /** Tests only: make this worker die as a crash would (uncaught error, then close). */
  crashForTest(): void;
}

const api: TwinWorkerApi = {
  simulate(input, opts = {}) {
    const points = Math.max(2, Math.min(500, Math.floor(opts.timeSeriesPoints ?? 200)));
    return runTwin(input, { timeSeriesPoints: points });
  },
  crashForTest() {
    setTimeout(() => {
      throw new Error("simulated crash");
    }, 0);
  },
};

Comlink.expose(api);
