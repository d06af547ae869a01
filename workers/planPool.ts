/**
 * A pool of Node worker_threads running the twin for the planner (CLI, bench, tests): a
 * {@link TwinRunner} for estimates and a {@link Verifier} for full-window verification.
 * In the browser the app passes a Web Worker–backed verifier instead (see `plan.worker.ts`).
 *
 * Workers are TypeScript modules; they load through tsx's ESM hook (`tsx/esm/api`), the same
 * loader that runs the CLI.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InputError } from "../src/core/scenario/errors";
import type { Scenario } from "../src/core/scenario/schema";
import { verdictOf } from "../src/core/placement/twinEstimator";
import type { TwinRunner, TwinVerdict, Verifier } from "../src/core/placement/types";
import type { TwinResult } from "../src/core/twin/types";
import type { TwinJob } from "./planTwinThread";

interface Pending {
  job: TwinJob;
  resolve: (r: TwinResult) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

export interface TwinPool {
  readonly size: number;
  runner: TwinRunner;
  verifier: Verifier;
  /** Terminate every worker (pending jobs reject). */
  close(): Promise<void>;
}

function bootstrapSource(): string {
  const target = new URL("./planTwinThread.ts", import.meta.url).href;
  let api = "tsx/esm/api";
  try {
    api = import.meta.resolve("tsx/esm/api");
  } catch {
    // resolve from the working directory instead
  }
  return (
    `import(${JSON.stringify(api)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(target)}); })` +
    `.catch((e) => { setTimeout(() => { throw e; }); });`
  );
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The plan was cancelled", "AbortError");
}

/** Start a pool of `size` workers (default: available cores). */
export function createTwinPool(size = Math.max(1, availableParallelism())): TwinPool {
  const source = bootstrapSource();
  const slots: Slot[] = [];
  const queue: Pending[] = [];
  let nextId = 1;
  let closed = false;

  const spawn = (): Slot => {
    const worker = new Worker(source, { eval: true });
    const slot: Slot = { worker, busy: null };
    worker.on(
      "message",
      (msg: { id: number; result?: TwinResult; error?: { name: string; message: string } }) => {
        const p = slot.busy;
        slot.busy = null;
        if (p && p.job.id === msg.id) {
          if (msg.error) {
            p.reject(
              msg.error.name === "InputError"
                ? new InputError("", msg.error.message)
                : new Error(msg.error.message),
            );
          } else p.resolve(msg.result!);
        }
        pump();
      },
    );
    worker.on("error", (err) => {
      const p = slot.busy;
      slot.busy = null;
      p?.reject(err);
      const i = slots.indexOf(slot);
      if (i >= 0) slots.splice(i, 1);
      if (!closed) pump();
    });
    worker.unref();
    return slot;
  };

  const pump = () => {
    if (closed) return;
    while (queue.length > 0) {
      let slot = slots.find((s) => !s.busy);
      if (!slot && slots.length < size) {
        slot = spawn();
        slots.push(slot);
      }
      if (!slot) return;
      const p = queue.shift()!;
      if (p.signal?.aborted) {
        p.reject(abortReason(p.signal));
        continue;
      }
      slot.busy = p;
      slot.worker.ref();
      slot.worker.postMessage(p.job);
    }
    for (const s of slots) if (!s.busy) s.worker.unref();
  };

  const submit = (
    scenario: Scenario,
    timeSeriesPoints: number,
    signal?: AbortSignal,
  ): Promise<TwinResult> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new Error("the twin pool is closed"));
      if (signal?.aborted) return reject(abortReason(signal));
      const p: Pending = {
        job: { id: nextId++, scenario, timeSeriesPoints },
        resolve,
        reject,
        signal,
      };
      queue.push(p);
      pump();
    });

  const onAbort = (signal: AbortSignal) => {
    // drop queued jobs of this signal; restart workers busy with them
    for (let i = queue.length - 1; i >= 0; i--) {
      if (queue[i]!.signal === signal) {
        queue[i]!.reject(abortReason(signal));
        queue.splice(i, 1);
      }
    }
    for (const s of [...slots]) {
      if (s.busy?.signal === signal) {
        s.busy.reject(abortReason(signal));
        s.busy = null;
        void s.worker.terminate();
        slots.splice(slots.indexOf(s), 1);
      }
    }
    pump();
  };

  const runner: TwinRunner = async (scenarios, opts = {}) => {
    const signal = opts.signal;
    const listener = signal ? () => onAbort(signal) : null;
    if (signal && listener) signal.addEventListener("abort", listener, { once: true });
    try {
      return await Promise.all(
        scenarios.map((s) => submit(s, opts.timeSeriesPoints ?? 50, signal)),
      );
    } finally {
      if (signal && listener) signal.removeEventListener("abort", listener);
    }
  };

  const verifier: Verifier = {
    async verify(scenarios, opts = {}) {
      const signal = opts.signal;
      const listener = signal ? () => onAbort(signal) : null;
      if (signal && listener) signal.addEventListener("abort", listener, { once: true });
      try {
        return await Promise.all(
          scenarios.map(async (s, i): Promise<TwinVerdict> => {
            const v = verdictOf(await submit(s, 2, signal));
            opts.onResult?.(i, v);
            return v;
          }),
        );
      } finally {
        if (signal && listener) signal.removeEventListener("abort", listener);
      }
    },
  };

  return {
    size,
    runner,
    verifier,
    async close() {
      closed = true;
      for (const p of queue.splice(0)) p.reject(new Error("the twin pool is closed"));
      await Promise.all(
        slots.splice(0).map((s) => {
          s.busy?.reject(new Error("the twin pool is closed"));
          return s.worker.terminate();
        }),
      );
    },
  };
}
