/**
 * Derives the compact ShareGPT (prompt, output) length table that `createLengthSampler({ profile:
 * "sharegpt" })` samples from, `src/core/workload/sharegpt-table.ts`.
 *
 * Source: `data/processed_traces/sharegpt_v3_filtered.csv` of the public repository
 * `JonnyKong/vidur` (a fork of `microsoft/vidur`, MIT), commit
 * 941a76c34cc3135db0dd13250252e4b23f7ea103, 16,384 rows, sha256
 * 3c5923a9a4e74544865edadb24439f83c5876abcb2e322904d73e7e449aff61e. That repository's
 * `load_sharegpt_ctx_lens` wrote it: ShareGPT_V3_unfiltered_cleaned_split.json, first human turn
 * and first answer of each conversation, tokenized with the Llama-3.1-8B-Instruct tokenizer (vLLM
 * `get_tokenizer`, BOS counted, as vLLM's benchmark does), shuffled with `random.seed(0)` and
 * filtered exactly like vLLM's `benchmark_serving.py` and the measured runs'
 * `benchmark_serving_by_time.py` (drop prompt < 4 or output < 4, prompt > 1024 or
 * prompt + output > 2048); the first 16,384 survivors are kept. The CSV is not committed: copy it
 * anywhere and pass its path.
 *
 * Table (sampling rule implemented in `src/core/workload/lengths.ts`):
 * - Prompt bins: width 1 up to 32 tokens, then geometric (each bin at most `--ratio` wider in log
 *   scale), plus one-token bins for "atoms" (values above 32 holding >= 0.3 % of the pairs: ShareGPT
 *   has spikes at 768..771 tokens). Prompt = bin by weight, then uniform inside the bin.
 * - Prompt classes: `--classes` groups of consecutive prompt bins of about equal probability. The
 *   output distribution depends strongly on the prompt (short questions get long answers, long
 *   pasted texts get short ones; correlation -0.28), so each class has its own output table.
 * - Output bins: the same binning rule on the outputs. Output = bin of the prompt's class by weight
 *   among the bins that can still fit (low edge <= 2048 - prompt: the filter conditions on it, as
 *   vLLM's benchmark drops such pairs), then uniform inside the bin capped at 2048 - prompt.
 * - Means: exponential tilting. Prompt-bin weights are multiplied by exp(a * bin midpoint) and
 *   output-bin weights by exp(b * bin midpoint), with (a, b) solved by Newton's method on the exact
 *   means of the sampling rule so they equal the measured runs' pool means, 222.7 prompt / 196.5
 *   output tokens (`/work/shared/data/README.md`). The tilt is the smallest change (in KL divergence
 *   for a product-form reweighting) that moves both means; it keeps the support, so every draw
 *   still satisfies the filter.
 * - Weights are rounded to integers (each table sums to about 1,000,000; a non-empty bin keeps >= 1).
 *
 * Usage: `npx tsx scripts/derive-sharegpt-lengths.ts <sharegpt_v3_filtered.csv> [--classes 10]
 * [--ratio 1.15] [--out src/core/workload/sharegpt-table.ts]` (without `--out` it only prints the
 * statistics of the source and of the table's exact distribution). The output is formatted with the
 * repository's Prettier settings; re-running it on the source reproduces the committed table.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { format, resolveConfig } from "prettier";

const MIN_TOKENS = 4;
const MAX_PROMPT = 1024;
const MAX_TOTAL = 2048;
const TARGET_PROMPT = 222.7;
const TARGET_OUTPUT = 196.5;
const WEIGHT_TOTAL = 1_000_000;
const HEAD = 32;
const ATOM_SHARE = 0.003;

interface Args {
  input: string;
  out: string | null;
  classes: number;
  ratio: number;
}

function parseArgs(argv: string[]): Args {
  let input: string | null = null;
  let out: string | null = null;
  let classes = 10;
  let ratio = 1.15;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--out") out = argv[++i] ?? null;
    else if (a === "--classes") classes = Number(argv[++i]);
    else if (a === "--ratio") ratio = Number(argv[++i]);
    else if (!input) input = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!input) {
    throw new Error(
      "usage: derive-sharegpt-lengths.ts <sharegpt_v3_filtered.csv> [--classes N] [--ratio R] [--out FILE]",
    );
  }
  if (!Number.isInteger(classes) || classes < 1 || classes > 64)
    throw new Error("--classes must be in 1..64");
  if (!(ratio > 1.01 && ratio <= 4)) throw new Error("--ratio must be in (1.01, 4]");
  return { input, out, classes, ratio };
}

function readPairs(text: string): { prompt: number[]; output: number[]; dropped: number } {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== "num_prefill_tokens,num_decode_tokens") {
    throw new Error(`unexpected header ${JSON.stringify(header)}`);
  }
  const prompt: number[] = [];
  const output: number[] = [];
  let dropped = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const [a, b] = line.split(",");
    const p = Number(a);
    const o = Number(b);
    if (!Number.isInteger(p) || !Number.isInteger(o))
      throw new Error(`line ${i + 1}: not integers: ${line}`);
    if (p < MIN_TOKENS || o < MIN_TOKENS || p > MAX_PROMPT || p + o > MAX_TOTAL) {
      dropped++;
      continue;
    }
    prompt.push(p);
    output.push(o);
  }
  return { prompt, output, dropped };
}

/** Bin edges (bin i covers [edges[i], edges[i + 1] - 1]); see the header for the rule. */
function binEdges(values: number[], ratio: number): number[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const lo = Math.min(...values);
  const end = Math.max(...values) + 1;
  const set = new Set<number>([lo, end]);
  for (let e = lo; e <= Math.min(HEAD, end); e++) set.add(e);
  for (let e = HEAD * ratio; e < end; e *= ratio) set.add(Math.round(e));
  for (const [v, c] of counts) {
    if (v > HEAD && c >= ATOM_SHARE * values.length) {
      set.add(v);
      set.add(v + 1);
    }
  }
  return [...set].filter((e) => e >= lo && e <= end).sort((x, y) => x - y);
}

function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

interface Table {
  promptEdges: number[];
  outputEdges: number[];
  /** weight of each prompt bin */
  promptWeights: number[];
  /** first prompt bin of each class, plus the number of prompt bins at the end */
  classStarts: number[];
  /** classes x output bins */
  outputWeights: number[][];
}

/** Exact joint distribution of the sampling rule, reduced to what we report. */
function exactStats(t: Table): {
  meanP: number;
  meanO: number;
  pmfP: Float64Array;
  pmfO: Float64Array;
  classMeanO: number[];
} {
  const classMeanO: number[] = [];
  const pmfP = new Float64Array(MAX_TOTAL + 2);
  const diffO = new Float64Array(MAX_TOTAL + 2);
  const totalP = t.promptWeights.reduce((s, x) => s + x, 0);
  const nOut = t.outputEdges.length - 1;
  let meanP = 0;
  let meanO = 0;
  for (let c = 0; c < t.classStarts.length - 1; c++) {
    const ow = t.outputWeights[c]!;
    const cum: number[] = [];
    let acc = 0;
    for (let k = 0; k < nOut; k++) cum.push((acc += ow[k]!));
    let classP = 0;
    const classO0 = meanO;
    for (let b = t.classStarts[c]!; b < t.classStarts[c + 1]!; b++) {
      const lo = t.promptEdges[b]!;
      const hi = t.promptEdges[b + 1]! - 1;
      const pp = t.promptWeights[b]! / totalP / (hi - lo + 1);
      if (pp === 0) continue;
      for (let p = lo; p <= hi; p++) {
        pmfP[p]! += pp;
        meanP += pp * p;
        classP += pp;
        const last = binOf(t.outputEdges, Math.min(MAX_TOTAL - p, t.outputEdges[nOut]! - 1));
        const tot = cum[last]!;
        for (let k = 0; k <= last; k++) {
          if (ow[k] === 0) continue;
          const pk = (pp * ow[k]!) / tot;
          const oLo = t.outputEdges[k]!;
          const oHi = Math.min(t.outputEdges[k + 1]! - 1, MAX_TOTAL - p);
          meanO += (pk * (oLo + oHi)) / 2;
          diffO[oLo]! += pk / (oHi - oLo + 1);
          diffO[oHi + 1]! -= pk / (oHi - oLo + 1);
        }
      }
    }
    classMeanO.push((meanO - classO0) / classP);
  }
  const pmfO = new Float64Array(MAX_TOTAL + 2);
  let acc = 0;
  for (let o = 0; o <= MAX_TOTAL; o++) pmfO[o] = acc += diffO[o]!;
  return { meanP, meanO, pmfP, pmfO, classMeanO };
}

function tilt(counts: number[], edges: number[], k: number, center: number): number[] {
  return counts.map((n, i) => n * Math.exp(k * ((edges[i]! + edges[i + 1]! - 1) / 2 - center)));
}

function buildTable(
  pEdges: number[],
  oEdges: number[],
  classStarts: number[],
  pCounts: number[],
  oCounts: number[][],
  a: number,
  b: number,
): Table {
  return {
    promptEdges: pEdges,
    outputEdges: oEdges,
    classStarts,
    promptWeights: tilt(pCounts, pEdges, a, TARGET_PROMPT),
    outputWeights: oCounts.map((row) => tilt(row, oEdges, b, TARGET_OUTPUT)),
  };
}

function toIntegers(xs: number[]): number[] {
  const total = xs.reduce((s, x) => s + x, 0);
  return xs.map((x) => (x > 0 ? Math.max(1, Math.round((x / total) * WEIGHT_TOTAL)) : 0));
}

const LEVELS = [0.25, 0.5, 0.75, 0.9, 0.99] as const;

function summary(pmf: Float64Array): { mean: number; q: number[]; cdf: Float64Array } {
  let mean = 0;
  const cdf = new Float64Array(pmf.length);
  let acc = 0;
  for (let v = 0; v < pmf.length; v++) {
    mean += v * pmf[v]!;
    acc += pmf[v]!;
    cdf[v] = acc;
  }
  // Lower quantile: smallest v with CDF(v) >= level.
  const q = LEVELS.map((l) => cdf.findIndex((c) => c >= l - 1e-12));
  return { mean, q, cdf };
}

function pmfOf(values: number[]): Float64Array {
  const pmf = new Float64Array(MAX_TOTAL + 2);
  for (const v of values) pmf[v]! += 1 / values.length;
  return pmf;
}

function ks(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function fmt(s: { mean: number; q: number[] }): string {
  return `mean ${s.mean.toFixed(2)}, P25/P50/P75/P90/P99 ${s.q.join("/")}`;
}

function wrap(xs: readonly number[], per: number, indent = "  "): string {
  const rows: string[] = [];
  for (let i = 0; i < xs.length; i += per)
    rows.push(indent + xs.slice(i, i + per).join(", ") + ",");
  return rows.join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const raw = readFileSync(args.input);
  const sha = createHash("sha256").update(raw).digest("hex");
  const { prompt, output, dropped } = readPairs(raw.toString("utf8"));
  const n = prompt.length;
  const pEdges = binEdges(prompt, args.ratio);
  const oEdges = binEdges(output, args.ratio);
  const nP = pEdges.length - 1;
  const nO = oEdges.length - 1;

  const pBin = prompt.map((p) => binOf(pEdges, p));
  const pCounts = new Array<number>(nP).fill(0);
  for (const b of pBin) pCounts[b]!++;

  // Classes: consecutive prompt bins, cut where the cumulative share crosses c / classes.
  const classStarts = [0];
  let acc = 0;
  for (let b = 0; b < nP; b++) {
    acc += pCounts[b]!;
    const next = classStarts.length;
    if (next < args.classes && acc >= (next * n) / args.classes && b + 1 < nP)
      classStarts.push(b + 1);
  }
  classStarts.push(nP);
  const nC = classStarts.length - 1;
  const classOfBin = new Array<number>(nP);
  for (let c = 0; c < nC; c++)
    for (let b = classStarts[c]!; b < classStarts[c + 1]!; b++) classOfBin[b] = c;
  const oCounts = Array.from({ length: nC }, () => new Array<number>(nO).fill(0));
  for (let i = 0; i < n; i++) oCounts[classOfBin[pBin[i]!]!]![binOf(oEdges, output[i]!)]!++;

  const untilted = exactStats(buildTable(pEdges, oEdges, classStarts, pCounts, oCounts, 0, 0));

  // Newton's method on the exact means, Jacobian by central differences.
  let a = 0;
  let b = 0;
  const means = (x: number, y: number): [number, number] => {
    const s = exactStats(buildTable(pEdges, oEdges, classStarts, pCounts, oCounts, x, y));
    return [s.meanP - TARGET_PROMPT, s.meanO - TARGET_OUTPUT];
  };
  for (let iter = 0; iter < 30; iter++) {
    const [fp, fo] = means(a, b);
    if (Math.abs(fp) < 1e-9 && Math.abs(fo) < 1e-9) break;
    const h = 1e-7;
    const [pa1, oa1] = means(a + h, b);
    const [pa0, oa0] = means(a - h, b);
    const [pb1, ob1] = means(a, b + h);
    const [pb0, ob0] = means(a, b - h);
    const j11 = (pa1 - pa0) / (2 * h);
    const j21 = (oa1 - oa0) / (2 * h);
    const j12 = (pb1 - pb0) / (2 * h);
    const j22 = (ob1 - ob0) / (2 * h);
    const det = j11 * j22 - j12 * j21;
    a -= (j22 * fp - j12 * fo) / det;
    b -= (j11 * fo - j21 * fp) / det;
  }
  const real = buildTable(pEdges, oEdges, classStarts, pCounts, oCounts, a, b);
  const table: Table = {
    ...real,
    promptWeights: toIntegers(real.promptWeights),
    outputWeights: real.outputWeights.map(toIntegers),
  };
  const exact = exactStats(table);

  const data = { prompt: summary(pmfOf(prompt)), output: summary(pmfOf(output)) };
  const tab = { prompt: summary(exact.pmfP), output: summary(exact.pmfO) };
  const ksP = ks(tab.prompt.cdf, data.prompt.cdf);
  const ksO = ks(tab.output.cdf, data.output.cdf);
  const report = [
    `source sha256 ${sha}: ${n} pairs kept, ${dropped} dropped by the filter`,
    `source prompt: ${fmt(data.prompt)}`,
    `source output: ${fmt(data.output)}`,
    `bins: ${nP} prompt, ${nO} output, ${nC} prompt classes (${nP + nC * nO} weights)`,
    `untilted table means: prompt ${untilted.meanP.toFixed(2)}, output ${untilted.meanO.toFixed(2)}`,
    `tilt: a = ${a.toExponential(4)} per prompt token, b = ${b.toExponential(4)} per output token`,
    `table prompt: ${fmt(tab.prompt)} (KS distance to the source ${ksP.toFixed(4)})`,
    `table output: ${fmt(tab.output)} (KS distance to the source ${ksO.toFixed(4)})`,
  ];
  const srcClassMean = classStarts.slice(0, -1).map((_, c) => {
    let s = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (classOfBin[pBin[i]!] === c) {
        s += output[i]!;
        k++;
      }
    }
    return s / k;
  });
  const classLine = classStarts
    .slice(0, -1)
    .map(
      (b, c) => `${pEdges[b]}+: ${srcClassMean[c]!.toFixed(0)}/${exact.classMeanO[c]!.toFixed(0)}`,
    )
    .join(", ");
  report.push(`mean output by prompt class (source/table): ${classLine}`);
  for (const line of report) console.log(line);
  if (!args.out) return;

  const src = `/**
 * ShareGPT V3 first-turn (prompt, output) token lengths as the measured vLLM runs drew them (Llama-3
 * tokenizer, vLLM benchmark filter: prompt 4..1024, output >= 4, prompt + output <= 2048), as a
 * compact joint table. GENERATED by \`scripts/derive-sharegpt-lengths.ts\` (run with
 * \`--classes ${args.classes} --ratio ${args.ratio}\`): do not edit by hand.
 *
 * Source: \`data/processed_traces/sharegpt_v3_filtered.csv\` of \`JonnyKong/vidur\` (MIT), commit
 * 941a76c34cc3135db0dd13250252e4b23f7ea103, sha256 ${sha},
 * ${n} real pairs tokenized with Llama-3.1-8B-Instruct and filtered like vLLM's benchmark.
 * Source means ${data.prompt.mean.toFixed(2)} prompt / ${data.output.mean.toFixed(2)} output; the
 * weights are exponentially tilted so the means are the measured runs' pool means ${TARGET_PROMPT} / ${TARGET_OUTPUT}
 * (tilt ${a.toExponential(3)} per prompt token, ${b.toExponential(3)} per output token).
 *
 * Sampling rule (implemented in \`lengths.ts\`): prompt bin by PROMPT_WEIGHTS, prompt uniform in the
 * bin; class = the class whose range of prompt bins holds it; output bin by that class's row of
 * OUTPUT_WEIGHTS among the bins whose low edge is <= 2048 - prompt; output uniform in the bin, capped
 * at 2048 - prompt.
 *
 * Exact statistics of that distribution (tokens), computed by the script:
 * - prompt: ${fmt(tab.prompt)}; KS distance ${ksP.toFixed(4)} to the source's ${fmt(data.prompt)}
 * - output: ${fmt(tab.output)}; KS distance ${ksO.toFixed(4)} to the source's ${fmt(data.output)}
 * - mean output by prompt class, first prompt token of the class: source/table:
 *   ${classLine}
 */

/** Largest prompt + output of any pair (vLLM benchmark filter), tokens. */
export const SHAREGPT_MAX_TOTAL = ${MAX_TOTAL};

/** Exact means of the table's distribution, tokens. */
export const SHAREGPT_MEAN = { prompt: ${exact.meanP.toFixed(4)}, output: ${exact.meanO.toFixed(4)} } as const;

/** Prompt bin edges, tokens: bin i covers [edges[i], edges[i + 1] - 1]. */
export const SHAREGPT_PROMPT_EDGES: readonly number[] = [
${wrap(pEdges, 16)}
];

/** Integer weight of each prompt bin. */
export const SHAREGPT_PROMPT_WEIGHTS: readonly number[] = [
${wrap(table.promptWeights, 12)}
];

/** First prompt bin of each prompt class, then the number of prompt bins. */
export const SHAREGPT_CLASS_STARTS: readonly number[] = [${classStarts.join(", ")}];

/** Output bin edges, tokens: bin i covers [edges[i], edges[i + 1] - 1]. */
export const SHAREGPT_OUTPUT_EDGES: readonly number[] = [
${wrap(oEdges, 16)}
];

/** Integer output-bin weights, one row per prompt class. */
export const SHAREGPT_OUTPUT_WEIGHTS: readonly (readonly number[])[] = [
${table.outputWeights.map((row) => `  [\n${wrap(row, 12, "    ")}\n  ],`).join("\n")}
];
`;
  const pretty = await format(src, { ...(await resolveConfig(args.out)), parser: "typescript" });
  writeFileSync(args.out, pretty);
  console.log(`wrote ${args.out} (${pretty.length} bytes)`);
}

await main();
