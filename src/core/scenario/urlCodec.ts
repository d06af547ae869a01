/**
 * The scenario in the URL hash: `#v<version>.<payload>`, payload = lz-string
 * `compressToEncodedURIComponent` of a compact JSON "wire" form of the {@link FleetScenario}.
 *
 * The wire form is the scenario JSON with three substitutions, so everything else is validated
 * by the one scenario schema on decode:
 * - `workload.adapters` → `workload.A`, columns: `n` adapters, `id` (a template
 *   `{p, w, s}` meaning `p + String(s + i).padStart(w, "0")`, or the list of ids), `r` ranks and
 *   `q` rates as a dictionary `d` plus fixed-width base-64 indices `x` (rates: the first `k`
 *   dictionary entries are numerators over `D` = `workload.durationS`, exact to the bit — what
 *   a trace's fitted rates are), `L` sparse per-adapter length profiles `[index, profile]`;
 * - `placement.gpus[]` → `[gpu, "x"]` or `[gpu, "x", engine]`: the adapters as indices into the
 *   adapters (or the raw ids), and the GPU's engine flags when the placement carries them;
 * - an empirical length profile whose prompt lengths never decrease (sorted) →
 *   `promptDeltas` instead of `promptTokens`.
 *
 * Decoding never throws: it refuses hashes over 2 MiB, payloads that would decompress beyond
 * 16 M characters (checked while decompressing: a crafted payload can expand quadratically),
 * JSON nested deeper than 32 levels, damaged columns and invalid scenarios, each with a
 * one-line {@link InputError} naming the field. Older versions are migrated (`migrate.ts`),
 * newer ones refused politely.
 */
import LZString from "lz-string";
import { InputError } from "./errors";
import {
  FLEET_LIMITS,
  parseFleetScenarioWithNotes,
  parseJsonSafely,
  show,
  type FleetScenario,
} from "./fleet";
import { checkVersion, FLEET_MIGRATIONS, FLEET_SCENARIO_VERSION } from "./migrate";
import { LIMITS } from "./schema";

/** Limits of links. */
export const URL_LIMITS = {
  /** longest hash decoded, characters (2 MiB) */
  maxHashChars: 2_097_152,
  /** most characters a payload may decompress to */
  maxJsonChars: FLEET_LIMITS.jsonChars,
  /** deepest JSON nesting accepted (a valid wire form nests 7 levels) */
  maxDepth: FLEET_LIMITS.jsonDepth,
  /** links longer than this may be cut by chat and e-mail clients; say so */
  warnChars: 8_000,
  /** links longer than this are not offered as links (browsers accept ~2 MB, but they are unwieldy) */
  maxShareChars: 100_000,
} as const;

export type DecodeResult =
  { ok: true; scenario: FleetScenario; notes: string[] } | { ok: false; error: InputError };

export interface ShareResult {
  /** `#v1.…` */
  hash: string;
  /** hash length, characters (= bytes: the alphabet is ASCII) */
  chars: number;
  /** false when the scenario is too large to share as a link (see `notes`) */
  fitsUrl: boolean;
  /** one line per thing the user should know about this link */
  notes: string[];
}

const fmt = (x: number): string => x.toLocaleString("en-US");
const kb = (chars: number): string => `${(chars / 1000).toFixed(chars < 10_000 ? 1 : 0)} KB`;

// ---------------------------------------------------------------------------------------------
// Fixed-width base-64 index columns
// ---------------------------------------------------------------------------------------------

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** Characters per index for `size` distinct values (1: ≤ 64, 2: ≤ 4,096, 3: ≤ 262,144). */
function indexWidth(size: number): number {
  return size <= 64 ? 1 : size <= 4096 ? 2 : 3;
}

function encodeIndices(indices: readonly number[], width: number): string {
  let out = "";
  for (const v of indices) {
    for (let k = width - 1; k >= 0; k--) out += B64[(v >> (6 * k)) & 63]!;
  }
  return out;
}

/** @throws InputError (field `field`) when `x` is not `count` indices below `size` */
function decodeIndices(x: string, count: number, size: number, field: string): number[] {
  const width = indexWidth(size);
  if (x.length !== count * width) {
    throw damaged(
      field,
      `expected ${fmt(count)} entries, found ${fmt(Math.floor(x.length / width))}`,
    );
  }
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let k = 0; k < width; k++) {
      const c = x.charCodeAt(i * width + k);
      const d = c < 128 ? B64_VALUE[c]! : -1;
      if (d < 0) throw damaged(field, `unexpected character ${show(x[i * width + k])}`);
      v = v * 64 + d;
    }
    if (v >= size) throw damaged(field, `entry ${i} refers to value ${v} of ${size}`);
    out[i] = v;
  }
  return out;
}

function damaged(field: string, detail: string): InputError {
  return new InputError(field, `the link is damaged (${detail}); ask for a new link`);
}

// ---------------------------------------------------------------------------------------------
// Wire form v1: encode
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `{p, w, s}` when ids are `p + String(s + i).padStart(w, "0")`, else undefined. */
function idTemplate(ids: readonly unknown[]): { p: string; w: number; s: number } | undefined {
  const first = ids[0];
  if (typeof first !== "string") return undefined;
  const m = /^(.*?)(\d{1,15})$/s.exec(first);
  if (!m) return undefined;
  const p = m[1]!;
  const w = m[2]!.length;
  const s = Number(m[2]);
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== p + String(s + i).padStart(w, "0")) return undefined;
  }
  return { p, w, s };
}

/** Dictionary + indices of a numeric column; the first `k` entries are numerators over `D` when given. */
function encodeColumn(values: readonly unknown[], D?: number): Json {
  const distinct = new Map<unknown, number>();
  for (const v of values) if (!distinct.has(v)) distinct.set(v, distinct.size);
  const rational: unknown[] = [];
  const literal: unknown[] = [];
  const slot = new Map<unknown, { rational: boolean; at: number }>();
  for (const v of distinct.keys()) {
    const k = D !== undefined && typeof v === "number" ? Math.round(v * D) : NaN;
    if (D !== undefined && Number.isSafeInteger(k) && k > 0 && k / D === v) {
      slot.set(v, { rational: true, at: rational.length });
      rational.push(k);
    } else {
      slot.set(v, { rational: false, at: literal.length });
      literal.push(v);
    }
  }
  const size = rational.length + literal.length;
  const indices = values.map((v) => {
    const s = slot.get(v)!;
    return s.rational ? s.at : rational.length + s.at;
  });
  const col: Json = { d: [...rational, ...literal], x: encodeIndices(indices, indexWidth(size)) };
  if (rational.length > 0) {
    col.D = D;
    col.k = rational.length;
  }
  return col;
}

function isSortedInts(a: unknown): a is number[] {
  if (!Array.isArray(a)) return false;
  for (let i = 0; i < a.length; i++) {
    const v: unknown = a[i];
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return false;
    if (i > 0 && v < (a[i - 1] as number)) return false;
  }
  return true;
}

function encodeLengths(p: unknown): unknown {
  if (
    isRecord(p) &&
    p.profile === "empirical" &&
    isSortedInts(p.promptTokens) &&
    p.promptTokens.length > 0
  ) {
    const t = p.promptTokens;
    const { promptTokens: _, ...rest } = p;
    return { ...rest, promptDeltas: t.map((v, i) => (i === 0 ? v : v - t[i - 1]!)) };
  }
  return p;
}

function encodeAdapters(adapters: unknown[], durationS: unknown): Json {
  const n = adapters.length;
  const rows = adapters.map((a) => (isRecord(a) ? a : {}));
  const ids = rows.map((a) => a.id);
  const L: [number, unknown][] = [];
  rows.forEach((a, i) => {
    if (a.lengths !== undefined) L.push([i, encodeLengths(a.lengths)]);
  });
  const D =
    typeof durationS === "number" && durationS > 0 && Number.isFinite(durationS)
      ? durationS
      : undefined;
  const A: Json = {
    n,
    id: idTemplate(ids) ?? ids,
    r: encodeColumn(rows.map((a) => a.rank)),
    q: encodeColumn(
      rows.map((a) => a.rateRps),
      D,
    ),
  };
  if (L.length > 0) A.L = L;
  // Anything an adapter carries beyond id/rank/rateRps/lengths (only in invalid input) rides
  // along raw, so the decoder's schema sees it and rejects it instead of the link hiding it.
  const extra: [number, Json][] = [];
  rows.forEach((a, i) => {
    const { id: _i, rank: _r, rateRps: _q, lengths: _l, ...rest } = a;
    if (Object.keys(rest).length > 0 || !isRecord(adapters[i]))
      extra.push([i, isRecord(adapters[i]) ? rest : { _: adapters[i] }]);
  });
  if (extra.length > 0) A.X = extra;
  return A;
}

/** The wire form of a scenario (see the module comment). Total: any input encodes. */
function toWire(s: FleetScenario): Json {
  const src = s as unknown as Json;
  const wire: Json = { ...src };
  const w = src.workload;
  let ids: unknown[] = [];
  if (isRecord(w)) {
    const wl: Json = { ...w };
    if (w.lengths !== undefined) wl.lengths = encodeLengths(w.lengths);
    if (Array.isArray(w.adapters)) {
      ids = w.adapters.map((a) => (isRecord(a) ? a.id : undefined));
      delete wl.adapters;
      wl.A = encodeAdapters(w.adapters, w.durationS);
    }
    wire.workload = wl;
  }
  const pl = src.placement;
  if (isRecord(pl) && Array.isArray(pl.gpus)) {
    const at = new Map<unknown, number>();
    ids.forEach((id, i) => {
      if (!at.has(id)) at.set(id, i);
    });
    const width = indexWidth(ids.length);
    wire.placement = {
      ...pl,
      gpus: pl.gpus.map((g) => {
        if (
          !isRecord(g) ||
          !Array.isArray(g.adapters) ||
          Object.keys(g).some((k) => k !== "gpu" && k !== "adapters" && k !== "engine") ||
          ("engine" in g && !isRecord(g.engine))
        )
          return g;
        const idx = g.adapters.map((id) => at.get(id));
        const list = idx.every((i) => i !== undefined)
          ? encodeIndices(idx as number[], width)
          : g.adapters;
        return isRecord(g.engine) ? [g.gpu, list, g.engine] : [g.gpu, list];
      }),
    };
  }
  return wire;
}

// ---------------------------------------------------------------------------------------------
// Wire form v1: decode (every structure checked; values are left to the scenario schema)
// ---------------------------------------------------------------------------------------------

function decodeLengths(p: unknown, field: string): unknown {
  if (!isRecord(p) || !("promptDeltas" in p)) return p;
  const { promptDeltas: deltas, ...rest } = p;
  if ("promptTokens" in rest) throw damaged(field, "both promptTokens and promptDeltas");
  if (!Array.isArray(deltas) || deltas.length > LIMITS.empiricalSamples) {
    throw damaged(
      `${field}.promptTokens`,
      `promptDeltas must be a list of at most ${fmt(LIMITS.empiricalSamples)} numbers`,
    );
  }
  const out = new Array<number>(deltas.length);
  let acc = 0;
  for (let i = 0; i < deltas.length; i++) {
    const d: unknown = deltas[i];
    if (typeof d !== "number" || !Number.isSafeInteger(d) || (i > 0 && d < 0)) {
      throw damaged(`${field}.promptTokens[${i}]`, `bad delta ${show(d)}`);
    }
    acc = i === 0 ? d : acc + d;
    out[i] = acc;
  }
  return { ...rest, promptTokens: out };
}

function decodeColumn(col: unknown, n: number, field: string): unknown[] {
  if (!isRecord(col)) throw damaged(field, "missing column");
  const { d, x, D, k, ...rest } = col;
  if (Object.keys(rest).length > 0)
    throw damaged(field, `unknown key ${show(Object.keys(rest)[0])}`);
  if (!Array.isArray(d) || d.length > Math.max(n, 1)) throw damaged(field, "bad dictionary");
  if (typeof x !== "string") throw damaged(field, "bad index column");
  let values: unknown[] = d;
  if (k !== undefined || D !== undefined) {
    if (typeof D !== "number" || !(D > 0) || !Number.isFinite(D))
      throw damaged(field, "bad denominator");
    if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k > d.length)
      throw damaged(field, "bad numerator count");
    values = d.map((v: unknown, j) => {
      if (j >= k) return v;
      if (typeof v !== "number") throw damaged(field, `numerator ${j} is ${show(v)}`);
      return v / D;
    });
  }
  return decodeIndices(x, n, values.length, field).map((j) => values[j]);
}

function decodeAdapters(A: unknown): unknown[] {
  const field = "workload.adapters";
  if (!isRecord(A)) throw damaged(field, "missing adapter columns");
  const { n, id, r, q, L, X, ...rest } = A;
  if (Object.keys(rest).length > 0)
    throw damaged(field, `unknown key ${show(Object.keys(rest)[0])}`);
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
    throw damaged(field, `bad adapter count ${show(n)}`);
  if (n > LIMITS.adapters) {
    throw new InputError(
      field,
      `must be a list of at most ${fmt(LIMITS.adapters)} adapters (got ${fmt(n)} entries)`,
    );
  }
  let ids: unknown[];
  if (Array.isArray(id)) {
    if (id.length !== n)
      throw damaged(`${field}[].id`, `expected ${fmt(n)} ids, found ${fmt(id.length)}`);
    ids = id;
  } else if (isRecord(id)) {
    const { p, w, s, ...more } = id;
    if (
      Object.keys(more).length > 0 ||
      typeof p !== "string" ||
      p.length > LIMITS.idLength ||
      typeof w !== "number" ||
      !Number.isInteger(w) ||
      w < 1 ||
      w > 15 ||
      typeof s !== "number" ||
      !Number.isSafeInteger(s) ||
      s < 0 ||
      s + n > Number.MAX_SAFE_INTEGER
    ) {
      throw damaged(`${field}[].id`, "bad id template");
    }
    ids = Array.from({ length: n }, (_, i) => p + String(s + i).padStart(w, "0"));
  } else throw damaged(`${field}[].id`, "missing ids");
  const ranks = decodeColumn(r, n, `${field}[].rank`);
  const rates = decodeColumn(q, n, `${field}[].rateRps`);
  const adapters: Json[] = ids.map((aid, i) => ({ id: aid, rank: ranks[i], rateRps: rates[i] }));
  if (L !== undefined) {
    if (!Array.isArray(L) || L.length > n) throw damaged(`${field}[].lengths`, "bad length list");
    let prev = -1;
    L.forEach((e: unknown) => {
      if (
        !Array.isArray(e) ||
        e.length !== 2 ||
        typeof e[0] !== "number" ||
        !Number.isInteger(e[0]) ||
        e[0] <= prev ||
        e[0] >= n
      ) {
        throw damaged(`${field}[].lengths`, "bad length entry");
      }
      prev = e[0];
      adapters[prev]!.lengths = decodeLengths(e[1], `${field}[${prev}].lengths`);
    });
  }
  if (X !== undefined) {
    // Extra adapter fields of an invalid scenario: restore them so the schema names them.
    if (!Array.isArray(X) || X.length > n) throw damaged(field, "bad extra list");
    for (const e of X as unknown[]) {
      if (
        !Array.isArray(e) ||
        e.length !== 2 ||
        typeof e[0] !== "number" ||
        !Number.isInteger(e[0]) ||
        e[0] < 0 ||
        e[0] >= n ||
        !isRecord(e[1])
      ) {
        throw damaged(field, "bad extra entry");
      }
      Object.assign(adapters[e[0]]!, e[1]);
    }
  }
  return adapters;
}

/** Wire v1 → scenario document (not yet validated). @throws InputError */
function fromWireV1(wire: unknown): unknown {
  if (!isRecord(wire)) return wire; // the schema says what is wrong
  const doc: Json = { ...wire };
  let ids: unknown[] | undefined;
  const w = wire.workload;
  if (isRecord(w)) {
    const wl: Json = { ...w };
    if (w.lengths !== undefined) wl.lengths = decodeLengths(w.lengths, "workload.lengths");
    if ("A" in wl) {
      if ("adapters" in wl) throw damaged("workload.adapters", "adapters given twice");
      const adapters = decodeAdapters(wl.A);
      delete wl.A;
      wl.adapters = adapters;
      ids = adapters.map((a) => (isRecord(a) ? a.id : undefined));
    }
    doc.workload = wl;
  }
  const pl = wire.placement;
  if (isRecord(pl) && Array.isArray(pl.gpus)) {
    if (pl.gpus.length > FLEET_LIMITS.placementGpus) {
      throw new InputError(
        "placement.gpus",
        `must list 1 to ${fmt(FLEET_LIMITS.placementGpus)} GPUs (got ${fmt(pl.gpus.length)} entries)`,
      );
    }
    doc.placement = {
      ...pl,
      gpus: pl.gpus.map((g: unknown, gi) => {
        if (!Array.isArray(g)) return g;
        const field = `placement.gpus[${gi}]`;
        if (g.length !== 2 && g.length !== 3) throw damaged(field, "bad GPU entry");
        const [gpu, list, engine] = g as [unknown, unknown, unknown];
        if (g.length === 3 && !isRecord(engine))
          throw damaged(`${field}.engine`, "bad engine flags");
        const withEngine = (e: Json) => (g.length === 3 ? { ...e, engine } : e);
        if (Array.isArray(list)) return withEngine({ gpu, adapters: list });
        if (typeof list !== "string") throw damaged(`${field}.adapters`, "bad adapter list");
        const known = ids ?? [];
        const width = indexWidth(known.length);
        if (list.length % width !== 0) throw damaged(`${field}.adapters`, "bad adapter list");
        const idx = decodeIndices(list, list.length / width, known.length, `${field}.adapters`);
        return withEngine({ gpu, adapters: idx.map((i) => known[i]) });
      }),
    };
  }
  return doc;
}

/** Wire decoders by URL version. A future v2 keeps this one: old links decode as v1, then migrate. */
const WIRE_DECODERS: Readonly<Record<number, (wire: unknown) => unknown>> = { 1: fromWireV1 };

// ---------------------------------------------------------------------------------------------
// lz-string decompression with an output cap
// ---------------------------------------------------------------------------------------------

const URI_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$";
const URI_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < URI_ALPHABET.length; i++) URI_VALUE[URI_ALPHABET.charCodeAt(i)] = i;

type Decompressed = { ok: true; text: string } | { ok: false; reason: "invalid" | "too-large" };

/**
 * `LZString.decompressFromEncodedURIComponent`, ported (lz-string 1.5.0 `_decompress`, WTFPL)
 * to stop once the output would exceed `maxChars`: an LZW-style stream can expand
 * quadratically (n codes → ~n²/2 characters), so a 2 MB link could otherwise ask for
 * ~10^11 characters. Same output as the library on every input it accepts (tested).
 * The input must already be checked against the URI-safe alphabet.
 */
export function decompressUriSafeCapped(input: string, maxChars: number): Decompressed {
  const length = input.length;
  if (length === 0) return { ok: false, reason: "invalid" };
  // 6-bit values, one spare 0 at the end: the stream may read one value past its last character.
  const values = new Uint8Array(length + 1);
  for (let i = 0; i < length; i++) values[i] = URI_VALUE[input.charCodeAt(i) & 127]! & 63;
  const dictionary: string[] = [];
  let enlargeIn = 4;
  let dictSize = 4;
  let numBits = 3;
  const result: string[] = [];
  let dataVal = values[0]!;
  let dataPosition = 32;
  let dataIndex = 1;
  /** `count` bits, least significant first (lz-string's order). */
  const readBits = (count: number): number => {
    let bits = 0;
    for (let power = 0; power < count; power++) {
      if ((dataVal & dataPosition) !== 0) bits |= 1 << power;
      dataPosition >>= 1;
      if (dataPosition === 0) {
        dataPosition = 32;
        dataVal = dataIndex < length ? values[dataIndex]! : 0;
        dataIndex++;
      }
    }
    return bits >>> 0;
  };

  let c: string;
  switch (readBits(2)) {
    case 0:
      c = String.fromCharCode(readBits(8));
      break;
    case 1:
      c = String.fromCharCode(readBits(16));
      break;
    case 2:
      return { ok: true, text: "" };
    default:
      return { ok: false, reason: "invalid" };
  }
  dictionary[3] = c;
  let w = c;
  result.push(c);
  let outChars = 1;
  for (;;) {
    if (dataIndex > length) return { ok: false, reason: "invalid" }; // ran out before the end marker
    let code = readBits(numBits);
    switch (code) {
      case 0:
        dictionary[dictSize++] = String.fromCharCode(readBits(8));
        code = dictSize - 1;
        enlargeIn--;
        break;
      case 1:
        dictionary[dictSize++] = String.fromCharCode(readBits(16));
        code = dictSize - 1;
        enlargeIn--;
        break;
      case 2:
        return { ok: true, text: result.join("") };
    }
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
    let entry: string;
    const known = dictionary[code];
    if (known !== undefined && code >= 3) entry = known;
    else if (code === dictSize) entry = w + w.charAt(0);
    else return { ok: false, reason: "invalid" };
    outChars += entry.length;
    if (outChars > maxChars) return { ok: false, reason: "too-large" };
    result.push(entry);
    dictionary[dictSize++] = w + entry.charAt(0);
    enlargeIn--;
    w = entry;
    if (enlargeIn === 0) {
      enlargeIn = 2 ** numBits;
      numBits++;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * The scenario as a URL hash `#v1.<payload>` (deterministic: the same scenario gives the same
 * hash). Never throws; an invalid scenario still encodes (and fails to decode, with the field).
 */
export function encodeScenarioToHash(s: FleetScenario): string {
  const json = JSON.stringify(toWire(s));
  return `#v${FLEET_SCENARIO_VERSION}.${LZString.compressToEncodedURIComponent(json)}`;
}

/**
 * {@link encodeScenarioToHash} with its size and what the user should know: whether it fits a
 * link (≤ 100,000 characters), a warning above 8,000 (chat/e-mail clients may cut it), and
 * what a trace-derived link carries.
 */
export function shareScenario(s: FleetScenario): ShareResult {
  const hash = encodeScenarioToHash(s);
  const chars = hash.length;
  const fitsUrl = chars <= URL_LIMITS.maxShareChars;
  const notes: string[] = [];
  const n = Array.isArray(s.workload?.adapters) ? s.workload.adapters.length : 0;
  if (!fitsUrl) {
    notes.push(
      `This scenario (${fmt(n)} adapters) needs a ${kb(chars)} link, more than the ${kb(URL_LIMITS.maxShareChars)} a shareable link may have: export it as a JSON file and share the file instead.`,
    );
  } else if (chars > URL_LIMITS.warnChars) {
    notes.push(
      `The link is ${kb(chars)} long; some chat and e-mail clients cut links beyond ~${kb(URL_LIMITS.warnChars)}. If it arrives broken, share the exported JSON file.`,
    );
  }
  if (s.trace) {
    notes.push(
      `Built from the trace "${s.trace.source}": the link carries its summary, the fitted per-adapter rates and the length profile, not the ${fmt(s.trace.rows)} raw requests.`,
    );
  }
  return { hash, chars, fitsUrl, notes };
}

/** Does this hash look like a planner link at all (`#v<digits>.`)? For the UI's "is there a scenario in the URL" check. */
export function isScenarioHash(hash: string): boolean {
  return /^#?v\d+\./.test(hash);
}

function decodeOrThrow(hash: unknown): { scenario: FleetScenario; notes: string[] } {
  if (typeof hash !== "string")
    throw new InputError("url", `must be a text hash (got ${show(hash)})`);
  if (hash.length > URL_LIMITS.maxHashChars) {
    throw new InputError(
      "url",
      `the link is ${fmt(hash.length)} characters, more than the ${fmt(URL_LIMITS.maxHashChars)} a planner link may have`,
    );
  }
  const body = hash.startsWith("#") ? hash.slice(1) : hash;
  if (body === "") throw new InputError("url", "the link has no scenario (expected #v1.…)");
  const m = /^v(\d{1,15})\.([\s\S]*)$/.exec(body);
  if (!m)
    throw new InputError(
      "url",
      `not a planner link: it must start with #v<version>. (got ${show(body.slice(0, 12))})`,
    );
  const version = checkVersion(Number(m[1]), FLEET_MIGRATIONS);
  let payload = m[2]!;
  if (payload.includes("%")) {
    // Some apps percent-encode links they pass on.
    try {
      payload = decodeURIComponent(payload);
    } catch {
      throw damaged("url", "bad percent-encoding");
    }
  }
  payload = payload.replace(/ /g, "+"); // form decoding turns + into spaces
  for (let i = 0; i < payload.length; i++) {
    const c = payload.charCodeAt(i);
    if (c >= 128 || URI_VALUE[c]! < 0) {
      throw damaged("url", `unexpected character ${show(payload[i])} at position ${fmt(i)}`);
    }
  }
  if (payload === "") throw damaged("url", "empty payload");
  const text = decompressUriSafeCapped(payload, URL_LIMITS.maxJsonChars);
  if (!text.ok) {
    if (text.reason === "too-large") {
      throw new InputError(
        "url",
        `the link expands to more than ${fmt(URL_LIMITS.maxJsonChars)} characters; refused`,
      );
    }
    throw damaged("url", "it does not decompress; it may have been cut short");
  }
  let wire: unknown;
  try {
    wire = parseJsonSafely(text.text, "url", URL_LIMITS.maxJsonChars, URL_LIMITS.maxDepth);
  } catch (err) {
    if (err instanceof InputError) throw damaged("url", err.message.replace(/^url: /, "content "));
    throw err;
  }
  if (isRecord(wire) && wire.version !== undefined && wire.version !== version) {
    throw damaged(
      "version",
      `the link says v${version} but its content says ${show(wire.version)}`,
    );
  }
  const doc = WIRE_DECODERS[version]!(wire);
  const { scenario, notes } = parseFleetScenarioWithNotes(
    isRecord(doc) ? { ...doc, version } : doc,
  );
  if (scenario.trace) {
    notes.push(
      `This scenario was built from the trace "${scenario.trace.source}" (${fmt(scenario.trace.rows)} rows); the link carries its fitted per-adapter rates and length profile, not the raw requests. Import the file again to replay them.`,
    );
  }
  if (scenario.placement) {
    const flags = scenario.placement.gpus.some((g) => g.engine !== undefined);
    notes.push(
      `The link includes the placement of the adapters on ${fmt(scenario.placement.gpus.length)} GPU(s)${flags ? ", with each GPU's engine flags" : ""}.`,
    );
  }
  return { scenario, notes };
}

/**
 * Read a scenario from a URL hash (with or without the leading `#`). Never throws: any
 * problem is `{ok: false, error}` with a one-line InputError naming the field (`url` for the
 * link itself, `version` for a newer planner's link, a scenario path such as
 * `workload.adapters[3].rank` for a bad value). An unexpected internal failure is reported the
 * same way, field `url`, with the original error as `error.cause`.
 */
export function decodeScenarioFromHash(hash: string): DecodeResult {
  try {
    const { scenario, notes } = decodeOrThrow(hash);
    return { ok: true, scenario, notes };
  } catch (err) {
    if (err instanceof InputError) return { ok: false, error: err };
    const error = new InputError(
      "url",
      "this link could not be read (internal error); please report it",
    );
    error.cause = err;
    return { ok: false, error };
  }
}
