/**
 * The request stream of a workload: every request that arrives in the window [0, durationS),
 * in time order, either sampled (one independent renewal process per adapter, merged in time
 * order) or replayed from `workload.trace`. Lazy: at most one time slice is generated ahead.
 */
import { randomExponential, randomGamma } from "d3-random";
import type { Arrival, LengthProfile, Workload } from "../scenario/schema";
import {
  clipOutputTokens,
  clipPromptTokens,
  createLengthSampler,
  type LengthSampler,
} from "./lengths";
import { createRng, type Rng } from "./rng";

/** One request, filled in place by {@link RequestStream.next}. */
export interface RequestSpec {
  /** arrival time, s from the window start (0 <= arrivalS < durationS) */
  arrivalS: number;
  /** index into `workload.adapters` */
  adapter: number;
  /** prompt tokens (>= 1) */
  prompt: number;
  /** output tokens requested (`max_tokens`, >= 1) */
  output: number;
}

/** A time-ordered, lazily generated stream of requests. */
export interface RequestStream {
  /**
   * Writes the next request into `out` and returns true, or returns false (leaving `out`
   * untouched) when no request is left in the window. Arrival times never decrease; ties are
   * ordered by adapter index (sampled streams) or by position (trace replay).
   */
  next(out: RequestSpec): boolean;
  /**
   * Expected number of requests in the window: sum of rateRps x durationS for sampled streams
   * (exact in expectation, see {@link createRequestStream}), the exact count for a trace replay.
   */
  expectedRequests(): number;
  /**
   * Consumes every request left in the window without materialising them and returns how
   * many there were and their requested tokens (prompt + output). Sampled streams draw the
   * arrival times exactly but count each request's tokens at its length profile's exact mean
   * (the lengths are not drawn); a replay sums the trace's tokens. O(remaining requests) with a
   * small constant: the twin uses it for the requests an overloaded client never sent.
   */
  drainRemaining(): { requests: number; tokens: number };
}

export interface RequestStreamOptions {
  /** `--max-model-len`, tokens: clips every request as {@link LengthSamplerOptions} says. */
  maxModelLen?: number;
}

/** Fresh zeroed {@link RequestSpec} to pass to {@link RequestStream.next}. */
export function newRequestSpec(): RequestSpec {
  return { arrivalS: 0, adapter: 0, prompt: 0, output: 0 };
}

/**
 * Random-number sub-streams of adapter `i`: arrivals use stream 2i, lengths stream 2i + 1, so
 * adding an adapter, or changing one adapter's length profile, leaves every other draw as it was.
 */
export const arrivalStream = (adapter: number): number => 2 * adapter;
export const lengthStream = (adapter: number): number => 2 * adapter + 1;

/** Inter-arrival sampler of one adapter and the offset of its first arrival, s. */
function interArrival(
  law: Arrival,
  rateRps: number,
  rng: Rng,
): { draw: () => number; first: number } {
  const source = (): number => rng.next();
  if (law.kind === "poisson") {
    const draw = randomExponential.source(source)(rateRps);
    // Memoryless: the first arrival is one inter-arrival after 0 (as the measured client does).
    return { draw, first: draw() };
  }
  // Gamma with mean 1/rate and coefficient of variation cv: shape k = 1/cv^2, scale = cv^2/rate.
  const k = 1 / (law.cv * law.cv);
  const scale = (law.cv * law.cv) / rateRps;
  const draw = randomGamma.source(source)(k, scale);
  // Stationary start (renewal theory, e.g. Ross, "Stochastic Processes", 2nd ed., §3.5): the
  // first arrival is U * L with L length-biased, and a length-biased Gamma(k, s) is Gamma(k + 1, s).
  // Then E[arrivals in [0, T)] = rate * T exactly, bursty or not.
  const first = randomGamma.source(source)(k + 1, scale)() * source();
  return { draw, first };
}

/**
 * Requests per generated time slice (at least; more with many adapters): big enough that scanning
 * the adapters once per slice costs under one step per request, small enough to stay in cache.
 */
const SLICE_REQUESTS = 4096;
/** Buckets holding more requests than this are sorted by a comparison sort, not insertion. */
const INSERTION_MAX = 16;

/**
 * Sampled arrivals, merged slice by slice: all arrivals of every adapter in [start, end) are
 * generated (each adapter from its own sub-stream, in its own order), then ordered by
 * (time, adapter) with a bucket sort. The result does not depend on the slicing: it is the
 * merge a heap of next arrivals would produce, at O(1) per request instead of O(log adapters)
 * (a binary heap of 2,000 adapters cost ~200 ns per request here, most of the time budget).
 */
class SampledStream implements RequestStream {
  private readonly durationS: number;
  private readonly sliceS: number;
  /** next arrival of each adapter not generated yet, s */
  private readonly nextS: Float64Array;
  private readonly draws: (() => number)[];
  private readonly lengthRngs: Rng[];
  private readonly samplerOf: Int32Array;
  private readonly samplers: LengthSampler[];
  private readonly expected: number;
  /** adapters with an arrival left in the window, ascending */
  private active: Int32Array;
  private activeCount: number;
  private sliceStart = 0;
  // Current slice, sorted: times[pos..count) are still to be returned.
  private times = new Float64Array(SLICE_REQUESTS * 2);
  private adapters = new Int32Array(SLICE_REQUESTS * 2);
  private tmpTimes = new Float64Array(SLICE_REQUESTS * 2);
  private tmpAdapters = new Int32Array(SLICE_REQUESTS * 2);
  private bucketStart = new Int32Array(SLICE_REQUESTS * 2 + 1);
  private count = 0;
  private pos = 0;

  constructor(w: Workload, opts: RequestStreamOptions) {
    const n = w.adapters.length;
    this.durationS = w.durationS;
    this.nextS = new Float64Array(n);
    this.draws = new Array<() => number>(n);
    this.lengthRngs = new Array<Rng>(n);
    this.samplerOf = new Int32Array(n);
    this.samplers = [];
    this.active = new Int32Array(n);
    this.activeCount = 0;
    // One sampler per distinct profile object (samplers keep no random state).
    const samplerIndex = new Map<LengthProfile, number>();
    let rate = 0;
    for (let i = 0; i < n; i++) {
      const a = w.adapters[i]!;
      const profile = a.lengths ?? w.lengths;
      let s = samplerIndex.get(profile);
      if (s === undefined) {
        s = this.samplers.length;
        this.samplers.push(createLengthSampler(profile, { maxModelLen: opts.maxModelLen }));
        samplerIndex.set(profile, s);
      }
      this.samplerOf[i] = s;
      this.lengthRngs[i] = createRng(w.seed, lengthStream(i));
      const { draw, first } = interArrival(
        w.arrival,
        a.rateRps,
        createRng(w.seed, arrivalStream(i)),
      );
      this.draws[i] = draw;
      this.nextS[i] = first;
      if (first < this.durationS) this.active[this.activeCount++] = i;
      rate += a.rateRps;
    }
    this.expected = rate * w.durationS;
    const perSlice = Math.max(SLICE_REQUESTS, 2 * n);
    this.sliceS = rate > 0 ? Math.min(w.durationS, perSlice / rate) : w.durationS;
  }

  next(out: RequestSpec): boolean {
    if (this.pos === this.count && !this.fill()) return false;
    const k = this.pos++;
    const i = this.adapters[k]!;
    out.arrivalS = this.times[k]!;
    out.adapter = i;
    const sampler = this.samplers[this.samplerOf[i]!]!;
    sampler.sample(this.lengthRngs[i]!);
    out.prompt = sampler.prompt;
    out.output = sampler.output;
    return true;
  }

  expectedRequests(): number {
    return this.expected;
  }

  drainRemaining(): { requests: number; tokens: number } {
    const meanTokens = this.samplers.map((sm) => {
      const m = sm.mean();
      return m.prompt + m.output;
    });
    let requests = 0;
    let tokens = 0;
    for (let k = this.pos; k < this.count; k++) {
      requests++;
      tokens += meanTokens[this.samplerOf[this.adapters[k]!]!]!;
    }
    this.pos = this.count;
    for (let j = 0; j < this.activeCount; j++) {
      const i = this.active[j]!;
      const draw = this.draws[i]!;
      let n = 0;
      for (let t = this.nextS[i]!; t < this.durationS; t += draw()) n++;
      requests += n;
      tokens += n * meanTokens[this.samplerOf[i]!]!;
      this.nextS[i] = this.durationS;
    }
    this.activeCount = 0;
    this.sliceStart = this.durationS;
    return { requests, tokens };
  }

  /** Generates and sorts the next non-empty slice; false when the window is exhausted. */
  private fill(): boolean {
    this.count = 0;
    this.pos = 0;
    while (this.count === 0 && this.activeCount > 0 && this.sliceStart < this.durationS) {
      const start = this.sliceStart;
      let end = Math.min(this.durationS, start + this.sliceS);
      if (!(end > start)) end = this.durationS; // a slice too thin for the float resolution
      let kept = 0;
      for (let j = 0; j < this.activeCount; j++) {
        const i = this.active[j]!;
        let t = this.nextS[i]!;
        if (t < end) {
          const draw = this.draws[i]!;
          do {
            this.push(t, i);
            t += draw();
          } while (t < end);
          this.nextS[i] = t;
        }
        if (t < this.durationS) this.active[kept++] = i;
      }
      this.activeCount = kept;
      this.sliceStart = end;
      if (this.count > 0) this.sortSlice(start, end);
    }
    return this.count > 0;
  }

  private push(t: number, i: number): void {
    if (this.count === this.times.length) {
      const cap = this.times.length * 2;
      const times = new Float64Array(cap);
      times.set(this.times);
      const adapters = new Int32Array(cap);
      adapters.set(this.adapters);
      this.times = times;
      this.adapters = adapters;
      this.tmpTimes = new Float64Array(cap);
      this.tmpAdapters = new Int32Array(cap);
      this.bucketStart = new Int32Array(cap + 1);
    }
    this.times[this.count] = t;
    this.adapters[this.count] = i;
    this.count++;
  }

  /** Sorts times/adapters[0..count) by (time, adapter): bucket sort on time, then each bucket. */
  private sortSlice(start: number, end: number): void {
    const m = this.count;
    const times = this.times;
    const adapters = this.adapters;
    const tmpT = this.tmpTimes;
    const tmpA = this.tmpAdapters;
    const bs = this.bucketStart;
    const scale = m / (end - start);
    bs.fill(0, 0, m + 1);
    for (let k = 0; k < m; k++) {
      const b = Math.min(m - 1, Math.floor((times[k]! - start) * scale));
      bs[b + 1]!++;
    }
    for (let b = 0; b < m; b++) bs[b + 1]! += bs[b]!;
    // Scatter (bs[b] advances to the end of bucket b, i.e. the start of bucket b + 1).
    for (let k = 0; k < m; k++) {
      const b = Math.min(m - 1, Math.floor((times[k]! - start) * scale));
      const at = bs[b]!++;
      tmpT[at] = times[k]!;
      tmpA[at] = adapters[k]!;
    }
    times.set(tmpT.subarray(0, m));
    adapters.set(tmpA.subarray(0, m));
    let lo = 0;
    for (let b = 0; b < m; b++) {
      const hi = bs[b]!;
      if (hi - lo > 1) sortRange(times, adapters, lo, hi);
      lo = hi;
    }
  }
}

/** Sorts times/adapters[lo..hi) by (time, adapter). */
function sortRange(times: Float64Array, adapters: Int32Array, lo: number, hi: number): void {
  if (hi - lo <= INSERTION_MAX) {
    for (let k = lo + 1; k < hi; k++) {
      const t = times[k]!;
      const a = adapters[k]!;
      let j = k - 1;
      while (j >= lo && (times[j]! > t || (times[j] === t && adapters[j]! > a))) {
        times[j + 1] = times[j]!;
        adapters[j + 1] = adapters[j]!;
        j--;
      }
      times[j + 1] = t;
      adapters[j + 1] = a;
    }
    return;
  }
  // A crowded bucket (bursty arrivals): comparison sort of the positions.
  const idx = Array.from({ length: hi - lo }, (_, k) => lo + k);
  idx.sort((x, y) => times[x]! - times[y]! || adapters[x]! - adapters[y]!);
  const t = idx.map((k) => times[k]!);
  const a = idx.map((k) => adapters[k]!);
  for (let k = 0; k < t.length; k++) {
    times[lo + k] = t[k]!;
    adapters[lo + k] = a[k]!;
  }
}

class ReplayStream implements RequestStream {
  private readonly arrivalS: readonly number[];
  private readonly adapter: readonly number[];
  private readonly prompt: readonly number[];
  private readonly output: readonly number[];
  private readonly end: number;
  private readonly limit: number;
  private pos = 0;

  constructor(w: Workload, opts: RequestStreamOptions) {
    const tr = w.trace!;
    this.arrivalS = tr.arrivalS;
    this.adapter = tr.adapter;
    this.prompt = tr.promptTokens;
    this.output = tr.outputTokens;
    this.limit = opts.maxModelLen ?? Number.POSITIVE_INFINITY;
    // Arrivals are non-decreasing (schema): the window ends at the first one >= durationS.
    let lo = 0;
    let hi = tr.arrivalS.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tr.arrivalS[mid]! < w.durationS) lo = mid + 1;
      else hi = mid;
    }
    this.end = lo;
    for (let i = 0; i < this.end; i++) {
      const a = tr.adapter[i]!;
      if (!(a >= 0 && a < w.adapters.length)) {
        throw new RangeError(
          `trace.adapter[${i}] = ${a} is not an adapter index (${w.adapters.length} adapters)`,
        );
      }
    }
  }

  next(out: RequestSpec): boolean {
    const i = this.pos;
    if (i >= this.end) return false;
    this.pos = i + 1;
    out.arrivalS = this.arrivalS[i]!;
    out.adapter = this.adapter[i]!;
    const p = clipPromptTokens(this.prompt[i]!, this.limit);
    out.prompt = p;
    out.output = clipOutputTokens(p, this.output[i]!, this.limit);
    return true;
  }

  expectedRequests(): number {
    return this.end;
  }

  drainRemaining(): { requests: number; tokens: number } {
    const spec: RequestSpec = { arrivalS: 0, adapter: 0, prompt: 0, output: 0 };
    let requests = 0;
    let tokens = 0;
    while (this.next(spec)) {
      requests++;
      tokens += spec.prompt + spec.output;
    }
    return { requests, tokens };
  }
}

/**
 * Creates the request stream of a workload.
 *
 * Sampled (no `workload.trace`): adapter i is an independent renewal process of rate
 * `adapters[i].rateRps` (req/s):
 * - `poisson`: exponential inter-arrivals, the first one counted from 0 (the measured client,
 *   `benchmark_serving_by_time.py`, sleeps one exponential interval before its first request);
 * - `gamma`: Gamma inter-arrivals with mean 1/rate and coefficient of variation `cv`
 *   (shape 1/cv^2, scale cv^2/rate), started in its stationary regime so the expected count is
 *   exactly rate x durationS.
 * Each request's lengths come from `adapter.lengths ?? workload.lengths`. Adapter i draws its
 * arrivals from sub-stream 2i and its lengths from 2i + 1 of `workload.seed` ({@link createRng}).
 * Cost: O(1) per request (arrivals are generated a slice of at least 4,096 requests ahead).
 *
 * Replay (`workload.trace` present): the trace's arrivals, adapters and lengths in order, up to
 * the first arrival >= durationS; rates and profiles are ignored.
 *
 * Both modes apply the `maxModelLen` clip. The distributions use d3-random with our seeded
 * source; they call Math.log1p/log/sqrt/pow, which V8 (Node, Chrome, Edge) computes with its
 * own fdlibm port, so streams are bit-identical in Node and Chromium browsers.
 *
 * @param workload a workload validated by `WorkloadSchema`
 * @throws RangeError when a trace refers to an adapter index that does not exist (the schema
 *   rejects such workloads) or `maxModelLen` is not an integer >= 2
 */
export function createRequestStream(
  workload: Workload,
  opts: RequestStreamOptions = {},
): RequestStream {
  const { maxModelLen } = opts;
  if (maxModelLen !== undefined && (!Number.isInteger(maxModelLen) || maxModelLen < 2)) {
    throw new RangeError(`maxModelLen must be an integer >= 2, got ${maxModelLen}`);
  }
  return workload.trace ? new ReplayStream(workload, opts) : new SampledStream(workload, opts);
}
