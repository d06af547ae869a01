/**
 * The app store (zustand). The fleet scenario is the one source of truth: every edit goes
 * through `updateScenario`, which persists it to IndexedDB and (debounced) to the URL hash.
 * The plan is derived from it by jobs that run in workers; a job that fails or is cancelled
 * leaves the last good plan in place.
 *
 * Planning runs `planFleet` in the plan worker (surrogate estimates, twin verification in
 * nested workers). The placement is shown as soon as it is done; the job then becomes the
 * verification of that placement, whose verdicts update the cards as they arrive (batched per
 * animation frame); the final plan (after the planner's repairs and baselines) replaces it.
 */
import { startTransition } from "react";
import { create } from "zustand";
import { GPUS } from "../core/catalog/gpus";
import type { GpuId } from "../core/catalog/ids";
import type {
  GpuEstimate,
  LowerBound,
  Plan,
  PlannedEngine,
  PlannedGpu,
  TwinVerdict,
} from "../core/placement/types";
import type { Adapter } from "../core/scenario/schema";
import type { TwinResult } from "../core/twin/types";
import { EMPTY_ESTIMATE } from "../core/placement/verdict";
import {
  decodeScenarioFromHash,
  defaultFleetScenario,
  encodeScenarioToHash,
  parseFleetScenario,
  parseFleetScenarioJson,
  shareScenario,
  type FleetScenario,
  type PlacementOverride,
} from "./fleet";
import { adapterDemand, assignmentKey, demandOf, engineFor, gpuScenario } from "./jobs/assign";
import { estimateProblem, gpuProblem, verdictProblem } from "./jobs/problems";
import {
  BROWSER_TRAINING,
  codecBridge,
  crashBusyWorkers,
  estimateGpusInWorker,
  forgetLoadedModels,
  importTraceInWorker,
  planFleetInWorker,
  planRequestInWorker,
  runTwinInWorker,
  toVerified,
  trainSurrogateInWorker,
  benchSurrogateInWorker,
  twinDetailsInWorker,
  verifyInWorkers,
  type EstimatorReport,
} from "./jobs/services";
import type { TraceImportOptions, TraceImportResult } from "./jobs/traceTypes";
import { isCancel } from "./jobs/workerBridge";
import { vllmArgsFor } from "./jobs/vllmArgs";
import { pairKey, saveTrained } from "./models";
import * as persist from "./persist";

export type JobKind = "plan" | "verify" | "estimate" | "trace" | "details" | "train";

export interface JobView {
  id: number;
  kind: JobKind;
  label: string;
  /** 0..1, or null when the job cannot tell */
  progress: number | null;
  message: string;
  startedAt: number;
}

export interface Notice {
  id: number;
  level: "error" | "info";
  text: string;
}

export type GpuPhase = "estimating" | "verifying";

export interface TraceInfo {
  fileName: string;
  result: Omit<TraceImportResult, "adapters" | "lengths">;
}

export interface AppState {
  booted: boolean;
  scenario: FleetScenario;
  /** bumped on every scenario change (caches and the "plan is stale" hint use it) */
  scenarioRev: number;
  plan: Plan | null;
  /**
   * The plan the charts show: updated when a job ends, a plan arrives or the board changes by
   * hand, not on every background verification result (Recharts re-renders are costly).
   */
  chartPlan: Plan | null;
  /** stable ids of plan.gpus (same order) */
  gpuUids: number[];
  /** scenarioRev the plan was computed for */
  planRev: number;
  gpuPhase: Record<number, GpuPhase>;
  selectedUid: number | null;
  /** full twin results by assignment key (time series for the charts) */
  details: Record<string, TwinResult>;
  job: JobView | null;
  notices: Notice[];
  /** which estimator answered the last plan or edit (the backend badge) */
  estimator: EstimatorReport | null;
  traceInfo: TraceInfo | null;
  saved: persist.SavedMeta[];
}

const initial: AppState = {
  booted: false,
  scenario: defaultFleetScenario(),
  scenarioRev: 0,
  plan: null,
  chartPlan: null,
  gpuUids: [],
  planRev: -1,
  gpuPhase: {},
  selectedUid: null,
  details: {},
  job: null,
  notices: [],
  estimator: null,
  traceInfo: null,
  saved: [],
};

export const useApp = create<AppState>()(() => initial);

const get = useApp.getState;
const set = useApp.setState;

// ---------------------------------------------------------------- notices

let noticeSeq = 0;
export function notify(level: Notice["level"], text: string): void {
  const n = { id: ++noticeSeq, level, text };
  set((s) => ({ notices: [...s.notices.slice(-4), n] }));
  if (level === "info") setTimeout(() => dismissNotice(n.id), 8000);
}
export function dismissNotice(id: number): void {
  set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
}

function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

// ---------------------------------------------------------------- frame batching

/**
 * Coalesce state updates that arrive in bursts from workers (verdicts, progress) into one
 * `set` per animation frame, so a burst costs one render. Falls back to a timer when frames
 * do not run (hidden tab).
 */
function frameBatcher(): (fn: (s: AppState) => Partial<AppState>) => void {
  let queue: Array<(s: AppState) => Partial<AppState>> = [];
  let scheduled = false;
  const flush = () => {
    if (!scheduled) return;
    scheduled = false;
    if (dragHeld) {
      // a drag runs: the updates wait for its end (see holdForDrag)
      afterDrag(() => {
        if (queue.length === 0 || scheduled) return;
        scheduled = true;
        requestAnimationFrame(flush);
        setTimeout(flush, 120);
      });
      return;
    }
    const q = queue;
    queue = [];
    set((s) => {
      let cur = s;
      let out: Partial<AppState> = {};
      for (const f of q) {
        const patch = f(cur);
        out = { ...out, ...patch };
        cur = { ...cur, ...patch };
      }
      return out;
    });
  };
  return (fn) => {
    queue.push(fn);
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(flush);
    setTimeout(flush, 120);
  };
}

/**
 * While a chip is being dragged, results that re-render cards and charts (twin verdicts, a
 * finished estimate, the charts' new plan) wait for the drop: each is a React commit and a
 * frame of layout and paint that lands between the drag's frames, and the drag's own frames
 * (dnd-kit measuring the cards at its start, the overlay following the pointer) must stay short.
 */
let dragHeld = false;
let heldForDrag: Array<() => void> = [];

/** Run `fn` now, or after the drag in progress ends. */
function afterDrag(fn: () => void): void {
  if (dragHeld) heldForDrag.push(fn);
  else fn();
}

/**
 * A drag starts (`true`) or ends (`false`, dropped or cancelled). What it held back is applied in
 * the next task, after the drop's own (the drop's two cards are updated at once).
 */
export function holdForDrag(on: boolean): void {
  if (on === dragHeld) return;
  dragHeld = on;
  if (on) return;
  const held = heldForDrag;
  heldForDrag = [];
  if (held.length > 0)
    setTimeout(() => {
      for (const fn of held) afterDrag(fn);
    }, 0);
}

/** Resolves when no drag is in progress. */
function dragEnded(): Promise<void> {
  return new Promise((resolve) => afterDrag(resolve));
}

const batched = frameBatcher();

// ---------------------------------------------------------------- jobs

interface Running {
  id: number;
  kind: JobKind;
  controller: AbortController;
  /** cancelled by the user (not superseded by another job) */
  byUser: boolean;
}
let jobSeq = 0;
let running: Running | null = null;

/** What a job may do to its own indicator. */
export interface JobHandle {
  /** Relabel the running job (e.g. planning → verifying once the placement is shown). */
  switchTo(kind: JobKind, label: string): void;
}

/** After the user cancels a verification, don't restart it until the plan changes. */
let verifyDeclined = false;

/** Cancel the running job (terminates its worker); the state before it stays. */
export function cancelJob(): void {
  if (!running) return;
  running.byUser = true;
  if (running.kind === "verify" || running.kind === "details") verifyDeclined = true;
  running.controller.abort();
}

/**
 * Run one job at a time: a new job cancels the running one. `work` applies its own result
 * (checking `signal.aborted` first) so that the follow-up job (verification) starts before
 * the job indicator clears. Resolves to undefined when the job was cancelled or failed (the
 * failure is shown; the state is untouched).
 */
async function runJob<T>(
  kind: JobKind,
  label: string,
  work: (
    signal: AbortSignal,
    progress: (f: number | null, msg: string) => void,
    job: JobHandle,
  ) => Promise<T>,
): Promise<T | undefined> {
  running?.controller.abort();
  const me: Running = { id: ++jobSeq, kind, controller: new AbortController(), byUser: false };
  running = me;
  set({
    job: { id: me.id, kind, label, progress: 0, message: "starting", startedAt: performance.now() },
  });
  let lastUpdate = 0;
  let pending: { f: number | null; message: string } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const apply = () => {
    timer = null;
    if (!pending || running !== me) return;
    const { f, message } = pending;
    pending = null;
    lastUpdate = performance.now();
    set((s) => (s.job && s.job.id === me.id ? { job: { ...s.job, progress: f, message } } : {}));
  };
  // progress: at most ~6 renders a second (the last value always lands)
  const progress = (f: number | null, message: string) => {
    if (running !== me) return;
    pending = { f, message };
    const wait = 160 - (performance.now() - lastUpdate);
    if (wait <= 0 && !timer) apply();
    else timer ??= setTimeout(apply, Math.max(0, wait));
  };
  const handle: JobHandle = {
    switchTo(k, l) {
      if (running !== me) return;
      me.kind = k;
      set((s) =>
        s.job && s.job.id === me.id ? { job: { ...s.job, kind: k, label: l, progress: 0 } } : {},
      );
    },
  };
  try {
    const out = await work(me.controller.signal, progress, handle);
    if (me.controller.signal.aborted) return undefined;
    return out;
  } catch (e) {
    if (isCancel(e) || me.controller.signal.aborted) {
      if (me.byUser) notify("info", `${label}: cancelled — the previous state is kept.`);
      return undefined;
    }
    // late callbacks of the failed job (a placement or verdict already queued from a worker
    // that then crashed) must not change the plan the message promises to keep
    me.controller.abort(e);
    notify("error", `${label} failed: ${describeError(e)}. The last good plan is kept.`);
    return undefined;
  } finally {
    if (timer) clearTimeout(timer);
    if (running === me) {
      running = null;
      afterJob(); // may start the next job synchronously, so "ready" never flickers
      if (running === null) {
        set({ job: null });
        afterDrag(() => startTransition(() => set((s) => ({ chartPlan: s.plan }))));
      }
    }
  }
}

/** When nothing runs: verify what is unverified, then fetch the selected GPU's details. */
function afterJob(): void {
  if (running) return;
  const s = get();
  if (!s.plan) return;
  const unverified = s.plan.gpus.some((g) => !g.verified && g.adapters.length > 0);
  if (unverified) {
    if (!verifyDeclined) void verifyPlan();
    return;
  }
  void ensureDetails();
}

// ---------------------------------------------------------------- scenario

let hashTimer: ReturnType<typeof setTimeout> | null = null;
let urlIsBad = false;

function setHash(hash: string): string {
  history.replaceState(history.state, "", `${location.pathname}${location.search}${hash}`);
  urlIsBad = false;
  return location.href;
}

/** Write the hash now, on this thread (share button, loading a scenario). */
function writeHashNow(): string {
  if (hashTimer) clearTimeout(hashTimer);
  hashTimer = null;
  hashSeq++;
  return setHash(encodeScenarioToHash(get().scenario));
}

let hashSeq = 0;
/** Large scenarios are encoded in a worker (lz-string takes 100 ms+ on thousands of adapters). */
const BIG_SCENARIO = 300;

function scheduleHash(): void {
  if (hashTimer) clearTimeout(hashTimer);
  hashTimer = setTimeout(() => {
    hashTimer = null;
    const s = get().scenario;
    if (s.workload.adapters.length < BIG_SCENARIO) {
      writeHashNow();
      return;
    }
    const mine = ++hashSeq;
    codecBridge
      .run((api) => api.encode(s))
      .then((hash) => {
        if (mine === hashSeq) setHash(hash);
      })
      .catch(() => {
        if (mine === hashSeq) writeHashNow();
      });
  }, 400);
}

let saveTimer: ReturnType<typeof setTimeout> | null = null;
/** Save the working scenario (coalesced: one IndexedDB write per burst of edits). */
function persistWorking(now = false): void {
  if (saveTimer) clearTimeout(saveTimer);
  const save = () => {
    saveTimer = null;
    persist.saveWorking(get().scenario).catch((e: unknown) => {
      notify("error", `Could not save the scenario locally: ${describeError(e)}`);
    });
  };
  if (now) save();
  else saveTimer = setTimeout(save, 150);
}
if (typeof window !== "undefined") {
  // a pending save is written before the page goes away
  window.addEventListener("pagehide", () => {
    if (saveTimer) {
      clearTimeout(saveTimer);
      persistWorking(true);
    }
  });
}

/**
 * The placement without what no longer matches the scenario: GPU types not offered (the whole
 * placement goes), adapters removed, and per-GPU flags that the scenario's model or fixed flags
 * now contradict or that are too small for the GPU's adapters (they are chosen again).
 */
function prunePlacement(next: FleetScenario, prev: FleetScenario): FleetScenario {
  const p = next.placement;
  if (!p) return next;
  const byId = new Map(next.workload.adapters.map((a) => [a.id, a]));
  const offered = new Set(next.gpuTypes.map((o) => o.gpu));
  if (p.gpus.some((g) => !offered.has(g.gpu))) return { ...next, placement: undefined };
  const fixed = next.engine;
  const flagsStale =
    next.model !== prev.model || JSON.stringify(fixed) !== JSON.stringify(prev.engine);
  let changed = false;
  const gpus = p.gpus.map((g) => {
    const keep = g.adapters.filter((id) => byId.has(id));
    const e = g.engine;
    const badEngine =
      e !== undefined &&
      (flagsStale ||
        (e.maxLoraRank !== undefined && keep.some((id) => byId.get(id)!.rank > e.maxLoraRank!)));
    if (keep.length === g.adapters.length && !badEngine) return g;
    changed = true;
    return { gpu: g.gpu, adapters: keep, ...(e && !badEngine ? { engine: e } : {}) };
  });
  return changed ? { ...next, placement: { gpus } } : next;
}

/**
 * Replace the scenario (validated). Persists it and updates the URL. Returns an error
 * message instead of applying an invalid scenario. `placementOnly`: only the placement
 * changed (the plan and the twin caches stay valid).
 */
export function setScenario(
  next: FleetScenario,
  opts: { placementOnly?: boolean } = {},
): string | null {
  let valid: FleetScenario = next;
  if (!opts.placementOnly) {
    // (a placement built from the plan only holds ids of this scenario: no full re-check)
    try {
      valid = parseFleetScenario(prunePlacement(next, get().scenario));
    } catch (e) {
      return describeError(e);
    }
  }
  applyScenario(valid, opts);
  return null;
}

/** Apply a validated scenario: persist it, update the URL. */
function applyScenario(valid: FleetScenario, opts: { placementOnly?: boolean }): void {
  set((s) => ({
    scenario: valid,
    scenarioRev: opts.placementOnly ? s.scenarioRev : s.scenarioRev + 1,
  }));
  persistWorking();
  scheduleHash();
}

export function updateScenario(fn: (s: FleetScenario) => FleetScenario): string | null {
  return setScenario(fn(get().scenario));
}

export function updateAdapters(fn: (a: Adapter[]) => Adapter[]): string | null {
  return updateScenario((s) => ({
    ...s,
    workload: { ...s.workload, adapters: fn(s.workload.adapters) },
  }));
}

/**
 * {@link updateAdapters} for thousands of adapters (bulk generation): the schema check (12–18 ms
 * for 2,000 adapters) and the update with its re-render run in tasks of their own, not in the
 * click's. Resolves to the error message, or null once the adapters are in the scenario.
 */
export async function updateAdaptersSoon(fn: (a: Adapter[]) => Adapter[]): Promise<string | null> {
  await nextTask();
  const base = get().scenario;
  const next: FleetScenario = {
    ...base,
    workload: { ...base.workload, adapters: fn(base.workload.adapters) },
  };
  let valid: FleetScenario;
  try {
    valid = parseFleetScenario(prunePlacement(next, base));
  } catch (e) {
    return describeError(e);
  }
  await nextTask();
  // edited meanwhile: check and apply against the scenario as it is now
  if (get().scenario !== base) return updateAdapters(fn);
  applyScenario(valid, {});
  return null;
}

/**
 * Pin the plan into the scenario: each GPU's type, adapters and engine flags, so the URL and
 * the saved copy reproduce it.
 */
function pinPlacement(plan: Plan): void {
  const s = get().scenario;
  if (plan.gpus.length === 0) return;
  const ids = new Set(s.workload.adapters.map((a) => a.id));
  const offered = new Set(s.gpuTypes.map((o) => o.gpu));
  if (plan.gpus.some((g) => !offered.has(g.gpu))) return;
  const placement: PlacementOverride = {
    gpus: plan.gpus.map((g) => ({
      gpu: g.gpu,
      adapters: g.adapters.filter((id) => ids.has(id)),
      engine: { ...g.engine },
    })),
  };
  setScenario({ ...s, placement }, { placementOnly: true });
}

/** The share link: flush the hash now; with what the user should know about it. */
export function shareLink(): { url: string; notes: string[]; fitsUrl: boolean } {
  const url = writeHashNow();
  const r = shareScenario(get().scenario);
  return { url, notes: r.notes, fitsUrl: r.fitsUrl };
}

// ---------------------------------------------------------------- boot

export async function boot(): Promise<void> {
  if (get().booted) return;
  // Hooks for the browser tests and benchmarks (read-only views, a simulated worker crash,
  // and the twin / planner in their workers for the Node-vs-browser determinism test).
  (window as unknown as { __lfp?: unknown }).__lfp = {
    crashBusyWorkers,
    assignment: () => get().plan?.gpus.map((g) => [...g.adapters]) ?? null,
    engines: () => get().plan?.gpus.map((g) => ({ ...g.engine })) ?? null,
    job: () => get().job?.kind ?? null,
    estimator: () => get().estimator,
    runTwin: (s: unknown, points?: number) => runTwinInWorker(s, points),
    benchSurrogate: (pair: string) => benchSurrogateInWorker(pair),
    planFleet: (request: unknown, opts: Parameters<typeof planRequestInWorker>[1]) =>
      planRequestInWorker(request, opts),
  };
  const saved = await persist.loadWorking();
  const hash = location.hash;
  let scenario: FleetScenario;
  let keep = true;
  if (hash.length > 1) {
    const r = decodeScenarioFromHash(hash);
    if (r.ok) {
      scenario = r.scenario;
      for (const n of r.notes) notify("info", n);
    } else {
      scenario = saved ?? defaultFleetScenario();
      keep = false;
      urlIsBad = true;
      notify(
        "error",
        `This link's scenario could not be opened: ${r.error.message}. ${
          saved
            ? "Your last working scenario is shown instead"
            : "The default scenario is shown instead"
        }; nothing you saved was changed.`,
      );
    }
  } else {
    scenario = saved ?? defaultFleetScenario();
  }
  set({ scenario, booted: true, scenarioRev: 1 });
  void persist.listNamed().then((saved) => set({ saved }));
  if (keep) {
    persistWorking(true);
    writeHashNow();
  }
  await planOrRestore();
}

/** True while the URL hash still holds the link that failed to load. */
export function urlHasBadScenario(): boolean {
  return urlIsBad;
}

// ---------------------------------------------------------------- planning

let uidSeq = 0;

function byIdMap(s: FleetScenario): Map<string, Adapter> {
  return new Map(s.workload.adapters.map((a) => [a.id, a]));
}

function priceOf(s: FleetScenario, gpu: GpuId): number {
  return s.gpuTypes.find((o) => o.gpu === gpu)?.costPerHour ?? GPUS[gpu].costPerHour;
}

/** A GPU that starves, does not fit, or misses an SLO (verified, else estimated). */
export function isGpuBad(g: PlannedGpu): boolean {
  return g.problem !== null;
}

function withTotals(p: Plan, s: FleetScenario): Plan {
  return {
    ...p,
    gpuCount: p.gpus.length,
    costPerHour: p.gpus.reduce((c, g) => c + priceOf(s, g.gpu), 0),
    starvedGpus: p.gpus.filter(isGpuBad).length,
  };
}

const gpuKey = (g: Pick<PlannedGpu, "gpu" | "adapters">) => `${g.gpu}|${g.adapters.join("\u0000")}`;

/** Plan the scenario from scratch (drops any hand placement). */
export async function planScenario(): Promise<void> {
  const cur = get().scenario;
  const n = cur.workload.adapters.length;
  if (n === 0) {
    notify("error", "Add at least one adapter before planning.");
    return;
  }
  await runJob("plan", `Planning ${n.toLocaleString()} adapters`, (signal, progress, job) =>
    planInto(cur, signal, progress, job),
  );
}

/** Show the scenario's plan: its placement when it has one (a shared link), else plan it. */
export async function planOrRestore(): Promise<void> {
  const s = get().scenario;
  if (!s.placement) return planScenario();
  await runJob(
    "plan",
    `Restoring the placement of ${s.workload.adapters.length.toLocaleString()} adapters`,
    (signal, progress) => restoreInto(s, signal, progress),
  );
}

function emptyPlan(s: FleetScenario, gpus: PlannedGpu[]): Plan {
  return {
    model: s.model,
    gpuCount: gpus.length,
    costPerHour: 0,
    lowerBoundGpus: 0,
    starvedGpus: 0,
    gpus,
    baselines: {},
    wallMs: 0,
  };
}

/**
 * Card ids for `gpus`: a GPU shown before with the same type and adapters keeps its id; then
 * each remaining GPU takes the id of the remaining previous GPU of its type that shares the most
 * adapters with it (a repaired or consolidated GPU stays the same card, so React updates its
 * chips instead of re-creating the card); the rest get fresh ids.
 */
function matchGpuIds(
  gpus: readonly PlannedGpu[],
  reuse: { plan: Plan; uids: number[] } | undefined,
): number[] {
  const uids: (number | undefined)[] = gpus.map(() => undefined);
  if (reuse) {
    const prevByKey = new Map<string, number>();
    reuse.plan.gpus.forEach((g, i) => prevByKey.set(gpuKey(g), i));
    const taken = new Set<number>();
    gpus.forEach((g, i) => {
      const j = prevByKey.get(gpuKey(g));
      if (j !== undefined && !taken.has(j)) {
        taken.add(j);
        uids[i] = reuse.uids[j];
      }
    });
    gpus.forEach((g, i) => {
      if (uids[i] !== undefined) return;
      const mine = new Set(g.adapters);
      let best = -1;
      let bestShared = 0;
      reuse.plan.gpus.forEach((p, j) => {
        if (taken.has(j) || p.gpu !== g.gpu) return;
        let shared = 0;
        for (const a of p.adapters) if (mine.has(a)) shared++;
        if (shared > bestShared) {
          bestShared = shared;
          best = j;
        }
      });
      if (best >= 0) {
        taken.add(best);
        uids[i] = reuse.uids[best];
      }
    });
  }
  return uids.map((u) => u ?? ++uidSeq);
}

/** Show a new plan (its GPUs keep the ids of matching GPUs shown before, see {@link matchGpuIds}). */
function showPlan(
  plan: Plan,
  s: FleetScenario,
  rev: number,
  reuse?: { plan: Plan; uids: number[] },
): void {
  const uids = matchGpuIds(plan.gpus, reuse);
  const shown = withTotals(plan, s);
  set((x) => ({
    plan: shown,
    gpuUids: uids,
    planRev: rev,
    gpuPhase: {},
    selectedUid:
      x.selectedUid !== null && uids.includes(x.selectedUid) ? x.selectedUid : (uids[0] ?? null),
  }));
}

/** Restore a placement (a shared link or the saved copy): estimate it, then verify it. */
async function restoreInto(
  s: FleetScenario,
  signal: AbortSignal,
  progress: (f: number | null, msg: string) => void,
): Promise<void> {
  const rev = get().scenarioRev;
  const byId = byIdMap(s);
  const lengths = s.workload.lengths;
  const lists = (s.placement?.gpus ?? []).map((g) => ({
    gpu: g.gpu,
    ids: g.adapters.filter((id) => byId.has(id)),
    engine: g.engine,
  }));
  // adapters the placement does not list go to the least-loaded GPUs
  const placed = new Set(lists.flatMap((g) => g.ids));
  const loads = lists.map((g) =>
    demandOf(
      g.ids.map((id) => byId.get(id)!),
      lengths,
    ),
  );
  for (const a of s.workload.adapters) {
    if (placed.has(a.id)) continue;
    let best = 0;
    for (let i = 1; i < loads.length; i++) if (loads[i]! < loads[best]!) best = i;
    loads[best]! += adapterDemand(a, lengths);
    lists[best]!.ids.push(a.id);
  }
  progress(null, "estimating each GPU");
  const ests = await estimateGpusInWorker(
    s,
    lists.map((g) => ({ gpu: g.gpu, adapters: g.ids, ...(g.engine ? { engine: g.engine } : {}) })),
    signal,
    onEstimator,
  );
  if (signal.aborted) return;
  const gpus: PlannedGpu[] = lists.map((g, i) => {
    const e = ests[i]!;
    return {
      gpu: g.gpu,
      engine: e.engine,
      adapters: g.ids,
      estimate: e.estimate,
      problem: estimateProblem(e.estimate, s.objective),
      vllmArgs: e.vllmArgs,
      demandTokS: e.estimate.demandTokS,
    };
  });
  verifyDeclined = false;
  const plan = emptyPlan(s, gpus);
  showPlan(plan, s, rev);
  startTransition(() => set((x) => ({ chartPlan: x.plan })));
}

function onEstimator(r: EstimatorReport): void {
  batched(() => ({ estimator: r }));
}

/** Plan `s` in the plan worker and show the result (inside a job). */
async function planInto(
  s: FleetScenario,
  signal: AbortSignal,
  progress: (f: number | null, msg: string) => void,
  job: JobHandle,
): Promise<void> {
  const rev = get().scenarioRev;
  let preview: { plan: Plan; uids: number[] } | null = null;
  const plan = await planFleetInWorker(
    s,
    {
      onProgress: (p) => {
        if (!preview) progress(p.fraction / 0.45, p.message);
        else progress(Math.min(1, (p.fraction - 0.45) / 0.55), p.message);
      },
      onPlaced: (gpus) => {
        if (signal.aborted) return;
        const shown = emptyPlan(
          s,
          gpus.map((g) => ({ ...g, problem: estimateProblem(g.estimate, s.objective) })),
        );
        showPlan(shown, s, rev);
        const st = get();
        preview = { plan: st.plan!, uids: st.gpuUids };
        set({ gpuPhase: Object.fromEntries(st.gpuUids.map((u) => [u, "verifying" as const])) });
        startTransition(() => set((x) => ({ chartPlan: x.plan })));
        verifyDeclined = false;
        pinPlacement(st.plan!);
        job.switchTo("verify", `Verifying ${gpus.length} GPUs with the twin`);
      },
      onVerified: (i, v) => {
        if (signal.aborted || !preview) return;
        const uid = preview.uids[i];
        const g0 = preview.plan.gpus[i];
        if (uid === undefined || !g0) return;
        batched((x) => applyVerdict(x, uid, g0, v));
      },
      onLowerBound: (lb: LowerBound) => {
        if (signal.aborted) return;
        batched((x) =>
          x.plan && x.planRev === rev
            ? { plan: { ...x.plan, lowerBoundGpus: lb.gpus, lowerBound: lb } }
            : {},
        );
      },
      onEstimator,
    },
    signal,
  );
  if (signal.aborted) return;
  verifyDeclined = false;
  const st = get();
  // keep the ids (and cached details) of GPUs the preview already showed
  const reuse = preview && st.planRev === rev ? { plan: st.plan!, uids: st.gpuUids } : undefined;
  const final: Plan = {
    ...plan,
    gpus: plan.gpus.map((g) => ({ ...g, problem: gpuProblem(g, s.objective) })),
  };
  showPlan(final, s, rev, reuse);
  pinPlacement(get().plan!);
}

/** One verdict onto the GPU `uid` (unless it changed since): state patch. */
function applyVerdict(
  x: AppState,
  uid: number,
  gAtStart: Pick<PlannedGpu, "adapters" | "engine">,
  v: TwinVerdict,
): Partial<AppState> {
  if (!x.plan) return {};
  const idx = x.gpuUids.indexOf(uid);
  if (idx < 0) return {};
  const g = x.plan.gpus[idx]!;
  if (
    g.adapters !== gAtStart.adapters &&
    g.adapters.join("\u0000") !== gAtStart.adapters.join("\u0000")
  )
    return {}; // moved since
  if (JSON.stringify(g.engine) !== JSON.stringify(gAtStart.engine)) return {};
  const gpus = x.plan.gpus.slice();
  gpus[idx] = { ...g, verified: v, problem: verdictProblem(v, x.scenario.objective) };
  const gp = { ...x.gpuPhase };
  delete gp[uid];
  return { plan: withTotals({ ...x.plan, gpus }, x.scenario), gpuPhase: gp };
}

/** Verify every GPU that has no twin verdict yet (background job). */
export async function verifyPlan(): Promise<void> {
  const st = get();
  const plan = st.plan;
  if (!plan) return;
  const s = st.scenario;
  const byId = byIdMap(s);
  const todo = plan.gpus
    .map((g, i) => ({ g, uid: st.gpuUids[i]! }))
    .filter(({ g }) => !g.verified && g.adapters.length > 0);
  if (todo.length === 0) return;
  const scen = todo.map(({ g }) => gpuScenario(s, g, byId));
  const rev = st.scenarioRev;
  set((x) => ({
    gpuPhase: {
      ...x.gpuPhase,
      ...Object.fromEntries(todo.map((t) => [t.uid, "verifying" as const])),
    },
  }));
  let done = 0;
  const label =
    todo.length === 1
      ? `Verifying GPU ${plan.gpus.indexOf(todo[0]!.g) + 1} with the twin`
      : `Verifying ${todo.length} GPUs with the twin`;
  const clearPhase = () =>
    set((x) => {
      const gp = { ...x.gpuPhase };
      for (const t of todo) if (gp[t.uid] === "verifying") delete gp[t.uid];
      return { gpuPhase: gp };
    });
  await runJob("verify", label, async (signal, progress) => {
    try {
      await verifyInWorkers(scen, signal, (i, r) => {
        if (signal.aborted) return;
        done++;
        progress(done / todo.length, `${done} of ${todo.length} GPUs verified`);
        const t = todo[i]!;
        batched((x) => {
          const patch = applyVerdict(x, t.uid, t.g, toVerified(r));
          if (!patch.plan || rev !== x.scenarioRev) return patch;
          const key = assignmentKey(String(rev), t.g);
          return { ...patch, details: { ...trimDetails(x.details), [key]: r } };
        });
      });
    } finally {
      clearPhase();
    }
  });
}

function trimDetails(d: Record<string, TwinResult>): Record<string, TwinResult> {
  const keys = Object.keys(d);
  if (keys.length < 200) return d;
  return Object.fromEntries(keys.slice(-100).map((k) => [k, d[k]!]));
}

/** Twin details (time series) of the selected GPU when not cached. */
async function ensureDetails(): Promise<void> {
  const st = get();
  if (!st.plan || running) return;
  const idx = st.selectedUid === null ? -1 : st.gpuUids.indexOf(st.selectedUid);
  const g = st.plan.gpus[idx];
  if (!g || g.adapters.length === 0) return;
  const key = assignmentKey(String(st.scenarioRev), g);
  if (st.details[key]) return;
  const rev = st.scenarioRev;
  const scen = gpuScenario(st.scenario, g, byIdMap(st.scenario));
  await runJob("details", `Simulating GPU ${idx + 1} for the charts`, async (signal) => {
    const r = await twinDetailsInWorker(scen, signal);
    if (!signal.aborted && rev === get().scenarioRev) {
      startTransition(() => set((x) => ({ details: { ...trimDetails(x.details), [key]: r } })));
    }
  });
}

export function selectGpu(uid: number): void {
  set({ selectedUid: uid });
  queueMicrotask(() => {
    if (!running) void ensureDetails();
  });
}

// ---------------------------------------------------------------- board edits

/** Flags a hand-edited GPU keeps (`--max-loras` and the batch/memory flags; the rest follow its adapters). */
function keptFlags(e: PlannedEngine): Partial<PlannedEngine> {
  return {
    maxLoras: e.maxLoras,
    maxNumSeqs: e.maxNumSeqs,
    maxNumBatchedTokens: e.maxNumBatchedTokens,
    gpuMemoryUtilization: e.gpuMemoryUtilization,
    maxModelLen: e.maxModelLen,
  };
}

/** A GPU with new adapters: shown at once (flags adjusted locally), estimated by the worker next. */
function regpu(
  s: FleetScenario,
  g: PlannedGpu,
  adapters: string[],
  byId: Map<string, Adapter>,
  argsNow = true,
): PlannedGpu {
  const list = adapters.map((id) => byId.get(id)).filter((a): a is Adapter => !!a);
  const local = engineFor(s, list, g.engine.maxLoras);
  const engine: PlannedEngine = {
    ...g.engine,
    ...keptFlags(g.engine),
    maxCpuLoras: local.maxCpuLoras,
    maxLoraRank: local.maxLoraRank,
  };
  engine.maxCpuLoras = Math.max(engine.maxCpuLoras, engine.maxLoras);
  const demand = demandOf(list, s.workload.lengths);
  const estimate: GpuEstimate = { ...g.estimate, demandTokS: demand };
  return {
    gpu: g.gpu,
    engine,
    adapters,
    estimate,
    problem: g.problem,
    // (`argsNow` false: the old string until `reestimate` writes the new one, in a later task)
    vllmArgs: argsNow ? vllmArgsFor(engine, adapters) : g.vllmArgs,
    demandTokS: demand,
  };
}

/** The next task: the browser paints and handles input before what follows. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The `vllm serve` arguments of GPUs whose adapters are still `t.g`'s (state patch). */
function argsPatch(x: AppState, items: { uid: number; g: PlannedGpu }[]): Partial<AppState> {
  if (!x.plan) return {};
  let gpus: PlannedGpu[] | null = null;
  for (const t of items) {
    const idx = x.gpuUids.indexOf(t.uid);
    const cur = x.plan.gpus[idx];
    if (!cur || cur.adapters !== t.g.adapters) continue;
    const vllmArgs = vllmArgsFor(cur.engine, cur.adapters);
    if (vllmArgs === cur.vllmArgs) continue;
    gpus ??= x.plan.gpus.slice();
    gpus[idx] = { ...cur, vllmArgs };
  }
  return gpus ? { plan: { ...x.plan, gpus } } : {};
}

/**
 * Re-estimate the given GPUs at once, then let the background verification run.
 * `soon` (a drop): the job starts now (the page is not "ready"), but the estimate request (a
 * structured clone of the whole workload) and the GPUs' `vllm serve` arguments (left stale by
 * `regpu(…, false)`) wait for the next task, so the drop's own task stays short.
 */
async function reestimate(uids: number[], label: string, soon = false): Promise<void> {
  const st = get();
  if (!st.plan) return;
  const s = st.scenario;
  const items = uids
    .map((uid) => ({ uid, g: st.plan!.gpus[st.gpuUids.indexOf(uid)] }))
    .filter((x): x is { uid: number; g: PlannedGpu } => !!x.g);
  verifyDeclined = false;
  if (items.length === 0) {
    afterJobSoon();
    return;
  }
  set((x) => ({
    gpuPhase: {
      ...x.gpuPhase,
      ...Object.fromEntries(items.map((t) => [t.uid, "estimating" as const])),
    },
  }));
  await runJob("estimate", label, async (signal, progress) => {
    progress(null, "estimating");
    let res: Awaited<ReturnType<typeof estimateGpusInWorker>> | null = null;
    try {
      if (soon) await nextTask();
      if (signal.aborted) return;
      const pending = estimateGpusInWorker(
        s,
        items.map((t) => ({ gpu: t.g.gpu, adapters: t.g.adapters, engine: keptFlags(t.g.engine) })),
        signal,
        onEstimator,
      );
      // while the worker estimates (the estimate brings its own; this one stands if it fails)
      if (soon) set((x) => argsPatch(x, items));
      res = await pending;
      // another chip picked up meanwhile: the estimate lands after its drop
      if (dragHeld) await dragEnded();
    } finally {
      const out = signal.aborted ? null : res;
      if (soon && !out) set((x) => argsPatch(x, items));
      set((x) => {
        if (!x.plan) return {};
        const gpus = x.plan.gpus.slice();
        const gp = { ...x.gpuPhase };
        items.forEach((t, i) => {
          if (gp[t.uid] === "estimating") delete gp[t.uid];
          const idx = x.gpuUids.indexOf(t.uid);
          const cur = gpus[idx];
          const r = out?.[i];
          if (!cur || !r || cur.adapters !== t.g.adapters) return;
          gpus[idx] = {
            ...cur,
            engine: r.engine,
            estimate: r.estimate,
            vllmArgs: r.vllmArgs,
            demandTokS: r.estimate.demandTokS,
            verified: undefined,
            problem: estimateProblem(r.estimate, x.scenario.objective),
          };
        });
        return { plan: withTotals({ ...x.plan, gpus }, x.scenario), gpuPhase: gp };
      });
      if (out) pinPlacement(get().plan!);
    }
  });
}

function afterJobSoon(): void {
  queueMicrotask(afterJob);
}

/** Move one adapter to another GPU (drag and drop). */
export function moveAdapter(adapterId: string, toUid: number): void {
  const st = get();
  const plan = st.plan;
  if (!plan) return;
  const from = plan.gpus.findIndex((g) => g.adapters.includes(adapterId));
  const to = st.gpuUids.indexOf(toUid);
  if (from < 0 || to < 0 || from === to) return;
  const s = st.scenario;
  const byId = byIdMap(s);
  const gpus = plan.gpus.slice();
  gpus[from] = regpu(
    s,
    gpus[from]!,
    gpus[from]!.adapters.filter((a) => a !== adapterId),
    byId,
    false,
  );
  gpus[to] = regpu(s, gpus[to]!, [...gpus[to]!.adapters, adapterId], byId, false);
  const next = withTotals({ ...plan, gpus }, s);
  set({ plan: next });
  pinPlacement(next);
  const fromUid = st.gpuUids[from]!;
  void reestimate([fromUid, toUid], `Re-estimating GPU ${from + 1} and GPU ${to + 1}`, true);
}

export function addGpu(gpu: GpuId): void {
  const st = get();
  if (!st.plan) return;
  const s = st.scenario;
  const engine = engineFor(s, []);
  const estimate: GpuEstimate = { ...EMPTY_ESTIMATE };
  const g: PlannedGpu = {
    gpu,
    engine,
    adapters: [],
    estimate,
    problem: null,
    vllmArgs: vllmArgsFor(engine, []),
  };
  const uid = ++uidSeq;
  const plan = withTotals({ ...st.plan, gpus: [...st.plan.gpus, g] }, s);
  set({ plan, gpuUids: [...st.gpuUids, uid] });
  pinPlacement(plan);
}

/** Remove a GPU; its adapters go to the least-loaded remaining GPUs, which are re-estimated. */
export function removeGpu(uid: number): void {
  const st = get();
  const plan = st.plan;
  if (!plan || plan.gpus.length <= 1) return;
  const idx = st.gpuUids.indexOf(uid);
  if (idx < 0) return;
  const s = st.scenario;
  const byId = byIdMap(s);
  const victim = plan.gpus[idx]!;
  const rest = plan.gpus.filter((_, i) => i !== idx);
  const restUids = st.gpuUids.filter((_, i) => i !== idx);
  const loads = rest.map((g) =>
    demandOf(
      g.adapters.map((a) => byId.get(a)).filter((a): a is Adapter => !!a),
      s.workload.lengths,
    ),
  );
  const extra: string[][] = rest.map(() => []);
  const moving = victim.adapters
    .map((id) => byId.get(id))
    .filter((a): a is Adapter => !!a)
    .sort((a, b) => adapterDemand(b, s.workload.lengths) - adapterDemand(a, s.workload.lengths));
  for (const a of moving) {
    let best = 0;
    for (let i = 1; i < loads.length; i++) if (loads[i]! < loads[best]!) best = i;
    loads[best]! += adapterDemand(a, s.workload.lengths);
    extra[best]!.push(a.id);
  }
  const touched: number[] = [];
  const gpus = rest.map((g, i) => {
    if (extra[i]!.length === 0) return g;
    touched.push(restUids[i]!);
    return regpu(s, g, [...g.adapters, ...extra[i]!], byId);
  });
  const sel = st.selectedUid === uid ? (restUids[0] ?? null) : st.selectedUid;
  const next = withTotals({ ...plan, gpus }, s);
  set({ plan: next, gpuUids: restUids, selectedUid: sel });
  pinPlacement(next);
  if (touched.length)
    void reestimate(
      touched,
      `Re-estimating ${touched.length} GPU(s) after removing GPU ${idx + 1}`,
    );
}

// ---------------------------------------------------------------- surrogate training

/**
 * Train a surrogate for (the scenario's model, `gpu`) in the browser: twin samples in worker
 * threads, then TF.js training; the model is kept in IndexedDB and used by every later plan.
 */
export async function trainSurrogate(gpu: GpuId): Promise<void> {
  const model = get().scenario.model;
  const pair = pairKey(model, gpu);
  const ok = await runJob(
    "train",
    `Training the surrogate for ${GPUS[gpu].displayName}`,
    async (signal, progress) => {
      const epochs = BROWSER_TRAINING.epochs;
      const { result } = await trainSurrogateInWorker(
        { model, gpu },
        signal,
        (p) =>
          progress(0.85 * (p.done / Math.max(1, p.total)), `twin samples: ${p.done} of ${p.total}`),
        (p) =>
          progress(
            0.85 + 0.15 * (p.epoch / Math.max(1, p.epochs)),
            `training: epoch ${p.epoch} of ${p.epochs}`,
          ),
        { epochs, hidden: [64, 64], activation: "elu", batchSize: 64, learningRate: 3e-3, seed: 1 },
      );
      if (signal.aborted) return false;
      await saveTrained({
        pair,
        artifacts: result.artifacts,
        trainedAt: Date.now(),
        samples: BROWSER_TRAINING.samples,
        epochs,
        validation: result.validation,
        backend: result.backend,
      });
      forgetLoadedModels();
      const v = result.validation;
      notify(
        "info",
        `Trained a surrogate for ${model} on ${GPUS[gpu].displayName} (${BROWSER_TRAINING.samples} twin samples, ` +
          `throughput error ${v.throughputSmape.toFixed(1)}% SMAPE on held-out samples); re-planning with it.`,
      );
      return true;
    },
  );
  if (ok) await planScenario();
}

// ---------------------------------------------------------------- trace import

export async function importTrace(file: File, opts: TraceImportOptions): Promise<void> {
  if (file.size > 2 * 1024 ** 3) {
    notify("error", `Trace import: ${file.name} is larger than 2 GiB.`);
    return;
  }
  await runJob("trace", `Importing ${file.name}`, async (signal, progress, job) => {
    const res = await importTraceInWorker(file, opts, (f, m) => progress(f * 0.4, m), signal);
    if (signal.aborted) return;
    const err = updateScenario((s) => ({
      ...s,
      workload: {
        ...s.workload,
        adapters: res.adapters,
        lengths: res.lengths,
        durationS: Math.max(1, Math.min(3600, Math.round(res.durationS))),
      },
      trace: {
        source: file.name.slice(0, 256) || "trace.csv",
        format: res.format,
        rows: Math.max(1, res.rows),
        skippedRows: res.skipped,
        durationS: res.durationS,
        rateScale: opts.rateScale,
        popularity: { kind: "zipf", alpha: opts.zipfAlpha },
        seed: opts.seed,
      },
      placement: undefined,
    }));
    if (err) throw new Error(err);
    const { adapters: _a, lengths: _l, ...info } = res;
    set({ traceInfo: { fileName: file.name, result: info } });
    notify(
      "info",
      `Imported ${res.accepted.toLocaleString()} requests onto ${res.adapters.length} adapters` +
        (res.skipped ? ` (${res.skipped.toLocaleString()} bad rows skipped)` : "") +
        ". The link stores the fitted per-adapter rates and a length profile, not the raw trace.",
    );
    progress(0.4, "planning");
    await planInto(get().scenario, signal, (f, m) => progress(0.4 + 0.6 * (f ?? 0), m), job);
  });
}

// ---------------------------------------------------------------- named scenarios

export async function saveNamedScenario(name: string): Promise<void> {
  const n = name.trim().slice(0, 80);
  if (!n) return;
  try {
    set({ saved: await persist.saveNamed(n, get().scenario) });
    notify("info", `Saved scenario "${n}".`);
  } catch (e) {
    notify("error", `Could not save "${n}": ${describeError(e)}`);
  }
}

export async function loadNamedScenario(name: string): Promise<void> {
  try {
    const s = await persist.loadNamed(name);
    const err = setScenario(s);
    if (err) throw new Error(err);
    set({ traceInfo: null });
    writeHashNow();
    await planOrRestore();
  } catch (e) {
    notify("error", `Could not open "${name}": ${describeError(e)}`);
  }
}

export async function deleteNamedScenario(name: string): Promise<void> {
  try {
    set({ saved: await persist.deleteNamed(name) });
  } catch (e) {
    notify("error", `Could not delete "${name}": ${describeError(e)}`);
  }
}

/** Import a scenario JSON file (validated, migrated). */
export async function importScenarioFile(file: File): Promise<void> {
  try {
    if (file.size > 64 * 1024 * 1024) throw new Error("the file is larger than 64 MiB");
    const { scenario: s, notes } = parseFleetScenarioJson(await file.text());
    for (const n of notes) notify("info", n);
    const err = setScenario(s);
    if (err) throw new Error(err);
    set({ traceInfo: null });
    writeHashNow();
    await planOrRestore();
  } catch (e) {
    notify("error", `Scenario import (${file.name}): ${describeError(e)}`);
  }
}

export function resetToDefault(): void {
  setScenario(defaultFleetScenario());
  set({ traceInfo: null });
  writeHashNow();
  void planScenario();
}

// ---------------------------------------------------------------- ready flag

/** `document.body.dataset.ready = "true"` when a plan is on screen and no job runs. */
export function installReadyFlag(): () => void {
  const apply = (s: AppState) => {
    const ready = s.plan !== null && s.job === null;
    const v = ready ? "true" : "false";
    if (document.body.dataset.ready !== v) document.body.dataset.ready = v;
  };
  apply(get());
  return useApp.subscribe(apply);
}
