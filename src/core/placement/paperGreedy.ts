/**
 * The placement greedy of Agulló et al. (arXiv 2602.24044, "proposal_starvation_2_fast" in
 * FerranAgulloLopez/DistributedEfficientAdapterLLMServing), with our estimator in place of
 * their random forests:
 * - group adapters by rank, highest first; order each group "zig-zag" by rate (highest,
 *   lowest, next highest, …);
 * - fill one GPU at a time; test only at the paper's candidate sizes (8, 16, 32, 64, 96, 128,
 *   160, 192, 256, 320, 384, 448, 512, 576 adapters); at each, compare the current
 *   `--max-loras` with the next one of the same list (if memory allows) and keep the one with
 *   the higher estimated throughput; commit while not starved, else return the adapters added
 *   since the last test and close the GPU (a GPU that reaches 576 adapters closes full);
 * - when the adapters run out before a test size, test anyway, padding the GPU up to that
 *   size with adapters of the mean rate and the smallest rank (as the paper does).
 * It uses one GPU type (the paper's fleets are homogeneous) and the same acceptance rule as
 * our planner (estimated throughput ≥ (0.9 + margin) × demand, SLOs), so the comparison is
 * about the algorithm.
 */
import type { GpuId } from "../catalog/ids";
import { engineFor, slotRankFor, maxLorasCap, type AdapterInfo } from "./context";
import type { Candidate, Evaluator } from "./search";

export const PAPER_TEST_POINTS: readonly number[] = [
  8, 16, 32, 64, 96, 128, 160, 192, 256, 320, 384, 448, 512, 576,
];

/** The paper's zig-zag: sort ascending by rate, then take largest, smallest, next largest, … */
export function zigzag(list: readonly AdapterInfo[]): AdapterInfo[] {
  const s = [...list].sort((a, b) => a.rateRps - b.rateRps || a.index - b.index);
  const out: AdapterInfo[] = [];
  let lo = 0;
  let hi = s.length - 1;
  while (lo <= hi) {
    out.push(s[hi--]!);
    if (lo <= hi) out.push(s[lo++]!);
  }
  return out;
}

/** Rank groups, highest rank first, each in `order`. */
export function rankGroups(
  adapters: readonly AdapterInfo[],
  order: (g: AdapterInfo[]) => AdapterInfo[],
): AdapterInfo[][] {
  const by = new Map<number, AdapterInfo[]>();
  for (const a of adapters) {
    const g = by.get(a.rank);
    if (g) g.push(a);
    else by.set(a.rank, [a]);
  }
  return [...by.keys()].sort((x, y) => y - x).map((r) => order(by.get(r)!));
}

interface Server {
  committed: AdapterInfo[];
  pending: AdapterInfo[];
  slots: number;
  testIdx: number;
  slotIdx: number;
  last: Candidate | null;
}

function padded(server: Server, size: number): AdapterInfo[] {
  const members = [...server.committed, ...server.pending];
  if (members.length >= size) return members;
  const mean = members.reduce((s, a) => s + a.rateRps, 0) / members.length;
  const meanDemand = members.reduce((s, a) => s + a.demandTokS, 0) / members.length;
  const minRank = Math.min(...members.map((a) => a.rank));
  const pads: AdapterInfo[] = [];
  for (let i = members.length; i < size; i++) {
    const id = `__paper-pad-${i}`;
    pads.push({
      index: -1 - i,
      id,
      rank: minRank,
      rateRps: mean,
      meanTokens: members[0]!.meanTokens,
      demandTokS: meanDemand,
      adapter: { id, rank: minRank as 8, rateRps: mean },
    });
  }
  return members.concat(pads);
}

/** Try to allocate the server's pending adapters at its next test size. */
async function tryAllocation(ev: Evaluator, gpu: GpuId, server: Server): Promise<boolean> {
  const size = PAPER_TEST_POINTS[server.testIdx]!;
  const members = padded(server, size);
  const rank = slotRankFor(Math.max(...members.map((a) => a.rank)));
  const cap = maxLorasCap(ev.ctx, gpu, rank);
  const options: number[] = [];
  if (server.slots > 0 && server.slots <= cap) options.push(server.slots);
  const more = PAPER_TEST_POINTS[server.slotIdx];
  if (more !== undefined && more <= cap) options.push(more);
  if (options.length === 0) return false; // memory error
  const cands = await ev.evaluate(
    options.map((ml) => ({
      gpu,
      members,
      engine: {
        ...engineFor(ev.ctx, members, ml, rank),
        maxCpuLoras: Math.max(members.length, ml),
      },
    })),
  );
  // keep the current slots only if strictly better, as the paper does
  let chosen = cands[cands.length - 1]!;
  if (cands.length === 2 && cands[0]!.estimate.throughputTokS > cands[1]!.estimate.throughputTokS) {
    chosen = cands[0]!;
  }
  if (!chosen.ok) return false;
  if (chosen.engine.maxLoras !== server.slots) {
    server.slots = chosen.engine.maxLoras;
    if (options.length === 2 || server.slots === more) server.slotIdx++;
  }
  server.committed.push(...server.pending);
  server.pending = [];
  server.testIdx++;
  server.last = chosen;
  return true;
}

/** Run the paper's greedy on one GPU type. Returns the GPUs (their real adapters, flags, estimate). */
export async function paperGreedy(ev: Evaluator, gpu: GpuId): Promise<Candidate[]> {
  const groups = rankGroups(ev.ctx.adapters, zigzag);
  const queue: AdapterInfo[][] = groups.filter((g) => g.length > 0);
  const closed: Server[] = [];
  let current: Server | null = null;
  const fresh = (): Server => ({
    committed: [],
    pending: [],
    slots: 0,
    testIdx: 0,
    slotIdx: 0,
    last: null,
  });

  const giveBack = (server: Server) => {
    // pending adapters go back to the front of the queue, grouped by rank, in their order
    const by = new Map<number, AdapterInfo[]>();
    for (const a of server.pending) {
      const g = by.get(a.rank);
      if (g) g.push(a);
      else by.set(a.rank, [a]);
    }
    server.pending = [];
    const ranks = [...by.keys()].sort((x, y) => y - x);
    for (let i = ranks.length - 1; i >= 0; i--) {
      const r = ranks[i]!;
      const back = by.get(r)!;
      if (queue.length > 0 && queue[0]![0]?.rank === r) queue[0] = back.concat(queue[0]!);
      else queue.unshift(back);
    }
  };

  /**
   * An empty GPU that starves at its first test size (hot adapters) would make the paper's
   * loop retry forever: keep halving the pending adapters until a prefix is acceptable (or
   * one adapter is left) and close the GPU with it.
   */
  const rescue = async (server: Server) => {
    let keep = server.pending;
    const rest: AdapterInfo[] = [];
    while (keep.length > 1) {
      const half = keep.slice(0, Math.ceil(keep.length / 2));
      rest.unshift(...keep.slice(half.length));
      keep = half;
      const rank = slotRankFor(Math.max(...keep.map((a) => a.rank)));
      const ml = Math.max(1, Math.min(maxLorasCap(ev.ctx, gpu, rank), keep.length));
      const [c] = await ev.evaluate([
        { gpu, members: keep, engine: engineFor(ev.ctx, keep, ml, rank) },
      ]);
      if (c!.ok) break;
    }
    server.committed = keep;
    server.slots = 0;
    server.pending = rest;
    giveBack(server);
  };

  while (queue.length > 0) {
    const group = queue.shift()!;
    const server: Server = current ?? fresh();
    let full = false;
    while (group.length > 0 && !full) {
      server.pending.push(group.shift()!);
      if (server.committed.length + server.pending.length !== PAPER_TEST_POINTS[server.testIdx])
        continue;
      const empty = server.committed.length === 0;
      if (await tryAllocation(ev, gpu, server)) {
        if (server.testIdx >= PAPER_TEST_POINTS.length) {
          full = true;
          if (group.length > 0) queue.unshift(group);
        }
      } else {
        if (group.length > 0) queue.unshift(group);
        if (empty) await rescue(server);
        else giveBack(server);
        full = true;
      }
    }
    if (!full && queue.length === 0 && server.pending.length > 0) {
      // the adapters ran out before the next test size: test padded
      const empty = server.committed.length === 0;
      if (!(await tryAllocation(ev, gpu, server))) {
        if (empty) await rescue(server);
        else giveBack(server);
        full = true;
      }
    }
    if (full) {
      if (server.committed.length > 0) closed.push(server);
      current = null;
    } else {
      current = server;
    }
  }
  if (current && current.committed.length > 0) closed.push(current);

  // Report each GPU with its real adapters and the slots the greedy chose.
  const items = closed.map((s) => {
    const members = s.committed;
    const rank = slotRankFor(Math.max(...members.map((a) => a.rank)));
    const cap = maxLorasCap(ev.ctx, gpu, rank);
    const ml = Math.max(1, Math.min(cap, s.slots || Math.min(cap, members.length)));
    return {
      gpu,
      members,
      engine: {
        ...engineFor(ev.ctx, members, ml, rank),
        maxCpuLoras: Math.max(members.length, ml),
      },
    };
  });
  return ev.evaluate(items);
}
