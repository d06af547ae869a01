/**
 * A {@link SampleRunner} over Node worker_threads (one twin per thread). The threads load
 * TypeScript through tsx, as the npm scripts do.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { DatasetRow, SampleRunner, SampleTask } from "../../src/core/surrogate/dataset";

export interface NodeRunner extends SampleRunner {
  close(): Promise<void>;
}

export function createNodeRunner(threads = availableParallelism()): NodeRunner {
  const url = new URL("./sample-worker.mjs", import.meta.url);
  const idle: Worker[] = [];
  const waiters: ((w: Worker) => void)[] = [];
  const all: Worker[] = [];
  for (let i = 0; i < threads; i++) {
    const w = new Worker(url);
    w.unref();
    all.push(w);
    idle.push(w);
  }
  let nextId = 0;
  const acquire = () =>
    new Promise<Worker>((resolve) => {
      const w = idle.pop();
      if (w) resolve(w);
      else waiters.push(resolve);
    });
  const release = (w: Worker) => {
    const waiter = waiters.shift();
    if (waiter) waiter(w);
    else idle.push(w);
  };
  return {
    concurrency: threads,
    async run(task: SampleTask): Promise<DatasetRow> {
      const w = await acquire();
      const id = nextId++;
      try {
        return await new Promise<DatasetRow>((resolve, reject) => {
          const onMessage = (m: { id: number; row?: DatasetRow; error?: string }) => {
            if (m.id !== id) return;
            w.off("message", onMessage);
            w.off("error", onError);
            if (m.error !== undefined) reject(new Error(`sample ${task.index}: ${m.error}`));
            else resolve(m.row!);
          };
          const onError = (err: Error) => {
            w.off("message", onMessage);
            reject(err);
          };
          w.on("message", onMessage);
          w.on("error", onError);
          w.postMessage({ id, task });
        });
      } finally {
        release(w);
      }
    },
    async close() {
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
