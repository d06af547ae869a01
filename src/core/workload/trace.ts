/**
 * Real request traces: CSV import (papaparse), mapping a trace onto N LoRA adapters by a
 * popularity law, and an empirical length profile fitted from a trace.
 *
 * Accepted CSV forms (header names are matched case-insensitively, in any order, extra columns
 * ignored; comma-separated; BOM, CRLF, quoted cells and blank lines are fine):
 * - Azure LLM inference trace (Azure/AzurePublicDataset, 2023 and 2024):
 *   `TIMESTAMP,ContextTokens,GeneratedTokens`, TIMESTAMP a datetime such as
 *   `2023-11-16 18:15:46.6805900` (optionally with `T`, `Z` or a `+hh:mm` offset), converted to
 *   seconds after the first row;
 * - the processed form of `microsoft/vidur` (`data/processed_traces/*.csv`):
 *   `arrived_at,num_prefill_tokens,num_decode_tokens`, arrived_at in seconds, kept as is.
 */
import Papa from "papaparse";
import { randomGamma } from "d3-random";
import { InputError, quote } from "../scenario/errors";

/** A numeric cell quoted in a message, cut to 40 characters. */
const clip = (cell: string) => (cell.length <= 40 ? cell : `${cell.slice(0, 39)}…`);
import {
  type Adapter,
  LIMITS,
  type LengthProfile,
  type LoraRank,
  type TraceReplay,
  VLLM_LORA_RANKS,
} from "../scenario/schema";
import { createAliasTable } from "./alias";
import { createRng } from "./rng";

/** Which CSV form a trace was read from. */
export type TraceFormat = "azure" | "processed";

/** A trace as columns, one entry per request, arrivals non-decreasing. */
export interface TraceRequests {
  /** arrival time, s (from the first row for Azure traces) */
  arrivalS: Float64Array;
  /** prompt (context) tokens, 0..LIMITS.tokens */
  prompt: Int32Array;
  /** generated (output) tokens, 0..LIMITS.tokens */
  output: Int32Array;
}

/** Why a row was skipped. */
export type BadRowReason =
  | "missing column"
  | "not a number"
  | "not an integer"
  | "negative"
  | "too many tokens"
  | "bad timestamp"
  | "timestamp goes backwards"
  | "malformed quotes";

export interface TraceParseResult {
  requests: TraceRequests;
  format: TraceFormat;
  /** data rows read (accepted + skipped; header and blank lines not counted) */
  rows: number;
  skipped: {
    /** rows skipped */
    count: number;
    /** 1-based line numbers of the first (up to 10) skipped rows */
    firstLines: number[];
    /** one-line messages for those rows, e.g. `line 7, column "ContextTokens": not a number ("abc")` */
    firstMessages: string[];
    /** skipped rows per reason */
    reasons: Partial<Record<BadRowReason, number>>;
  };
}

export interface TraceParseOptions {
  /** `"skip"` (default): skip bad rows and count them; `"error"`: throw at the first one. */
  onBadRow?: "skip" | "error";
  /** Most data rows accepted, default and at most LIMITS.traceRows (5,000,000). */
  maxRows?: number;
}

/** Headers we accept, lower-cased: [arrival, prompt, output]. */
const FORMATS: Record<TraceFormat, readonly [string, string, string]> = {
  azure: ["timestamp", "contexttokens", "generatedtokens"],
  processed: ["arrived_at", "num_prefill_tokens", "num_decode_tokens"],
};
const ACCEPTED_HEADERS =
  '"TIMESTAMP,ContextTokens,GeneratedTokens" (Azure LLM inference trace) or ' +
  '"arrived_at,num_prefill_tokens,num_decode_tokens" (processed, seconds)';
const MAX_REPORTED = 10;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATETIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Seconds of a datetime as an integer part and a fraction (keeps sub-microsecond precision). */
function parseDatetime(s: string): { sec: number; frac: number } | null {
  const m = DATETIME.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || se! > 60) return null;
  let sec = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!) / 1000;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    sec -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
  }
  return { sec, frac: m[7] ? Number(m[7]) : 0 };
}

class Columns {
  arrivalS = new Float64Array(1024);
  prompt = new Int32Array(1024);
  output = new Int32Array(1024);
  length = 0;
  push(t: number, p: number, o: number): void {
    if (this.length === this.arrivalS.length) {
      const cap = this.length * 2;
      const a = new Float64Array(cap);
      a.set(this.arrivalS);
      const p2 = new Int32Array(cap);
      p2.set(this.prompt);
      const o2 = new Int32Array(cap);
      o2.set(this.output);
      this.arrivalS = a;
      this.prompt = p2;
      this.output = o2;
    }
    this.arrivalS[this.length] = t;
    this.prompt[this.length] = p;
    this.output[this.length] = o;
    this.length++;
  }
  done(): TraceRequests {
    return {
      arrivalS: this.arrivalS.slice(0, this.length),
      prompt: this.prompt.slice(0, this.length),
      output: this.output.slice(0, this.length),
    };
  }
}

/** A bad cell: its column name and what is wrong. */
class BadRow {
  readonly reason: BadRowReason;
  readonly column: string;
  readonly detail: string;
  constructor(reason: BadRowReason, column: string, detail: string) {
    this.reason = reason;
    this.column = column;
    this.detail = detail;
  }
}

/**
 * Parses a request trace CSV (see the module header for the accepted forms).
 *
 * A row is bad when a column is missing or empty, a cell is not a number, a token count is not a
 * non-negative integer or exceeds LIMITS.tokens (1,048,576), a timestamp is not a datetime (Azure)
 * or negative (processed), or it is earlier than the previous accepted row's. Bad rows are
 * skipped and counted (`onBadRow: "skip"`) or raise an InputError (`"error"`). Never throws
 * anything but InputError.
 *
 * @param text the file's text
 * @throws InputError (field `trace`) when the header is missing or unknown (the message lists
 *   the accepted headers), the file has more than `maxRows` (5,000,000) data rows, or, with
 *   `onBadRow: "error"`, at the first bad row, naming its line number and column
 */
export function parseTraceCsv(text: string, opts: TraceParseOptions = {}): TraceParseResult {
  const strict = opts.onBadRow === "error";
  const maxRows = Math.min(LIMITS.traceRows, opts.maxRows ?? LIMITS.traceRows);
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const cols = new Columns();
  const reasons: Partial<Record<BadRowReason, number>> = {};
  const firstLines: number[] = [];
  const firstMessages: string[] = [];
  let skippedCount = 0;
  let rows = 0;
  let format: TraceFormat | null = null;
  let idx: [number, number, number] = [0, 0, 0];
  let names: [string, string, string] = ["", "", ""];
  // Line numbers: count line breaks up to each row's start (papaparse reports cursors).
  let newlineChar = "\n";
  let scanned = 0;
  let line = 1;
  let rowStart = 0;
  let first: { sec: number; frac: number } | null = null;
  let prevT = -Infinity;
  let fatal: InputError | null = null;

  const lineOf = (pos: number): number => {
    while (scanned < pos) {
      const k = src.indexOf(newlineChar, scanned);
      if (k < 0 || k >= pos) {
        scanned = pos;
        break;
      }
      line++;
      scanned = k + 1;
    }
    return line;
  };

  const readToken = (cell: string, column: string): number | BadRow => {
    if (!DECIMAL.test(cell))
      return new BadRow("not a number", column, `not a number (${quote(cell)})`);
    const v = Number(cell);
    if (v < 0) return new BadRow("negative", column, `negative (${clip(cell)})`);
    if (!Number.isInteger(v))
      return new BadRow("not an integer", column, `not an integer (${clip(cell)})`);
    if (v > LIMITS.tokens) {
      return new BadRow(
        "too many tokens",
        column,
        `${clip(cell)} tokens, more than ${LIMITS.tokens.toLocaleString("en-US")}`,
      );
    }
    return v;
  };

  const readRow = (cells: string[]): BadRow | null => {
    for (let c = 0; c < 3; c++) {
      if (idx[c]! >= cells.length || cells[idx[c]!]!.trim() === "") {
        return new BadRow("missing column", names[c]!, "missing value");
      }
    }
    const tCell = cells[idx[0]]!.trim();
    const p = readToken(cells[idx[1]]!.trim(), names[1]);
    if (p instanceof BadRow) return p;
    const o = readToken(cells[idx[2]]!.trim(), names[2]);
    if (o instanceof BadRow) return o;
    let t: number;
    if (format === "azure") {
      const dt = parseDatetime(tCell);
      if (!dt) return new BadRow("bad timestamp", names[0], `not a datetime (${quote(tCell)})`);
      first ??= dt;
      t = dt.sec - first.sec + (dt.frac - first.frac);
    } else {
      if (!DECIMAL.test(tCell))
        return new BadRow("not a number", names[0], `not a number (${quote(tCell)})`);
      t = Number(tCell);
      if (!Number.isFinite(t))
        return new BadRow("not a number", names[0], `not a finite number (${quote(tCell)})`);
      if (t < 0) return new BadRow("negative", names[0], `negative (${clip(tCell)})`);
    }
    if (t < prevT) {
      return new BadRow(
        "timestamp goes backwards",
        names[0],
        `${clip(tCell)} is earlier than the previous row`,
      );
    }
    prevT = t;
    cols.push(t, p, o);
    return null;
  };

  Papa.parse<string[]>(src, {
    delimiter: ",",
    skipEmptyLines: false,
    step: (res, parser) => {
      const start = rowStart;
      rowStart = res.meta.cursor;
      const cells = res.data;
      if (cells.every((c) => c.trim() === "")) return; // blank line
      if (!format) {
        newlineChar = res.meta.linebreak === "\r" ? "\r" : "\n";
        const header = cells.map((c) => c.trim().toLowerCase());
        for (const f of Object.keys(FORMATS) as TraceFormat[]) {
          const want = FORMATS[f];
          const at = want.map((h) => header.indexOf(h));
          if (at.every((i) => i >= 0)) {
            format = f;
            idx = at as [number, number, number];
            names = at.map((i) => cells[i]!.trim()) as [string, string, string];
            return;
          }
        }
        fatal = new InputError(
          "trace",
          `line ${lineOf(start)}: unknown header ${quote(cells.join(","), 80)}; expected ${ACCEPTED_HEADERS}`,
        );
        parser.abort();
        return;
      }
      rows++;
      if (rows > maxRows) {
        fatal = new InputError(
          "trace",
          `more than ${maxRows.toLocaleString("en-US")} rows, the most a trace may have: split or sample it`,
        );
        parser.abort();
        return;
      }
      const bad = res.errors.some((e) => e.type === "Quotes")
        ? new BadRow("malformed quotes", names[0], "malformed quotes")
        : readRow(cells);
      if (!bad) return;
      const ln = lineOf(start);
      const message = `line ${ln}, column ${quote(bad.column)}: ${bad.detail}`;
      if (strict) {
        fatal = new InputError("trace", message);
        parser.abort();
        return;
      }
      skippedCount++;
      reasons[bad.reason] = (reasons[bad.reason] ?? 0) + 1;
      if (firstLines.length < MAX_REPORTED) {
        firstLines.push(ln);
        firstMessages.push(message);
      }
    },
  });
  if (fatal) throw fatal;
  if (!format)
    throw new InputError("trace", `the file has no header; expected ${ACCEPTED_HEADERS}`);
  return {
    requests: cols.done(),
    format,
    rows,
    skipped: { count: skippedCount, firstLines, firstMessages, reasons },
  };
}

/** How requests are spread over adapters: adapter i's share, largest first. */
export type Popularity =
  /** share of adapter i proportional to 1 / (i + 1)^alpha, alpha in [0, 10] (0: uniform) */
  | { kind: "zipf"; alpha: number }
  /** shares drawn from a symmetric Dirichlet(alpha), alpha in [0.001, 1000], sorted descending */
  | { kind: "dirichlet"; alpha: number };

export interface TraceMappingOptions {
  /** number of adapters, 1..LIMITS.adapters */
  adapters: number;
  popularity: Popularity;
  /** LoRA ranks, cycled over the adapters (adapter i gets ranks[i % ranks.length]), as in the measured runs */
  ranks: readonly number[];
  /** arrivals are divided by this (> 0; 2 = twice the request rate, half the span); default 1 */
  rateScale?: number;
  /** seed of the assignment (and of the Dirichlet shares), integer in [0, 2^32) */
  seed: number;
  /** adapter ids are `${idPrefix}${i}`, i zero-padded; default "adapter-" */
  idPrefix?: string;
}

export interface TraceMapping {
  /** the adapters, rateRps = requests assigned / durationS (at least MIN_MAPPED_RATE_RPS) */
  adapters: Adapter[];
  /** the requests with their adapter, for `workload.trace` */
  replay: TraceReplay;
  /** window covering the trace: last arrival + the mean inter-arrival gap (1 s for one request), s */
  durationS: number;
}

/** Rate given to an adapter that receives no request of the trace (the schema needs rate > 0), req/s. */
export const MIN_MAPPED_RATE_RPS = 1e-6;

function popularityShares(pop: Popularity, n: number, seed: number): Float64Array {
  const w = new Float64Array(n);
  if (pop.kind === "zipf") {
    if (!(pop.alpha >= 0 && pop.alpha <= 10)) {
      throw new InputError("popularity.alpha", `Zipf alpha must be in [0, 10] (got ${pop.alpha})`);
    }
    for (let i = 0; i < n; i++) w[i] = 1 / Math.pow(i + 1, pop.alpha);
    return w;
  }
  if (!(pop.alpha >= 0.001 && pop.alpha <= 1000)) {
    throw new InputError(
      "popularity.alpha",
      `Dirichlet alpha must be in [0.001, 1000] (got ${pop.alpha})`,
    );
  }
  // Symmetric Dirichlet = independent Gamma(alpha, 1) draws, normalized (sorted so adapter 0 leads).
  const rng = createRng(seed, 1);
  const gamma = randomGamma.source(() => rng.next())(pop.alpha, 1);
  for (let i = 0; i < n; i++) w[i] = gamma();
  w.sort().reverse();
  if (!(w[0]! > 0)) w[0] = 1; // every draw underflowed (tiny alpha): one adapter gets everything
  return w;
}

/**
 * Assigns each request of a trace to one of N adapters and builds the adapters and replay.
 *
 * Request j goes to adapter i with probability share_i (the popularity law; adapter 0 has the
 * largest share), drawn from sub-stream 0 of `seed`. Time is compressed by `rateScale`
 * (arrivalS / rateScale). Each adapter's rateRps is its request count / durationS, or
 * {@link MIN_MAPPED_RATE_RPS} if it got none. Token counts of 0 (failed requests in some traces)
 * become 1, vLLM's minimum.
 *
 * @param trace parsed requests (or a whole parse result), arrivals non-decreasing and >= 0
 * @throws InputError when the trace is empty or not ordered, an option is out of range, the
 *   scaled trace does not end before LIMITS.durationS (86,400 s: raise `rateScale`), or an adapter
 *   would exceed LIMITS.rateRps (10,000 req/s)
 */
export function mapTraceToAdapters(
  trace: TraceRequests | TraceParseResult,
  opts: TraceMappingOptions,
): TraceMapping {
  const req = "requests" in trace ? trace.requests : trace;
  const n = req.arrivalS.length;
  if (n === 0) throw new InputError("trace", "the trace has no requests");
  if (req.prompt.length !== n || req.output.length !== n) {
    throw new InputError("trace", "arrivalS, prompt and output must have the same length");
  }
  const na = opts.adapters;
  if (!Number.isInteger(na) || na < 1 || na > LIMITS.adapters) {
    throw new InputError("adapters", `must be an integer in 1..${LIMITS.adapters} (got ${na})`);
  }
  const scale = opts.rateScale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new InputError("rateScale", `must be a positive number (got ${scale})`);
  }
  if (opts.ranks.length === 0) throw new InputError("ranks", "give at least one LoRA rank");
  for (const r of opts.ranks) {
    if (!(VLLM_LORA_RANKS as readonly number[]).includes(r)) {
      throw new InputError(
        "ranks",
        `must be vLLM LoRA ranks ${VLLM_LORA_RANKS.join(", ")} (got ${r})`,
      );
    }
  }
  if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed >= 2 ** 32) {
    throw new InputError("seed", `must be an integer in [0, 2^32) (got ${opts.seed})`);
  }
  const prefix = opts.idPrefix ?? "adapter-";
  const digits = String(na - 1).length;
  if (prefix.length + digits > LIMITS.idLength) {
    throw new InputError(
      "idPrefix",
      `too long: ids may have at most ${LIMITS.idLength} characters`,
    );
  }

  const arrivalS = new Array<number>(n);
  let prev = 0;
  for (let j = 0; j < n; j++) {
    const t = req.arrivalS[j]! / scale;
    if (!(t >= prev)) {
      throw new InputError(
        "trace",
        `request ${j}: arrival ${req.arrivalS[j]} is negative or earlier than the one before`,
      );
    }
    arrivalS[j] = prev = t;
  }
  const last = arrivalS[n - 1]!;
  if (last >= LIMITS.durationS) {
    throw new InputError(
      "rateScale",
      `the trace spans ${last.toFixed(0)} s after scaling, beyond the ${LIMITS.durationS} s window limit: ` +
        `use rateScale >= ${((scale * last) / LIMITS.durationS).toPrecision(3)} or a shorter trace`,
    );
  }
  const gap = n > 1 ? (last - arrivalS[0]!) / (n - 1) : 1;
  const durationS = Math.min(LIMITS.durationS, last + (gap > 0 ? gap : 1));

  const alias = createAliasTable(popularityShares(opts.popularity, na, opts.seed));
  const rng = createRng(opts.seed, 0);
  const adapter = new Array<number>(n);
  const counts = new Float64Array(na);
  const promptTokens = new Array<number>(n);
  const outputTokens = new Array<number>(n);
  for (let j = 0; j < n; j++) {
    const a = alias.draw(rng);
    adapter[j] = a;
    counts[a]!++;
    promptTokens[j] = Math.max(1, req.prompt[j]!);
    outputTokens[j] = Math.max(1, req.output[j]!);
  }
  const adapters: Adapter[] = [];
  for (let i = 0; i < na; i++) {
    const rateRps = Math.max(MIN_MAPPED_RATE_RPS, counts[i]! / durationS);
    if (rateRps > LIMITS.rateRps) {
      throw new InputError(
        "rateScale",
        `adapter ${i} would receive ${rateRps.toFixed(0)} req/s, above the ${LIMITS.rateRps} req/s limit: lower rateScale or use more adapters`,
      );
    }
    adapters.push({
      id: `${prefix}${String(i).padStart(digits, "0")}`,
      rank: opts.ranks[i % opts.ranks.length]! as LoraRank,
      rateRps,
    });
  }
  return { adapters, replay: { arrivalS, adapter, promptTokens, outputTokens }, durationS };
}

/**
 * An `empirical` length profile from a trace: all (prompt, output) pairs if there are at most
 * `maxSamples`, else `maxSamples` pairs evenly spaced through the trace (deterministic, so the
 * whole time span is represented). Token counts of 0 become 1.
 *
 * @param maxSamples 1..LIMITS.empiricalSamples (100,000), default 10,000
 * @throws InputError when the trace is empty or maxSamples is out of range
 */
export function fitLengthProfile(
  trace: TraceRequests | TraceParseResult,
  maxSamples = 10_000,
): LengthProfile {
  const req = "requests" in trace ? trace.requests : trace;
  const n = Math.min(req.prompt.length, req.output.length);
  if (n === 0) throw new InputError("trace", "the trace has no requests");
  if (!Number.isInteger(maxSamples) || maxSamples < 1 || maxSamples > LIMITS.empiricalSamples) {
    throw new InputError(
      "maxSamples",
      `must be an integer in 1..${LIMITS.empiricalSamples} (got ${maxSamples})`,
    );
  }
  const k = Math.min(n, maxSamples);
  const promptTokens = new Array<number>(k);
  const outputTokens = new Array<number>(k);
  for (let s = 0; s < k; s++) {
    const j = Math.floor((s * n) / k);
    promptTokens[s] = Math.max(1, req.prompt[j]!);
    outputTokens[s] = Math.max(1, req.output[j]!);
  }
  return { profile: "empirical", promptTokens, outputTokens };
}
