/**
 * Node helpers of the surrogate pipeline: the twin's fingerprint, the dataset cache under
 * `bench/out/surrogate/datasets/` (git-ignored; keyed by pair, design version and seed, sample
 * range and twin fingerprint), and generation over worker_threads.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDataset, refreshFeatures, type Dataset } from "../../src/core/surrogate/dataset";
import { DESIGN_VERSION, type DatasetSpec } from "../../src/core/surrogate/design";
import { createNodeRunner } from "./node-runner";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DATASET_DIR = join(ROOT, "bench", "out", "surrogate", "datasets");

/**
 * Entry points of what a dataset row holds: the twin (`simulate`) and the scenario resolver
 * every sample goes through. Their relative-import closure is the twin's source.
 */
const TWIN_ENTRIES = ["src/core/twin/simulate.ts", "src/core/scenario/resolve.ts"];

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g;

/** Resolve a relative specifier of `from` to a file (`x.ts`, `x/index.ts`, or as written). */
function resolveImport(from: string, spec: string): string {
  const base = join(dirname(from), spec);
  for (const c of [base, `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  throw new Error(`twinFingerprint: cannot resolve ${spec} from ${relative(ROOT, from)}`);
}

/**
 * The files the twin's entry points import, transitively (relative imports only: packages are
 * pinned by package-lock.json), sorted by path. Type-only imports are included (harmless).
 * @throws Error when a relative import does not resolve
 */
export function twinSourceFiles(): string[] {
  const seen = new Set<string>();
  const stack = TWIN_ENTRIES.map((e) => join(ROOT, e));
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    if (!f.endsWith(".ts")) continue;
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(IMPORT_RE)) stack.push(resolveImport(f, m[1]!));
  }
  return [...seen].sort();
}

/**
 * sha256 (first 16 hex digits) over the twin's source files ({@link twinSourceFiles}: what
 * `simulate` and the scenario resolver import, so an edit to the app's scenario codec or the
 * planner does not invalidate datasets) and the `LFP_*` environment switches: a model
 * trained on another twin says so, and cached datasets are not reused across twin versions.
 */
export function twinFingerprint(): string {
  const h = createHash("sha256");
  for (const f of twinSourceFiles()) {
    h.update(relative(ROOT, f));
    h.update(readFileSync(f));
  }
  const env = Object.keys(process.env)
    .filter((k) => k.startsWith("LFP_"))
    .sort()
    .map((k) => `${k}=${process.env[k]}`);
  h.update(env.join("\n"));
  return h.digest("hex").slice(0, 16);
}

export function datasetPath(spec: DatasetSpec, fingerprint: string): string {
  const d = spec.durationS === undefined ? "mix" : `${spec.durationS}s`;
  const name = `${spec.model}__${spec.gpu}__d${DESIGN_VERSION}_s${spec.seed}_o${spec.offset ?? 0}_n${spec.samples}_${d}__${fingerprint}.json`;
  return join(DATASET_DIR, name);
}

export interface CachedDataset extends Dataset {
  twinFingerprint: string;
}

/**
 * The largest cached dataset of the same pair, design seed, offset, window and twin with fewer
 * samples than `spec` (its rows are the first samples of `spec`: sample i depends on (spec, i)
 * only), or undefined.
 */
function cachedPrefix(spec: DatasetSpec, fp: string): CachedDataset | undefined {
  if (!existsSync(DATASET_DIR)) return undefined;
  let best: { n: number; path: string } | undefined;
  for (const name of readdirSync(DATASET_DIR)) {
    // the name differs from spec's only in its sample count
    const n = Number(/_n(\d+)_/.exec(name)?.[1]);
    if (!(n < spec.samples) || (best && n <= best.n)) continue;
    const path = join(DATASET_DIR, name);
    if (path === datasetPath({ ...spec, samples: n }, fp)) best = { n, path };
  }
  return best ? (JSON.parse(readFileSync(best.path, "utf8")) as CachedDataset) : undefined;
}

/**
 * The dataset of `spec` for the current twin: read from the cache, else generated on
 * `threads` worker threads and cached. A cached smaller dataset of the same design is reused
 * as the first rows, so raising the sample count only runs the new samples. `log` gets
 * progress lines.
 */
export async function loadOrGenerate(
  spec: DatasetSpec,
  opts: { threads?: number; log?: (line: string) => void; cache?: boolean } = {},
): Promise<CachedDataset> {
  const fp = twinFingerprint();
  const path = datasetPath(spec, fp);
  if (opts.cache !== false && existsSync(path)) {
    // labels are the twin's (expensive, cached); features are recomputed by this build (~2 ms/row)
    const cached = JSON.parse(readFileSync(path, "utf8")) as CachedDataset;
    return { ...refreshFeatures(cached), twinFingerprint: cached.twinFingerprint };
  }
  const prefix = opts.cache !== false ? cachedPrefix(spec, fp) : undefined;
  const have = prefix?.rows.length ?? 0;
  const rest: DatasetSpec = {
    ...spec,
    offset: (spec.offset ?? 0) + have,
    samples: spec.samples - have,
  };
  const log = opts.log ?? (() => {});
  if (have > 0)
    log(`  ${spec.model}/${spec.gpu}: ${have} samples cached, running ${rest.samples} more`);
  const runner = createNodeRunner(opts.threads);
  let lastLog = 0;
  try {
    const ds = await generateDataset(rest, {
      runner,
      onProgress: (p) => {
        if (p.done === p.total || p.elapsedMs - lastLog > 15_000) {
          lastLog = p.elapsedMs;
          const eta = ((p.elapsedMs / p.done) * (p.total - p.done)) / 1000;
          log(
            `  ${spec.model}/${spec.gpu}: ${have + p.done}/${spec.samples} samples, ${(p.elapsedMs / 1000).toFixed(0)} s, ~${eta.toFixed(0)} s left`,
          );
        }
      },
    });
    const out: CachedDataset = {
      ...ds,
      spec,
      rows: [...(prefix?.rows ?? []), ...ds.rows],
      twinMs: (prefix?.twinMs ?? 0) + ds.twinMs,
      twinFingerprint: fp,
    };
    if (opts.cache !== false) {
      mkdirSync(DATASET_DIR, { recursive: true });
      writeFileSync(path, JSON.stringify(out));
    }
    return have > 0 ? { ...refreshFeatures(out), twinFingerprint: fp } : out;
  } finally {
    await runner.close();
  }
}

/**
 * Several pairs' datasets as one training set (rows concatenated in the given order; the spec
 * and design fields of the first). @throws Error when they come from different twins or designs.
 */
export function poolDatasets(sets: readonly CachedDataset[]): CachedDataset {
  const first = sets[0];
  if (!first) throw new Error("poolDatasets: no datasets");
  for (const d of sets) {
    if (d.twinFingerprint !== first.twinFingerprint || d.designVersion !== first.designVersion)
      throw new Error(
        `poolDatasets: ${d.spec.model} on ${d.spec.gpu} comes from twin ${d.twinFingerprint} / design ${d.designVersion}, not ${first.twinFingerprint} / ${first.designVersion}`,
      );
  }
  return {
    ...first,
    rows: sets.flatMap((d) => d.rows),
    twinMs: sets.reduce((t, d) => t + d.twinMs, 0),
  };
}
