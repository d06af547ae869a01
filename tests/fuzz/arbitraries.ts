/**
 * fast-check generators shared by the fuzz tests (`tests/fuzz/*.test.ts`, bounded) and the
 * large run (`npm run bench:fuzz`): valid inputs of every boundary, and mutations that break
 * them (wrong types, huge numbers, NaN/Infinity, deep nesting, unknown keys, …).
 */
import fc from "fast-check";
import { GPU_IDS, MODEL_IDS, type GpuId } from "../../src/core/catalog/ids";
import { MODELS } from "../../src/core/catalog/models";
import type { FleetScenario } from "../../src/core/scenario/fleet";
import {
  LIMITS,
  VLLM_LORA_RANKS,
  VLLM_MAX_LORA_RANKS,
  type LengthProfile,
} from "../../src/core/scenario/schema";

// ---------------------------------------------------------------------------------------------
// Valid scenarios
// ---------------------------------------------------------------------------------------------

/** `arb` one time in `n`, else undefined. */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: n - 1 }, { arbitrary: arb, weight: 1 });

const pos = (max: number) => fc.double({ min: Number.MIN_VALUE, max, noNaN: true });
const tokens = fc.oneof(
  fc.integer({ min: 1, max: 4096 }),
  fc.integer({ min: 1, max: LIMITS.tokens }),
);

/** Any UTF-16 string, lone surrogates included (ids and file names are free text). */
export const anyText = (minLength: number, maxLength: number) =>
  fc.oneof(
    fc.string({ minLength, maxLength }),
    fc.string({
      minLength,
      maxLength,
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    }),
    fc.string({
      minLength,
      maxLength,
      unit: fc.constantFrom("<", ">", '"', "'", "&", "=", ",", "\n", "\\", "/", "#", "%", " ", "a"),
    }),
  );

export const lengthProfileArb: fc.Arbitrary<LengthProfile> = fc.oneof(
  { arbitrary: fc.constant({ profile: "sharegpt" as const }), weight: 4 },
  fc.record({ profile: fc.constant("fixed" as const), promptTokens: tokens, outputTokens: tokens }),
  fc.tuple(tokens, tokens, tokens, tokens).map(([a, b, c, d]) => ({
    profile: "uniform" as const,
    promptTokens: [Math.min(a, b), Math.max(a, b)] as [number, number],
    outputTokens: [Math.min(c, d), Math.max(c, d)] as [number, number],
  })),
  fc
    .tuple(fc.array(fc.tuple(tokens, tokens), { minLength: 1, maxLength: 60 }), fc.boolean())
    .map(([pairs, sorted]) => {
      if (sorted) pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      return {
        profile: "empirical" as const,
        promptTokens: pairs.map((p) => p[0]),
        outputTokens: pairs.map((p) => p[1]),
      };
    }),
);

const arrivalArb = fc.oneof(
  fc.constant({ kind: "poisson" as const }),
  fc.record({
    kind: fc.constant("gamma" as const),
    cv: fc.double({ min: 0.05, max: 20, noNaN: true }),
  }),
);

const objectiveArb = fc.oneof(
  fc.constantFrom("min-gpus" as const, "min-cost" as const),
  fc.record({ ttftP99Ms: pos(3_600_000) }),
  fc.record({ itlP99Ms: pos(60_000) }),
  fc.record({ ttftP99Ms: pos(3_600_000), itlP99Ms: pos(60_000) }),
);

/** Adapter ids: a template (`prefix + zero-padded i`, what generators and trace imports make) or free text. */
function idsArb(n: number): fc.Arbitrary<string[]> {
  const template = fc
    .tuple(
      fc.string({ maxLength: 12 }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: 1, max: 8 }),
    )
    .map(([prefix, start, width]) =>
      Array.from({ length: n }, (_, i) => `${prefix}${String(start + i).padStart(width, "0")}`),
    );
  const free = fc.array(anyText(1, 40), { minLength: n, maxLength: n }).map((ids) => {
    const seen = new Set<string>();
    return ids.map((id, i) => {
      let out = id;
      if (seen.has(out)) out = `${id}#${i}`.slice(-LIMITS.idLength);
      seen.add(out);
      return out;
    });
  });
  return fc.oneof(template, free);
}

export interface ScenarioArbOptions {
  /** most adapters in the common case (a few cases go up to `bigAdapters`) */
  maxAdapters?: number;
  bigAdapters?: number;
}

/** Valid fleet scenarios covering every feature (by construction; the tests check it). */
export function fleetScenarioArb(opts: ScenarioArbOptions = {}): fc.Arbitrary<FleetScenario> {
  const maxAdapters = opts.maxAdapters ?? 60;
  const bigAdapters = opts.bigAdapters ?? 2000;
  const count = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 4 }), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: maxAdapters }), weight: 6 },
    { arbitrary: fc.integer({ min: maxAdapters, max: bigAdapters }), weight: 1 },
  );
  const gpuTypes = fc
    .uniqueArray(fc.constantFrom(...GPU_IDS), { minLength: 1, maxLength: GPU_IDS.length })
    .chain((gpus) =>
      fc.tuple(
        ...gpus.map((gpu) =>
          fc.record(
            {
              gpu: fc.constant(gpu),
              costPerHour: fc.oneof(fc.constantFrom(0.8, 1.3, 3, 5.25), pos(1000)),
              maxCount: fc.integer({ min: 1, max: 10_000 }),
            },
            { requiredKeys: ["gpu", "costPerHour"] },
          ),
        ),
      ),
    );
  const engine = fc.record(
    {
      enableLora: fc.boolean(),
      maxLoras: fc.integer({ min: 1, max: LIMITS.maxLoras }),
      maxCpuLoras: fc.integer({ min: 1, max: LIMITS.maxCpuLoras }),
      maxLoraRank: fc.constantFrom(...VLLM_MAX_LORA_RANKS),
      maxNumSeqs: fc.integer({ min: 1, max: LIMITS.maxNumSeqs }),
      maxNumBatchedTokens: fc.integer({ min: 1, max: LIMITS.maxNumBatchedTokens }),
      gpuMemoryUtilization: pos(1),
      maxModelLen: fc.integer({ min: 16, max: LIMITS.tokens }),
    },
    { requiredKeys: [] },
  );
  const base = fc.record({
    model: fc.constantFrom(...MODEL_IDS),
    gpuTypes,
    objective: objectiveArb,
    engine,
    durationS: fc.oneof(fc.constantFrom(3600, 600, 86_400), pos(LIMITS.durationS)),
    seed: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    lengths: lengthProfileArb,
    arrival: arrivalArb,
    maxPendingRequests: rarely(fc.integer({ min: 1, max: LIMITS.maxPendingRequests }), 2),
    n: count,
  });
  return base.chain((b) => {
    const n = b.n;
    const D = b.durationS;
    const rate = fc.oneof(
      fc.constantFrom(0.1, 0.05, 0.025, 1e-6),
      pos(LIMITS.rateRps),
      fc.integer({ min: 1, max: 100_000 }).map((k) => Math.min(LIMITS.rateRps, k / D)),
    );
    const cycle = <T>(arb: fc.Arbitrary<T>) =>
      fc.oneof(
        fc
          .array(arb, { minLength: 1, maxLength: 4 })
          .map((c) => Array.from({ length: n }, (_, i) => c[i % c.length]!)),
        fc.array(arb, { minLength: n, maxLength: n }),
      );
    return fc
      .record({
        ids: idsArb(n),
        ranks: cycle(fc.constantFrom(...VLLM_LORA_RANKS)),
        rates: cycle(rate),
        ownLengths: fc.array(rarely(lengthProfileArb, 12), { minLength: n, maxLength: n }),
        trace: rarely(
          fc.record(
            {
              source: anyText(1, 256),
              format: fc.constantFrom("azure" as const, "processed" as const),
              rows: fc.integer({ min: 1, max: LIMITS.traceRows }),
              skippedFraction: fc.double({ min: 0, max: 1, noNaN: true }),
              durationS: pos(LIMITS.durationS),
              rateScale: pos(1_000_000),
              popularity: fc.oneof(
                fc.record({
                  kind: fc.constant("zipf" as const),
                  alpha: fc.double({ min: 0, max: 10, noNaN: true }),
                }),
                fc.record({
                  kind: fc.constant("dirichlet" as const),
                  alpha: fc.double({ min: 0.001, max: 1000, noNaN: true }),
                }),
              ),
              seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
            },
            { requiredKeys: ["source", "format", "rows", "skippedFraction", "durationS"] },
          ),
          3,
        ),
        placement: rarely(
          fc.record({
            gpus: fc.integer({ min: 1, max: 6 }),
            types: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
            where: fc.array(fc.integer({ min: -1, max: 5 }), { minLength: n, maxLength: n }),
          }),
          3,
        ),
      })
      .map((x): FleetScenario => {
        const engineFlags = { ...b.engine };
        if (engineFlags.maxLoras !== undefined && engineFlags.maxCpuLoras !== undefined) {
          engineFlags.maxCpuLoras = Math.max(engineFlags.maxCpuLoras, engineFlags.maxLoras);
        }
        if (engineFlags.maxNumSeqs !== undefined && engineFlags.maxNumBatchedTokens !== undefined) {
          engineFlags.maxNumBatchedTokens = Math.max(
            engineFlags.maxNumBatchedTokens,
            engineFlags.maxNumSeqs,
          );
        }
        if (engineFlags.maxModelLen !== undefined) {
          engineFlags.maxModelLen = Math.min(
            engineFlags.maxModelLen,
            MODELS[b.model].maxPositionEmbeddings,
          );
        }
        const cap = engineFlags.maxLoraRank ?? Infinity;
        const adapters = x.ids.map((id, i) => {
          const a: FleetScenario["workload"]["adapters"][number] = {
            id,
            rank: Math.min(x.ranks[i]!, cap) as (typeof VLLM_LORA_RANKS)[number],
            rateRps: x.rates[i]!,
          };
          if (x.ownLengths[i]) a.lengths = x.ownLengths[i];
          return a;
        });
        const gpuTypesOut = b.gpuTypes.map((g) => ({ ...g }));
        const s: FleetScenario = {
          version: 1,
          model: b.model,
          gpuTypes: gpuTypesOut,
          objective: b.objective,
          engine: engineFlags,
          workload: {
            durationS: b.durationS,
            seed: b.seed,
            lengths: b.lengths,
            arrival: b.arrival,
            adapters,
          },
        };
        if (b.maxPendingRequests !== undefined)
          s.workload.maxPendingRequests = b.maxPendingRequests;
        if (x.trace) {
          const { skippedFraction, ...t } = x.trace;
          s.trace = { ...t, skippedRows: Math.floor(skippedFraction * t.rows) };
        }
        if (x.placement) {
          const gpus = Array.from({ length: x.placement.gpus }, (_, k) => ({
            gpu: gpuTypesOut[x.placement!.types[k]! % gpuTypesOut.length]!.gpu,
            adapters: [] as string[],
          }));
          x.placement.where.forEach((w, i) => {
            if (w >= 0 && w < gpus.length) gpus[w]!.adapters.push(adapters[i]!.id);
          });
          // Keep within maxCount.
          const perType = new Map<GpuId, number>();
          for (const g of gpus) perType.set(g.gpu, (perType.get(g.gpu) ?? 0) + 1);
          for (const g of gpuTypesOut) {
            const c = perType.get(g.gpu) ?? 0;
            if (g.maxCount !== undefined && c > g.maxCount) g.maxCount = c;
          }
          s.placement = { gpus };
        }
        // fc.record may build null-prototype objects; a scenario is plain JSON-like data.
        return structuredClone(s);
      });
  });
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

/** Nested arrays `depth` deep, built without recursion. */
export function deepNest(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Values that are not what any field wants (JSON-representable unless `jsonOnly` is false). */
export function badValueArb(jsonOnly: boolean): fc.Arbitrary<unknown> {
  const json: fc.Arbitrary<unknown>[] = [
    fc.constantFrom(
      1e308,
      -1e308,
      2 ** 53 + 2,
      -(2 ** 53) - 2,
      5e-324,
      -1,
      0,
      1.5,
      2 ** 32,
      "",
      "NaN",
      "Infinity",
      "1e999",
      "8",
      "<img src=x onerror=alert(1)>",
      '=HYPERLINK("http://x")',
      null,
      true,
      false,
      [],
      {},
      { __proto__: null, polluted: true },
    ),
    fc.integer({ min: 10, max: 3000 }).map((d) => deepNest(d)),
    fc.integer({ min: 1000, max: 100_000 }).map((n) => "x".repeat(n)),
    fc.integer({ min: 100, max: 30_000 }).map((n) => new Array<number>(n).fill(1)),
    fc.jsonValue({ maxDepth: 4 }),
    fc.double(),
    fc.string(),
  ];
  if (jsonOnly) return fc.oneof(...json);
  return fc.oneof(
    ...json,
    fc.constantFrom(
      NaN,
      Infinity,
      -Infinity,
      -0,
      undefined,
      10n ** 30n,
      Symbol("s"),
      () => 1,
      new Date(NaN),
      new Map(),
      /x/,
    ),
    fc.anything({
      maxDepth: 3,
      withBigInt: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withNullPrototype: true,
    }),
  );
}

/** Every path of nodes (objects/arrays and their children) in `v`, breadth first, at most `limit`. */
function paths(v: unknown, limit: number): (string | number)[][] {
  const out: (string | number)[][] = [[]];
  const queue: { v: unknown; p: (string | number)[] }[] = [{ v, p: [] }];
  while (queue.length > 0 && out.length < limit) {
    const { v: node, p } = queue.shift()!;
    if (typeof node !== "object" || node === null) continue;
    const keys: (string | number)[] = Array.isArray(node)
      ? node.map((_, i) => i)
      : Object.keys(node);
    for (const k of keys) {
      const child = (node as Record<string | number, unknown>)[k];
      out.push([...p, k]);
      queue.push({ v: child, p: [...p, k] });
      if (out.length >= limit) break;
    }
  }
  return out;
}

export type Mutation =
  | { kind: "set"; value: unknown }
  | { kind: "delete" }
  | { kind: "unknown-key"; key: string; value: unknown }
  | { kind: "duplicate" }
  | { kind: "wrap" };

export function mutationArb(jsonOnly: boolean): fc.Arbitrary<Mutation> {
  return fc.oneof(
    {
      arbitrary: badValueArb(jsonOnly).map((value) => ({ kind: "set" as const, value })),
      weight: 6,
    },
    { arbitrary: fc.constant({ kind: "delete" as const }), weight: 2 },
    {
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.constantFrom("__proto__", "constructor", "prototype", "x", "version"),
            fc.string(),
          ),
          badValueArb(true),
        )
        .map(([key, value]) => ({ kind: "unknown-key" as const, key, value })),
      weight: 1,
    },
    { arbitrary: fc.constant({ kind: "duplicate" as const }), weight: 1 },
    { arbitrary: fc.constant({ kind: "wrap" as const }), weight: 1 },
  );
}

/** A copy of `doc` with `m` applied at the `pick`-th path (modulo the number of paths). */
export function mutate(doc: unknown, pick: number, m: Mutation): unknown {
  const all = paths(doc, 5000);
  const path = all[pick % all.length]!;
  const root = structuredClone(doc) as unknown;
  if (path.length === 0) {
    if (m.kind === "set") return m.value;
    if (m.kind === "wrap") return [root];
    if (
      m.kind === "unknown-key" &&
      typeof root === "object" &&
      root !== null &&
      !Array.isArray(root)
    ) {
      Object.defineProperty(root, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return root;
  }
  let parent = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  const cur = parent[key];
  switch (m.kind) {
    case "set":
      parent[key] = m.value;
      break;
    case "delete":
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case "unknown-key":
      if (typeof cur === "object" && cur !== null && !Array.isArray(cur)) {
        Object.defineProperty(cur, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else parent[key] = { [m.key]: m.value };
      break;
    case "duplicate":
      if (Array.isArray(parent)) parent.push(structuredClone(cur));
      else if (Array.isArray(cur) && cur.length > 0) cur.push(structuredClone(cur[0]));
      else parent[key] = [cur, cur];
      break;
    case "wrap":
      parent[key] = [cur];
      break;
  }
  return root;
}

/** Single-GPU scenario files (the `twin`/`estimate` input, `loadScenario`) derived from a fleet scenario. */
export function singleScenarioArb(): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fleetScenarioArb({ maxAdapters: 30, bigAdapters: 300 }),
      fc.nat(),
      fc.boolean(),
      fc.integer({ min: 0, max: 200 }),
    )
    .map(([s, g, withTrace, rows]) => {
      const doc: Record<string, unknown> = {
        version: 1,
        model: s.model,
        gpu: s.gpuTypes[g % s.gpuTypes.length]!.gpu,
        engine: s.engine,
        workload: { ...s.workload },
      };
      const n = s.workload.adapters.length;
      if (withTrace && n > 0) {
        const arrivalS: number[] = [];
        let t = 0;
        for (let i = 0; i < rows; i++) arrivalS.push((t += ((i * 7919) % 13) / 10));
        (doc.workload as Record<string, unknown>).trace = {
          arrivalS: arrivalS.map((x) => Math.min(x, s.workload.durationS)),
          adapter: arrivalS.map((_, i) => (i * 31) % n),
          promptTokens: arrivalS.map((_, i) => 1 + (i % 500)),
          outputTokens: arrivalS.map((_, i) => 1 + ((i * 3) % 300)),
        };
      }
      return doc;
    });
}

// ---------------------------------------------------------------------------------------------
// Trace CSV
// ---------------------------------------------------------------------------------------------

const AZURE = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];
const PROCESSED = ["arrived_at", "num_prefill_tokens", "num_decode_tokens"];

const cellArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 5000 }).map(String), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      "",
      " ",
      "-1",
      "1.5",
      "1e3",
      "1e400",
      "NaN",
      "Infinity",
      "-Infinity",
      "0x10",
      "٣",
      "１２",
      "9999999999999999999999",
      "1048577",
      '=HYPERLINK("http://evil","x")',
      "+1",
      "@SUM(A1)",
      '"quoted"',
      '"1,2"',
      '"multi\nline"',
      '"unterminated',
      'a"b',
      '""',
      "\u0000",
      "\ufeff5",
      "2023-11-16 18:15:46.6805900",
      "2023-13-40 25:61:61",
      "2023-11-16T18:15:46Z",
      "2023-11-16 18:15:46+05:30",
    ),
    weight: 3,
  },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 2 },
  { arbitrary: fc.double().map(String), weight: 1 },
);

export interface CsvCase {
  text: string;
  /** what the generator intended (for reports) */
  kind: string;
}

/** Trace CSVs: both header forms (any case and order, extra or missing columns), BOM, CRLF/CR/LF, quotes, blank lines, bad cells. */
export function traceCsvArb(): fc.Arbitrary<CsvCase> {
  return fc
    .record({
      format: fc.constantFrom("azure", "processed"),
      caseMode: fc.constantFrom("as-is", "upper", "lower"),
      extra: fc.array(
        fc.oneof(fc.constantFrom("id", "model", "x y", "TIMESTAMP2"), fc.string({ maxLength: 8 })),
        { maxLength: 2 },
      ),
      drop: rarely(fc.integer({ min: 0, max: 2 }), 6),
      shuffle: fc.nat(),
      quoteHeader: fc.boolean(),
      bom: fc.boolean(),
      eol: fc.constantFrom("\n", "\r\n", "\r"),
      trailing: fc.boolean(),
      rows: fc.array(
        fc.record({
          good: fc.boolean(),
          cells: fc.array(cellArb, { minLength: 0, maxLength: 6 }),
          gap: fc.double({ min: 0, max: 5, noNaN: true }),
          p: fc.integer({ min: 0, max: 4000 }),
          o: fc.integer({ min: 0, max: 2000 }),
          blank: fc.boolean(),
        }),
        { maxLength: 40 },
      ),
      headerless: fc.oneof(
        { arbitrary: fc.constant(false), weight: 15 },
        { arbitrary: fc.constant(true), weight: 1 },
      ),
    })
    .map((r) => {
      let header = [...(r.format === "azure" ? AZURE : PROCESSED)];
      if (r.caseMode === "upper") header = header.map((h) => h.toUpperCase());
      if (r.caseMode === "lower") header = header.map((h) => h.toLowerCase());
      const cols = [...header, ...r.extra];
      const order = cols.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = (r.shuffle + i * 7) % (i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const dropped = r.drop !== undefined ? r.drop : -1;
      const used = order.filter((i) => i !== dropped);
      const head = used.map((i) => (r.quoteHeader ? `"${cols[i]}"` : cols[i]!)).join(",");
      const lines: string[] = r.headerless ? [] : [head];
      let t = 0;
      const start = Date.UTC(2023, 10, 16, 18, 15, 46);
      for (const row of r.rows) {
        if (row.blank) lines.push("");
        if (row.good) {
          t += row.gap;
          const ts =
            r.format === "azure"
              ? new Date(start + t * 1000).toISOString().replace("T", " ").replace("Z", "")
              : t.toFixed(3);
          const vals: Record<number, string> = { 0: ts, 1: String(row.p), 2: String(row.o) };
          lines.push(used.map((i) => vals[i] ?? "x").join(","));
        } else {
          lines.push(
            row.cells.map((c) => (c.includes(",") && !c.startsWith('"') ? `"${c}"` : c)).join(","),
          );
        }
      }
      let text = lines.join(r.eol);
      if (r.trailing) text += r.eol;
      if (r.bom) text = "\ufeff" + text;
      return {
        text,
        kind: `${r.format}${r.drop !== undefined ? "-missing-column" : ""}${r.headerless ? "-headerless" : ""}`,
      };
    });
}

/** A trace whose data row (or header) is one line of `chars` characters. */
export function longLineCsv(chars: number, where: "row" | "header" | "quoted"): string {
  const filler = "9".repeat(chars);
  if (where === "header") return `${filler},ContextTokens,GeneratedTokens\n0,1,1\n`;
  if (where === "quoted") return `arrived_at,num_prefill_tokens,num_decode_tokens\n0,"${filler}\n`;
  return `arrived_at,num_prefill_tokens,num_decode_tokens\n0,10,10\n1,${filler},5\n2,10,10\n`;
}

// ---------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------

export const URI_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$";

/**
 * An lz-string payload (URI-safe alphabet) that expands to about `codes²/2` characters: after
 * one literal "a", every code refers to the entry being defined (the LZW "KwKwK" case), so each
 * emitted string is one longer than the last. 6,000 codes ≈ 18 M characters from ~10 KB.
 */
export function lzBomb(codes: number): string {
  const bits: number[] = [];
  const put = (value: number, n: number) => {
    for (let i = 0; i < n; i++) bits.push((value >> i) & 1);
  };
  put(0, 2); // 8-bit literal follows
  put(97, 8); // "a"
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  for (let k = 0; k < codes; k++) {
    put(dictSize, numBits);
    dictSize++;
    enlargeIn--;
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  }
  put(2, numBits); // end of stream
  while (bits.length % 6 !== 0) bits.push(0);
  let out = "";
  for (let i = 0; i < bits.length; i += 6) {
    let v = 0;
    for (let j = 0; j < 6; j++) v = (v << 1) | bits[i + j]!;
    out += URI_ALPHABET[v];
  }
  return out;
}
