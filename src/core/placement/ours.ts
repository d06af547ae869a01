/**
 * Our placement: the paper's greedy made exact and heterogeneous, then consolidated.
 *
 * 1. Order adapters by rank group (highest first) and, within a group, by one of two orders:
 *    hottest first (GPUs of few hot adapters, which batch well, then GPUs of many cold ones)
 *    or the paper's zig-zag (every GPU a mix). Both are tried; the better plan wins.
 * 2. Fill one GPU at a time with the longest prefix it takes (bisection on the prefix length,
 *    not the paper's fixed test sizes), each candidate with its own tuned `--max-loras`
 *    (`--max-lora-rank` = smallest vLLM rank ≥ its largest adapter, `--max-cpu-loras` = its
 *    adapter count). With several GPU types, each new GPU is the type that minimises this GPU
 *    plus the rest at the best rate seen now (GPUs per demand for min-gpus, $ per demand for
 *    min-cost), within each type's `maxCount`: so the most demand (per $) while much is left,
 *    and the cheapest type that takes everything left at the end.
 * 3. Consolidate: try to dissolve the lightest GPUs into the others' headroom (moves checked
 *    by the estimator), which removes the partly filled tail GPU when the others can take it.
 */
import { InputError } from "../scenario/errors";
import type { GpuId } from "../catalog/ids";
import { demandOf, type AdapterInfo, type Offer } from "./context";
import { rankGroups, zigzag } from "./paperGreedy";
import { ratioOf, type Candidate, type Evaluator } from "./search";
import { checkAborted } from "./twinEstimator";

export type Ordering = "hot-first" | "zigzag";

export function orderAdapters(adapters: readonly AdapterInfo[], ordering: Ordering): AdapterInfo[] {
  const within =
    ordering === "zigzag"
      ? zigzag
      : (g: AdapterInfo[]) =>
          [...g].sort((a, b) => b.demandTokS - a.demandTokS || a.index - b.index);
  return rankGroups(adapters, within).flat();
}

/** A GPU of our plan while it is being built. */
export interface Placed extends Candidate {
  /** upper bound on the extra demand it could take (Infinity when unknown) */
  slack: number;
}

export interface FillProgress {
  (placedAdapters: number, gpus: number): void;
}

function costOf(ev: Evaluator, gpu: GpuId): number {
  return ev.ctx.offers.find((o) => o.gpu === gpu)!.costPerHour;
}

/** Greedy fill of `pool` (already ordered) over the offers; see the file comment. */
export async function greedyFill(
  ev: Evaluator,
  pool0: readonly AdapterInfo[],
  opts: {
    onProgress?: FillProgress;
    used?: Map<GpuId, number>;
    capacityHint?: number;
    /** most demand any one GPU may take (repair: what verification showed a GPU serves) */
    maxDemand?: number;
    /** GPU types to use (default: every offered type) */
    offers?: readonly Offer[];
    /** use the types in this order (the next only when the previous reached maxCount) */
    inOrder?: boolean;
  } = {},
): Promise<Placed[]> {
  const ctx = ev.ctx;
  const offers = opts.offers ?? ctx.offers;
  let pool = [...pool0];
  const used = opts.used ?? new Map<GpuId, number>();
  const placed: Placed[] = [];
  const hints = new Map<GpuId, { demand?: number; maxLoras?: number }>();
  for (const o of offers) hints.set(o.gpu, { demand: opts.capacityHint, maxLoras: 32 });
  let done = 0;
  while (pool.length > 0) {
    checkAborted(ev.signal);
    const options: Array<{
      offer: Offer;
      k: number;
      best: Candidate;
      demand: number;
      failDemand: number;
    }> = [];
    for (const offer of offers) {
      if ((used.get(offer.gpu) ?? 0) >= offer.maxCount) continue;
      if (opts.inOrder && options.length > 0) break;
      const h = hints.get(offer.gpu)!;
      const demandHint =
        h.demand !== undefined && opts.capacityHint !== undefined
          ? Math.max(h.demand, opts.capacityHint)
          : (h.demand ?? opts.capacityHint);
      const r = await ev.fill(offer.gpu, pool, {
        demand: demandHint,
        maxLoras: h.maxLoras,
        maxDemand: opts.maxDemand,
      });
      if (!r) continue;
      options.push({
        offer,
        k: r.k,
        best: r.best,
        demand: demandOf(pool.slice(0, r.k)),
        failDemand: r.hi <= pool.length ? demandOf(pool.slice(0, r.hi)) : Infinity,
      });
    }
    if (options.length === 0) {
      const noFit = offers.every((o) => (used.get(o.gpu) ?? 0) < o.maxCount);
      throw new InputError(
        "gpuTypes",
        noFit
          ? `${ctx.model.id} does not fit on any offered GPU type (${offers.map((o) => o.gpu).join(", ")}) with these engine flags`
          : `the offered GPUs (maxCount) are not enough: ${pool.length} adapter(s) left unplaced after ${placed.length} GPU(s); raise maxCount or offer another GPU type`,
      );
    }
    // Score each option by what the whole rest would cost if every later GPU were as good as
    // the best option now: this GPU's price (or 1 GPU) + the demand it leaves × the best
    // price per demand (or GPUs per demand). A type that takes everything left pays only itself.
    const remaining = demandOf(pool);
    const usable = options.filter((o) => o.best.ok);
    const pick = usable.length > 0 ? usable : options;
    const minCost = ctx.objective.kind === "min-cost";
    const unit = (o: (typeof options)[number]) => (minCost ? o.offer.costPerHour : 1);
    const bestRate = Math.min(...pick.map((o) => unit(o) / Math.max(1e-9, o.demand)));
    const score = (o: (typeof options)[number]) =>
      unit(o) + Math.max(0, remaining - o.demand) * bestRate;
    let choice = pick[0]!;
    for (const o of pick.slice(1)) {
      const d = score(o) - score(choice);
      if (d < -1e-9 * Math.max(1, score(choice))) choice = o;
      else if (Math.abs(d) <= 1e-9 * Math.max(1, score(choice))) {
        // ties: more demand now, then the cheaper type
        if (
          o.demand > choice.demand ||
          (o.demand === choice.demand && o.offer.costPerHour < choice.offer.costPerHour)
        )
          choice = o;
      }
    }
    const { offer, k, best } = choice;
    const rest = pool.slice(k);
    // headroom bound: a longer prefix was found unacceptable
    const slack = best.ok ? choice.failDemand - choice.demand : 0;
    placed.push({ ...best, slack });
    used.set(offer.gpu, (used.get(offer.gpu) ?? 0) + 1);
    hints.set(offer.gpu, { demand: choice.demand, maxLoras: best.engine.maxLoras });
    for (const o of options) {
      if (o.offer.gpu !== offer.gpu)
        hints.set(o.offer.gpu, { demand: o.demand, maxLoras: o.best.engine.maxLoras });
    }
    pool = rest;
    done += k;
    opts.onProgress?.(done, placed.length);
  }
  return placed;
}

/** Objective value of a set of GPUs: [GPUs or cost, tie-breakers]. Lower is better. */
export function planScore(ev: Evaluator, gpus: readonly Candidate[]): number[] {
  const bad = gpus.filter((g) => !g.ok).length;
  const cost = gpus.reduce((s, g) => s + costOf(ev, g.gpu), 0);
  const worst = gpus.reduce((m, g) => Math.min(m, ratioOf(g.estimate)), 1);
  return ev.ctx.objective.kind === "min-cost"
    ? [bad, cost, gpus.length, -worst]
    : [bad, gpus.length, cost, -worst];
}

export function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (Math.abs(a[i]! - b[i]!) > 1e-9) return a[i]! < b[i]!;
  }
  return false;
}

/**
 * Move `movers` onto `receivers` (each receiver gets a share proportional to its headroom),
 * re-tuning each receiver's flags; receivers that fail give their share back and the rest is
 * retried on the ones that took theirs, up to `rounds` times. Returns the new receivers, or
 * null when some adapters could not be placed.
 */
export async function absorb(
  ev: Evaluator,
  receivers: readonly Placed[],
  movers: readonly AdapterInfo[],
  rounds = 3,
  roomOf: (r: Placed, i: number) => number = (r) => Math.min(r.slack, r.estimate.demandTokS * 0.5),
): Promise<Placed[] | null> {
  const current = receivers.map((r) => ({ ...r }));
  let left = [...movers].sort((a, b) => b.demandTokS - a.demandTokS || a.index - b.index);
  const taken = current.map(() => 0);
  for (let round = 0; round < rounds && left.length > 0; round++) {
    const eligible = current
      .map((r, i) => ({ r, i, room: Math.max(0, roomOf(receivers[i]!, i) - taken[i]!) }))
      .filter((x) => x.r.ok && x.room > 0);
    if (eligible.length === 0) return null;
    // largest mover first to the receiver with the most remaining room
    const share = new Map<number, AdapterInfo[]>();
    const room = new Map(eligible.map((x) => [x.i, x.room]));
    for (const a of left) {
      let bestI = -1;
      let bestRoom = -Infinity;
      for (const [i, r] of room) {
        if (r > bestRoom) {
          bestRoom = r;
          bestI = i;
        }
      }
      if (bestI < 0) break;
      const list = share.get(bestI) ?? [];
      list.push(a);
      share.set(bestI, list);
      room.set(bestI, bestRoom - a.demandTokS);
    }
    const idx = [...share.keys()];
    const tuned = await Promise.all(
      idx.map((i) => {
        const r = current[i]!;
        const members = [...r.members, ...share.get(i)!];
        return ev.tuneEngine(r.gpu, members, r.engine.maxLoras, 1);
      }),
    );
    const nextLeft: AdapterInfo[] = [];
    idx.forEach((i, j) => {
      const t = tuned[j];
      if (t && t.best.ok) {
        const d = demandOf(share.get(i)!);
        taken[i]! += d;
        current[i] = { ...t.best, slack: Math.max(0, current[i]!.slack - d) };
      } else {
        nextLeft.push(...share.get(i)!);
        taken[i] = Infinity; // no more for this one
      }
    });
    left = nextLeft.sort((a, b) => b.demandTokS - a.demandTokS || a.index - b.index);
  }
  return left.length === 0 ? current : null;
}

/** Try to remove GPUs by dissolving the lightest into the others (see {@link absorb}). */
export async function consolidate(ev: Evaluator, gpus: Placed[], maxTries = 3): Promise<Placed[]> {
  let plan = gpus;
  for (let t = 0; t < maxTries && plan.length > 1; t++) {
    checkAborted(ev.signal);
    // lightest GPU by demand
    let vi = 0;
    for (let i = 1; i < plan.length; i++) {
      if (plan[i]!.estimate.demandTokS < plan[vi]!.estimate.demandTokS) vi = i;
    }
    const victim = plan[vi]!;
    const others = plan.filter((_, i) => i !== vi);
    const room = others.reduce(
      (s, g) => s + (g.ok ? Math.min(g.slack, g.estimate.demandTokS) : 0),
      0,
    );
    if (victim.estimate.demandTokS > room) break;
    const absorbed = await absorb(ev, others, victim.members);
    if (!absorbed) break;
    plan = absorbed;
  }
  return plan;
}

/** Build a Placed for a fixed set of members (re-tuned flags). */
export async function placeMembers(
  ev: Evaluator,
  gpu: GpuId,
  members: AdapterInfo[],
  hint = 32,
): Promise<Placed | null> {
  const t = await ev.tuneEngine(gpu, members, hint);
  if (!t) return null;
  return { ...t.best, slack: 0 };
}
