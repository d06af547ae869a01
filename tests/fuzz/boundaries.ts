/**
 * Every input boundary, as a fuzz target: a generator of inputs (valid and broken) and a run
 * that classifies the outcome. Shared by `tests/fuzz/*.test.ts` (bounded, part of `npm test`)
 * and `bench/fuzz.ts` (≥ 10,000 cases per boundary).
 *
 * A case passes when it returns a valid result (checked by the boundary's invariants) or throws
 * a clear error: an InputError with a one-line message of at most 600 characters that starts
 * with its field (`workload.adapters[3].rank: …`). Anything else — another exception, an
 * InputError without a field, a broken invariant, a URL round trip that changes the scenario —
 * is a crash. A case slower than 1 s is a hang.
 */
import fc from "fast-check";
import LZString from "lz-string";
import { isDeepStrictEqual } from "node:util";
import { InputError } from "../../src/core/scenario/errors";
import { parseFleetScenario, type FleetScenario } from "../../src/core/scenario/fleet";
import { loadScenario } from "../../src/core/scenario/resolve";
import { LIMITS } from "../../src/core/scenario/schema";
import {
  decodeScenarioFromHash,
  decompressUriSafeCapped,
  encodeScenarioToHash,
} from "../../src/core/scenario/urlCodec";
import { parseTraceCsv } from "../../src/core/workload/trace";
import {
  fleetRequestFromFile,
  parseFleetFile,
  parseFleetRequest,
} from "../../src/core/placement/fleetSchema";
import {
  badValueArb,
  fleetScenarioArb,
  longLineCsv,
  lzBomb,
  mutate,
  mutationArb,
  singleScenarioArb,
  traceCsvArb,
  URI_ALPHABET,
  type CsvCase,
} from "./arbitraries";

export type Outcome = "valid" | "rejected" | "crash";

export interface CaseResult {
  outcome: Outcome;
  ms: number;
  /** for crashes: what went wrong */
  detail?: string;
}

export interface Boundary<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** call the boundary; return normally for a valid result (after checking invariants), or throw */
  call: (input: T) => void;
  /** a short description of an input for crash reports */
  describe?: (input: T) => string;
}

/** Thrown by a boundary's invariant check: always a crash. */
export class InvariantError extends Error {
  override name = "InvariantError";
}

/** Why `err` is not a clear error, or null when it is. */
export function unclearReason(err: unknown): string | null {
  if (!(err instanceof InputError)) {
    const e = err as { name?: unknown; message?: unknown };
    return `not an InputError: ${String(e?.name ?? typeof err)}: ${String(e?.message ?? err).slice(0, 300)}`;
  }
  if (err.cause !== undefined)
    return `internal error behind an InputError: ${String(err.cause).slice(0, 300)}`;
  if (!err.field) return `InputError without a field: ${err.message.slice(0, 300)}`;
  if (!err.message.startsWith(`${err.field}: `))
    return `message does not start with its field: ${err.message.slice(0, 300)}`;
  if (/[\r\n]/.test(err.message))
    return `multi-line message: ${JSON.stringify(err.message.slice(0, 300))}`;
  if (err.message.length > 600)
    return `message of ${err.message.length} characters: ${err.message.slice(0, 200)}…`;
  return null;
}

/** Run one case and classify it. */
export function runCase<T>(b: Boundary<T>, input: T): CaseResult {
  const t0 = performance.now();
  try {
    b.call(input);
    return { outcome: "valid", ms: performance.now() - t0 };
  } catch (err) {
    const ms = performance.now() - t0;
    if (err instanceof InvariantError) return { outcome: "crash", ms, detail: err.message };
    const why = unclearReason(err);
    return why ? { outcome: "crash", ms, detail: why } : { outcome: "rejected", ms };
  }
}

const cut = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
const describeValue = (v: unknown): string => {
  try {
    return cut(JSON.stringify(v) ?? String(v));
  } catch {
    return cut(String(v));
  }
};

// ---------------------------------------------------------------------------------------------
// Boundaries
// ---------------------------------------------------------------------------------------------

export interface BoundaryOptions {
  /** characters of the long CSV line cases (1 MB in tests, 50 MB in the bench) */
  longLineChars: number;
  /** most adapters in the occasional big scenario (600 in tests, 2,000 in the bench) */
  bigAdapters: number;
}

/** Single-GPU scenario files (`loadScenario`: `cli twin`/`estimate`, worker messages). */
export function scenarioBoundary(): Boundary<unknown> {
  const valid = singleScenarioArb();
  return {
    name: "scenario (loadScenario)",
    arbitrary: fc.oneof(
      { arbitrary: valid, weight: 2 },
      {
        arbitrary: fc
          .tuple(valid, fc.nat(), mutationArb(false))
          .map(([s, i, m]) => mutate(s, i, m)),
        weight: 6,
      },
      { arbitrary: badValueArb(false), weight: 1 },
    ),
    call: (input) => {
      const r = loadScenario(input);
      if (
        r.engine.maxCpuLoras < r.engine.maxLoras ||
        r.engine.maxNumBatchedTokens < r.engine.maxNumSeqs
      ) {
        throw new InvariantError("resolved engine breaks vLLM's start-up rules");
      }
    },
    describe: describeValue,
  };
}

/** The app's fleet scenario (imported JSON, saved scenario, worker messages). */
export function fleetBoundary(opts: BoundaryOptions): Boundary<unknown> {
  const valid = fleetScenarioArb({ maxAdapters: 40, bigAdapters: opts.bigAdapters });
  return {
    name: "fleet scenario (parseFleetScenario)",
    arbitrary: fc.oneof(
      { arbitrary: valid, weight: 2 },
      {
        arbitrary: fc
          .tuple(valid, fc.nat(), mutationArb(false))
          .map(([s, i, m]) => mutate(s, i, m)),
        weight: 6,
      },
      { arbitrary: badValueArb(false), weight: 1 },
    ),
    call: (input) => {
      const s = parseFleetScenario(input);
      // Parsing is idempotent: a parsed scenario parses to itself.
      if (!isDeepStrictEqual(parseFleetScenario(s), s))
        throw new InvariantError("parse is not idempotent");
    },
    describe: describeValue,
  };
}

/** Decoded URL hashes of every shape: garbage, truncated/altered links, re-encoded broken scenarios, bad wire columns. */
export function urlBoundary(opts: BoundaryOptions): Boundary<string> {
  const valid = fleetScenarioArb({ maxAdapters: 40, bigAdapters: opts.bigAdapters });
  const validHash = valid.map((s) => encodeScenarioToHash(s));
  const alphabetChar = fc.constantFrom(...URI_ALPHABET.split(""));
  const wire = (hash: string): unknown => {
    const text = decompressUriSafeCapped(hash.slice(hash.indexOf(".") + 1), 1e8);
    return text.ok ? JSON.parse(text.text) : null;
  };
  const pack = (value: unknown, version = 1) =>
    `#v${version}.${LZString.compressToEncodedURIComponent(JSON.stringify(value) ?? "null")}`;
  const arb = fc.oneof(
    // pure noise
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 400 }).map((b) => String.fromCharCode(...b)),
    fc.string({ maxLength: 400, unit: alphabetChar }).map((p) => `#v1.${p}`),
    fc
      .tuple(
        fc.constantFrom(
          "#v0.",
          "#v2.",
          "#v999999999999999.",
          "#v1",
          "#v.",
          "#V1.",
          "v1.",
          "#v-1.",
          "#v1.5.",
          "#",
          "",
        ),
        fc.string({ maxLength: 40, unit: alphabetChar }),
      )
      .map(([a, b]) => a + b),
    // damaged links
    fc.tuple(validHash, fc.nat()).map(([h, k]) => h.slice(0, 4 + (k % Math.max(1, h.length - 4)))),
    fc.tuple(validHash, fc.nat(), alphabetChar).map(([h, k, c]) => {
      const i = 4 + (k % Math.max(1, h.length - 4));
      return h.slice(0, i) + c + h.slice(i + 1);
    }),
    fc.tuple(validHash, fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([h, k, ins]) => {
      const i = 4 + (k % Math.max(1, h.length - 4));
      return h.slice(0, i) + ins + h.slice(i);
    }),
    validHash.map((h) => h.replace(/\+/g, " ")),
    validHash.map((h) => "#" + encodeURIComponent(h.slice(1))),
    // broken scenarios, re-encoded by the real encoder
    fc
      .tuple(valid, fc.nat(), mutationArb(true))
      .map(([s, i, m]) => encodeScenarioToHash(mutate(s, i, m) as FleetScenario)),
    // broken wire forms (the compact columns), re-compressed
    fc
      .tuple(validHash, fc.nat(), mutationArb(true))
      .map(([h, i, m]) => pack(mutate(wire(h), i, m))),
    // arbitrary JSON, deep nesting, huge numbers as text
    fc.jsonValue({ maxDepth: 5 }).map((v) => pack(v)),
    fc
      .integer({ min: 20, max: 50_000 })
      .map((d) => `#v1.${LZString.compressToEncodedURIComponent("[".repeat(d) + "]".repeat(d))}`),
    fc
      .constantFrom(
        "1e999",
        "-1e999",
        "NaN",
        '{"version":1e999}',
        '{"version":1,"model":1e400}',
        "{".repeat(5000),
      )
      .map((t) => `#v1.${LZString.compressToEncodedURIComponent(t)}`),
    // zip bombs of every size
    // (5,657 codes expand to just over the 16 M cap)
    fc.integer({ min: 1, max: 7000 }).map((k) => `#v1.${lzBomb(k)}`),
  );
  return {
    name: "URL hash (decodeScenarioFromHash)",
    arbitrary: arb,
    call: (hash) => {
      const r = decodeScenarioFromHash(hash);
      if (!r.ok) throw r.error;
      if (!isDeepStrictEqual(parseFleetScenario(r.scenario), r.scenario)) {
        throw new InvariantError("decoded scenario does not re-validate to itself");
      }
    },
    describe: (h) => cut(h),
  };
}

/** Trace CSV import (`parseTraceCsv`), both forms, with every kind of damage. */
export function traceBoundary(opts: BoundaryOptions): Boundary<CsvCase> {
  const long = fc
    .constantFrom("row" as const, "header" as const, "quoted" as const)
    .map((where) => ({ text: longLineCsv(opts.longLineChars, where), kind: `long-line-${where}` }));
  return {
    name: "trace CSV (parseTraceCsv)",
    arbitrary: fc.oneof(
      { arbitrary: traceCsvArb(), weight: 40 },
      {
        arbitrary: fc.string({ maxLength: 300 }).map((text) => ({ text, kind: "noise" })),
        weight: 4,
      },
      {
        arbitrary: fc
          .uint8Array({ maxLength: 600 })
          .map((b) => ({ text: new TextDecoder().decode(b), kind: "bytes" })),
        weight: 4,
      },
      { arbitrary: long, weight: 1 },
    ),
    call: ({ text }) => {
      // Strict mode must either accept the file or raise a clear error; the case counts as
      // valid when the default (skip) mode reads it.
      try {
        const strict = parseTraceCsv(text, { onBadRow: "error" });
        if (strict.skipped.count > 0) throw new InvariantError("strict mode skipped rows");
      } catch (err) {
        if (err instanceof InvariantError) throw err;
        const why = unclearReason(err);
        if (why) throw new InvariantError(`strict mode: ${why}`);
      }
      {
        const r = parseTraceCsv(text);
        const n = r.requests.arrivalS.length;
        if (r.rows !== n + r.skipped.count)
          throw new InvariantError(`rows ${r.rows} != accepted ${n} + skipped ${r.skipped.count}`);
        for (let i = 0; i < n; i++) {
          const t = r.requests.arrivalS[i]!;
          if (!Number.isFinite(t) || t < 0 || (i > 0 && t < r.requests.arrivalS[i - 1]!)) {
            throw new InvariantError(`arrival ${i} is ${t}`);
          }
          const p = r.requests.prompt[i]!;
          const o = r.requests.output[i]!;
          if (!(p >= 0 && p <= LIMITS.tokens && o >= 0 && o <= LIMITS.tokens)) {
            throw new InvariantError(`tokens of row ${i} out of range: ${p}, ${o}`);
          }
        }
        for (const m of r.skipped.firstMessages) {
          if (/[\r\n]/.test(m) || m.length > 600)
            throw new InvariantError(`unclear skipped-row message: ${cut(JSON.stringify(m))}`);
        }
      }
    },
    describe: (c) => `${c.kind}: ${cut(JSON.stringify(c.text))}`,
  };
}

export interface FleetFileCase {
  file: unknown;
  /** the CSV `file.trace.path` points to, if any */
  traceText?: string;
}

/** The `plan` CLI's fleet file (`parseFleetFile`, then `fleetRequestFromFile` with the trace's text). */
export function fleetFileBoundary(): Boundary<FleetFileCase> {
  const valid = fc
    .tuple(
      fleetScenarioArb({ maxAdapters: 30, bigAdapters: 300 }),
      fc.boolean(),
      traceCsvArb(),
      fc.integer({ min: 1, max: 200 }),
    )
    .map(([s, withTrace, csv, n]): FleetFileCase => {
      const { trace: _t, placement: _p, ...file } = s;
      if (!withTrace) return { file };
      const { adapters: _a, ...workload } = file.workload;
      return {
        file: {
          ...file,
          workload,
          trace: {
            path: "trace.csv",
            adapters: n,
            popularity: { kind: "zipf", alpha: 1 },
            ranks: [8, 16, 32],
            rateScale: 1,
          },
        },
        traceText: csv.text,
      };
    });
  return {
    name: "fleet file (parseFleetFile + fleetRequestFromFile)",
    arbitrary: fc.oneof(
      { arbitrary: valid, weight: 2 },
      {
        arbitrary: fc
          .tuple(valid, fc.nat(), mutationArb(false))
          .map(([c, i, m]) => ({ ...c, file: mutate(c.file, i, m) })),
        weight: 6,
      },
      { arbitrary: badValueArb(false).map((file) => ({ file })), weight: 1 },
    ),
    call: ({ file, traceText }) => {
      const parsed = parseFleetFile(file);
      const { request } = fleetRequestFromFile(parsed, traceText);
      parseFleetRequest(JSON.parse(JSON.stringify(request)) as unknown);
    },
    describe: ({ file, traceText }) =>
      `${describeValue(file)}${traceText !== undefined ? ` + trace ${cut(JSON.stringify(traceText), 80)}` : ""}`,
  };
}

/** A plan request as a message into the plan worker (`parseFleetRequest`). */
export function fleetRequestBoundary(): Boundary<unknown> {
  const valid = fc
    .tuple(singleScenarioArb(), fleetScenarioArb({ maxAdapters: 30, bigAdapters: 300 }))
    .map(([one, f]) => ({
      model: f.model,
      gpuTypes: f.gpuTypes,
      objective: f.objective,
      engine: f.engine,
      workload: {
        ...(one as { workload: object }).workload,
        adapters: (one as { workload: { adapters: unknown[] } }).workload.adapters,
      },
    }));
  return {
    name: "plan request (parseFleetRequest)",
    arbitrary: fc.oneof(
      { arbitrary: valid, weight: 2 },
      {
        arbitrary: fc
          .tuple(valid, fc.nat(), mutationArb(false))
          .map(([v, i, m]) => mutate(v, i, m)),
        weight: 6,
      },
      { arbitrary: badValueArb(false), weight: 1 },
    ),
    call: (input) => {
      parseFleetRequest(input);
    },
    describe: describeValue,
  };
}

/** A valid scenario and its link (encoding is trusted app-side work, done while generating). */
export interface RoundTripCase {
  s: FleetScenario;
  hash: string;
}

export const roundTripCase = (s: FleetScenario): RoundTripCase => ({
  s,
  hash: encodeScenarioToHash(s),
});

/**
 * decode(encode(s)) deep-equals s for valid s; so does a JSON file round trip. The timed part
 * is what handles the untrusted link: decode, compare, and the JSON file round trip.
 */
export function roundTripBoundary(opts: BoundaryOptions): Boundary<RoundTripCase> {
  return {
    name: "round trip (encode → decode)",
    arbitrary: fleetScenarioArb({ maxAdapters: 60, bigAdapters: opts.bigAdapters }).map(
      roundTripCase,
    ),
    call: ({ s, hash }) => {
      // (A generator bug — an invalid scenario — shows up as a failed decode.)
      const r = decodeScenarioFromHash(hash);
      if (!r.ok) throw new InvariantError(`valid scenario failed to decode: ${r.error.message}`);
      if (!isDeepStrictEqual(r.scenario, s))
        throw new InvariantError("decode(encode(s)) differs from s");
      if (!isDeepStrictEqual(parseFleetScenario(JSON.parse(JSON.stringify(s))), s)) {
        throw new InvariantError("JSON file round trip differs");
      }
    },
    describe: ({ s, hash }) =>
      `${s.workload.adapters.length} adapters, ${hash.length} chars: ${describeValue(s)}`,
  };
}

/** Every boundary of the core, in table order. */
export function allBoundaries(opts: BoundaryOptions): Boundary<unknown>[] {
  return [
    scenarioBoundary(),
    fleetFileBoundary(),
    fleetRequestBoundary(),
    fleetBoundary(opts),
    urlBoundary(opts),
    traceBoundary(opts),
    roundTripBoundary(opts),
  ] as Boundary<unknown>[];
}

export interface BoundaryStats {
  name: string;
  cases: number;
  valid: number;
  /** rejected with a clear error */
  rejected: number;
  /** failures that belong to a known issue (see knownIssues.ts), by issue id */
  known: Record<string, number>;
  /** every other failure: exception, unclear error, broken invariant */
  crashes: number;
  /** cases slower than the hang limit */
  hangs: number;
  maxMs: number;
  /** the first few crashes and hangs (not known issues) */
  failures: { detail: string; input: string; ms: number }[];
}

export interface FuzzOptions {
  /** a case slower than this is a hang, ms (default 1000) */
  hangMs?: number;
  /** the id of the known issue a crash belongs to, if any */
  knownIssue?: (boundary: string, detail: string) => string | undefined;
}

export function emptyStats(name: string): BoundaryStats {
  return {
    name,
    cases: 0,
    valid: 0,
    rejected: 0,
    known: {},
    crashes: 0,
    hangs: 0,
    maxMs: 0,
    failures: [],
  };
}

/** Run `cases` generated cases of `b` (all of them: no shrinking), collecting stats. */
export function fuzzBoundary<T>(
  b: Boundary<T>,
  cases: number,
  seed: number,
  opts: FuzzOptions = {},
): BoundaryStats {
  const stats = emptyStats(b.name);
  fc.check(
    fc.property(b.arbitrary, (input) => {
      record(stats, b, input, runCase(b, input), opts);
      return true;
    }),
    { numRuns: cases, seed, endOnFailure: true },
  );
  return stats;
}

/** Add one result to `stats`. */
export function record<T>(
  stats: BoundaryStats,
  b: Boundary<T>,
  input: T,
  r: CaseResult,
  opts: FuzzOptions = {},
): void {
  stats.cases++;
  stats.maxMs = Math.max(stats.maxMs, r.ms);
  const hang = r.ms > (opts.hangMs ?? 1000);
  if (hang) stats.hangs++;
  let crash = false;
  if (r.outcome === "valid") stats.valid++;
  else if (r.outcome === "rejected") stats.rejected++;
  else {
    const known = opts.knownIssue?.(b.name, r.detail ?? "");
    if (known) stats.known[known] = (stats.known[known] ?? 0) + 1;
    else {
      stats.crashes++;
      crash = true;
    }
  }
  if ((crash || hang) && stats.failures.length < 5) {
    stats.failures.push({
      detail: r.detail ?? `took ${r.ms.toFixed(0)} ms`,
      input: (b.describe ?? describeValue)(input),
      ms: r.ms,
    });
  }
}
