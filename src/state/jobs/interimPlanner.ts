/**
 * INTERIM planner used until `planFleet` (src/core/placement) lands: measure one GPU's
 * saturated throughput with the twin, pack adapters (rank-grouped, zig-zag by rate) up to 75% of
 * it, then estimate each GPU with a short twin run. Same output type (Plan) as the real one.
 */
import { GPUS } from "../../core/catalog/gpus";
import type { GpuId } from "../../core/catalog/ids";
import type { BaselineResult, GpuEstimate, Plan, PlannedGpu } from "../../core/placement/types";
import type { Adapter } from "../../core/scenario/schema";
import { runTwin } from "../../core/twin/simulate";
import type { TwinResult } from "../../core/twin/types";
import type { FleetScenario } from "../fleet";
import { adapterDemand, demandOf, engineFor, gpuScenario } from "./assign";
import { vllmArgsFor } from "./vllmArgs";

export type Progress = (fraction: number, message: string) => void;

const FILL = 0.75;

export function estimateFromTwin(r: TwinResult, demand: number): GpuEstimate {
  return {
    source: "twin",
    throughputTokS: r.throughputTokS,
    demandTokS: demand,
    starvedProbability: r.starved ? 1 : 0,
    starved: r.starved,
    ttftP99Ms: r.ttftMs.p99,
    itlP99Ms: r.itlMs.p99,
    fits: r.memory.fits,
    kvCacheTokens: r.memory.kvCacheTokens,
    outOfDistribution: false,
  };
}

export function problemOf(
  est: Pick<GpuEstimate, "fits" | "starved" | "throughputTokS" | "demandTokS">,
  memReason?: string | null,
): string | null {
  if (!est.fits) return `does not fit in memory${memReason ? `: ${memReason}` : ""}`;
  if (est.starved) {
    return `starved: serves ${Math.round(est.throughputTokS)} of ${Math.round(est.demandTokS)} tok/s demanded`;
  }
  return null;
}

function zigzag(adapters: Adapter[]): Adapter[] {
  const byRank = new Map<number, Adapter[]>();
  for (const a of adapters) {
    const g = byRank.get(a.rank) ?? [];
    g.push(a);
    byRank.set(a.rank, g);
  }
  const out: Adapter[] = [];
  for (const r of [...byRank.keys()].sort((x, y) => y - x)) {
    const g = byRank.get(r)!.sort((x, y) => y.rateRps - x.rateRps || (x.id < y.id ? -1 : 1));
    let lo = 0;
    let hi = g.length - 1;
    let take = true;
    while (lo <= hi) {
      out.push(take ? g[lo++]! : g[hi--]!);
      take = !take;
    }
  }
  return out;
}

export function interimPlan(s: FleetScenario, progress: Progress = () => {}): Plan {
  const t0 = performance.now();
  const lengths = s.workload.lengths;
  const all = s.workload.adapters;
  const byId = new Map(all.map((a) => [a.id, a]));
  const order = zigzag([...all]);
  const totalDemand = demandOf(all, lengths);

  // 1. saturated capacity of each offered GPU type (twin, 120 s, scaled-up rates)
  const offers = s.gpuTypes.filter((o) => o.maxCount === undefined || o.maxCount > 0);
  const capacity = new Map<GpuId, number>();
  offers.forEach((o, i) => {
    progress((0.3 * i) / offers.length, `measuring ${o.gpu} capacity`);
    const probe = order.slice(0, Math.min(order.length, 48));
    const d = demandOf(probe, lengths) || 1;
    const scale = 12_000 / d;
    const scaled = probe.map((a) => ({ ...a, rateRps: Math.min(10_000, a.rateRps * scale) }));
    const eng = engineFor(s, scaled);
    const r = runTwin(
      gpuScenario(
        s,
        { gpu: o.gpu, engine: eng, adapters: scaled.map((a) => a.id) },
        new Map(scaled.map((a) => [a.id, a])),
        {
          maxDurationS: 120,
        },
      ),
      { timeSeriesPoints: 2 },
    );
    capacity.set(o.gpu, r.memory.fits ? Math.max(1, r.throughputTokS) : 0);
  });
  const price = (g: GpuId) =>
    s.gpuTypes.find((o) => o.gpu === g)?.costPerHour ?? GPUS[g].costPerHour;
  const ranked = [...offers]
    .filter((o) => (capacity.get(o.gpu) ?? 0) > 0)
    .sort((a, b) =>
      s.objective === "min-cost"
        ? price(a.gpu) / capacity.get(a.gpu)! - price(b.gpu) / capacity.get(b.gpu)!
        : capacity.get(b.gpu)! - capacity.get(a.gpu)!,
    );
  if (ranked.length === 0) throw new Error("no offered GPU type can hold the model");
  const used = new Map<GpuId, number>();
  const pickType = (): GpuId => {
    for (const o of ranked)
      if (o.maxCount === undefined || (used.get(o.gpu) ?? 0) < o.maxCount) return o.gpu;
    return ranked[0]!.gpu; // every type is at its count: over-subscribe the best one (shown as a problem)
  };

  // 2. pack
  const groups: { gpu: GpuId; adapters: Adapter[]; demand: number }[] = [];
  let cur: { gpu: GpuId; adapters: Adapter[]; demand: number } | null = null;
  for (const a of order) {
    const d = adapterDemand(a, lengths);
    if (!cur || (cur.adapters.length > 0 && cur.demand + d > FILL * capacity.get(cur.gpu)!)) {
      const g = pickType();
      used.set(g, (used.get(g) ?? 0) + 1);
      cur = { gpu: g, adapters: [], demand: 0 };
      groups.push(cur);
    }
    cur.adapters.push(a);
    cur.demand += d;
  }

  // 3. estimate each GPU with a short twin run
  const gpus: PlannedGpu[] = groups.map((g, i) => {
    progress(0.3 + (0.7 * i) / groups.length, `estimating GPU ${i + 1} of ${groups.length}`);
    const engine = engineFor(s, g.adapters);
    const ids = g.adapters.map((a) => a.id);
    const r = runTwin(
      gpuScenario(s, { gpu: g.gpu, engine, adapters: ids }, byId, { maxDurationS: 300 }),
      {
        timeSeriesPoints: 2,
      },
    );
    const estimate = estimateFromTwin(r, g.demand);
    return {
      gpu: g.gpu,
      engine,
      adapters: ids,
      estimate,
      problem: problemOf(estimate, r.memory.reason),
      vllmArgs: vllmArgsFor(engine, ids),
    };
  });
  const best = Math.max(...ranked.map((o) => capacity.get(o.gpu)!));
  const baselines: Record<string, BaselineResult> = {};
  return {
    model: s.model,
    gpuCount: gpus.length,
    costPerHour: gpus.reduce((c, g) => c + price(g.gpu), 0),
    lowerBoundGpus: Math.max(1, Math.ceil(totalDemand / best)),
    starvedGpus: gpus.filter((g) => g.estimate.starved || !g.estimate.fits).length,
    gpus,
    baselines,
    wallMs: performance.now() - t0,
  };
}
