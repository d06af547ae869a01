/**
 * bench:surrogate — how well and how fast the shipped surrogates answer.
 *
 *   npm run bench:surrogate [-- --pairs primary|all|<model>__<gpu>,... --heldout N --noise N
 *                              --threads T --ablation --twin-real]
 *
 * 1. Held-out twin samples (design seed HELDOUT_SEED, never trained on) per pair: conventional
 *    SMAPE of throughput (all; at the measured 3600 s window; servers that keep up; starved
 *    ones), of ITL and TTFT, starvation F1, share flagged out of distribution.
 * 2. Noise floor: the twin against itself with another workload seed on the first N held-out
 *    scenarios (Poisson arrivals make a low-volume run's throughput noisy; no predictor of the
 *    expectation can beat this).
 * 3. Memory fit: accuracy against the real runs' start-up outcome (ok vs KV-too-small/OOM).
 * 4. Speed: µs per estimate in batches of 1,024 on each Node backend (network + decoding, and
 *    with feature extraction from scenarios), and one query alone.
 * 5. Real Llama-3.1-8B runs on the H100 64 GB (when ../shared/data is there): surrogate vs
 *    real, with the authors' twin and (with --twin-real) ours for reference.
 * 7. Placement queries (`--queries N`, default 240, 0 = skip): the surrogate against the twin
 *    on a seeded sample of the assignments the planner asked it about while planning
 *    bench:placement's workloads and the app's default (`surrogate-queries.ts`), the twin
 *    against itself with another seed, and (`--compare-models <dir>`) another model directory
 *    on the same queries.
 * 6. --ablation: retrain on the primary pair's training set with feature groups removed, other
 *    throughput targets and widths; held-out metrics of each.
 *
 * Writes everything to bench/out/surrogate.json. Datasets and twin runs are cached per twin
 * fingerprint under bench/out/surrogate/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Papa from "papaparse";
import * as tf from "@tensorflow/tfjs";
import type { GpuId, ModelId } from "../src/core/catalog/ids";
import { loadScenario, type ResolvedScenario } from "../src/core/scenario/resolve";
import type { ScenarioInput } from "../src/core/scenario/schema";
import { initBackend, syntheticFeatures, timeBatch } from "../src/core/surrogate/backend";
import type { DatasetRow } from "../src/core/surrogate/dataset";
import { designScenario } from "../src/core/surrogate/design";
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURES,
  type FeatureGroup,
} from "../src/core/surrogate/features";
import { loadSurrogateFromDir } from "../src/core/surrogate/node";
import { modelDirName, STARVED_DECISION, type Surrogate } from "../src/core/surrogate/runtime";
import type { ThroughputTarget } from "../src/core/surrogate/targets";
import { f1Score, smape, trainSurrogate, type TrainOptions } from "../src/core/surrogate/train";
import { memoryPlan, simulate } from "../src/core/twin/simulate";
import { loadOrGenerate, ROOT, twinFingerprint } from "../scripts/surrogate/common";
import { DEFAULT_TRAIN, HELDOUT_SEED, SHIPPED_PAIRS } from "../scripts/surrogate/config";
import { createTwinEstimator } from "../src/core/placement/twinEstimator";
import { nodeEstimator } from "../src/cli/commands/plan";
import {
  recordQueries,
  sampleWithoutReplacement,
  scoreQueries,
  twinAnswers,
} from "./surrogate-queries";

/** Seed of the placement-query sample (section 7). */
const QUERY_SAMPLE_SEED = 7;

const OUT_DIR = join(ROOT, "bench", "out");
const CACHE_DIR = join(OUT_DIR, "surrogate");
const RUNS_CSV = join(
  ROOT,
  "..",
  "shared",
  "data",
  "vllm-lora-h100",
  "llama-3.1-8b-instruct_runs.csv",
);
const PRIMARY: readonly [ModelId, GpuId] = ["llama-3.1-8b-instruct", "h100-64gb"];

/** The paper's numbers (Agulló et al., arXiv 2508.08343 / 2602.24044) for comparison. */
const PAPER = {
  randomForestMsPerPrediction: 0.25,
  smallTreeUsPerPrediction: 2.3,
  smallTreeSmapeConventional: 20,
  mlSmapeVsRealConventional: "9-11",
} as const;

interface Args {
  pairs: (readonly [ModelId, GpuId])[];
  heldout: number;
  noise: number;
  threads?: number;
  ablation: boolean;
  twinReal: boolean;
  /** placement queries run through the twin (0: skip that section) */
  queries: number;
  /** another model directory scored on the same placement queries (e.g. a previous network) */
  compareModels?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    pairs: [PRIMARY],
    heldout: 300,
    noise: 60,
    ablation: false,
    twinReal: false,
    queries: 240,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === "--pairs") {
      const p = v();
      if (p === "primary") a.pairs = [PRIMARY];
      else if (p === "all") a.pairs = [...SHIPPED_PAIRS];
      else a.pairs = p.split(",").map((s) => s.split("__") as unknown as [ModelId, GpuId]);
    } else if (k === "--heldout") a.heldout = Number(v());
    else if (k === "--noise") a.noise = Number(v());
    else if (k === "--threads") a.threads = Number(v());
    else if (k === "--ablation") a.ablation = true;
    else if (k === "--twin-real") a.twinReal = true;
    else if (k === "--queries") a.queries = Number(v());
    else if (k === "--compare-models") a.compareModels = v();
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

const log = (s = "") => process.stdout.write(s + "\n");
const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "–");

function table(head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? "").length)));
  const line = (r: string[]) =>
    "| " + r.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join(" | ") + " |";
  log(line(head));
  log(
    "|" + w.map((x, j) => (j === 0 ? "-".repeat(x + 2) : "-".repeat(x + 1) + ":")).join("|") + "|",
  );
  for (const r of cells.slice(1)) log(line(r));
}

/** Full feature rows of dataset rows (dataset column order = FEATURE_NAMES of the build that made it). */
function matrixOf(rows: readonly DatasetRow[], names: readonly string[]): Float32Array {
  const map = FEATURE_NAMES.map((n) => names.indexOf(n));
  const x = new Float32Array(rows.length * FEATURE_COUNT);
  rows.forEach((r, i) =>
    map.forEach((c, j) => (x[i * FEATURE_COUNT + j] = c >= 0 ? r.features[c]! : NaN)),
  );
  return x;
}

interface Accuracy {
  rows: number;
  thrSmape: number;
  thrSmape3600: number;
  thrSmapeKeepsUp: number;
  thrSmapeStarved: number;
  itlMeanSmape: number;
  itlP99Smape: number;
  ttftMeanSmape: number;
  ttftP99Smape: number;
  starvedF1: number;
  starvedAccuracy: number;
  /** F1 when starvation is read off the predicted throughput (< 0.9 × demand) instead */
  starvedF1FromThroughput: number;
  oodShare: number;
}

function accuracy(
  s: Surrogate,
  rows: readonly DatasetRow[],
  names: readonly string[],
  durations: number[],
): Accuracy {
  const b = s.estimateSync(matrixOf(rows, names), rows.length);
  const pick = (f: (r: DatasetRow, i: number) => boolean) =>
    rows.map((r, i) => [r, i] as const).filter(([r, i]) => f(r, i));
  const thr = (sel: (readonly [DatasetRow, number])[]) =>
    smape(
      sel.map(([r]) => r.labels.throughputTokS),
      sel.map(([, i]) => b.throughputTokS[i]!),
    );
  const lat = (key: "itlMeanMs" | "itlP99Ms" | "ttftMeanMs" | "ttftP99Ms") => {
    const sel = pick((r) => r.labels.finished > 0 && r.labels[key] > 0);
    return smape(
      sel.map(([r]) => r.labels[key]),
      sel.map(([, i]) => b[key][i]!),
    );
  };
  const actual = rows.map((r) => r.labels.starved);
  const pred = rows.map((_, i) => b.starvedProbability[i]! >= STARVED_DECISION);
  const predThr = rows.map((r, i) => b.throughputTokS[i]! < 0.9 * r.labels.demandTokS);
  return {
    rows: rows.length,
    thrSmape: thr(pick(() => true)),
    thrSmape3600: thr(pick((_, i) => durations[i] === 3600)),
    thrSmapeKeepsUp: thr(pick((r) => !r.labels.starved)),
    thrSmapeStarved: thr(pick((r) => r.labels.starved)),
    itlMeanSmape: lat("itlMeanMs"),
    itlP99Smape: lat("itlP99Ms"),
    ttftMeanSmape: lat("ttftMeanMs"),
    ttftP99Smape: lat("ttftP99Ms"),
    starvedF1: f1Score(actual, pred),
    starvedAccuracy: actual.filter((a, i) => a === pred[i]).length / rows.length,
    starvedF1FromThroughput: f1Score(actual, predThr),
    oodShare: b.outOfDistribution.reduce((a, v) => a + v, 0) / rows.length,
  };
}

function durationsOf(rows: readonly DatasetRow[], names: readonly string[]): number[] {
  const j = names.indexOf("log10DurationS");
  return rows.map((r) => Math.round(10 ** r.features[j]!));
}

/** The twin on held-out scenarios with another workload seed (cached). */
function noiseFloor(model: ModelId, gpu: GpuId, rows: readonly DatasetRow[]) {
  const fp = twinFingerprint();
  const path = join(
    CACHE_DIR,
    `noise__${model}__${gpu}__s${HELDOUT_SEED}_n${rows.length}__${fp}.json`,
  );
  let again: { thr: number; itl: number; starved: boolean }[];
  if (existsSync(path)) again = JSON.parse(readFileSync(path, "utf8"));
  else {
    again = rows.map((r) => {
      const { scenario } = designScenario({ model, gpu, samples: 0, seed: HELDOUT_SEED }, r.index);
      scenario.workload.seed = 1_000_000 + r.index;
      const t = simulate(loadScenario(scenario), { timeSeriesPoints: 1 });
      return { thr: t.throughputTokS, itl: t.itlMs.mean, starved: t.starved };
    });
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(path, JSON.stringify(again));
  }
  const itlSel = rows
    .map((r, i) => [r, i] as const)
    .filter(([r, i]) => r.labels.itlMeanMs > 0 && again[i]!.itl > 0);
  return {
    rows: rows.length,
    thrSmape: smape(
      rows.map((r) => r.labels.throughputTokS),
      again.map((a) => a.thr),
    ),
    itlMeanSmape: smape(
      itlSel.map(([r]) => r.labels.itlMeanMs),
      itlSel.map(([, i]) => again[i]!.itl),
    ),
    starvedF1: f1Score(
      rows.map((r) => r.labels.starved),
      again.map((a) => a.starved),
    ),
  };
}

// ---------------------------------------------------------------- real runs

interface RealRun {
  status: string;
  scenario: ScenarioInput;
  throughput: number;
  itlMean: number;
  ttftMean: number;
  starved: boolean;
  dtThroughput: number;
}

function realRuns(): RealRun[] | null {
  if (!existsSync(RUNS_CSV)) return null;
  const parsed = Papa.parse<Record<string, string>>(readFileSync(RUNS_CSV, "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  return parsed.data.map((r) => {
    const n = Number(r.n_adapters);
    const ranks = r.adapter_rank_cycle!.split("-").map(Number);
    const rates = r.adapter_rates_arg!.split("-").map(Number);
    return {
      status: r.status!,
      scenario: {
        model: "llama-3.1-8b-instruct",
        gpu: "h100-64gb",
        engine: {
          maxLoras: Number(r.max_loras),
          maxCpuLoras: Number(r.max_cpu_loras),
          maxLoraRank: Number(r.max_lora_rank),
          maxNumSeqs: 2048,
          maxNumBatchedTokens: 2048,
        },
        workload: {
          durationS: 3600,
          lengths: { profile: "sharegpt" },
          maxPendingRequests: 25_500,
          adapters: Array.from({ length: n }, (_, i) => ({
            id: `a${i}`,
            rank: ranks[i % ranks.length]!,
            rateRps: rates[i % rates.length]!,
          })),
        },
      },
      throughput: Number(r.total_throughput_tok_s),
      itlMean: Number(r.itl_mean_ms),
      ttftMean: Number(r.ttft_mean_ms),
      starved: r.starved_est === "True",
      dtThroughput: Number(r.dt_total_throughput_tok_s),
    };
  });
}

function twinOnRealRuns(runs: RealRun[]): { thr: number; itl: number; starved: boolean }[] {
  const fp = twinFingerprint();
  const path = join(CACHE_DIR, `twin-real__${runs.length}__${fp}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, "utf8"));
  const out = runs.map((r, i) => {
    if (i % 50 === 0) log(`  twin on real run scenarios: ${i}/${runs.length}`);
    const t = simulate(loadScenario(r.scenario), { timeSeriesPoints: 1 });
    return { thr: t.throughputTokS, itl: t.itlMs.mean, starved: t.starved };
  });
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(path, JSON.stringify(out));
  return out;
}

// ---------------------------------------------------------------- speed

async function speed(s: Surrogate, scenarios: ResolvedScenario[]) {
  const out: Record<
    string,
    { batchUs?: number; scenarioUs?: number; singleUs?: number; error?: string }
  > = {};
  const x = syntheticFeatures(s, 1024);
  const x1 = x.slice(0, FEATURE_COUNT);
  for (const backend of ["cpu", "wasm"]) {
    const c = await initBackend({ force: backend, candidates: [] }).catch((e: unknown) => ({
      backend: "",
      error: String(e),
    }));
    if (c.backend !== backend) {
      out[backend] = { error: "unavailable" };
      continue;
    }
    const batchUs = await timeBatch(() => s.estimate(x, 1024), 1024, 20);
    const scenarioUs = await timeBatch(() => s.estimateScenarios(scenarios), scenarios.length, 5);
    const singleUs = await timeBatch(() => s.estimate(x1, 1), 1, 200);
    out[backend] = { batchUs, scenarioUs, singleUs };
  }
  return out;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  tf.enableProdMode();
  await initBackend({ candidates: ["wasm", "cpu"] });
  const fp = twinFingerprint();
  const results: Record<string, unknown> = { twinFingerprint: fp, paper: PAPER };
  log(`bench:surrogate — twin ${fp}`);

  // 1-2. held-out accuracy and noise floor
  const acc: Record<string, Accuracy> = {};
  const noise: Record<string, ReturnType<typeof noiseFloor>> = {};
  let primaryModel: Surrogate | undefined;
  let primaryHeldout: DatasetRow[] = [];
  for (const [model, gpu] of args.pairs) {
    const key = modelDirName(model, gpu);
    const dir = join(ROOT, "public", "models", key);
    if (!existsSync(join(dir, "model.json"))) {
      log(`${key}: no shipped model, skipped`);
      continue;
    }
    const s = await loadSurrogateFromDir(dir);
    if (s.meta.training.twinFingerprint && s.meta.training.twinFingerprint !== fp) {
      log(
        `${key}: WARNING model trained on twin ${s.meta.training.twinFingerprint}, current twin is ${fp}: re-run npm run surrogate:all`,
      );
    }
    const n =
      key === modelDirName(...PRIMARY) ? args.heldout : Math.max(60, Math.round(args.heldout / 4));
    log(`${key}: held-out set (${n} samples, design seed ${HELDOUT_SEED})`);
    const ds = await loadOrGenerate(
      { model, gpu, samples: n, seed: HELDOUT_SEED },
      { threads: args.threads, log },
    );
    acc[key] = accuracy(s, ds.rows, ds.featureNames, durationsOf(ds.rows, ds.featureNames));
    if (key === modelDirName(...PRIMARY)) {
      primaryModel = s;
      primaryHeldout = ds.rows;
      if (args.noise > 0) {
        log(`${key}: noise floor (twin vs twin, another seed, ${Math.min(args.noise, n)} samples)`);
        noise[key] = noiseFloor(model, gpu, ds.rows.slice(0, args.noise));
      }
    } else s.dispose();
  }
  results.heldout = acc;
  results.noiseFloor = noise;

  log();
  log("Held-out twin samples (conventional SMAPE %, F1):");
  table(
    [
      "pair",
      "rows",
      "thr",
      "thr@3600s",
      "thr keeps up",
      "thr starved",
      "ITL mean",
      "ITL p99",
      "TTFT mean",
      "TTFT p99",
      "starv. F1",
      "F1 (thr<0.9·demand)",
      "OOD",
    ],
    Object.entries(acc).map(([k, a]) => [
      k,
      a.rows,
      fmt(a.thrSmape),
      fmt(a.thrSmape3600),
      fmt(a.thrSmapeKeepsUp),
      fmt(a.thrSmapeStarved),
      fmt(a.itlMeanSmape),
      fmt(a.itlP99Smape),
      fmt(a.ttftMeanSmape),
      fmt(a.ttftP99Smape),
      fmt(a.starvedF1, 3),
      fmt(a.starvedF1FromThroughput, 3),
      `${fmt(100 * a.oodShare, 1)}%`,
    ]),
  );
  for (const [k, nf] of Object.entries(noise)) {
    log(
      `noise floor ${k} (twin vs twin, other seed, ${nf.rows} samples): throughput SMAPE ${fmt(nf.thrSmape)}%, ITL ${fmt(nf.itlMeanSmape)}%, starvation F1 ${fmt(nf.starvedF1, 3)}`,
    );
  }

  // 3 + 5. real runs
  const runs = realRuns();
  if (runs && primaryModel) {
    const ok = runs.filter((r) => r.status === "ok");
    const fitRows = runs.filter((r) => r.status === "ok" || r.status.startsWith("init_fail"));
    const fitCorrect = fitRows.filter(
      (r) => memoryPlan(loadScenario(r.scenario)).fits === (r.status === "ok"),
    ).length;
    const est = await primaryModel.estimateScenarios(ok.map((r) => loadScenario(r.scenario)));
    const real = {
      rows: ok.length,
      thrSmape: smape(
        ok.map((r) => r.throughput),
        est.map((e) => e.throughputTokS),
      ),
      itlMeanSmape: smape(
        ok.map((r) => r.itlMean),
        est.map((e) => e.itlMs.mean),
      ),
      ttftMeanSmape: smape(
        ok.map((r) => r.ttftMean),
        est.map((e) => e.ttftMs.mean),
      ),
      starvedF1: f1Score(
        ok.map((r) => r.starved),
        est.map((e) => e.starved),
      ),
      oodShare: est.filter((e) => e.outOfDistribution).length / ok.length,
      authorsTwinThrSmape: smape(
        ok
          .filter((r) => Number.isFinite(r.dtThroughput) && r.dtThroughput > 0)
          .map((r) => r.throughput),
        ok
          .filter((r) => Number.isFinite(r.dtThroughput) && r.dtThroughput > 0)
          .map((r) => r.dtThroughput),
      ),
      memoryFitAccuracy: fitCorrect / fitRows.length,
      memoryFitRows: fitRows.length,
    } as Record<string, number>;
    if (args.twinReal) {
      log("real runs: running our twin on every ok run (cached) ...");
      const tw = twinOnRealRuns(ok);
      real.twinThrSmape = smape(
        ok.map((r) => r.throughput),
        tw.map((t) => t.thr),
      );
      real.twinItlSmape = smape(
        ok.map((r) => r.itlMean),
        tw.map((t) => t.itl),
      );
      real.twinStarvedF1 = f1Score(
        ok.map((r) => r.starved),
        tw.map((t) => t.starved),
      );
      real.surrogateVsTwinThrSmape = smape(
        tw.map((t) => t.thr),
        est.map((e) => e.throughputTokS),
      );
    }
    results.realRuns = real;
    log();
    log(
      `Real Llama-3.1-8B runs on the H100 64 GB (${ok.length} ok runs; memory fit over ${fitRows.length} start-ups):`,
    );
    table(
      ["predictor", "thr SMAPE", "ITL SMAPE", "TTFT SMAPE", "starv. F1", "memory fit acc."],
      [
        [
          "surrogate",
          fmt(real.thrSmape!),
          fmt(real.itlMeanSmape!),
          fmt(real.ttftMeanSmape!),
          fmt(real.starvedF1!, 3),
          `${fmt(100 * real.memoryFitAccuracy!, 1)}%`,
        ],
        ...(real.twinThrSmape !== undefined
          ? [
              [
                "our twin",
                fmt(real.twinThrSmape),
                fmt(real.twinItlSmape!),
                "",
                fmt(real.twinStarvedF1!, 3),
                "",
              ],
            ]
          : []),
        ["authors' twin", fmt(real.authorsTwinThrSmape!), "", "", "", ""],
      ],
    );
    if (real.surrogateVsTwinThrSmape !== undefined)
      log(
        `surrogate vs our twin on these scenarios: throughput SMAPE ${fmt(real.surrogateVsTwinThrSmape)}%`,
      );
    log(`real-run scenarios flagged out of distribution: ${fmt(100 * real.oodShare!, 1)}%`);
  } else if (!runs) log("real runs: ../shared/data not found, skipped");

  // 4. speed
  if (primaryModel) {
    const scen = primaryHeldout
      .slice(0, 256)
      .map((r) =>
        loadScenario(
          designScenario(
            { model: PRIMARY[0], gpu: PRIMARY[1], samples: 0, seed: HELDOUT_SEED },
            r.index,
          ).scenario,
        ),
      );
    const sp = await speed(primaryModel, scen);
    results.speed = sp;
    log();
    log("Speed (µs per estimate; Node, this machine):");
    table(
      [
        "predictor",
        "batch of 1,024 (features given)",
        "from scenarios (features + memory + network)",
        "one query alone",
      ],
      [
        ...Object.entries(sp).map(([k, v]) => [
          `surrogate, ${k}`,
          fmt(v.batchUs ?? NaN),
          fmt(v.scenarioUs ?? NaN, 1),
          fmt(v.singleUs ?? NaN, 0),
        ]),
        ["paper: random forest", fmt(PAPER.randomForestMsPerPrediction * 1000, 0), "", ""],
        ["paper: small tree (SMAPE ≈ 20%)", fmt(PAPER.smallTreeUsPerPrediction, 1), "", ""],
      ],
    );
    await initBackend({ candidates: ["wasm", "cpu"] });
  }

  // 7. the planner's own queries
  if (args.queries > 0) {
    log();
    log(
      "Placement queries: planning bench:placement's workloads and the app's default (estimates only)",
    );
    const twinFallback = createTwinEstimator({ windowS: 300 });
    const estimator = await nodeEstimator("auto", twinFallback);
    const { queries, asked } = await recordQueries(estimator, log);
    const sample = sampleWithoutReplacement(queries, args.queries, QUERY_SAMPLE_SEED);
    const twin = await twinAnswers(sample, join(CACHE_DIR, `queries__${fp}.json`), log);
    // noise floor: the same assignments with another workload seed, scored as if an estimate
    const reseeded = sample.map((q) => ({
      ...q,
      assignment: {
        ...q.assignment,
        workload: { ...q.assignment.workload, seed: q.assignment.workload.seed + 1000 },
      },
    }));
    const again = await twinAnswers(reseeded, join(CACHE_DIR, `queries-reseeded__${fp}.json`), log);
    const asEstimates = sample.map((q, i) => ({
      ...q,
      estimate: {
        ...q.estimate,
        throughputTokS: again[i]!.throughputTokS,
        starved: again[i]!.starved,
        ttftP99Ms: again[i]!.ttftP99Ms,
        itlP99Ms: again[i]!.itlP99Ms,
      },
    }));
    const floor = scoreQueries(asEstimates, twin);
    const byWorkload = new Map<string, number[]>();
    sample.forEach((q, i) =>
      byWorkload.set(q.workload, [...(byWorkload.get(q.workload) ?? []), i]),
    );
    const groups: [string, number[]][] = [
      ["all", sample.map((_, i) => i)],
      ...[...byWorkload.entries()],
    ];
    const scored: (readonly [string, ReturnType<typeof scoreQueries>])[] = groups.map(
      ([name, idx]) => {
        const sc = scoreQueries(
          idx.map((i) => sample[i]!),
          idx.map((i) => twin[i]!),
        );
        return [name, sc] as const;
      },
    );
    scored.push(["noise floor: twin, other seed (all)", floor] as const);
    if (args.compareModels) {
      const other = await nodeEstimator("auto", twinFallback, args.compareModels);
      const e = await other.estimate(sample.map((q) => q.assignment));
      scored.push([
        `${args.compareModels} on the same queries`,
        scoreQueries(
          sample.map((q, i) => ({ ...q, estimate: e[i]! })),
          twin,
        ),
      ] as const);
    }
    results.placementQueries = {
      asked,
      distinct: queries.length,
      sampled: sample.length,
      seed: QUERY_SAMPLE_SEED,
      scores: Object.fromEntries(scored),
    };
    log(
      `Placement queries vs the twin (${sample.length} of ${queries.length} distinct surrogate answers, ${asked} asked; seed ${QUERY_SAMPLE_SEED}; conventional SMAPE %):`,
    );
    table(
      [
        "workload",
        "rows",
        "starved",
        "thr",
        "thr keeps up",
        "thr starved",
        "thr at 80–100% served",
        "starv. F1",
        "F1 (thr<0.9·demand)",
        "starv. acc.",
        "TTFT p99",
        "ITL p99",
      ],
      scored.map(([name, a]) => [
        name,
        a.rows,
        a.starvedRows,
        fmt(a.thrSmape),
        fmt(a.thrSmapeKeepsUp),
        fmt(a.thrSmapeStarved),
        `${fmt(a.thrSmapeBoundary)} (${a.boundaryRows})`,
        fmt(a.starvedF1, 3),
        fmt(a.starvedF1FromThroughput, 3),
        `${fmt(100 * a.starvedAccuracy, 1)}%`,
        fmt(a.ttftP99Smape),
        fmt(a.itlP99Smape),
      ]),
    );
  }

  // 6. ablation
  if (args.ablation && primaryModel) {
    const train = await loadOrGenerate(
      {
        model: PRIMARY[0],
        gpu: PRIMARY[1],
        samples: DEFAULT_TRAIN.samples,
        seed: DEFAULT_TRAIN.designSeed,
      },
      { threads: args.threads, log },
    );
    const groups = (drop: FeatureGroup[]) =>
      FEATURES.filter((f) => !drop.includes(f.group)).map((f) => f.name);
    const only = (keep: FeatureGroup[]) =>
      FEATURES.filter((f) => keep.includes(f.group)).map((f) => f.name);
    const variants: [string, TrainOptions][] = [
      ["all features (shipped)", {}],
      ["paper's seven only", { features: only(["paper"]) }],
      ["paper + engine + workload", { features: only(["paper", "engine", "workload"]) }],
      ["all but skew", { features: groups(["skew"]) }],
      ["all but memory", { features: groups(["memory"]) }],
      ...(["ratio", "log"] as ThroughputTarget[]).map((t): [string, TrainOptions] => [
        `throughput target ${t}`,
        { throughputTarget: t },
      ]),
      ["hidden 32-32", { hidden: [32, 32] }],
      ["hidden 128-128", { hidden: [128, 128] }],
      ["hidden 64-64-64", { hidden: [64, 64, 64] }],
    ];
    const rowsOut: (string | number)[][] = [];
    const abl: Record<string, unknown> = {};
    for (const [name, o] of variants) {
      const r = await trainSurrogate(train, {
        ...DEFAULT_TRAIN.options,
        epochs: DEFAULT_TRAIN.epochs,
        ...o,
      });
      const a = accuracy(
        r.surrogate,
        primaryHeldout,
        train.featureNames,
        durationsOf(primaryHeldout, train.featureNames),
      );
      const us = await timeBatch(
        () => r.surrogate.estimate(syntheticFeatures(r.surrogate, 1024), 1024),
        1024,
        10,
      );
      abl[name] = { ...a, usPerEstimate: us, trainS: r.wallMs / 1000 };
      rowsOut.push([
        name,
        fmt(a.thrSmape),
        fmt(a.thrSmapeStarved),
        fmt(a.itlMeanSmape),
        fmt(a.ttftMeanSmape),
        fmt(a.starvedF1, 3),
        fmt(us),
        fmt(r.wallMs / 1000, 0),
      ]);
      r.surrogate.dispose();
      log(`  ablation ${name}: done`);
    }
    results.ablation = abl;
    log();
    log(
      `Ablation (${PRIMARY.join(" on ")}, ${train.rows.length} training rows, held-out ${primaryHeldout.length}):`,
    );
    table(
      [
        "variant",
        "thr SMAPE",
        "thr starved",
        "ITL mean",
        "TTFT mean",
        "starv. F1",
        "µs/est (wasm)",
        "train s",
      ],
      rowsOut,
    );
  }

  primaryModel?.dispose();
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, "surrogate.json"), JSON.stringify(results, null, 2) + "\n");
  log();
  log(
    `paper: random forest ${PAPER.randomForestMsPerPrediction} ms/prediction; small tree ${PAPER.smallTreeUsPerPrediction} µs with conventional SMAPE ≈ ${PAPER.smallTreeSmapeConventional}%; their models ${PAPER.mlSmapeVsRealConventional}% vs real runs`,
  );
  log("wrote bench/out/surrogate.json");
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:surrogate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
