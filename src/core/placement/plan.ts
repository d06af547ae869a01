/**
 * `planFleet`: the planner's entry point (pure TypeScript: Node, browsers, workers).
 *
 * 1. Lower bound (see `lowerBound.ts`), which also seeds the first GPU's size.
 * 2. Our placement (see `ours.ts`): exact greedy fill with per-GPU flags, two adapter orders,
 *    heterogeneous GPU types by objective, then consolidation.
 * 3. Verification: every GPU's full-window twin run through the {@link Verifier} (parallel
 *    workers in the CLI and the app). Repair: a GPU the twin finds starved, out of memory or
 *    over an SLO sheds its last-placed adapters (as much demand as the twin says it lacks, plus
 *    5%) and gets re-tuned flags; the shed adapters go to new GPUs; changed GPUs are verified
 *    again, up to `maxRepairRounds` times.
 * 4. Baselines (see `baselines.ts` and `paperGreedy.ts`) with the same estimator and verifier.
 * Deterministic for a given request: the only randomness is the twin's, seeded by the request.
 */
import type { GpuId } from "../catalog/ids";
import { InputError } from "../scenario/errors";
import {
  baselineEngine,
  evaluateGroups,
  firstFitMemory,
  leastLoaded,
  loraServe,
  roundRobin,
  sizeByEstimator,
} from "./baselines";
import {
  createContext,
  demandOf,
  maxLoraRankFor,
  maxLorasCap,
  STARVATION_RATIO,
  type AdapterInfo,
  type FleetContext,
  type Offer,
} from "./context";
import { lowerBound, representativeSlice, saturatedThroughput } from "./lowerBound";
import { servedShare, verdictProblem } from "./verdict";
import {
  absorb,
  consolidate,
  greedyFill,
  lexLess,
  orderAdapters,
  planScore,
  type Ordering,
  type Placed,
} from "./ours";
import { paperGreedy } from "./paperGreedy";
import { scenarioForIds } from "./scenario";
import { Evaluator, type Candidate } from "./search";
import { checkAborted, inThreadRunner, inThreadVerifier } from "./twinEstimator";
import {
  BASELINE_NAMES,
  type BaselineName,
  type BaselineResult,
  type FleetRequest,
  type LowerBound,
  type Plan,
  type PlanOptions,
  type PlanProgress,
  type PlannedGpu,
  type TwinRunner,
  type TwinVerdict,
  type Verifier,
} from "./types";
import { vllmArgs } from "./vllmArgs";

export interface PlanFleetOptions extends PlanOptions {
  /** twin runs of the lower bound and the LoRAServe operating points (default: this thread) */
  runner?: TwinRunner;
  /** adapter orders our greedy tries (default both) */
  orderings?: readonly Ordering[];
  /** compute the lower bound (twin runs; default true) */
  lowerBound?: boolean;
}

/** Why a verified GPU is unacceptable under the request's objective, or null (see {@link verdictProblem}). */
export function problemOf(
  ctx: FleetContext,
  v: Parameters<typeof verdictProblem>[0],
): string | null {
  return verdictProblem(v, ctx.objective);
}

function estimateProblem(c: Candidate): string | null {
  const e = c.estimate;
  if (!e.fits) return "out of memory (estimated)";
  if (!c.ok) {
    return `at risk (estimated): ${Math.round(e.throughputTokS)} of ${Math.round(e.demandTokS)} tokens/s, TTFT p99 ${Math.round(e.ttftP99Ms)} ms`;
  }
  return null;
}

function toPlanned(ctx: FleetContext, c: Candidate): PlannedGpu {
  const ids = c.members.map((a) => a.id);
  return {
    gpu: c.gpu,
    engine: c.engine,
    adapters: ids,
    estimate: c.estimate,
    problem: null,
    vllmArgs: vllmArgs(c.engine, ids),
    costPerHour: ctx.offers.find((o) => o.gpu === c.gpu)!.costPerHour,
    demandTokS: demandOf(c.members),
  };
}

async function verifyGpus(
  ctx: FleetContext,
  verifier: Verifier,
  gpus: readonly Candidate[],
  signal: AbortSignal | undefined,
  onResult?: (done: number) => void,
): Promise<TwinVerdict[]> {
  // busiest GPUs first: the twin's cost grows with the tokens it simulates, so a parallel
  // verifier finishes sooner when the long runs start first
  const order = gpus
    .map((g, i) => ({ i, d: demandOf(g.members) }))
    .sort((a, b) => b.d - a.d || a.i - b.i)
    .map((x) => x.i);
  const scenarios = order.map((i) => {
    const g = gpus[i]!;
    return scenarioForIds(
      ctx,
      g.gpu,
      g.engine,
      g.members.map((a) => a.id),
    );
  });
  let done = 0;
  const sorted = await verifier.verify(scenarios, {
    signal,
    onResult: () => onResult?.(++done),
  });
  const out = new Array<TwinVerdict>(gpus.length);
  order.forEach((i, j) => (out[i] = sorted[j]!));
  return out;
}

/**
 * Move the lightest GPU's adapters onto the others, each taking a share of what its verified
 * run says it can still serve (a GPU that keeps up: up to 15% more demand — or, when `generous`,
 * up to 90% of the largest demand the twin saw a GPU of its type serve in this plan if that is
 * more: a GPU left light by the greedy's tail or a repair; one that is overloaded: the part of
 * its demand above 91% it already serves), checked by the estimator
 * at a relaxed margin (throughput ≥ 0.905 × demand) and then by the twin on the full window.
 * Returns the new GPUs and verdicts, or null (nothing changed) when any step fails.
 */
async function dissolveLightest(
  ctx: FleetContext,
  ev: Evaluator,
  verifier: Verifier,
  gpus: readonly Placed[],
  verdicts: readonly (TwinVerdict | undefined)[],
  signal: AbortSignal | undefined,
  generous: boolean,
): Promise<{ gpus: Placed[]; verdicts: TwinVerdict[] } | null> {
  let vi = -1;
  for (let i = 0; i < gpus.length; i++) {
    if (problemOf(ctx, verdicts[i]!) !== null) continue;
    if (vi < 0 || demandOf(gpus[i]!.members) < demandOf(gpus[vi]!.members)) vi = i;
  }
  if (vi < 0) return null;
  const others = gpus.filter((_, i) => i !== vi);
  const otherVerdicts = verdicts.filter((_, i) => i !== vi) as TwinVerdict[];
  // largest demand per GPU type the twin found served in this plan
  const shown = new Map<GpuId, number>();
  others.forEach((g, i) => {
    if (problemOf(ctx, otherVerdicts[i]!) !== null) return;
    shown.set(g.gpu, Math.max(shown.get(g.gpu) ?? 0, demandOf(g.members)));
  });
  const room = (g: Placed, i: number) => {
    const r = servedShare(otherVerdicts[i]!);
    const d = demandOf(g.members);
    if (r < 0.985) return Math.max(0, ((r - 0.91) / 0.91) * d);
    return generous ? Math.max(0.15 * d, 0.9 * (shown.get(g.gpu) ?? 0) - d) : 0.15 * d;
  };
  const total = others.reduce((s, g, i) => s + room(g, i), 0);
  if (total < demandOf(gpus[vi]!.members)) return null;
  const absorbed = await absorb(
    ev,
    others.map((g) => ({ ...g, ok: true })),
    gpus[vi]!.members,
    3,
    room,
  );
  if (!absorbed) return null;
  const changed = absorbed
    .map((g, i) => i)
    .filter((i) => absorbed[i]!.members.length !== others[i]!.members.length);
  const vs = await verifyGpus(
    ctx,
    verifier,
    changed.map((i) => absorbed[i]!),
    signal,
  );
  if (vs.some((v) => problemOf(ctx, v) !== null)) return null;
  const out = [...otherVerdicts];
  changed.forEach((i, j) => (out[i] = vs[j]!));
  return { gpus: absorbed, verdicts: out };
}

/** The GPU type our plan uses most (first offer on ties). */
function primaryGpu(ctx: FleetContext, gpus: readonly Candidate[]): GpuId {
  const count = new Map<GpuId, number>();
  for (const g of gpus) count.set(g.gpu, (count.get(g.gpu) ?? 0) + 1);
  let best = ctx.offers[0]!.gpu;
  for (const o of ctx.offers) if ((count.get(o.gpu) ?? 0) > (count.get(best) ?? 0)) best = o.gpu;
  return best;
}

function costOf(ctx: FleetContext, gpus: readonly { gpu: GpuId }[]): number {
  return gpus.reduce((s, g) => s + ctx.offers.find((o) => o.gpu === g.gpu)!.costPerHour, 0);
}

/**
 * Plan a fleet. See the file comment for the algorithm.
 * @throws InputError for requests it cannot plan (bad flags, no GPU type fits the model,
 *   `maxCount` too small); an AbortError (the signal's reason) when cancelled.
 */
export async function planFleet(request: FleetRequest, opts: PlanFleetOptions): Promise<Plan> {
  const t0 = performance.now();
  const signal = opts.signal;
  const ctx = createContext(request);
  const margin = opts.safetyMargin ?? 0.03;
  const ev = new Evaluator(ctx, opts.estimator, { margin, signal });
  const verifier = opts.verifier ?? inThreadVerifier;
  const runner = opts.runner ?? inThreadRunner;
  const report = (p: PlanProgress) => opts.onProgress?.(p);
  const wanted: BaselineName[] =
    opts.baselines === false
      ? []
      : opts.baselines === true || opts.baselines === undefined
        ? [...BASELINE_NAMES]
        : [...opts.baselines];
  const verifyBaselines = !opts.skipVerify && (opts.verifyBaselines ?? true);
  const notes: string[] = [];

  report({
    phase: "prepare",
    fraction: 0,
    message: `${ctx.adapters.length} adapters, ${Math.round(ctx.totalDemandTokS)} tokens/s demanded`,
  });
  if (ctx.adapters.length === 0) {
    return {
      model: request.model,
      gpuCount: 0,
      costPerHour: 0,
      lowerBoundGpus: 0,
      starvedGpus: 0,
      gpus: [],
      baselines: {},
      wallMs: performance.now() - t0,
      objective: request.objective,
      demandTokS: 0,
      planMs: 0,
      verifyMs: 0,
      notes: ["no adapters: nothing to place"],
    };
  }
  if (
    ctx.offers.every(
      (o) =>
        maxLorasCap(ctx, o.gpu, maxLoraRankFor(ctx, ctx.adapters)) <= 0 &&
        maxLorasCap(ctx, o.gpu, 8) <= 0,
    )
  ) {
    throw new InputError(
      "gpuTypes",
      `${ctx.model.id} does not fit on any offered GPU type (${ctx.offers.map((o) => o.gpu).join(", ")}) with these engine flags`,
    );
  }

  // 1. lower bound
  report({ phase: "lower-bound", fraction: 0.02, message: "lower bound: saturated twin runs" });
  const tlb = performance.now();
  const lb: LowerBound | null =
    opts.lowerBound === false ? null : await lowerBound(ctx, { runner, signal });
  const capacityHint = lb ? lb.bestGpuThroughputTokS / (STARVATION_RATIO + margin) : undefined;

  const lowerBoundMs = performance.now() - tlb;

  // 2. ours
  const tOurs = performance.now();
  const orderings = opts.orderings ?? (["hot-first", "zigzag"] as const);
  // Variants: every adapter order over every offered type; for min-cost with several types
  // also each type alone (hottest-first order), since choosing the type GPU by GPU is
  // myopic. They run concurrently (the estimator's batches then keep every worker busy).
  const variants: Array<{ name: string; ordering: Ordering; offers?: Offer[]; inOrder?: boolean }> =
    orderings.map((ordering) => ({ name: ordering, ordering }));
  if (ctx.objective.kind === "min-cost" && ctx.offers.length > 1) {
    for (const o of ctx.offers) {
      variants.push({ name: `hot-first, ${o.gpu} only`, ordering: "hot-first", offers: [o] });
    }
    // and the types in order of $ per token (the lower bound's throughputs), each used up to
    // its maxCount before the next
    const perToken = new Map(
      (lb?.byType ?? []).map((b) => [
        b.gpu,
        ctx.offers.find((o) => o.gpu === b.gpu)!.costPerHour / b.bestGpuThroughputTokS,
      ]),
    );
    if (perToken.size === ctx.offers.length) {
      const sorted = [...ctx.offers].sort((a, b) => perToken.get(a.gpu)! - perToken.get(b.gpu)!);
      variants.push({
        name: "hot-first, cheapest tokens first",
        ordering: "hot-first",
        offers: sorted,
        inOrder: true,
      });
    }
  }
  const done = variants.map(() => 0);
  const settled = await Promise.all(
    variants.map(async (v, vi): Promise<Placed[] | null> => {
      try {
        const placed = await greedyFill(ev, orderAdapters(ctx.adapters, v.ordering), {
          capacityHint,
          ...(v.offers ? { offers: v.offers, inOrder: v.inOrder } : {}),
          onProgress: (n, gpuCount) => {
            done[vi] = n;
            const total = done.reduce((a, b) => a + b, 0);
            report({
              phase: "ours",
              fraction: 0.05 + 0.35 * (total / (ctx.adapters.length * variants.length)),
              message: `placing (${v.name}): ${n}/${ctx.adapters.length} adapters on ${gpuCount} GPUs`,
              gpus: gpuCount,
            });
          },
        });
        return await consolidate(ev, placed);
      } catch (err) {
        // a one-type variant may run out of that type (maxCount): it just does not compete
        if (v.offers && err instanceof InputError) return null;
        throw err;
      }
    }),
  );
  let ours: Placed[] | null = null;
  for (const c of settled) {
    if (c && (!ours || lexLess(planScore(ev, c), planScore(ev, ours)))) ours = c;
  }
  if (!ours) throw new Error("no placement variant succeeded");
  const orderingGpus = Object.fromEntries(
    variants.flatMap((v, i) => (settled[i] ? [[v.name, settled[i]!.length]] : [])),
  );
  const gpus: Placed[] = ours;
  for (const g of gpus) {
    if (!g.ok && g.members.length === 1) {
      notes.push(
        `adapter ${JSON.stringify(g.members[0]!.id)} alone is estimated at ${Math.round(g.estimate.throughputTokS)} of ` +
          `${Math.round(g.estimate.demandTokS)} tokens/s on ${g.gpu}: one GPU cannot serve it; replicate it behind a load balancer`,
      );
    }
  }

  // paper greedy runs before verification (same estimator)
  let paper: Candidate[] | null = null;
  let paperMs = 0;
  if (wanted.includes("paper-greedy")) {
    const tp = performance.now();
    report({ phase: "paper-greedy", fraction: 0.42, message: "paper-style greedy" });
    paper = await paperGreedy(ev, ctx.offers[0]!.gpu);
    paperMs = performance.now() - tp;
  }
  const planMs = performance.now() - tOurs - paperMs;

  // 3. verify + repair
  const tv = performance.now();
  let verdicts: (TwinVerdict | undefined)[] = gpus.map(() => undefined);
  const repairs = { rounds: 0, movedAdapters: 0, addedGpus: 0, removedGpus: 0 };
  let firstVerifyMs = 0;
  if (!opts.skipVerify) {
    report({
      phase: "verify",
      fraction: 0.45,
      message: `verifying ${gpus.length} GPUs with the twin`,
    });
    verdicts = await verifyGpus(ctx, verifier, gpus, signal, (d) =>
      report({
        phase: "verify",
        fraction: 0.45 + 0.25 * (d / gpus.length),
        message: `verified ${d}/${gpus.length} GPUs`,
      }),
    );
    firstVerifyMs = performance.now() - tv;
    const maxRounds = opts.maxRepairRounds ?? 5;
    for (let round = 0; round < maxRounds; round++) {
      const bad = gpus.map((_, i) => i).filter((i) => problemOf(ctx, verdicts[i]!) !== null);
      if (bad.length === 0) break;
      checkAborted(signal);
      repairs.rounds++;
      report({
        phase: "repair",
        fraction: 0.7,
        message: `repair round ${round + 1}: ${bad.length} GPU(s) to fix`,
      });
      // each starved GPU's shed adapters go to new GPUs that take no more demand than
      // verification showed that GPU actually serves
      const shedSets: Array<{ adapters: AdapterInfo[]; cap: number }> = [];
      const changed = new Set<number>();
      for (const i of bad) {
        const g = gpus[i]!;
        const v = verdicts[i]!;
        if (g.members.length <= 1) continue; // nothing to move: a single hot adapter
        const ratio = servedShare(v);
        let frac = v.starved
          ? Math.min(0.9, Math.max(0.05, 1 - ratio / (STARVATION_RATIO + margin) + 0.05))
          : v.memory.fits
            ? 0.15
            : 0.5;
        let kept = g.members;
        let fixed: Placed | null = null;
        for (let attempt = 0; attempt < 4 && kept.length > 1; attempt++) {
          const target = demandOf(g.members) * (1 - frac);
          let cut = kept.length;
          let d = demandOf(kept);
          while (cut > 1 && d > target) d -= kept[--cut]!.demandTokS;
          kept = kept.slice(0, Math.max(1, cut));
          const t = await ev.tuneEngine(g.gpu, kept, g.engine.maxLoras);
          if (t && t.best.ok) {
            fixed = { ...t.best, slack: 0 };
            break;
          }
          frac = Math.min(0.95, frac * 1.5);
        }
        if (!fixed) {
          const t = await ev.tuneEngine(g.gpu, kept, g.engine.maxLoras);
          if (!t) continue;
          fixed = { ...t.best, slack: 0 };
        }
        const cap =
          v.starved && v.memory.fits && v.throughputTokS > 0
            ? v.throughputTokS / (STARVATION_RATIO + margin + 0.02)
            : Infinity;
        shedSets.push({ adapters: g.members.slice(kept.length), cap });
        gpus[i] = fixed;
        changed.add(i);
      }
      if (changed.size === 0) break;
      // every shed adapter in one pool (one partly filled new GPU, not one per starved GPU), on
      // new GPUs that take no more demand than the most conservative verified cap
      const shed = shedSets.flatMap((x) => x.adapters);
      if (shed.length > 0) {
        const cap = Math.min(...shedSets.filter((x) => x.adapters.length > 0).map((x) => x.cap));
        repairs.movedAdapters += shed.length;
        const used = new Map<GpuId, number>();
        for (const g of gpus) used.set(g.gpu, (used.get(g.gpu) ?? 0) + 1);
        const added = await greedyFill(ev, orderAdapters(shed, "hot-first"), {
          used,
          ...(Number.isFinite(cap) ? { maxDemand: cap } : {}),
        });
        for (const a of added) {
          changed.add(gpus.length);
          gpus.push(a);
          verdicts.push(undefined);
        }
        repairs.addedGpus += added.length;
      }
      const idx = [...changed].sort((a, b) => a - b);
      const vs = await verifyGpus(
        ctx,
        verifier,
        idx.map((i) => gpus[i]!),
        signal,
      );
      idx.forEach((i, j) => (verdicts[i] = vs[j]));
    }
    // 3b. with every GPU verified, try to dissolve the lightest GPU into the others' verified
    //     headroom; the moved-to GPUs are verified again and the move is kept only if the twin
    //     accepts all of them
    for (let attempt = 0; attempt < 3 && gpus.length > 1; attempt++) {
      // (a GPU holding one adapter too hot for any GPU cannot be fixed; it does not block this)
      const unfixed = gpus.some(
        (g, i) => !verdicts[i] || (problemOf(ctx, verdicts[i]!) !== null && g.members.length > 1),
      );
      if (unfixed) break;
      checkAborted(signal);
      // shares spread thinly over every receiver first, else the generous room (a light GPU
      // takes up to a load the twin verified on its type)
      let res = null;
      for (const generous of [false, true]) {
        res = await dissolveLightest(
          ctx,
          ev.withMargin(0.005),
          verifier,
          gpus,
          verdicts,
          signal,
          generous,
        );
        if (res) break;
      }
      if (!res) break;
      report({
        phase: "repair",
        fraction: 0.71,
        message: `dissolved a GPU into the others (${res.gpus.length} GPUs, verified)`,
      });
      gpus.splice(0, gpus.length, ...res.gpus);
      verdicts = res.verdicts;
      repairs.removedGpus += 1;
    }
  }
  const verifyMs = opts.skipVerify ? 0 : performance.now() - tv;

  let planned = gpus.map((g, i) => {
    const p = toPlanned(ctx, g);
    const v = verdicts[i];
    if (v) {
      p.verified = v;
      p.problem = problemOf(ctx, v);
    } else {
      p.problem = estimateProblem(g);
    }
    return p;
  });

  // 4. baselines
  const baselines: Record<string, BaselineResult> = {};
  /** baseline partitions the twin found free of problems (candidates to adopt, below) */
  const sound: Array<{ name: BaselineName; cands: Candidate[]; verdicts: TwinVerdict[] }> = [];
  /** baseline partitions the estimator found free of problems (when baselines are not verified) */
  const likely: Array<{ name: BaselineName; cands: Candidate[] }> = [];
  const primary = primaryGpu(ctx, gpus);
  const judge = async (
    name: BaselineName,
    cands: Candidate[],
    sizing: string,
    ms: number,
    frac: number,
  ) => {
    checkAborted(signal);
    const tb = performance.now();
    let starved: number;
    if (verifyBaselines) {
      report({
        phase: "baselines",
        fraction: frac,
        message: `verifying baseline ${name} (${cands.length} GPUs)`,
      });
      const vs = await verifyGpus(ctx, verifier, cands, signal);
      starved = vs.filter((v) => problemOf(ctx, v) !== null).length;
      if (starved === 0 && cands.length > 0) sound.push({ name, cands, verdicts: vs });
    } else {
      starved = cands.filter((c) => !c.ok).length;
      if (starved === 0 && cands.length > 0) likely.push({ name, cands });
    }
    baselines[name] = {
      gpuCount: cands.length,
      starvedGpus: starved,
      costPerHour: costOf(ctx, cands),
      verified: verifyBaselines,
      sizing,
      gpus: cands.map((c) => c.members.map((a) => a.id)),
      planMs: ms,
      verifyMs: verifyBaselines ? performance.now() - tb : 0,
    };
  };
  const gMin = Math.max(1, lb?.gpus ?? 1);
  const gMax = Math.min(ctx.adapters.length, Math.max(gMin + 1, 2 * gpus.length + 2, 3 * gMin));
  let step = 0;
  const nb = wanted.length;
  for (const name of wanted) {
    const frac = 0.72 + (0.27 * step++) / Math.max(1, nb);
    report({ phase: "baselines", fraction: frac, message: `baseline ${name}` });
    const tb = performance.now();
    if (name === "round-robin") {
      const cands = await evaluateGroups(ev, primary, roundRobin(ctx.adapters, gpus.length));
      await judge(name, cands, `our GPU count (${gpus.length})`, performance.now() - tb, frac);
    } else if (name === "least-loaded") {
      const s = await sizeByEstimator(ev, primary, (g) => leastLoaded(ctx.adapters, g), gMin, gMax);
      await judge(name, s.gpus, sizingText(s.ok, gMin, gMax), performance.now() - tb, frac);
    } else if (name === "loraserve") {
      const op = await operatingPoints(ctx, primary, runner, signal);
      const s = await sizeByEstimator(
        ev,
        primary,
        (g) => loraServe(ctx.adapters, g, op),
        gMin,
        gMax,
      );
      await judge(name, s.gpus, sizingText(s.ok, gMin, gMax), performance.now() - tb, frac);
    } else if (name === "first-fit-memory") {
      const cands = await evaluateGroups(ev, primary, firstFitMemory(ctx, primary, ctx.adapters));
      await judge(
        name,
        cands,
        "as many as memory needs (load ignored)",
        performance.now() - tb,
        frac,
      );
    } else if (name === "paper-greedy" && paper) {
      await judge(
        name,
        paper,
        "the greedy's own (estimator at the paper's test sizes)",
        paperMs,
        frac,
      );
    }
  }

  // 5. A plan is the best twin-verified partition we have: when a baseline's partition passes
  //    full-window verification with no problem and fewer GPUs (lower $/h for min-cost) than
  //    our construction after repair, it is the answer (its flags as verified), and a note
  //    says so. With unverified baselines (the app's default), only the best one the
  //    estimator finds sound and better is verified, then judged the same way.
  const ourProblems = planned.filter((p) => p.problem !== null).length;
  const size = (cands: readonly { gpu: GpuId }[]) =>
    ctx.objective.kind === "min-cost" ? costOf(ctx, cands) : cands.length;
  const better = (cands: Candidate[]) => ourProblems > 0 || size(cands) < size(planned) - 1e-9;
  const rank = (a: { name: BaselineName; cands: Candidate[] }, b: typeof a) =>
    size(a.cands) - size(b.cands) || wanted.indexOf(a.name) - wanted.indexOf(b.name);
  if (!verifyBaselines && !opts.skipVerify) {
    const best = likely.filter((b) => better(b.cands)).sort(rank)[0];
    if (best) {
      checkAborted(signal);
      report({
        phase: "baselines",
        fraction: 0.99,
        message: `verifying the ${best.name} partition (${best.cands.length} GPUs), estimated better than ours`,
      });
      const vs = await verifyGpus(ctx, verifier, best.cands, signal);
      if (vs.every((v) => problemOf(ctx, v) === null))
        sound.push({ name: best.name, cands: best.cands, verdicts: vs });
    }
  }
  const adopt = sound.filter((b) => better(b.cands)).sort(rank)[0];
  if (adopt) {
    notes.push(
      `adopted the ${adopt.name} partition: ${adopt.cands.length} GPUs ($${costOf(ctx, adopt.cands).toFixed(2)}/h), all verified by the twin, against ${planned.length} GPUs ($${costOf(ctx, planned).toFixed(2)}/h${ourProblems > 0 ? `, ${ourProblems} with problems` : ""}) from our construction`,
    );
    planned = adopt.cands.map((c, i) => ({
      ...toPlanned(ctx, c),
      verified: adopt.verdicts[i]!,
      problem: null,
    }));
  }

  const starvedGpus = planned.filter((p) => p.problem !== null).length;
  report({
    phase: "done",
    fraction: 1,
    message: `${planned.length} GPUs, ${starvedGpus} with problems`,
    gpus: planned.length,
  });
  return {
    model: request.model,
    gpuCount: planned.length,
    costPerHour: costOf(ctx, planned),
    lowerBoundGpus: lb?.gpus ?? 0,
    starvedGpus,
    gpus: planned,
    baselines,
    wallMs: performance.now() - t0,
    objective: request.objective ?? "min-gpus",
    demandTokS: ctx.totalDemandTokS,
    ...(lb ? { lowerBound: lb } : {}),
    planMs,
    lowerBoundMs,
    verifyMs,
    firstVerifyMs,
    estimator: {
      name: opts.estimator.name,
      calls: ev.stats.calls,
      assignments: ev.stats.assignments,
    },
    repairs,
    orderings: orderingGpus,
    notes,
  };
}

function sizingText(ok: boolean, gMin: number, gMax: number): string {
  return ok
    ? `smallest count from the lower bound (${gMin}) at which the estimator accepts every GPU`
    : `no count up to ${gMax} passes the estimator; reported at ${gMax}`;
}

/** LoRAServe's per-rank operating points: saturated throughput of a GPU holding only that rank. */
async function operatingPoints(
  ctx: FleetContext,
  gpu: GpuId,
  runner: TwinRunner,
  signal?: AbortSignal,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const ranks = [...new Set(ctx.adapters.map((a) => a.rank))];
  for (const r of ranks) {
    const group = ctx.adapters.filter((a) => a.rank === r);
    const g = Math.max(1, Math.ceil(demandOf(group) / 10_000));
    const slice = representativeSlice(group, g);
    const engine = baselineEngine(ctx, gpu, slice);
    const { best } = await saturatedThroughput(
      ctx,
      gpu,
      slice,
      [engine.maxLoras],
      2 * Math.max(10_000, demandOf(group) / g),
      runner,
      300,
      signal,
    );
    out.set(r, Math.max(1, best));
  }
  return out;
}
