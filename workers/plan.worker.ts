/**
 * Plan worker (browser): `planFleet` off the main thread, behind Comlink. Thin: the planner
 * lives in src/core/placement; this file wires in the browser's parallelism.
 *
 * - The request is validated here (`parseFleetRequest`): a bad message rejects with the
 *   one-line InputError naming the field.
 * - Progress: pass `Comlink.proxy(fn)` as `onProgress`.
 * - Cancel: `cancel()` aborts the running plan at the next estimator or verifier call (the
 *   plan rejects with an AbortError); terminating the worker stops it at once.
 * - Twin runs (estimates, lower bound, verification) go to nested twin workers
 *   (`twin.worker.ts`), one per core but one (left to the UI), unless the caller passes its
 *   own `verifier` / `estimator` (Comlink proxies, e.g. the surrogate's worker).
 */
import * as Comlink from "comlink";
import { parseFleetRequest } from "../src/core/placement/fleetSchema";
import { planFleet } from "../src/core/placement/plan";
import { createTwinEstimator, verdictOf } from "../src/core/placement/twinEstimator";
import type {
  BaselineName,
  Estimator,
  GpuAssignment,
  GpuEstimate,
  Plan,
  PlanProgress,
  TwinRunner,
  TwinVerdict,
  Verifier,
} from "../src/core/placement/types";
import type { Scenario } from "../src/core/scenario/schema";
import type { TwinResult } from "../src/core/twin/types";
import type { TwinWorkerApi } from "./twin.worker";

/** A verifier the caller provides (Comlink proxy): full-window twin verdicts, in order. */
export interface RemoteVerifier {
  verify(scenarios: Scenario[]): Promise<TwinVerdict[]>;
}

/** An estimator the caller provides (Comlink proxy), e.g. the surrogate's. */
export interface RemoteEstimator {
  estimate(assignments: GpuAssignment[]): Promise<GpuEstimate[]>;
}

export interface PlanWorkerOptions {
  onProgress?: (p: PlanProgress) => void;
  verifier?: RemoteVerifier;
  estimator?: RemoteEstimator;
  /** name shown for a caller-provided estimator */
  estimatorName?: string;
  /** twin estimator window, s (default 300) */
  windowS?: number;
  baselines?: boolean | BaselineName[];
  verifyBaselines?: boolean;
  skipVerify?: boolean;
  /** nested twin workers (default: cores − 1, at least 1) */
  parallelism?: number;
}

export interface PlanWorkerApi {
  planFleet(request: unknown, opts?: PlanWorkerOptions): Promise<Plan>;
  /** Abort the running plan (it rejects with an AbortError). */
  cancel(): void;
}

/** A small pool of nested twin workers. */
function nestedTwinPool(size: number): { runner: TwinRunner; close(): void } {
  const workers: Array<{ w: Worker; api: Comlink.Remote<TwinWorkerApi> }> = [];
  const free: number[] = [];
  const waiters: Array<(i: number) => void> = [];
  for (let i = 0; i < size; i++) {
    const w = new Worker(new URL("./twin.worker.ts", import.meta.url), {
      type: "module",
      name: "plan-twin",
    });
    workers.push({ w, api: Comlink.wrap<TwinWorkerApi>(w) });
    free.push(i);
  }
  const acquire = () =>
    new Promise<number>((resolve) => {
      const i = free.pop();
      if (i !== undefined) resolve(i);
      else waiters.push(resolve);
    });
  const release = (i: number) => {
    const next = waiters.shift();
    if (next) next(i);
    else free.push(i);
  };
  const runner: TwinRunner = (scenarios, opts = {}) =>
    Promise.all(
      scenarios.map(async (s): Promise<TwinResult> => {
        const i = await acquire();
        try {
          if (opts.signal?.aborted) throw opts.signal.reason;
          return await workers[i]!.api.simulate(s, {
            timeSeriesPoints: opts.timeSeriesPoints ?? 50,
          });
        } finally {
          release(i);
        }
      }),
    );
  return {
    runner,
    close() {
      for (const { w } of workers) w.terminate();
    },
  };
}

let current: AbortController | null = null;

const api: PlanWorkerApi = {
  async planFleet(input, opts = {}) {
    const request = parseFleetRequest(input);
    current?.abort(new DOMException("superseded by a new plan", "AbortError"));
    const controller = new AbortController();
    current = controller;
    const cores = (typeof navigator !== "undefined" && navigator.hardwareConcurrency) || 2;
    const pool = nestedTwinPool(Math.max(1, Math.min(8, opts.parallelism ?? cores - 1)));
    try {
      const estimator: Estimator = opts.estimator
        ? {
            name: opts.estimatorName ?? "remote",
            estimate: (a) => opts.estimator!.estimate([...a]),
          }
        : createTwinEstimator({ windowS: opts.windowS, runner: pool.runner });
      const verifier: Verifier = opts.verifier
        ? {
            async verify(scenarios, o = {}) {
              const v = await opts.verifier!.verify([...scenarios]);
              if (o.signal?.aborted) throw o.signal.reason;
              v.forEach((x, i) => o.onResult?.(i, x));
              return v;
            },
          }
        : {
            async verify(scenarios, o = {}) {
              const results = await pool.runner(scenarios, {
                signal: o.signal,
                timeSeriesPoints: 2,
              });
              const v = results.map(verdictOf);
              v.forEach((x, i) => o.onResult?.(i, x));
              return v;
            },
          };
      return await planFleet(request, {
        estimator,
        verifier,
        runner: pool.runner,
        signal: controller.signal,
        onProgress: opts.onProgress ? (p) => void opts.onProgress!(p) : undefined,
        baselines: opts.baselines,
        verifyBaselines: opts.verifyBaselines,
        skipVerify: opts.skipVerify,
      });
    } finally {
      pool.close();
      if (current === controller) current = null;
    }
  },
  cancel() {
    current?.abort(new DOMException("The plan was cancelled", "AbortError"));
  },
};

Comlink.expose(api);
