import fc from "fast-check";
import LZString from "lz-string";
import { describe, expect, it, vi } from "vitest";
import { fleetScenarioArb, lzBomb } from "../../../tests/fuzz/arbitraries";
import { InputError } from "./errors";
import {
  defaultFleetScenario,
  parseFleetScenario,
  sortLengthProfile,
  type FleetScenario,
} from "./fleet";
import {
  decodeScenarioFromHash,
  decompressUriSafeCapped,
  encodeScenarioToHash,
  isScenarioHash,
  shareScenario,
  URL_LIMITS,
} from "./urlCodec";

// Some cases build 20,000-adapter scenarios or run property checks; the machine may be busy.
vi.setConfig({ testTimeout: 30_000 });

function decodeError(hash: string): InputError {
  const r = decodeScenarioFromHash(hash);
  if (r.ok) throw new Error("expected a decode error");
  expect(r.error).toBeInstanceOf(InputError);
  expect(r.error.cause).toBeUndefined();
  expect(r.error.message).not.toMatch(/\n/);
  return r.error;
}

function roundTrip(s: FleetScenario): string {
  const hash = encodeScenarioToHash(s);
  const r = decodeScenarioFromHash(hash);
  if (!r.ok) throw r.error;
  expect(r.scenario).toStrictEqual(s);
  return hash;
}

/** `n` adapters like a trace import: template ids, ranks cycling, rates = count / duration. */
function traceLike(n: number, samples: number): FleetScenario {
  const d = defaultFleetScenario();
  const durationS = 3501.902764365711;
  let x = 7;
  const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
  const adapters = Array.from({ length: n }, (_, i) => ({
    id: `adapter-${String(i).padStart(String(n - 1).length, "0")}`,
    rank: ([8, 16, 32] as const)[i % 3]!,
    rateRps: Math.max(1e-6, Math.floor(19_366 / (i + 1) / 7) / durationS),
  }));
  const promptTokens = Array.from({ length: samples }, () => 1 + Math.floor(rnd() * rnd() * 4000));
  const outputTokens = Array.from({ length: samples }, () => 1 + Math.floor(rnd() * rnd() * 800));
  return {
    ...d,
    workload: {
      ...d.workload,
      durationS,
      adapters,
      lengths: { profile: "empirical", promptTokens, outputTokens },
    },
    trace: {
      source: "AzureLLMInferenceTrace_conv.csv",
      format: "azure",
      rows: 19_366,
      skippedRows: 0,
      durationS,
      popularity: { kind: "zipf", alpha: 1 },
      seed: 1,
    },
  };
}

describe("encodeScenarioToHash / decodeScenarioFromHash", () => {
  it("round-trips the default scenario in a short, deterministic #v1. link", () => {
    const hash = roundTrip(defaultFleetScenario());
    expect(hash.startsWith("#v1.")).toBe(true);
    expect(hash.length).toBeLessThan(1000);
    expect(encodeScenarioToHash(defaultFleetScenario())).toBe(hash);
    expect(isScenarioHash(hash)).toBe(true);
    expect(isScenarioHash("#section")).toBe(false);
  });

  it("is deterministic: equal scenarios give the same link", () => {
    fc.assert(
      fc.property(fleetScenarioArb({ maxAdapters: 30, bigAdapters: 200 }), (s) => {
        expect(encodeScenarioToHash(structuredClone(s))).toBe(encodeScenarioToHash(s));
      }),
      { numRuns: 40, seed: 3 },
    );
  });

  it("round-trips every feature: SLOs, flags, per-adapter lengths, free-text ids, trace summary, placement", () => {
    const d = defaultFleetScenario();
    const adapters = [
      {
        id: "<img src=x onerror=alert(1)>",
        rank: 64 as const,
        rateRps: 1e-6,
        lengths: { profile: "fixed" as const, promptTokens: 10, outputTokens: 20 },
      },
      { id: '=HYPERLINK("x")', rank: 1 as const, rateRps: 10_000 },
      {
        id: "line\nbreak \ud800 🎉",
        rank: 512 as const,
        rateRps: 0.1,
        lengths: {
          profile: "empirical" as const,
          promptTokens: [3, 1, 2],
          outputTokens: [1, 1, 1],
        },
      },
      {
        id: "sorted",
        rank: 8 as const,
        rateRps: 0.3,
        lengths: {
          profile: "empirical" as const,
          promptTokens: [1, 1, 5],
          outputTokens: [9, 2, 1],
        },
      },
    ];
    const s = parseFleetScenario({
      ...d,
      gpuTypes: [...d.gpuTypes, { gpu: "b200", costPerHour: 5.25, maxCount: 2 }],
      objective: { ttftP99Ms: 1500, itlP99Ms: 60 },
      engine: {
        maxLoras: 8,
        maxCpuLoras: 64,
        maxLoraRank: 512,
        gpuMemoryUtilization: 0.85,
        maxModelLen: 4096,
        enableLora: true,
      },
      workload: {
        ...d.workload,
        lengths: { profile: "uniform", promptTokens: [4, 1024], outputTokens: [1, 512] },
        arrival: { kind: "gamma", cv: 2.5 },
        adapters,
      },
      trace: {
        source: "trace <1>.csv",
        format: "processed",
        rows: 10,
        skippedRows: 1,
        durationS: 12.5,
        rateScale: 3,
        popularity: { kind: "dirichlet", alpha: 0.5 },
        seed: 9,
      },
      placement: {
        gpus: [
          { gpu: "b200", adapters: ["sorted", "<img src=x onerror=alert(1)>"] },
          { gpu: "h100-64gb", adapters: [] },
        ],
      },
    });
    roundTrip(s);
    const r = decodeScenarioFromHash(encodeScenarioToHash(s));
    expect(r.ok && r.notes).toEqual([
      'This scenario was built from the trace "trace <1>.csv" (10 rows); the link carries its fitted per-adapter rates and length profile, not the raw requests. Import the file again to replay them.',
      "The link includes the placement of the adapters on 2 GPU(s).",
    ]);
  });

  it("round-trips each GPU's engine flags in the placement, and reads placements without them", () => {
    const d = defaultFleetScenario();
    const engine = {
      maxLoras: 96,
      maxCpuLoras: 157,
      maxLoraRank: 32 as const,
      maxNumSeqs: 2048,
      maxNumBatchedTokens: 2048,
      gpuMemoryUtilization: 0.9,
      maxModelLen: 131072,
    };
    const s = parseFleetScenario({
      ...d,
      placement: {
        gpus: [
          { gpu: "a100-80gb", adapters: ["adapter-000", "adapter-002"], engine },
          { gpu: "h100-64gb", adapters: ["adapter-001"], engine: { maxLoras: 1 } },
          { gpu: "h100-64gb", adapters: [] },
        ],
      },
    });
    const hash = roundTrip(s);
    const r = decodeScenarioFromHash(hash);
    expect(r.ok && r.scenario.placement?.gpus.map((g) => g.engine)).toEqual([
      engine,
      { maxLoras: 1 },
      undefined,
    ]);
    // a damaged engine entry is refused with the field named
    const wire = JSON.parse(
      LZString.decompressFromEncodedURIComponent(hash.slice(hash.indexOf(".") + 1))!,
    ) as { placement: { gpus: unknown[][] } };
    wire.placement.gpus[0]![2] = "fast";
    const bad = `#v1.${LZString.compressToEncodedURIComponent(JSON.stringify(wire))}`;
    expect(decodeError(bad).field).toBe("placement.gpus[0].engine");
    wire.placement.gpus[0]![2] = { ...engine, maxLoraRank: 8 };
    const low = `#v1.${LZString.compressToEncodedURIComponent(JSON.stringify(wire))}`;
    expect(decodeError(low).message).toMatch(/below the rank 32 of adapter "adapter-002"/);
  });

  it("keeps 2,000 generated adapters in under 1 KB and 20,000 in under 2 KB", () => {
    for (const [n, max] of [
      [2000, 1000],
      [20_000, 2000],
    ] as const) {
      const d = defaultFleetScenario();
      const adapters = Array.from({ length: n }, (_, i) => ({
        id: `lora-${i}`,
        rank: ([8, 16, 32] as const)[i % 3]!,
        rateRps: [0.1, 0.05, 0.025][i % 3]!,
      }));
      const hash = roundTrip({ ...d, workload: { ...d.workload, adapters } });
      expect(hash.length, `${n} adapters`).toBeLessThan(max);
    }
  });

  it("stores trace-fitted rates exactly and compactly; a sorted length profile takes about half", () => {
    const s = traceLike(2000, 10_000);
    const unsorted = roundTrip(s).length;
    const sorted = roundTrip({
      ...s,
      workload: { ...s.workload, lengths: sortLengthProfile(s.workload.lengths) },
    }).length;
    expect(unsorted).toBeLessThan(URL_LIMITS.maxShareChars);
    expect(sorted).toBeLessThan(unsorted * 0.75);
    const fewer = traceLike(2000, 2000);
    expect(roundTrip(fewer).length).toBeLessThan(20_000);
  });

  it("says when a link is long, too long, or carries a trace summary", () => {
    const small = shareScenario(defaultFleetScenario());
    expect(small).toMatchObject({ fitsUrl: true, notes: [] });
    expect(small.chars).toBe(small.hash.length);

    const trace = shareScenario(traceLike(300, 5000));
    expect(trace.fitsUrl).toBe(true);
    expect(trace.notes.join(" ")).toMatch(/some chat and e-mail clients cut links/);
    expect(trace.notes.join(" ")).toMatch(/not the 19,366 raw requests/);

    const d = defaultFleetScenario();
    const adapters = Array.from({ length: 20_000 }, (_, i) => ({
      id: `customer-${(i * 2654435761) % 4294967291}-${((i * 40503) % 65521).toString(36)}`,
      rank: ([8, 16, 32] as const)[i % 3]!,
      rateRps: ((i * 7919) % 10007) / 1000 + 0.001,
    }));
    const huge = shareScenario({ ...d, workload: { ...d.workload, adapters } });
    expect(huge.fitsUrl).toBe(false);
    expect(huge.notes[0]).toMatch(
      /more than the 100 KB a shareable link may have: export it as a JSON file/,
    );
  });

  it("accepts links without '#', with '+' turned into spaces, or percent-encoded", () => {
    const hash = encodeScenarioToHash(defaultFleetScenario());
    for (const h of [
      hash.slice(1),
      hash.replace(/\+/g, " "),
      "#" + encodeURIComponent(hash.slice(1)),
    ]) {
      const r = decodeScenarioFromHash(h);
      expect(r.ok).toBe(true);
    }
  });

  it("refuses what is not a planner link, naming `url`", () => {
    expect(decodeError("").message).toBe("url: the link has no scenario (expected #v1.…)");
    expect(decodeError("#section-2").message).toMatch(
      /^url: not a planner link: it must start with #v<version>\. \(got "section-2"\)$/,
    );
    expect(decodeError("#v1.").message).toMatch(/^url: the link is damaged \(empty payload\)/);
    expect(decodeError("#v1.abc!def").message).toMatch(
      /^url: the link is damaged \(unexpected character "!" at position 3\)/,
    );
    expect(decodeError("#v1.%E0%A4%A").message).toMatch(/bad percent-encoding/);
    expect(decodeError(`#v1.${LZString.compressToEncodedURIComponent("{")}`).message).toMatch(
      /^url: the link is damaged \(content is not valid JSON/,
    );
    expect(
      decodeError(`#v1.${LZString.compressToEncodedURIComponent("[".repeat(40) + "]".repeat(40))}`)
        .message,
    ).toMatch(/nests deeper than 32 levels/);
    // not a string at all (a worker message, say)
    expect(decodeError(5 as unknown as string).message).toBe("url: must be a text hash (got 5)");
  });

  it("refuses a newer planner's link politely and names a damaged version", () => {
    expect(decodeError("#v2.N4Ig").message).toBe(
      "version: this scenario was created by a newer planner (v2); this one reads up to v1 — open it with an up-to-date planner",
    );
    expect(decodeError("#v0.N4Ig").message).toBe("version: must be 1 (got 0)");
    const wrong = `#v1.${LZString.compressToEncodedURIComponent(JSON.stringify({ ...defaultFleetScenario(), version: 7 }))}`;
    expect(decodeError(wrong).message).toMatch(
      /^version: the link is damaged \(the link says v1 but its content says 7\)/,
    );
  });

  it("names the scenario field of an invalid value, through the compact columns", () => {
    const d = defaultFleetScenario();
    const bad = structuredClone(d);
    (bad.workload.adapters[7] as { rank: number }).rank = 7;
    expect(decodeError(encodeScenarioToHash(bad)).message).toMatch(
      /^workload\.adapters\[7\]\.rank: must be one of vLLM's LoRA ranks/,
    );
    const price = structuredClone(d);
    price.gpuTypes[1]!.costPerHour = 1e9;
    expect(decodeError(encodeScenarioToHash(price)).message).toMatch(
      /^gpuTypes\[1\]\.costPerHour: must be a number in \(0, 1,000\] \$\/h \(got 1000000000\)$/,
    );
    const extra = structuredClone(d) as unknown as {
      workload: { adapters: Record<string, unknown>[] };
    };
    extra.workload.adapters[2]!.color = "red";
    expect(decodeError(encodeScenarioToHash(extra as unknown as FleetScenario)).message).toMatch(
      /^workload\.adapters\[2\]: unknown field "color"/,
    );
  });

  it("reports damaged columns with the field they belong to", () => {
    const wire = JSON.parse(
      LZString.decompressFromEncodedURIComponent(
        encodeScenarioToHash(defaultFleetScenario()).slice(4),
      )!,
    );
    const pack = (w: unknown) => `#v1.${LZString.compressToEncodedURIComponent(JSON.stringify(w))}`;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- editing raw wire JSON
    const cases: [(w: Record<string, any>) => void, RegExp][] = [
      [
        (w) => (w.workload.A.r.x = w.workload.A.r.x.slice(1)),
        /^workload\.adapters\[\]\.rank: the link is damaged \(expected 300 entries, found 299\)/,
      ],
      [
        (w) => (w.workload.A.q.x = "Z" + w.workload.A.q.x.slice(1)),
        /^workload\.adapters\[\]\.rateRps: the link is damaged \(entry 0 refers to value 25 of 3\)/,
      ],
      [
        (w) => (w.workload.A.n = 20_001),
        /^workload\.adapters: must be a list of at most 20,000 adapters \(got 20,001 entries\)/,
      ],
      [
        (w) => (w.workload.A.id = { p: "a", w: 99, s: 0 }),
        /^workload\.adapters\[\]\.id: the link is damaged \(bad id template\)/,
      ],
      [
        (w) => (w.workload.A.q.D = -1),
        /^workload\.adapters\[\]\.rateRps: the link is damaged \(bad denominator\)/,
      ],
      [
        (w) => (w.workload.adapters = []),
        /^workload\.adapters: the link is damaged \(adapters given twice\)/,
      ],
      [
        (w) => (w.workload.A.zzz = 1),
        /^workload\.adapters: the link is damaged \(unknown key "zzz"\)/,
      ],
    ];
    for (const [edit, pattern] of cases) {
      const w = structuredClone(wire);
      edit(w);
      expect(decodeError(pack(w)).message).toMatch(pattern);
    }
  });

  it("refuses oversized hashes and zip bombs before parsing", () => {
    expect(decodeError("#v1." + "A".repeat(URL_LIMITS.maxHashChars)).message).toMatch(
      /^url: the link is 2,097,156 characters, more than the 2,097,152/,
    );
    const bomb = `#v1.${lzBomb(7000)}`; // ≈ 24.5 M characters from ~13 KB
    expect(bomb.length).toBeLessThan(20_000);
    const t0 = performance.now();
    expect(decodeError(bomb).message).toBe(
      "url: the link expands to more than 16,000,000 characters; refused",
    );
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("decompressUriSafeCapped", () => {
  it("matches lz-string's decompressor on everything it compresses", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc.json(),
          fc.string({
            unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
          }),
        ),
        (text) => {
          const c = LZString.compressToEncodedURIComponent(text);
          const out = decompressUriSafeCapped(c, 1e9);
          if (text === "") return !out.ok || out.text === "";
          return (
            out.ok && out.text === text && LZString.decompressFromEncodedURIComponent(c) === text
          );
        },
      ),
      { numRuns: 100, seed: 1 },
    );
  });

  it("on garbage, either refuses or returns exactly what lz-string returns", () => {
    // The library has no error path: on streams its compressor never writes (e.g. a first code
    // of 3) it pushes `undefined` and carries on, or throws a TypeError ("z"). Ours refuses.
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.string({
          minLength: 1,
          maxLength: 60,
          unit: fc.constantFrom(
            ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$".split(""),
          ),
        }),
        (p) => {
          const out = decompressUriSafeCapped(p, 1e6);
          if (!out.ok) return true;
          accepted++;
          return LZString.decompressFromEncodedURIComponent(p) === out.text;
        },
      ),
      { numRuns: 2000, seed: 2 },
    );
    expect(accepted).toBeGreaterThan(0);
  });

  it("stops at the cap", () => {
    expect(decompressUriSafeCapped(lzBomb(1000), 501_501)).toMatchObject({ ok: true });
    expect(decompressUriSafeCapped(lzBomb(1000), 501_500)).toEqual({
      ok: false,
      reason: "too-large",
    });
  });
});
