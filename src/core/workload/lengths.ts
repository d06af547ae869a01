/**
 * Prompt/output token-length samplers, one per {@link LengthProfile}. A sampler writes each
 * draw into its own `prompt`/`output` fields (no allocation per call), and knows the exact mean
 * of what it draws.
 */
import type { LengthProfile } from "../scenario/schema";
import { type AliasTable, createAliasTable } from "./alias";
import { type Rng, uniformInt } from "./rng";
import {
  SHAREGPT_CLASS_STARTS,
  SHAREGPT_MAX_TOTAL,
  SHAREGPT_OUTPUT_EDGES,
  SHAREGPT_OUTPUT_WEIGHTS,
  SHAREGPT_PROMPT_EDGES,
  SHAREGPT_PROMPT_WEIGHTS,
} from "./sharegpt-table";

/** Mean prompt and output tokens of a sampler's draws. */
export interface LengthMean {
  /** tokens */
  prompt: number;
  /** tokens */
  output: number;
}

/** Draws (prompt, output) token-length pairs. */
export interface LengthSampler {
  /** prompt tokens of the last draw (integer >= 1) */
  prompt: number;
  /** output tokens of the last draw (integer >= 1; the request's `max_tokens`) */
  output: number;
  /** Draws the next pair from `rng` into `prompt` and `output`. */
  sample(rng: Rng): void;
  /** Exact mean of the draws (after the `maxModelLen` clip), tokens. */
  mean(): LengthMean;
}

export interface LengthSamplerOptions {
  /**
   * `--max-model-len`, tokens (>= 2). A request longer than this is clipped: the output is cut
   * to `maxModelLen - prompt` (vLLM would stop generating there); a prompt of `maxModelLen` or
   * more, which vLLM would reject, is cut to `maxModelLen - 1` so it keeps one output token.
   * Omitted: no clip.
   */
  maxModelLen?: number;
}

/** E[min(X, m)] for X uniform on the integers [lo, hi] (lo <= hi). */
function meanMinUniform(lo: number, hi: number, m: number): number {
  if (m >= hi) return (lo + hi) / 2;
  if (m <= lo) return m;
  // values lo..m-1 keep themselves, m..hi become m
  const below = m - lo;
  const sumBelow = ((lo + m - 1) * below) / 2;
  return (sumBelow + m * (hi - m + 1)) / (hi - lo + 1);
}

/**
 * Prompt tokens after the `maxModelLen` clip ({@link LengthSamplerOptions}): `p`, or
 * `limit - 1` when `p >= limit`. `limit` = Infinity for no clip.
 */
export function clipPromptTokens(p: number, limit: number): number {
  return p < limit ? p : limit - 1;
}

/**
 * Output tokens after the `maxModelLen` clip, given the clipped prompt `p`: `o`, or
 * `limit - p` when `p + o > limit`. `limit` = Infinity for no clip.
 */
export function clipOutputTokens(p: number, o: number, limit: number): number {
  return p + o <= limit ? o : limit - p;
}

const clipPrompt = clipPromptTokens;
const clipOutput = clipOutputTokens;

abstract class BaseSampler implements LengthSampler {
  prompt = 1;
  output = 1;
  protected readonly limit: number;
  private cachedMean: LengthMean | null = null;
  constructor(limit: number) {
    this.limit = limit;
  }
  abstract sample(rng: Rng): void;
  protected abstract computeMean(): LengthMean;
  mean(): LengthMean {
    this.cachedMean ??= this.computeMean();
    return { ...this.cachedMean };
  }
  protected set(p: number, o: number): void {
    const cp = clipPrompt(p, this.limit);
    this.prompt = cp;
    this.output = clipOutput(cp, o, this.limit);
  }
}

class FixedSampler extends BaseSampler {
  private readonly p: number;
  private readonly o: number;
  constructor(p: number, o: number, limit: number) {
    super(limit);
    this.p = p;
    this.o = o;
    this.set(p, o);
  }
  sample(): void {
    this.set(this.p, this.o);
  }
  protected computeMean(): LengthMean {
    return { prompt: this.prompt, output: this.output };
  }
}

class UniformSampler extends BaseSampler {
  private readonly p: readonly [number, number];
  private readonly o: readonly [number, number];
  constructor(p: readonly [number, number], o: readonly [number, number], limit: number) {
    super(limit);
    this.p = p;
    this.o = o;
  }
  sample(rng: Rng): void {
    const p = uniformInt(rng, this.p[0], this.p[1]);
    this.set(p, uniformInt(rng, this.o[0], this.o[1]));
  }
  protected computeMean(): LengthMean {
    const [plo, phi] = this.p;
    const [olo, ohi] = this.o;
    if (!Number.isFinite(this.limit)) return { prompt: (plo + phi) / 2, output: (olo + ohi) / 2 };
    // Exact under the clip: at most LIMITS.tokens prompt values, each O(1).
    let sp = 0;
    let so = 0;
    for (let p = plo; p <= phi; p++) {
      const cp = clipPrompt(p, this.limit);
      sp += cp;
      so += meanMinUniform(olo, ohi, this.limit - cp);
    }
    const n = phi - plo + 1;
    return { prompt: sp / n, output: so / n };
  }
}

class EmpiricalSampler extends BaseSampler {
  private readonly ps: Int32Array;
  private readonly os: Int32Array;
  constructor(ps: readonly number[], os: readonly number[], limit: number) {
    super(limit);
    this.ps = Int32Array.from(ps);
    this.os = Int32Array.from(os);
  }
  sample(rng: Rng): void {
    const i = Math.floor(rng.next() * this.ps.length);
    this.set(this.ps[i]!, this.os[i]!);
  }
  protected computeMean(): LengthMean {
    let sp = 0;
    let so = 0;
    for (let i = 0; i < this.ps.length; i++) {
      const cp = clipPrompt(this.ps[i]!, this.limit);
      sp += cp;
      so += clipOutput(cp, this.os[i]!, this.limit);
    }
    return { prompt: sp / this.ps.length, output: so / this.ps.length };
  }
}

/** Cumulative sums of integer weights (exact in doubles: the totals are about 10^6). */
function cumulative(ws: readonly number[]): Float64Array {
  const out = new Float64Array(ws.length);
  let acc = 0;
  ws.forEach((w, i) => (out[i] = acc += w));
  return out;
}

/** The ShareGPT table, decoded once into typed arrays shared by all samplers. */
interface ShareGptTable {
  pEdges: Int32Array;
  pAlias: AliasTable;
  /** cumulative prompt-bin weights (for the exact mean) */
  pCum: Float64Array;
  classOfBin: Int32Array;
  oEdges: Int32Array;
  oAlias: AliasTable[];
  /** cumulative output-bin weights of each class (for the exact mean) */
  oCum: Float64Array[];
  /** lastOutBin[p] = last output bin whose low edge is <= MAX_TOTAL - p */
  lastOutBin: Int32Array;
}

let table: ShareGptTable | null = null;

function shareGptTable(): ShareGptTable {
  if (table) return table;
  const pEdges = Int32Array.from(SHAREGPT_PROMPT_EDGES);
  const oEdges = Int32Array.from(SHAREGPT_OUTPUT_EDGES);
  const nP = pEdges.length - 1;
  const classOfBin = new Int32Array(nP);
  for (let c = 0; c + 1 < SHAREGPT_CLASS_STARTS.length; c++) {
    for (let b = SHAREGPT_CLASS_STARTS[c]!; b < SHAREGPT_CLASS_STARTS[c + 1]!; b++)
      classOfBin[b] = c;
  }
  const maxPrompt = pEdges[nP]! - 1;
  const lastOutBin = new Int32Array(maxPrompt + 1);
  for (let p = 0; p <= maxPrompt; p++) {
    let k = oEdges.length - 2;
    while (k > 0 && oEdges[k]! > SHAREGPT_MAX_TOTAL - p) k--;
    lastOutBin[p] = k;
  }
  table = {
    pEdges,
    pAlias: createAliasTable(SHAREGPT_PROMPT_WEIGHTS),
    pCum: cumulative(SHAREGPT_PROMPT_WEIGHTS),
    classOfBin,
    oEdges,
    oAlias: SHAREGPT_OUTPUT_WEIGHTS.map(createAliasTable),
    oCum: SHAREGPT_OUTPUT_WEIGHTS.map(cumulative),
    lastOutBin,
  };
  return table;
}

/**
 * The `sharegpt` profile: the joint ShareGPT table of `sharegpt-table.ts` (real pairs of the
 * measured runs' request pool, tilted to its means 222.7 / 196.5; see that file and
 * `scripts/derive-sharegpt-lengths.ts`). Four uniforms per draw (more in the rare redraw).
 */
class ShareGptSampler extends BaseSampler {
  private readonly t = shareGptTable();
  // The hot fields, copied out of the shared table.
  private readonly pAlias = this.t.pAlias;
  private readonly pEdges = this.t.pEdges;
  private readonly classOfBin = this.t.classOfBin;
  private readonly oAlias = this.t.oAlias;
  private readonly oEdges = this.t.oEdges;
  private readonly lastOutBin = this.t.lastOutBin;
  sample(rng: Rng): void {
    // 32-bit uniforms suffice: bins are chosen among < 100 with integer weights summing to
    // ~10^6 (probability error a few x 2^-32 per bin) and offsets span < 300 tokens.
    const b = this.pAlias.pick(rng.next32());
    const pLo = this.pEdges[b]!;
    const p = pLo + Math.floor(rng.next32() * (this.pEdges[b + 1]! - pLo));
    // Output bin of the prompt's class, conditioned on fitting (low edge <= MAX_TOTAL - p) by
    // rejection: at most a few percent of draws of the longest prompts are redrawn.
    const oAlias = this.oAlias[this.classOfBin[b]!]!;
    const last = this.lastOutBin[p]!;
    let k = oAlias.pick(rng.next32());
    while (k > last) k = oAlias.pick(rng.next32());
    const oLo = this.oEdges[k]!;
    const oHi = Math.min(this.oEdges[k + 1]! - 1, SHAREGPT_MAX_TOTAL - p);
    this.set(p, oLo + Math.floor(rng.next32() * (oHi - oLo + 1)));
  }
  protected computeMean(): LengthMean {
    // Exact: every prompt value, every output bin it can use (~10^5 terms).
    const t = this.t;
    const nP = t.pEdges.length - 1;
    const total = t.pCum[nP - 1]!;
    let sp = 0;
    let so = 0;
    for (let b = 0; b < nP; b++) {
      const pLo = t.pEdges[b]!;
      const pHi = t.pEdges[b + 1]! - 1;
      const wp = (t.pCum[b]! - (b > 0 ? t.pCum[b - 1]! : 0)) / total / (pHi - pLo + 1);
      const cum = t.oCum[t.classOfBin[b]!]!;
      for (let p = pLo; p <= pHi; p++) {
        const cp = clipPrompt(p, this.limit);
        const last = t.lastOutBin[p]!;
        let eo = 0;
        for (let k = 0; k <= last; k++) {
          const wk = cum[k]! - (k > 0 ? cum[k - 1]! : 0);
          if (wk === 0) continue;
          const oLo = t.oEdges[k]!;
          const oHi = Math.min(t.oEdges[k + 1]! - 1, SHAREGPT_MAX_TOTAL - p);
          eo += wk * meanMinUniform(oLo, oHi, this.limit - cp);
        }
        sp += wp * cp;
        so += (wp * eo) / cum[last]!;
      }
    }
    return { prompt: sp, output: so };
  }
}

/**
 * Creates the sampler of a length profile.
 *
 * - `fixed`: always (promptTokens, outputTokens); draws nothing from the rng.
 * - `uniform`: independent integer-uniform prompt and output in the inclusive ranges.
 * - `empirical`: one of the given (prompt, output) pairs, uniformly, with replacement.
 * - `sharegpt`: the ShareGPT V3 first-turn mix of the measured runs, sampled jointly (long prompts
 *   get short answers) from the table in `sharegpt-table.ts`: prompt 4..1024, output >= 4,
 *   prompt + output <= 2048, mean 222.7 / 196.5 tokens, heavy-tailed
 *   (prompt P25/P50/P75/P99 21/107/373/874, output 25/130/307/782).
 *
 * Then the `maxModelLen` clip applies (see {@link LengthSamplerOptions}).
 *
 * @param profile a profile validated by `LengthProfileSchema`
 * @throws RangeError when `maxModelLen` is given and is not an integer >= 2
 */
export function createLengthSampler(
  profile: LengthProfile,
  opts: LengthSamplerOptions = {},
): LengthSampler {
  const { maxModelLen } = opts;
  if (maxModelLen !== undefined && (!Number.isInteger(maxModelLen) || maxModelLen < 2)) {
    throw new RangeError(`maxModelLen must be an integer >= 2, got ${maxModelLen}`);
  }
  const limit = maxModelLen ?? Number.POSITIVE_INFINITY;
  switch (profile.profile) {
    case "fixed":
      return new FixedSampler(profile.promptTokens, profile.outputTokens, limit);
    case "uniform":
      return new UniformSampler(profile.promptTokens, profile.outputTokens, limit);
    case "empirical":
      return new EmpiricalSampler(profile.promptTokens, profile.outputTokens, limit);
    case "sharegpt":
      return new ShareGptSampler(limit);
  }
}
