/**
 * bench:surrogate's "placement queries": the surrogate judged on the questions the planner
 * actually asks it, not on the sampling design it was trained from.
 *
 * The planner (surrogate estimator, estimates only: no verification, no lower bound) plans
 * bench:placement's workloads and the app's default scenario while every assignment the
 * surrogate answers is recorded (the twin fallback's, for out-of-distribution queries, are
 * not); a seeded uniform sample of the distinct assignments is then run through the twin on the
 * fleet's full window, exactly as verification runs a GPU (`scenarioOfAssignment`), and the
 * surrogate's answer is compared with it. Twin results are cached per twin fingerprint under
 * bench/out/surrogate/ (keyed by a hash of each scenario).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planFleet } from "../src/core/placement/plan";
import { scenarioOfAssignment } from "../src/core/placement/scenario";
import type {
  Estimator,
  FleetRequest,
  GpuAssignment,
  GpuEstimate,
} from "../src/core/placement/types";
import { defaultFleetScenario, toFleetRequest } from "../src/core/scenario/fleet";
import type { Scenario } from "../src/core/scenario/schema";
import { f1Score, smape } from "../src/core/surrogate/train";
import { STARVATION_THRESHOLD } from "../src/core/twin/starvation";
import { createRng } from "../src/core/workload/rng";
import { createTwinPool } from "../workers/planPool";
import { draw } from "../scripts/surrogate/planner-queries";
import { placementWorkloads } from "./placement-workloads";

/** One recorded query: which workload asked it, the assignment and the surrogate's answer. */
export interface Query {
  workload: string;
  assignment: GpuAssignment;
  estimate: GpuEstimate;
}

/** What the twin says of a query's scenario (the fields compared). */
export interface TwinAnswer {
  throughputTokS: number;
  idealThroughputTokS: number;
  starved: boolean;
  ttftP99Ms: number;
  itlP99Ms: number;
}

/** Scores of the surrogate against the twin on a set of queries (SMAPE %, F1). */
export interface QueryScores {
  rows: number;
  /** queries the twin finds starved */
  starvedRows: number;
  thrSmape: number;
  thrSmapeKeepsUp: number;
  thrSmapeStarved: number;
  /** queries whose twin throughput is 80–100% of demand: where the planner decides */
  thrSmapeBoundary: number;
  boundaryRows: number;
  starvedF1: number;
  starvedAccuracy: number;
  /** F1 when starvation is read off the estimated throughput (< 0.9 × demand) instead */
  starvedF1FromThroughput: number;
  ttftP99Smape: number;
  itlP99Smape: number;
}

/** An estimator that records every assignment `inner` answers from the surrogate. */
function recording(inner: Estimator, workload: string, out: Query[]): Estimator {
  return {
    name: inner.name,
    async estimate(assignments, signal) {
      const est = await inner.estimate(assignments, signal);
      est.forEach((e, i) => {
        if (e.source === "surrogate")
          out.push({ workload, assignment: assignments[i]!, estimate: e });
      });
      return est;
    },
  };
}

/** The planner's workloads for the query set: bench:placement's and the app's default. */
function requests(): { name: string; request: FleetRequest }[] {
  const out: { name: string; request: FleetRequest }[] = [];
  for (const w of placementWorkloads(3600)) {
    const r = w.request();
    if (r) out.push({ name: w.name, request: r });
  }
  out.push({ name: "app-default", request: toFleetRequest(defaultFleetScenario()) });
  return out;
}

/**
 * Plan every workload with `estimator` (estimates only) and record the surrogate's queries,
 * deduplicated by scenario.
 */
export async function recordQueries(
  estimator: Estimator,
  log: (s: string) => void,
): Promise<{ queries: Query[]; asked: number }> {
  const all: Query[] = [];
  for (const { name, request } of requests()) {
    const before = all.length;
    await planFleet(request, {
      estimator: recording(estimator, name, all),
      skipVerify: true,
      lowerBound: false,
      baselines: true,
      verifyBaselines: false,
    });
    log(`  ${name}: ${all.length - before} surrogate answers`);
  }
  const seen = new Set<string>();
  const queries = all.filter((q) => {
    const k = scenarioKey(scenarioOfAssignment(q.assignment));
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { queries, asked: all.length };
}

function scenarioKey(s: Scenario): string {
  return createHash("sha1").update(JSON.stringify(s)).digest("hex");
}

/** `n` of `items` drawn uniformly without replacement, seeded (stream 13 of `seed`), in draw order. */
export function sampleWithoutReplacement<T>(items: readonly T[], n: number, seed: number): T[] {
  return draw(items, n, createRng(seed, 13));
}

/** The twin's answers for the queries' scenarios (parallel workers; cached in `cacheFile`). */
export async function twinAnswers(
  queries: readonly Query[],
  cacheFile: string,
  log: (s: string) => void,
): Promise<TwinAnswer[]> {
  const cache: Record<string, TwinAnswer> = existsSync(cacheFile)
    ? (JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, TwinAnswer>)
    : {};
  const scenarios = queries.map((q) => scenarioOfAssignment(q.assignment));
  const keys = scenarios.map(scenarioKey);
  const missing = keys.map((k, i) => [k, i] as const).filter(([k]) => !cache[k]);
  if (missing.length > 0) {
    log(`  twin: ${missing.length} of ${keys.length} queries not cached, running them`);
    const pool = createTwinPool();
    try {
      const t0 = performance.now();
      const results = await pool.runner(
        missing.map(([, i]) => scenarios[i]!),
        {
          timeSeriesPoints: 2,
        },
      );
      results.forEach((r, j) => {
        cache[missing[j]![0]] = {
          throughputTokS: r.throughputTokS,
          idealThroughputTokS: r.idealThroughputTokS,
          starved: r.starved,
          ttftP99Ms: r.ttftMs.p99,
          itlP99Ms: r.itlMs.p99,
        };
      });
      log(`  twin: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    } finally {
      await pool.close();
    }
    mkdirSync(join(cacheFile, ".."), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(cache));
  }
  return keys.map((k) => cache[k]!);
}

/** The surrogate's answers against the twin's on these queries. */
export function scoreQueries(queries: readonly Query[], twin: readonly TwinAnswer[]): QueryScores {
  const idx = queries.map((_, i) => i);
  const thr = (sel: number[]) =>
    smape(
      sel.map((i) => twin[i]!.throughputTokS),
      sel.map((i) => queries[i]!.estimate.throughputTokS),
    );
  const served = (i: number) =>
    twin[i]!.throughputTokS / Math.max(1e-9, twin[i]!.idealThroughputTokS);
  const boundary = idx.filter((i) => served(i) >= 0.8 && served(i) <= 1);
  const lat = (key: "ttftP99Ms" | "itlP99Ms") => {
    const sel = idx.filter((i) => twin[i]![key] > 0 && queries[i]!.estimate[key] > 0);
    return smape(
      sel.map((i) => twin[i]![key]),
      sel.map((i) => queries[i]!.estimate[key]),
    );
  };
  const actual = idx.map((i) => twin[i]!.starved);
  const pred = idx.map((i) => queries[i]!.estimate.starved);
  return {
    rows: idx.length,
    starvedRows: actual.filter(Boolean).length,
    thrSmape: thr(idx),
    thrSmapeKeepsUp: thr(idx.filter((i) => !twin[i]!.starved)),
    thrSmapeStarved: thr(idx.filter((i) => twin[i]!.starved)),
    thrSmapeBoundary: thr(boundary),
    boundaryRows: boundary.length,
    starvedF1: f1Score(actual, pred),
    starvedAccuracy: actual.filter((a, i) => a === pred[i]).length / Math.max(1, idx.length),
    starvedF1FromThroughput: f1Score(
      actual,
      idx.map((i) => {
        const e = queries[i]!.estimate;
        return e.throughputTokS < STARVATION_THRESHOLD * e.demandTokS;
      }),
    ),
    ttftP99Smape: lat("ttftP99Ms"),
    itlP99Smape: lat("itlP99Ms"),
  };
}
