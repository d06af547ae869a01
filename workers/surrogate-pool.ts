/**
 * A {@link SampleRunner} over Web Workers (`surrogate-sim.worker.ts`), for generating a
 * surrogate's training data in the browser: one twin per worker, `size` workers.
 */
import * as Comlink from "comlink";
import type { DatasetRow, SampleRunner, SampleTask } from "../src/core/surrogate/dataset";
import type { SurrogateSimWorkerApi } from "./surrogate-sim.worker";

export interface BrowserRunner extends SampleRunner {
  /** terminate the workers */
  close(): void;
}

export function createBrowserRunner(size: number): BrowserRunner {
  const workers = Array.from(
    { length: Math.max(1, size) },
    () =>
      new Worker(new URL("./surrogate-sim.worker.ts", import.meta.url), {
        type: "module",
        name: "surrogate-sim",
      }),
  );
  const apis = workers.map((w) => Comlink.wrap<SurrogateSimWorkerApi>(w));
  const idle = apis.map((_, i) => i);
  const waiters: ((i: number) => void)[] = [];
  const acquire = () =>
    new Promise<number>((resolve) => {
      const i = idle.pop();
      if (i !== undefined) resolve(i);
      else waiters.push(resolve);
    });
  const release = (i: number) => {
    const w = waiters.shift();
    if (w) w(i);
    else idle.push(i);
  };
  return {
    concurrency: workers.length,
    async run(task: SampleTask): Promise<DatasetRow> {
      const i = await acquire();
      try {
        return await apis[i]!.runSample(task);
      } finally {
        release(i);
      }
    },
    close() {
      for (const w of workers) w.terminate();
    },
  };
}
