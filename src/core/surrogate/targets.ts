/**
 * What the network predicts and how twin results map onto it.
 *
 * Outputs (network order): throughput (see {@link ThroughputTarget}), a starvation logit,
 * ln ITL mean, ln ITL p99, ln TTFT mean, ln TTFT p99 (ms). Latencies are learnt in log space
 * (they span 10 ms … hours); a latency is masked out of the loss when the twin finished no
 * request. Memory fit is not learnt: it is the memory model's deterministic answer.
 */
import type { Labels } from "./dataset";

/**
 * How throughput is learnt (benchmarked in `bench/surrogate.ts`):
 * - `logratio`: ln(throughput / realised ideal); prediction = e^y × expected demand. Near 0
 *   for every server that keeps up, relative error is uniform over starved ones.
 * - `ratio`: throughput / realised ideal, in [0, 1]; prediction = y × expected demand.
 * - `log`: ln(1 + throughput).
 */
export type ThroughputTarget = "logratio" | "ratio" | "log";
export const THROUGHPUT_TARGETS: readonly ThroughputTarget[] = ["logratio", "ratio", "log"];

export const OUTPUT_NAMES = [
  "throughput",
  "starvedLogit",
  "lnItlMeanMs",
  "lnItlP99Ms",
  "lnTtftMeanMs",
  "lnTtftP99Ms",
] as const;
export const OUTPUT_COUNT = OUTPUT_NAMES.length;
/** index of the classification output */
export const STARVED_OUTPUT = 1;

/** Smallest throughput/ideal ratio in `logratio` (e^-9.2: 10,000× overload). */
const MIN_RATIO = 1e-4;
/** Latency floor inside logs, ms. */
const MIN_MS = 0.01;

/** Encode one twin result as network targets and a mask (1 = the target counts in the loss). */
export function encodeTargets(l: Labels, mode: ThroughputTarget): { y: number[]; mask: number[] } {
  const y = new Array<number>(OUTPUT_COUNT).fill(0);
  const mask = new Array<number>(OUTPUT_COUNT).fill(0);
  const hasIdeal = l.idealTokS > 0;
  const ratio = hasIdeal ? Math.min(1, l.throughputTokS / l.idealTokS) : 1;
  if (mode === "log") {
    y[0] = Math.log1p(l.throughputTokS);
    mask[0] = 1;
  } else if (hasIdeal) {
    y[0] = mode === "ratio" ? ratio : Math.log(Math.max(MIN_RATIO, ratio));
    mask[0] = 1;
  }
  y[1] = l.starvedProbability ?? (l.starved ? 1 : 0);
  mask[1] = 1;
  const lat = [l.itlMeanMs, l.itlP99Ms, l.ttftMeanMs, l.ttftP99Ms];
  for (let k = 0; k < 4; k++) {
    const v = lat[k]!;
    const ok = l.finished > 0 && v > 0 && Number.isFinite(v);
    y[2 + k] = ok ? Math.log(Math.max(MIN_MS, v)) : 0;
    mask[2 + k] = ok ? 1 : 0;
  }
  return { y, mask };
}

/** Throughput, tokens/s, from the throughput output and the expected demand. */
export function decodeThroughput(y: number, demandTokS: number, mode: ThroughputTarget): number {
  if (mode === "log") return Math.max(0, Math.expm1(y));
  const ratio = mode === "ratio" ? y : Math.exp(y);
  return Math.max(0, Math.min(1, ratio)) * demandTokS;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
