/**
 * The app store (zustand). The fleet scenario is the one source of truth: every edit goes
 * through `updateScenario`, which persists it to IndexedDB and (debounced) to the URL hash.
 * The plan is derived from it by jobs that run in workers; a job that fails or is cancelled
 * leaves the last good plan in place.
 */
import { create } from "zustand";
import { GPUS } from "../core/catalog/gpus";
import type { GpuId } from "../core/catalog/ids";
import type { GpuEstimate, Plan, PlannedGpu } from "../core/placement/types";
import type { Adapter } from "../core/scenario/schema";
import type { TwinResult } from "../core/twin/types";
import {
  decodeScenarioFromHash,
  defaultFleetScenario,
  encodeScenarioToHash,
  parseFleetScenario,
  parseFleetScenarioJson,
  shareScenario,
  type FleetScenario,
} from "./fleet";
import { adapterDemand, assignmentKey, demandOf, engineFor, gpuScenario } from "./jobs/assign";
import { problemOf } from "./jobs/interimPlanner";
import {
  codecBridge,
  crashBusyWorkers,
  estimateInWorker,
  estimatorBackend,
  importTraceInWorker,
  planFleetInWorker,
  toVerified,
  twinDetailsInWorker,
  verifyInWorkers,
} from "./jobs/services";
import type { TraceImportOptions, TraceImportResult } from "./jobs/traceTypes";
import { isCancel } from "./jobs/workerBridge";
import { vllmArgsFor } from "./jobs/vllmArgs";
import * as persist from "./persist";

export type JobKind = "plan" | "verify" | "estimate" | "trace" | "details";

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
  backend: string;
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
  backend: estimatorBackend(),
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
  work: (signal: AbortSignal, progress: (f: number | null, msg: string) => void) => Promise<T>,
): Promise<T | undefined> {
  running?.controller.abort();
  const me: Running = { id: ++jobSeq, kind, controller: new AbortController(), byUser: false };
  running = me;
  set({
    job: { id: me.id, kind, label, progress: 0, message: "starting", startedAt: performance.now() },
  });
  let lastUpdate = 0;
  const progress = (f: number | null, message: string) => {
    if (running !== me) return;
    const now = performance.now();
    if (now - lastUpdate < 50 && f !== 1) return; // keep re-renders cheap
    lastUpdate = now;
    set((s) => (s.job && s.job.id === me.id ? { job: { ...s.job, progress: f, message } } : {}));
  };
  try {
    const out = await work(me.controller.signal, progress);
    if (me.controller.signal.aborted) return undefined;
    return out;
  } catch (e) {
    if (isCancel(e) || me.controller.signal.aborted) {
      if (me.byUser) notify("info", `${label}: cancelled — the previous state is kept.`);
      return undefined;
    }
    notify("error", `${label} failed: ${describeError(e)}. The last good plan is kept.`);
    return undefined;
  } finally {
    if (running === me) {
      running = null;
      afterJob(); // may start the next job synchronously, so "ready" never flickers
      if (running === null) set((s) => ({ job: null, chartPlan: s.plan }));
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

function persistWorking(): void {
  persist.saveWorking(get().scenario).catch((e: unknown) => {
    notify("error", `Could not save the scenario locally: ${describeError(e)}`);
  });
}

/** The placement override without the adapters / GPU types it no longer matches. */
function prunePlacement(next: FleetScenario): FleetScenario {
  const p = next.placement;
  if (!p) return next;
  const ids = new Set(next.workload.adapters.map((a) => a.id));
  const offered = new Set(next.gpuTypes.map((o) => o.gpu));
  if (p.gpus.some((g) => !offered.has(g.gpu))) return { ...next, placement: undefined };
  let changed = false;
  const gpus = p.gpus.map((g) => {
    const keep = g.adapters.filter((id) => ids.has(id));
    if (keep.length !== g.adapters.length) changed = true;
    return changed ? { gpu: g.gpu, adapters: keep } : g;
  });
  return changed ? { ...next, placement: { gpus } } : next;
}

/**
 * Replace the scenario (validated). Persists it and updates the URL. Returns an error
 * message instead of applying an invalid scenario. `placementOnly`: only the hand placement
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
      valid = parseFleetScenario(prunePlacement(next));
    } catch (e) {
      return describeError(e);
    }
  }
  set((s) => ({
    scenario: valid,
    scenarioRev: opts.placementOnly ? s.scenarioRev : s.scenarioRev + 1,
  }));
  persistWorking();
  scheduleHash();
  return null;
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

/** Pin the plan's assignment into the scenario (so the URL and the saved copy reproduce it). */
function pinPlacement(plan: Plan): void {
  const s = get().scenario;
  const ids = new Set(s.workload.adapters.map((a) => a.id));
  const offered = new Set(s.gpuTypes.map((o) => o.gpu));
  if (plan.gpus.some((g) => !offered.has(g.gpu))) return;
  const placement = {
    gpus: plan.gpus.map((g) => ({ gpu: g.gpu, adapters: g.adapters.filter((id) => ids.has(id)) })),
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
  // Hooks for the browser tests and benchmarks (read-only views and a simulated worker crash).
  (window as unknown as { __lfp?: unknown }).__lfp = {
    crashBusyWorkers,
    assignment: () => get().plan?.gpus.map((g) => [...g.adapters]) ?? null,
    job: () => get().job?.kind ?? null,
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
    persistWorking();
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

export function isGpuBad(g: PlannedGpu): boolean {
  if (g.verified) return g.verified.starved || !g.verified.memory.fits;
  return g.estimate.starved || !g.estimate.fits;
}

function withTotals(p: Plan, s: FleetScenario): Plan {
  return {
    ...p,
    gpuCount: p.gpus.length,
    costPerHour: p.gpus.reduce((c, g) => c + priceOf(s, g.gpu), 0),
    starvedGpus: p.gpus.filter(isGpuBad).length,
  };
}

/** Plan the scenario from scratch (drops any hand placement). */
export async function planScenario(): Promise<void> {
  const cur = get().scenario;
  const n = cur.workload.adapters.length;
  if (n === 0) {
    notify("error", "Add at least one adapter before planning.");
    return;
  }
  await runJob("plan", `Planning ${n.toLocaleString()} adapters`, (signal, progress) =>
    planInto(cur, signal, progress),
  );
}

/** Show the scenario's plan: its hand placement when it has one (a shared link), else plan it. */
export async function planOrRestore(): Promise<void> {
  const s = get().scenario;
  if (!s.placement) return planScenario();
  await runJob(
    "plan",
    `Restoring the placement of ${s.workload.adapters.length.toLocaleString()} adapters`,
    (signal, progress) => restoreInto(s, signal, progress),
  );
}

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
  }));
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
  const gpus: PlannedGpu[] = lists.map((g, i) => {
    const list = g.ids.map((id) => byId.get(id)!);
    const engine = engineFor(s, list);
    return {
      gpu: g.gpu,
      engine,
      adapters: g.ids,
      estimate: { ...EMPTY_ESTIMATE, demandTokS: loads[i]! },
      problem: null,
      vllmArgs: vllmArgsFor(engine, g.ids),
    };
  });
  const busy = gpus.filter((g) => g.adapters.length > 0);
  const ests = await estimateInWorker(
    busy.map((g) => gpuScenario(s, g, byId)),
    busy.map((g) => g.estimate.demandTokS),
    signal,
    (f, m) => progress(f, m),
  );
  if (signal.aborted) return;
  busy.forEach((g, i) => {
    g.estimate = ests[i]!;
    g.problem = problemOf(ests[i]!);
  });
  const best = Math.max(1, ...gpus.map((g) => g.estimate.throughputTokS));
  const plan: Plan = {
    model: s.model,
    gpuCount: gpus.length,
    costPerHour: 0,
    lowerBoundGpus: Math.max(1, Math.ceil(demandOf(s.workload.adapters, lengths) / best)),
    starvedGpus: 0,
    gpus,
    baselines: {},
    wallMs: 0,
  };
  verifyDeclined = false;
  const uids = plan.gpus.map(() => ++uidSeq);
  const shown = withTotals(plan, s);
  set({
    plan: shown,
    chartPlan: shown,
    gpuUids: uids,
    planRev: rev,
    gpuPhase: {},
    selectedUid: uids[0] ?? null,
  });
}

const EMPTY_ESTIMATE: GpuEstimate = {
  source: "twin",
  throughputTokS: 0,
  demandTokS: 0,
  starvedProbability: 0,
  starved: false,
  ttftP99Ms: 0,
  itlP99Ms: 0,
  fits: true,
  kvCacheTokens: 0,
  outOfDistribution: false,
};

/** Plan `s` in the planner worker and show the result (inside a job). */
async function planInto(
  s: FleetScenario,
  signal: AbortSignal,
  progress: (f: number | null, msg: string) => void,
): Promise<void> {
  const rev = get().scenarioRev;
  const unpinned = { ...s, placement: undefined };
  const plan = await planFleetInWorker(unpinned, (f, m) => progress(f, m), signal);
  if (signal.aborted) return;
  verifyDeclined = false;
  const uids = plan.gpus.map(() => ++uidSeq);
  const shown = withTotals(plan, s);
  set({
    plan: shown,
    chartPlan: shown,
    gpuUids: uids,
    planRev: rev,
    gpuPhase: {},
    selectedUid: uids[0] ?? null,
  });
  pinPlacement(plan);
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
        applyVerified(todo[i]!.uid, todo[i]!.g, r, rev);
      });
    } finally {
      clearPhase();
    }
  });
}

function applyVerified(uid: number, gAtStart: PlannedGpu, r: TwinResult, rev: number): void {
  set((x) => {
    if (!x.plan) return {};
    const idx = x.gpuUids.indexOf(uid);
    if (idx < 0) return {};
    const g = x.plan.gpus[idx]!;
    if (g.adapters !== gAtStart.adapters || g.engine !== gAtStart.engine) return {}; // moved since
    const v = toVerified(r);
    const demand = g.estimate.demandTokS;
    const problem = problemOf(
      {
        fits: v.memory.fits,
        starved: v.starved,
        throughputTokS: v.throughputTokS,
        demandTokS: v.idealThroughputTokS || demand,
      },
      v.memory.reason,
    );
    const gpus = x.plan.gpus.slice();
    gpus[idx] = { ...g, verified: v, problem };
    const gp = { ...x.gpuPhase };
    delete gp[uid];
    const key = assignmentKey(String(rev), g);
    return {
      plan: withTotals({ ...x.plan, gpus }, x.scenario),
      gpuPhase: gp,
      details: rev === x.scenarioRev ? { ...trimDetails(x.details), [key]: r } : x.details,
    };
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
      set((x) => ({ details: { ...trimDetails(x.details), [key]: r } }));
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

function regpu(
  s: FleetScenario,
  g: PlannedGpu,
  adapters: string[],
  byId: Map<string, Adapter>,
): PlannedGpu {
  const list = adapters.map((id) => byId.get(id)).filter((a): a is Adapter => !!a);
  const fixedMax = s.engine?.maxLoras;
  const engine = engineFor(
    s,
    list,
    fixedMax ?? Math.max(1, Math.min(g.engine.maxLoras, list.length || 1)),
  );
  if (engine.maxLoras < Math.min(list.length, g.engine.maxLoras))
    engine.maxLoras = g.engine.maxLoras;
  const demand = demandOf(list, s.workload.lengths);
  const estimate: GpuEstimate = { ...g.estimate, demandTokS: demand };
  return {
    gpu: g.gpu,
    engine,
    adapters,
    estimate,
    problem: g.problem,
    vllmArgs: vllmArgsFor(engine, adapters),
  };
}

/** Re-estimate the given GPUs at once, then let the background verification run. */
async function reestimate(uids: number[], label: string): Promise<void> {
  const st = get();
  if (!st.plan) return;
  const s = st.scenario;
  const byId = byIdMap(s);
  const items = uids
    .map((uid) => ({ uid, g: st.plan!.gpus[st.gpuUids.indexOf(uid)] }))
    .filter((x): x is { uid: number; g: PlannedGpu } => !!x.g && x.g.adapters.length > 0);
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
  const scen = items.map(({ g }) => gpuScenario(s, g, byId));
  const apply = (ests: GpuEstimate[] | null) =>
    set((x) => {
      if (!x.plan) return {};
      const gpus = x.plan.gpus.slice();
      const gp = { ...x.gpuPhase };
      items.forEach((t, i) => {
        if (gp[t.uid] === "estimating") delete gp[t.uid];
        const idx = x.gpuUids.indexOf(t.uid);
        const cur = gpus[idx];
        const est = ests?.[i];
        if (!cur || !est || cur.adapters !== t.g.adapters) return;
        gpus[idx] = { ...cur, estimate: est, problem: problemOf(est) };
      });
      return { plan: withTotals({ ...x.plan, gpus }, x.scenario), gpuPhase: gp };
    });
  await runJob("estimate", label, async (signal, progress) => {
    progress(null, "estimating");
    let ests: GpuEstimate[] | null = null;
    try {
      ests = await estimateInWorker(
        scen,
        items.map((t) => t.g.estimate.demandTokS),
        signal,
      );
    } finally {
      apply(signal.aborted ? null : ests);
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
  );
  gpus[to] = regpu(s, gpus[to]!, [...gpus[to]!.adapters, adapterId], byId);
  const next = withTotals({ ...plan, gpus }, s);
  set({ plan: next });
  pinPlacement(next);
  const fromUid = st.gpuUids[from]!;
  void reestimate([fromUid, toUid], `Re-estimating GPU ${from + 1} and GPU ${to + 1}`);
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

// ---------------------------------------------------------------- trace import

export async function importTrace(file: File, opts: TraceImportOptions): Promise<void> {
  if (file.size > 2 * 1024 ** 3) {
    notify("error", `Trace import: ${file.name} is larger than 2 GiB.`);
    return;
  }
  await runJob("trace", `Importing ${file.name}`, async (signal, progress) => {
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
    await planInto(get().scenario, signal, (f, m) => progress(0.4 + 0.6 * (f ?? 0), m));
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
