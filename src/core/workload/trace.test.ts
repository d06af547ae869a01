import { describe, expect, it } from "vitest";
import { InputError } from "../scenario/errors";
import { LengthProfileSchema, WorkloadSchema } from "../scenario/schema";
import { createRequestStream, newRequestSpec } from "./arrivals";
import { fitLengthProfile, mapTraceToAdapters, MIN_MAPPED_RATE_RPS, parseTraceCsv } from "./trace";

const AZURE = [
  "TIMESTAMP,ContextTokens,GeneratedTokens",
  "2023-11-16 18:15:46.6805900,374,44",
  "2023-11-16 18:15:50.9951690,396,109",
  "2023-11-16 18:16:46.6805900,1000,0",
].join("\n");

const PROCESSED = [
  "arrived_at,num_prefill_tokens,num_decode_tokens",
  "0.0,4808,10",
  "0.052,3180,8",
  "1.5,12,7",
].join("\n");

function captureError(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

describe("parseTraceCsv", () => {
  it("reads the Azure form, timestamps in seconds after the first row", () => {
    const r = parseTraceCsv(AZURE);
    expect(r.format).toBe("azure");
    expect(r.rows).toBe(3);
    expect(r.skipped.count).toBe(0);
    // 18:15:50.9951690 - 18:15:46.6805900 = 4.3145790 s; 18:16:46.68059 - 18:15:46.68059 = 60 s
    expect(r.requests.arrivalS[0]).toBe(0);
    expect(r.requests.arrivalS[1]).toBeCloseTo(4.314579, 9);
    expect(r.requests.arrivalS[2]).toBeCloseTo(60, 9);
    expect(Array.from(r.requests.prompt)).toEqual([374, 396, 1000]);
    expect(Array.from(r.requests.output)).toEqual([44, 109, 0]);
  });

  it("reads the processed form, seconds as given", () => {
    const r = parseTraceCsv(PROCESSED);
    expect(r.format).toBe("processed");
    expect(Array.from(r.requests.arrivalS)).toEqual([0, 0.052, 1.5]);
    expect(Array.from(r.requests.prompt)).toEqual([4808, 3180, 12]);
    expect(Array.from(r.requests.output)).toEqual([10, 8, 7]);
  });

  it("handles a BOM, CRLF, quoted cells, blank lines, extra columns and any column order", () => {
    const text =
      '\uFEFFnum_decode_tokens,"Arrived_At",note,num_prefill_tokens\r\n' +
      '5,"0.5","a, quoted note",7\r\n' +
      "\r\n" +
      '"6",1.25,,"8"\r\n';
    const r = parseTraceCsv(text);
    expect(r.format).toBe("processed");
    expect(r.rows).toBe(2);
    expect(Array.from(r.requests.arrivalS)).toEqual([0.5, 1.25]);
    expect(Array.from(r.requests.prompt)).toEqual([7, 8]);
    expect(Array.from(r.requests.output)).toEqual([5, 6]);
  });

  it("accepts Azure timestamps with T, Z and offsets", () => {
    const r = parseTraceCsv(
      "TIMESTAMP,ContextTokens,GeneratedTokens\n" +
        "2024-05-10T00:00:00Z,1,1\n" +
        "2024-05-10 01:00:01.5+01:00,1,1\n" + // = 00:00:01.5 UTC
        "2024-05-10 00:00:02-00:00,1,1\n",
    );
    expect(Array.from(r.requests.arrivalS)).toEqual([0, 1.5, 2]);
  });

  it("skips bad rows, counting them with their line numbers and reasons", () => {
    const text = [
      "arrived_at,num_prefill_tokens,num_decode_tokens", // line 1
      "1,10,5", // 2 ok
      "1,abc,5", // 3 not a number
      "2,10", // 4 missing column
      "3,-4,5", // 5 negative
      "4,10,2000000", // 6 too many tokens
      "0.5,10,5", // 7 backwards (earlier than line 2, the last accepted row)
      "5,10.5,5", // 8 not an integer
      "", // 9 blank
      "6,0x10,5", // 10 not a number
      "7,11,6", // 11 ok
    ].join("\n");
    const r = parseTraceCsv(text);
    expect(r.rows).toBe(9);
    expect(r.requests.arrivalS.length).toBe(2);
    expect(r.skipped.count).toBe(7);
    expect(r.skipped.firstLines).toEqual([3, 4, 5, 6, 7, 8, 10]);
    expect(r.skipped.reasons).toEqual({
      "not a number": 2,
      "missing column": 1,
      negative: 1,
      "too many tokens": 1,
      "timestamp goes backwards": 1,
      "not an integer": 1,
    });
    expect(r.skipped.firstMessages[0]).toBe(
      'line 3, column "num_prefill_tokens": not a number ("abc")',
    );
    expect(r.skipped.firstMessages[1]).toBe('line 4, column "num_decode_tokens": missing value');
  });

  it("skips Azure rows with a bad or backwards timestamp", () => {
    const r = parseTraceCsv(
      "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,1\nyesterday,1,1\n2023-11-16 18:15:40,1,1\n2023-11-16 18:15:47,2,2\n",
    );
    expect(r.skipped.reasons).toEqual({ "bad timestamp": 1, "timestamp goes backwards": 1 });
    expect(r.skipped.firstLines).toEqual([3, 4]);
    expect(Array.from(r.requests.arrivalS)).toEqual([0, 1]);
  });

  it("in error mode names the line and the column of the first bad row", () => {
    const text = "arrived_at,num_prefill_tokens,num_decode_tokens\r\n0,1,1\r\n\r\n1,2,-3\r\n";
    const e = captureError(() => parseTraceCsv(text, { onBadRow: "error" }));
    expect(e.field).toBe("trace");
    expect(e.message).toBe('trace: line 4, column "num_decode_tokens": negative (-3)');
  });

  it("refuses an unknown header, listing the accepted ones", () => {
    const e = captureError(() => parseTraceCsv("time,in,out\n1,2,3\n"));
    expect(e.message).toContain('unknown header "time,in,out"');
    expect(e.message).toContain("TIMESTAMP,ContextTokens,GeneratedTokens");
    expect(e.message).toContain("arrived_at,num_prefill_tokens,num_decode_tokens");
    expect(captureError(() => parseTraceCsv("")).message).toContain("no header");
    expect(captureError(() => parseTraceCsv("\n\n")).message).toContain("no header");
  });

  it("refuses more rows than the limit", () => {
    const text = "arrived_at,num_prefill_tokens,num_decode_tokens\n" + "1,2,3\n".repeat(11);
    expect(parseTraceCsv(text, { maxRows: 11 }).rows).toBe(11);
    expect(captureError(() => parseTraceCsv(text, { maxRows: 10 })).message).toContain(
      "more than 10 rows",
    );
  });

  it("never crashes on garbage", () => {
    for (const text of [
      'arrived_at,num_prefill_tokens,num_decode_tokens\n"1,2,3\n',
      "\uFEFF",
      ",,,\n,,,",
      "\u0000\u0001",
    ]) {
      try {
        parseTraceCsv(text);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
      }
    }
  });
});

describe("mapTraceToAdapters", () => {
  // 10,000 requests, one every 0.01 s
  const n = 10_000;
  const lines = ["arrived_at,num_prefill_tokens,num_decode_tokens"];
  for (let i = 0; i < n; i++) lines.push(`${(i / 100).toFixed(2)},${100 + (i % 7)},${i % 5}`);
  const trace = parseTraceCsv(lines.join("\n"));

  it("gives adapter 0 the most requests under Zipf, in the expected proportion", () => {
    const m = mapTraceToAdapters(trace, {
      adapters: 10,
      popularity: { kind: "zipf", alpha: 1 },
      ranks: [8],
      seed: 1,
    });
    const counts = new Array<number>(10).fill(0);
    for (const a of m.replay.adapter) counts[a]!++;
    for (let i = 1; i < 10; i++) expect(counts[0]).toBeGreaterThan(counts[i]!);
    // share of adapter 0 = 1 / H_10 = 1 / 2.9289683 = 0.34142; sd sqrt(1e4 * 0.3414 * 0.6586) = 47
    expect(Math.abs(counts[0]! - 3414.2)).toBeLessThan(5 * 47);
    // adapter 9: 0.034142, sd 18
    expect(Math.abs(counts[9]! - 341.4)).toBeLessThan(5 * 18);
  });

  it("derives duration, rates, ids and ranks, and builds a valid workload", () => {
    const m = mapTraceToAdapters(trace, {
      adapters: 3,
      popularity: { kind: "zipf", alpha: 0 },
      ranks: [8, 16],
      seed: 2,
      rateScale: 2,
      idPrefix: "lora-",
    });
    // arrivals 0..99.99 s halved: last 49.995 s, mean gap 0.005 s -> window 50 s
    expect(m.replay.arrivalS[n - 1]).toBeCloseTo(49.995, 9);
    expect(m.durationS).toBeCloseTo(50, 9);
    expect(m.adapters.map((a) => [a.id, a.rank])).toEqual([
      ["lora-0", 8],
      ["lora-1", 16],
      ["lora-2", 8],
    ]);
    const counts = [0, 0, 0];
    for (const a of m.replay.adapter) counts[a]!++;
    m.adapters.forEach((a, i) => expect(a.rateRps).toBeCloseTo(counts[i]! / 50, 9));
    // 0 output tokens become 1
    expect(Math.min(...m.replay.outputTokens)).toBe(1);
    const w = WorkloadSchema.parse({
      durationS: m.durationS,
      adapters: m.adapters,
      trace: m.replay,
    });
    const s = createRequestStream(w);
    expect(s.expectedRequests()).toBe(n);
    const r = newRequestSpec();
    let k = 0;
    while (s.next(r)) k++;
    expect(k).toBe(n);
  });

  it("gives an adapter without requests the minimum rate, and is deterministic by seed", () => {
    const tiny = parseTraceCsv("arrived_at,num_prefill_tokens,num_decode_tokens\n0,5,5\n");
    const m = mapTraceToAdapters(tiny, {
      adapters: 4,
      popularity: { kind: "zipf", alpha: 1 },
      ranks: [8],
      seed: 3,
    });
    expect(m.durationS).toBe(1);
    expect(m.adapters.filter((a) => a.rateRps === MIN_MAPPED_RATE_RPS).length).toBe(3);
    const opts = {
      adapters: 20,
      popularity: { kind: "dirichlet", alpha: 0.5 },
      ranks: [8],
      seed: 4,
    } as const;
    expect(mapTraceToAdapters(trace, opts).replay.adapter).toEqual(
      mapTraceToAdapters(trace, opts).replay.adapter,
    );
    expect(mapTraceToAdapters(trace, opts).replay.adapter).not.toEqual(
      mapTraceToAdapters(trace, { ...opts, seed: 5 }).replay.adapter,
    );
  });

  it("sorts Dirichlet shares so adapter 0 leads", () => {
    const m = mapTraceToAdapters(trace, {
      adapters: 5,
      popularity: { kind: "dirichlet", alpha: 0.3 },
      ranks: [8],
      seed: 6,
    });
    const counts = new Array<number>(5).fill(0);
    for (const a of m.replay.adapter) counts[a]!++;
    expect(counts[0]).toBe(Math.max(...counts));
  });

  it("refuses empty traces, bad options and traces longer than the window limit", () => {
    const base = {
      adapters: 2,
      popularity: { kind: "zipf", alpha: 1 },
      ranks: [8],
      seed: 1,
    } as const;
    const empty = parseTraceCsv("arrived_at,num_prefill_tokens,num_decode_tokens\n");
    expect(captureError(() => mapTraceToAdapters(empty, base)).field).toBe("trace");
    expect(captureError(() => mapTraceToAdapters(trace, { ...base, adapters: 0 })).field).toBe(
      "adapters",
    );
    expect(captureError(() => mapTraceToAdapters(trace, { ...base, ranks: [7] })).field).toBe(
      "ranks",
    );
    expect(captureError(() => mapTraceToAdapters(trace, { ...base, rateScale: 0 })).field).toBe(
      "rateScale",
    );
    expect(
      captureError(() =>
        mapTraceToAdapters(trace, { ...base, popularity: { kind: "zipf", alpha: -1 } }),
      ).field,
    ).toBe("popularity.alpha");
    const long = parseTraceCsv(
      "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n100000,1,1\n",
    );
    const e = captureError(() => mapTraceToAdapters(long, base));
    expect(e.field).toBe("rateScale");
    expect(e.message).toContain("86400");
    expect(mapTraceToAdapters(long, { ...base, rateScale: 2 }).replay.arrivalS).toEqual([
      0, 50_000,
    ]);
    // 2 requests at the same instant on one adapter: 2 / 1 s is fine, but compressing 10,000
    // requests into 0.1 s (rateScale 1000) exceeds 10,000 req/s
    expect(captureError(() => mapTraceToAdapters(trace, { ...base, rateScale: 1000 })).field).toBe(
      "rateScale",
    );
  });
});

describe("fitLengthProfile", () => {
  it("keeps all pairs when few, else evenly spaced ones, as a valid empirical profile", () => {
    const r = parseTraceCsv(PROCESSED);
    expect(fitLengthProfile(r)).toEqual({
      profile: "empirical",
      promptTokens: [4808, 3180, 12],
      outputTokens: [10, 8, 7],
    });
    const lines = ["arrived_at,num_prefill_tokens,num_decode_tokens"];
    for (let i = 0; i < 100; i++) lines.push(`${i},${i},${i}`);
    const p = fitLengthProfile(parseTraceCsv(lines.join("\n")), 4);
    // rows 0, 25, 50, 75 (0 tokens become 1)
    expect(p).toEqual({
      profile: "empirical",
      promptTokens: [1, 25, 50, 75],
      outputTokens: [1, 25, 50, 75],
    });
    expect(LengthProfileSchema.safeParse(p).success).toBe(true);
    expect(captureError(() => fitLengthProfile(r, 0)).field).toBe("maxSamples");
  });
});
