/**
 * Plan worker (browser): `planFleet` off the main thread, behind Comlink. Thin: the planner
 * lives in src/core/placement; this file wires in the browser's parallelism and models.
 *
 * - Estimator: the TF.js surrogate where a model exists for the (model, GPU) pair — trained in
 *   this browser (IndexedDB) or shipped (`models/index.json`) — with the twin on a short window
 *   answering pairs without one and out-of-distribution queries (`estimator: "auto"`, the
 *   default), or the twin only (`"twin"`). TF.js is imported lazily, only when a model is used.
 * - Twin runs (verification, the lower bound, twin estimates) go to nested twin workers
 *   (`twin.worker.ts`), one per core but one (left to the UI).
 * - Streaming: `onPlaced` receives the placement as soon as it is done (before the twin
 *   verifies it), `onVerified` each GPU's verdict of that first verification pass as it comes;
 *   the returned plan is final (after repairs, consolidation and baselines).
 * - The lower bound runs after the placement by default (`lowerBound: "after"`): it only
 *   seeds the greedy's first guess, and its twin runs would otherwise delay the first plan on
 *   screen by seconds; `"inline"` runs it first, exactly as `planFleet` does in the CLI.
 * - Every message is validated (`parseFleetRequest`, zod for the GPU lists): bad input
 *   rejects with the one-line InputError naming the field.
 * - Cancel: `cancel()` aborts at the next estimator or verifier call; terminating the worker
 *   (what the app does) stops it at once, nested workers included.
 */
import * as Comlink from "comlink";
import { z } from "zod";
import { GPU_IDS, type GpuId } from "../src/core/catalog/ids";
import {
  assignmentFor,
  createContext,
  demandOf,
  engineFor,
  type FleetContext,
} from "../src/core/placement/context";
import { parseFleetRequest } from "../src/core/placement/fleetSchema";
import { lowerBound } from "../src/core/placement/lowerBound";
import { planFleet } from "../src/core/placement/plan";
import { createTwinEstimator, inThreadRunner } from "../src/core/placement/twinEstimator";
import { EMPTY_ESTIMATE, verdictOf } from "../src/core/placement/verdict";
import type {
  BaselineName,
  Estimator,
  FleetRequest,
  GpuAssignment,
  GpuEstimate,
  LowerBound,
  Plan,
  PlannedEngine,
  PlannedGpu,
  PlanPhase,
  PlanProgress,
  TwinRunner,
  TwinVerdict,
  Verifier,
} from "../src/core/placement/types";
import { vllmArgs } from "../src/core/placement/vllmArgs";
import { InputError } from "../src/core/scenario/errors";
import { PlacementEngineSchema } from "../src/core/scenario/fleet";
import { LIMITS, type Scenario } from "../src/core/scenario/schema";
import { createSurrogateEstimator } from "../src/core/surrogate/estimator";
import type { TwinResult } from "../src/core/twin/types";
import {
  createModelSource,
  type ModelSource,
  type PairSource,
  type SurrogateStatus,
} from "./surrogateModels";
import type { TwinWorkerApi } from "./twin.worker";

/** A verifier the caller provides (Comlink proxy): full-window twin verdicts, in order. */
export interface RemoteVerifier {
  verify(scenarios: Scenario[]): Promise<TwinVerdict[]>;
}

/** An estimator the caller provides (Comlink proxy). */
export interface RemoteEstimator {
  estimate(assignments: GpuAssignment[]): Promise<GpuEstimate[]>;
}

/** Which estimator answers the planner's quick questions. */
export type EstimatorMode = "auto" | "twin";

/** How many estimates each source gave, and why the twin answered. */
export interface EstimateCounts {
  surrogate: number;
  /** twin estimates for pairs that have a loaded surrogate (out of distribution) */
  twinOod: number;
  /** twin estimates for pairs without a usable surrogate */
  twinNoModel: number;
}

export interface EstimatorReport extends SurrogateStatus {
  mode: EstimatorMode;
  counts: EstimateCounts;
}

/**
 * What a plan reports while it runs. Pass one object wrapped in `Comlink.proxy` (Comlink
 * proxies arguments, not functions nested in them); calls are fire-and-forget.
 */
export interface PlanEvents {
  onProgress?: (p: PlanProgress) => void;
  /** the placement, before verification (GPUs in verification order: busiest first) */
  onPlaced?: (gpus: PlannedGpu[]) => void;
  /** verdict of GPU `index` of `onPlaced`'s list (first verification pass only) */
  onVerified?: (index: number, verdict: TwinVerdict) => void;
  /** the lower bound, once computed ("after" mode) */
  onLowerBound?: (lb: LowerBound) => void;
  /** which models are used, the TF.js backend, how many estimates each source gave */
  onEstimator?: (r: EstimatorReport) => void;
}

export interface PlanWorkerOptions {
  estimator?: EstimatorMode;
  /** absolute URL of the app's `models/` directory (shipped surrogates) */
  modelsBase?: string;
  /** "after" (default): computed once placed; "inline": first, as planFleet does; false: none */
  lowerBound?: "after" | "inline" | false;
  verifier?: RemoteVerifier;
  remoteEstimator?: RemoteEstimator;
  /** name shown for a caller-provided estimator */
  estimatorName?: string;
  /** twin estimator window, s (default 300) */
  windowS?: number;
  baselines?: boolean | BaselineName[];
  /** default false in the app: baselines are sized and judged by the estimator */
  verifyBaselines?: boolean;
  skipVerify?: boolean;
  /** nested twin workers (default: cores − 1, at least 1) */
  parallelism?: number;
}

/** One GPU to estimate: its type, adapter ids, and the flags to keep (the rest are chosen). */
export interface GpuToEstimate {
  gpu: string;
  adapters: string[];
  engine?: Partial<PlannedEngine>;
}

export interface EstimatedGpu {
  engine: PlannedEngine;
  estimate: GpuEstimate;
  vllmArgs: string;
}

export interface PlanWorkerApi {
  planFleet(request: unknown, opts?: PlanWorkerOptions, events?: PlanEvents): Promise<Plan>;
  /**
   * Estimate GPUs of a plan edited by hand (a drag, a restored link): each GPU's flags are
   * those given, the others chosen as the planner would for a new GPU.
   */
  estimateGpus(
    request: unknown,
    gpus: unknown,
    opts?: Pick<PlanWorkerOptions, "estimator" | "modelsBase" | "windowS">,
    events?: Pick<PlanEvents, "onEstimator">,
  ): Promise<EstimatedGpu[]>;
  /** Which pairs of `request` have a surrogate model (no TF.js loaded). */
  modelSources(request: unknown, modelsBase?: string): Promise<Record<string, PairSource>>;
  /** Abort the running plan (it rejects with an AbortError). */
  cancel(): void;
  /** Tests only: die as a crash would. */
  crashForTest(): void;
}

const cores = (typeof navigator !== "undefined" && navigator.hardwareConcurrency) || 2;

/** A small pool of nested twin workers, kept for this worker's lifetime. */
function nestedTwinPool(size: number): TwinRunner {
  const workers: Comlink.Remote<TwinWorkerApi>[] = [];
  const free: number[] = [];
  const waiters: Array<(i: number) => void> = [];
  for (let i = 0; i < size; i++) {
    const w = new Worker(new URL("./twin.worker.ts", import.meta.url), {
      type: "module",
      name: "plan-twin",
    });
    workers.push(Comlink.wrap<TwinWorkerApi>(w));
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
  return (scenarios, opts = {}) =>
    Promise.all(
      scenarios.map(async (s): Promise<TwinResult> => {
        const i = await acquire();
        try {
          if (opts.signal?.aborted) throw opts.signal.reason;
          return await workers[i]!.simulate(s, {
            timeSeriesPoints: opts.timeSeriesPoints ?? 50,
          });
        } finally {
          release(i);
        }
      }),
    );
}

let pool: TwinRunner | null = null;
function twinPool(parallelism?: number): TwinRunner {
  pool ??= nestedTwinPool(Math.max(1, Math.min(8, parallelism ?? cores - 1)));
  return pool;
}

let models: ModelSource | null = null;
let modelsBaseOf: string | undefined;
let statusListener: ((s: SurrogateStatus) => void) | undefined;
function modelSource(base: string | undefined): ModelSource {
  if (!models || base !== modelsBaseOf) {
    modelsBaseOf = base;
    models = createModelSource(base, (s) => statusListener?.(s));
  }
  return models;
}

const pairOf = (a: { model: string; gpu: string }) => `${a.model}__${a.gpu}`;

/** Short key of an assignment: GPU type, flags, adapter ids (hashed). */
function assignmentKey(gpu: string, e: PlannedEngine, ids: readonly string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (const id of ids) {
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ (c + 0x9e3779b9), 0x85ebca6b) >>> 0;
    }
    h1 = Math.imul(h1 ^ 0x1f, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ 0x2f, 0x85ebca6b) >>> 0;
  }
  return [
    gpu,
    e.maxLoras,
    e.maxCpuLoras,
    e.maxLoraRank,
    e.maxNumSeqs,
    e.maxNumBatchedTokens,
    e.gpuMemoryUtilization,
    e.maxModelLen,
    ids.length,
    h1.toString(36),
    h2.toString(36),
  ].join("|");
}

function engineOf(s: Scenario): PlannedEngine {
  const e = s.engine;
  return {
    maxLoras: e.maxLoras!,
    maxCpuLoras: e.maxCpuLoras!,
    maxLoraRank: e.maxLoraRank!,
    maxNumSeqs: e.maxNumSeqs!,
    maxNumBatchedTokens: e.maxNumBatchedTokens!,
    gpuMemoryUtilization: e.gpuMemoryUtilization!,
    maxModelLen: e.maxModelLen!,
  };
}

interface Built {
  estimator: Estimator;
  /** estimates by assignment key (what the planner saw for each candidate GPU) */
  memo: Map<string, GpuEstimate>;
  report(): EstimatorReport;
}

/** The estimator of one call: surrogate-first or twin, counting who answered. */
function buildEstimator(
  request: FleetRequest,
  mode: EstimatorMode,
  runner: TwinRunner,
  opts: Pick<PlanWorkerOptions, "modelsBase" | "windowS"> & Pick<PlanEvents, "onEstimator">,
  remote?: { estimator: RemoteEstimator; name?: string },
): Built {
  const twin = createTwinEstimator({ windowS: opts.windowS, runner });
  const src = modelSource(opts.modelsBase);
  const counts: EstimateCounts = { surrogate: 0, twinOod: 0, twinNoModel: 0 };
  let inner: Estimator;
  if (remote) {
    inner = {
      name: remote.name ?? "remote",
      estimate: (a) => remote.estimator.estimate([...a]),
    };
  } else if (mode === "twin") {
    inner = twin;
  } else {
    inner = createSurrogateEstimator({ load: (m, g) => src.load(m, g), fallback: twin });
    // start loading the models (TF.js, weights) while the planner prepares
    for (const o of request.gpuTypes) void src.load(request.model, o.gpu);
  }
  const memo = new Map<string, GpuEstimate>();
  const report = (): EstimatorReport => ({ ...src.status(), mode, counts: { ...counts } });
  let last = 0;
  const estimator: Estimator = {
    name: inner.name,
    async estimate(assignments, signal) {
      const out = await inner.estimate(assignments, signal);
      const st = src.status();
      assignments.forEach((a, i) => {
        const e = out[i]!;
        memo.set(
          assignmentKey(
            a.gpu,
            a.engine,
            a.adapters.map((x) => x.id),
          ),
          e,
        );
        if (e.source === "surrogate") counts.surrogate++;
        else if (st.pairs[pairOf(a)]?.loaded) counts.twinOod++;
        else counts.twinNoModel++;
      });
      const now = performance.now();
      if (opts.onEstimator && now - last > 250) {
        last = now;
        opts.onEstimator(report());
      }
      return out;
    },
  };
  return { estimator, memo, report };
}

let current: AbortController | null = null;

const GpusSchema = z
  .array(
    z.strictObject({
      gpu: z.enum(GPU_IDS),
      adapters: z.array(z.string().min(1).max(LIMITS.idLength)).max(LIMITS.adapters),
      engine: PlacementEngineSchema.optional(),
    }),
  )
  .max(10_000);

function parseGpus(input: unknown): z.infer<typeof GpusSchema> {
  const r = GpusSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const path = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    throw new InputError(`gpus${path}`, i.message.replace(/\s+/g, " "));
  }
  return r.data;
}

function engineWith(
  ctx: FleetContext,
  members: Parameters<typeof engineFor>[1],
  keep: Partial<PlannedEngine> | undefined,
): PlannedEngine {
  const base = engineFor(ctx, members, Math.max(1, Math.min(32, members.length)));
  const e: PlannedEngine = { ...base };
  for (const k of Object.keys(base) as (keyof PlannedEngine)[]) {
    const v = keep?.[k];
    if (v !== undefined) e[k] = v;
  }
  // flags vLLM would refuse with these adapters are raised to what they need
  e.maxLoraRank = Math.max(e.maxLoraRank, base.maxLoraRank);
  e.maxCpuLoras = Math.max(e.maxCpuLoras, e.maxLoras);
  e.maxNumBatchedTokens = Math.max(e.maxNumBatchedTokens, e.maxNumSeqs);
  return e;
}

const api: PlanWorkerApi = {
  async planFleet(input, opts = {}, events = {}) {
    const request = parseFleetRequest(input);
    current?.abort(new DOMException("superseded by a new plan", "AbortError"));
    const controller = new AbortController();
    current = controller;
    const signal = controller.signal;
    const runner = twinPool(opts.parallelism);
    const ctx = createContext(request);
    statusListener = events.onEstimator ? () => events.onEstimator!(built.report()) : undefined;
    const built = buildEstimator(
      request,
      opts.estimator ?? "auto",
      runner,
      { ...opts, onEstimator: events.onEstimator },
      opts.remoteEstimator
        ? { estimator: opts.remoteEstimator, name: opts.estimatorName }
        : undefined,
    );
    const lbMode = opts.lowerBound ?? "after";
    let lbRun: Promise<{ lb: LowerBound; ms: number } | null> | null = null;
    const startLowerBound = () => {
      if (lbMode !== "after" || lbRun) return;
      const t0 = performance.now();
      lbRun = lowerBound(ctx, { runner, signal }).then(
        (lb) => {
          if (!lb) return null;
          events.onLowerBound?.(lb);
          return { lb, ms: performance.now() - t0 };
        },
        (e: unknown) => {
          if (signal.aborted) throw e;
          return null; // the plan stands without it
        },
      );
      lbRun.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
    };

    let phase: PlanPhase = "prepare";
    let placedSent = false;
    let lastProgress = 0;
    const onProgress = (p: PlanProgress) => {
      const changed = p.phase !== phase;
      phase = p.phase;
      const now = performance.now();
      // at most ~8 messages a second to the main thread, phase changes always
      if (events.onProgress && (changed || now - lastProgress > 120 || p.fraction === 1)) {
        lastProgress = now;
        events.onProgress(p);
      }
    };

    const runVerify = async (
      scenarios: readonly Scenario[],
      o: { signal?: AbortSignal; onResult?: (i: number, v: TwinVerdict) => void },
      first: boolean,
    ): Promise<TwinVerdict[]> => {
      if (opts.verifier) {
        const v = await opts.verifier.verify([...scenarios]);
        if (o.signal?.aborted) throw o.signal.reason;
        v.forEach((x, i) => {
          o.onResult?.(i, x);
          if (first) events.onVerified?.(i, x);
        });
        return v;
      }
      return Promise.all(
        scenarios.map(async (s, i) => {
          const [r] = await runner([s], { signal: o.signal, timeSeriesPoints: 2 });
          const v = verdictOf(r!);
          o.onResult?.(i, v);
          if (first) events.onVerified?.(i, v);
          return v;
        }),
      );
    };

    const verifier: Verifier = {
      async verify(scenarios, o = {}) {
        const first = phase === "verify" && !placedSent;
        if (first) {
          placedSent = true;
          const preview = scenarios.map((s): PlannedGpu => {
            const engine = engineOf(s);
            const ids = s.workload.adapters.map((a) => a.id);
            const est = built.memo.get(assignmentKey(s.gpu, engine, ids));
            const demand = demandOf(ids.map((id) => ctx.byId.get(id)!));
            return {
              gpu: s.gpu as GpuId,
              engine,
              adapters: ids,
              estimate: est ?? { ...EMPTY_ESTIMATE, demandTokS: demand },
              demandTokS: demand,
              problem: null,
              vllmArgs: vllmArgs(engine, ids),
            };
          });
          events.onPlaced?.(preview);
          events.onEstimator?.(built.report());
          startLowerBound();
        }
        return runVerify(scenarios, o, first);
      },
    };

    try {
      const plan = await planFleet(request, {
        estimator: built.estimator,
        verifier,
        runner,
        signal,
        onProgress,
        baselines: opts.baselines,
        verifyBaselines: opts.verifyBaselines ?? false,
        skipVerify: opts.skipVerify,
        lowerBound: lbMode === "inline",
      });
      startLowerBound();
      const pending = lbRun as Promise<{ lb: LowerBound; ms: number } | null> | null;
      const lbr = pending ? await pending : null;
      if (lbr) {
        plan.lowerBound = lbr.lb;
        plan.lowerBoundGpus = lbr.lb.gpus;
        plan.lowerBoundMs = lbr.ms;
      }
      events.onEstimator?.(built.report());
      return plan;
    } finally {
      if (current === controller) current = null;
      statusListener = undefined;
    }
  },

  async estimateGpus(input, gpusIn, opts = {}, events = {}) {
    const request = parseFleetRequest(input);
    const gpus = parseGpus(gpusIn);
    const ctx = createContext(request);
    const built = buildEstimator(request, opts.estimator ?? "auto", inThreadRunner, opts);
    const items = gpus.map((g, gi) => {
      const members = g.adapters.map((id, ai) => {
        const a = ctx.byId.get(id);
        if (!a)
          throw new InputError(
            `gpus[${gi}].adapters[${ai}]`,
            `unknown adapter id ${JSON.stringify(id).slice(0, 40)}`,
          );
        return a;
      });
      const engine = engineWith(ctx, members, g.engine);
      return { g, members, engine };
    });
    const busy = items.filter((x) => x.members.length > 0);
    const ests = await built.estimator.estimate(
      busy.map((x) => assignmentFor(ctx, x.g.gpu, x.members, x.engine)),
    );
    events.onEstimator?.(built.report());
    let k = 0;
    return items.map((x) => ({
      engine: x.engine,
      estimate:
        x.members.length > 0 ? ests[k++]! : { ...EMPTY_ESTIMATE, demandTokS: demandOf(x.members) },
      vllmArgs: vllmArgs(
        x.engine,
        x.members.map((a) => a.id),
      ),
    }));
  },

  async modelSources(input, modelsBase) {
    const request = parseFleetRequest(input);
    const src = modelSource(modelsBase);
    const out: Record<string, PairSource> = {};
    for (const o of request.gpuTypes) {
      out[pairOf({ model: request.model, gpu: o.gpu })] = await src.sourceOf(request.model, o.gpu);
    }
    return out;
  },

  cancel() {
    current?.abort(new DOMException("The plan was cancelled", "AbortError"));
  },

  crashForTest() {
    setTimeout(() => {
      throw new Error("simulated crash");
    }, 0);
  },
};

Comlink.expose(api);
