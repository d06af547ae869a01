/**
 * Training rows from the planner's own questions ("query design"): the design samples
 * (`design.ts`) spread scenarios over the whole input space, but placement asks about a
 * narrow part of it — a GPU being filled adapter by adapter up to its saturation point, under
 * every flag set the search tries — and that is where a wrong answer costs a GPU or a repair.
 *
 * Query workload k of a spec (pure, seeded by (seed, k)): a fleet request with a random
 * shipped model, 1–3 GPU types of the shipped pairs at catalog prices, an objective (fewest
 * GPUs, lowest $/h, or a TTFT p99 limit with either), 16–3,000 adapters with Zipf or Dirichlet
 * popularity over a total rate of 5–250 req/s, a rank mix, ShareGPT or uniform lengths, and a
 * window of 3,600 s or 300–3,600 s (imported traces are replayed over their span, often
 * shorter than the design's 600 s minimum). The planner plans it (estimates only) with a given
 * estimator — in `surrogate:all`, the ensemble teacher — and `perWorkload` of the distinct
 * assignments it asked about are drawn (seeded) and run through the twin on worker threads,
 * as verification runs a GPU. Rows carry their scenario so features can be recomputed by a
 * later build; they are cached under bench/out/surrogate/datasets/ by spec, estimator and
 * twin fingerprint.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomGamma } from "d3-random";
import { GPUS } from "../../src/core/catalog/gpus";
import type { GpuId, ModelId } from "../../src/core/catalog/ids";
import { planFleet } from "../../src/core/placement/plan";
import { scenarioOfAssignment } from "../../src/core/placement/scenario";
import type {
  Estimator,
  FleetRequest,
  GpuAssignment,
  Objective,
} from "../../src/core/placement/types";
import { loadScenario } from "../../src/core/scenario/resolve";
import type { LengthProfile, Scenario } from "../../src/core/scenario/schema";
import { labelsOf, type DatasetRow } from "../../src/core/surrogate/dataset";
import { extractFeatures, FEATURE_COUNT } from "../../src/core/surrogate/features";
import { createRng, type Rng } from "../../src/core/workload/rng";
import { createTwinPool } from "../../workers/planPool";
import { DATASET_DIR, twinFingerprint } from "./common";

/** Version of {@link queryWorkload}: bump when it changes (cached rows are keyed by it). */
export const QUERY_DESIGN_VERSION = 1;

export interface QuerySpec {
  /** model/GPU pairs the workloads draw from (GPU types of one workload share its model) */
  pairs: readonly (readonly [ModelId, GpuId])[];
  seed: number;
  workloads: number;
  /** twin-run assignments drawn per workload */
  perWorkload: number;
}

/** A query row: a dataset row plus the scenario it came from (features are recomputed from it). */
export interface QueryRow extends DatasetRow {
  scenario: Scenario;
  workload: number;
}

const RANKS = [8, 16, 32, 64] as const;

function logUniform(rng: Rng, lo: number, hi: number): number {
  return lo * Math.exp(rng.next() * Math.log(hi / lo));
}

function pickOne<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng.next() * items.length)]!;
}

/** Random subset of `items` of size 1…max (order kept). */
function subset<T>(rng: Rng, items: readonly T[], max: number): T[] {
  const k = 1 + Math.floor(rng.next() * Math.min(max, items.length));
  const idx = items.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, k)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/** Query workload `k` of `spec` (pure). */
export function queryWorkload(spec: QuerySpec, k: number): FleetRequest {
  const rng = createRng(spec.seed, 1_000 + k);
  const models = [...new Set(spec.pairs.map(([m]) => m))];
  const model = pickOne(rng, models);
  const gpus = spec.pairs.filter(([m]) => m === model).map(([, g]) => g);
  const offered = rng.next() < 0.5 ? [pickOne(rng, gpus)] : subset(rng, gpus, 3);
  const u = rng.next();
  const minimize = rng.next() < 0.5 ? "gpus" : "cost";
  const objective: Objective =
    u < 0.4
      ? "min-gpus"
      : u < 0.7
        ? "min-cost"
        : { ttftP99Ms: Math.round(logUniform(rng, 1000, 30_000)), minimize };
  const n = Math.round(logUniform(rng, 16, 3000));
  let w: number[];
  if (rng.next() < 0.5) {
    const alpha = 0.5 + rng.next();
    w = Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, alpha));
  } else {
    const g = randomGamma.source(() => rng.next())(logUniform(rng, 0.3, 3), 1);
    w = Array.from({ length: n }, () => g()).sort((a, b) => b - a);
  }
  const sum = w.reduce((a, b) => a + b, 0);
  const totalRps = logUniform(rng, 5, 250);
  const ranks = subset(rng, RANKS, 4);
  const lengths: LengthProfile =
    rng.next() < 0.7
      ? { profile: "sharegpt" }
      : (() => {
          const p0 = Math.round(logUniform(rng, 16, 1024));
          const o0 = Math.round(logUniform(rng, 8, 256));
          return {
            profile: "uniform",
            promptTokens: [p0, Math.round(p0 * logUniform(rng, 1, 8))],
            outputTokens: [o0, Math.round(o0 * logUniform(rng, 1, 8))],
          };
        })();
  return {
    model,
    gpuTypes: offered.map((gpu) => ({ gpu, costPerHour: GPUS[gpu].costPerHour })),
    objective,
    workload: {
      durationS: rng.next() < 0.6 ? 3600 : Math.round(logUniform(rng, 300, 3600)),
      seed: k,
      lengths,
      ...(rng.next() < 0.5 ? { maxPendingRequests: 25_500 } : {}),
      adapters: w.map((x, i) => ({
        id: `q${k}-${i}`,
        rank: ranks[i % ranks.length]!,
        rateRps: Math.max(1e-4, (x / sum) * totalRps),
      })),
    },
  };
}

/** `n` of `items` drawn uniformly without replacement from `rng` (partial Fisher–Yates), in draw order. */
export function draw<T>(items: readonly T[], n: number, rng: Rng): T[] {
  const a = items.slice();
  const k = Math.min(n, a.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng.next() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

/** Distinct assignments the planner asks `estimator` about while planning `request`. */
export async function plannerAssignments(
  request: FleetRequest,
  estimator: Estimator,
): Promise<GpuAssignment[]> {
  const seen = new Map<string, GpuAssignment>();
  const recording: Estimator = {
    name: estimator.name,
    async estimate(assignments, signal) {
      for (const a of assignments) {
        const key = JSON.stringify(scenarioOfAssignment(a));
        if (!seen.has(key)) seen.set(key, a);
      }
      return estimator.estimate(assignments, signal);
    },
  };
  await planFleet(request, {
    estimator: recording,
    skipVerify: true,
    lowerBound: false,
    baselines: true,
    verifyBaselines: false,
  });
  return [...seen.values()];
}

/** Features of a query row's scenario with this build's features. */
function featuresOf(s: Scenario): { features: number[]; demandTokS: number } {
  const x = new Float32Array(FEATURE_COUNT);
  const summary = extractFeatures(loadScenario(s), x);
  return { features: Array.from(x), demandTokS: summary.demandTokS };
}

function cachePath(spec: QuerySpec, estimatorKey: string, fp: string): string {
  const pairs = createHash("sha1").update(JSON.stringify(spec.pairs)).digest("hex").slice(0, 8);
  return join(
    DATASET_DIR,
    `queries__v${QUERY_DESIGN_VERSION}_s${spec.seed}_w${spec.workloads}_k${spec.perWorkload}_p${pairs}__${estimatorKey}__${fp}.json`,
  );
}

/**
 * The query rows of `spec`, asked of `estimator` (identified by `estimatorKey` in the cache,
 * e.g. a hash of its weights): read from the cache, else planned and run through the twin
 * (worker threads) and cached. Features are recomputed by this build either way.
 */
export async function loadOrGenerateQueryRows(
  spec: QuerySpec,
  estimator: Estimator,
  estimatorKey: string,
  log: (line: string) => void,
): Promise<QueryRow[]> {
  const fp = twinFingerprint();
  const path = cachePath(spec, estimatorKey, fp);
  if (existsSync(path)) {
    const rows = JSON.parse(readFileSync(path, "utf8")) as QueryRow[];
    return rows.map((r) => ({ ...r, features: featuresOf(r.scenario).features }));
  }
  // workload k's rows do not depend on the number of workloads: a cached smaller set of the
  // same spec supplies its workloads, and only the new ones are planned and run
  let prefix: QueryRow[] = [];
  for (let w = spec.workloads - 1; w > 0 && prefix.length === 0; w--) {
    const p = cachePath({ ...spec, workloads: w }, estimatorKey, fp);
    if (existsSync(p)) prefix = JSON.parse(readFileSync(p, "utf8")) as QueryRow[];
  }
  const first = prefix.reduce((m, r) => Math.max(m, r.workload + 1), 0);
  if (first > 0)
    log(`  query design: workloads 0-${first - 1} cached, planning ${first}-${spec.workloads - 1}`);
  const t0 = performance.now();
  const picked: { scenario: Scenario; workload: number }[] = [];
  for (let k = first; k < spec.workloads; k++) {
    const asked = await plannerAssignments(queryWorkload(spec, k), estimator);
    const rng = createRng(spec.seed, 500_000 + k);
    for (const a of draw(asked, spec.perWorkload, rng)) {
      picked.push({ scenario: scenarioOfAssignment(a), workload: k });
    }
    if (k % 20 === 19 || k === spec.workloads - 1) {
      log(
        `  query design: ${k + 1}/${spec.workloads} workloads planned, ${picked.length} assignments drawn (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
    }
  }
  const pool = createTwinPool();
  const rows: QueryRow[] = [...prefix];
  try {
    const t1 = performance.now();
    let done = 0;
    let lastLog = t1;
    const results = await Promise.all(
      picked.map(async (p) => {
        const [r] = await pool.runner([p.scenario], { timeSeriesPoints: 1 });
        done++;
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          log(
            `  query design: twin ${done}/${picked.length} (${((lastLog - t1) / 1000).toFixed(0)} s)`,
          );
        }
        return r!;
      }),
    );
    results.forEach((r, i) => {
      const p = picked[i]!;
      const x = new Float32Array(FEATURE_COUNT);
      const summary = extractFeatures(loadScenario(p.scenario), x);
      rows.push({
        index: prefix.length + i,
        features: Array.from(x),
        labels: labelsOf(r, summary),
        info: {
          adapters: p.scenario.workload.adapters.length,
          pattern: "planner-query",
          // demanded / served tokens (the design's fluid-capacity load is not computed here)
          load: summary.demandTokS / Math.max(1e-9, r.throughputTokS),
        },
        twinMs: r.wallMs,
        scenario: p.scenario,
        workload: p.workload,
      });
    });
    log(
      `  query design: ${rows.length} twin runs in ${((performance.now() - t1) / 1000).toFixed(0)} s`,
    );
  } finally {
    await pool.close();
  }
  mkdirSync(DATASET_DIR, { recursive: true });
  writeFileSync(path, JSON.stringify(rows));
  return first > 0 ? rows.map((r) => ({ ...r, features: featuresOf(r.scenario).features })) : rows;
}
