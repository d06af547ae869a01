/**
 * The `plan` CLI's fleet file, validated with zod, and its conversion to a {@link FleetRequest}.
 *
 * ```json
 * {"model": "llama-3.1-8b-instruct",
 *  "gpuTypes": [{"gpu": "h100-64gb", "costPerHour": 3, "maxCount": 8}],
 *  "objective": "min-gpus" | "min-cost" | {"ttftP99Ms": 2000, "itlP99Ms": 100, "minimize": "cost"},
 *  "engine": {...vLLM flags the user fixes...},
 *  "workload": {...as in a twin scenario: durationS, seed, lengths, arrival, maxPendingRequests, adapters...}}
 * ```
 * or, instead of `workload.adapters`, a request trace mapped onto N adapters:
 * `"trace": {"path": "azure.csv", "adapters": 1000, "popularity": {"kind": "zipf", "alpha": 1},
 * "ranks": [8, 16, 32], "rateScale": 4}` (path relative to the fleet file; Azure
 * `TIMESTAMP,ContextTokens,GeneratedTokens` or processed `arrived_at,num_prefill_tokens,
 * num_decode_tokens`). The trace's requests are replayed when every GPU is verified; the
 * window defaults to the (scaled) trace's span and the length profile to the trace's.
 */
import { z } from "zod";
import { GPU_IDS, MODEL_IDS } from "../catalog/ids";
import { InputError, formatPath } from "../scenario/errors";
import { ObjectiveSchema } from "../scenario/fleet";
import {
  AdapterSchema,
  ArrivalSchema,
  EngineSchema,
  LengthProfileSchema,
  LIMITS,
  VLLM_LORA_RANKS,
  WorkloadSchema,
  type LengthProfile,
} from "../scenario/schema";
import {
  fitLengthProfile,
  mapTraceToAdapters,
  parseTraceCsv,
  type TraceParseResult,
} from "../workload/trace";
import type { FleetRequest } from "./types";

const int = (min: number, max: number) => z.number().int().min(min).max(max);

const rank = z.number().refine((r) => (VLLM_LORA_RANKS as readonly number[]).includes(r), {
  error: (iss) =>
    `must be one of vLLM's LoRA ranks ${VLLM_LORA_RANKS.join(", ")} (got ${show(iss.input)})`,
});

/** A GPU type the plan may use; `costPerHour` defaults to the catalog's typical price. */
export const FleetGpuOfferSchema = z.strictObject({
  gpu: z.enum(GPU_IDS),
  costPerHour: z.number().gt(0).max(1_000).optional(),
  maxCount: int(1, 10_000).optional(),
});

/** How the trace's requests are spread over the adapters. */
export const PopularitySchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("zipf"), alpha: z.number().min(0).max(10) }),
  z.strictObject({ kind: z.literal("dirichlet"), alpha: z.number().min(0.001).max(1000) }),
]);

/** A request trace to map onto adapters (see the module comment). */
export const FleetTraceSchema = z.strictObject({
  /** CSV file, relative to the fleet file */
  path: z.string().min(1).max(4096),
  /** number of adapters to spread the requests over */
  adapters: int(1, LIMITS.adapters),
  popularity: PopularitySchema.default({ kind: "zipf", alpha: 1 }),
  /** ranks cycled over the adapters (adapter i gets ranks[i % ranks.length]) */
  ranks: z.array(rank).min(1).max(64).default([8, 16, 32]),
  /** arrivals are divided by this (2 = twice the request rate) */
  rateScale: z.number().gt(0).max(1_000_000).default(1),
  /** seed of the request-to-adapter mapping (default: workload.seed) */
  seed: int(0, 2 ** 32 - 1).optional(),
  /** malformed rows: skip and count them (default) or stop at the first */
  onBadRow: z.enum(["skip", "error"]).default("skip"),
  /** adapter ids are `${idPrefix}${i}` */
  idPrefix: z.string().max(64).default("adapter-"),
});

export const FleetFileWorkloadSchema = z.strictObject({
  durationS: z.number().gt(0).max(LIMITS.durationS).optional(),
  seed: int(0, 2 ** 32 - 1).optional(),
  lengths: LengthProfileSchema.optional(),
  arrival: ArrivalSchema.optional(),
  maxPendingRequests: int(1, LIMITS.maxPendingRequests).optional(),
  adapters: z.array(AdapterSchema).max(LIMITS.adapters).optional(),
});

/** The fleet file. Exactly one of `workload.adapters` and `trace`. */
export const FleetFileSchema = z
  .strictObject({
    version: z.literal(1).optional(),
    model: z.enum(MODEL_IDS),
    gpuTypes: z.array(FleetGpuOfferSchema).min(1).max(GPU_IDS.length),
    objective: ObjectiveSchema.optional(),
    engine: EngineSchema.optional(),
    workload: FleetFileWorkloadSchema.default({}),
    trace: FleetTraceSchema.optional(),
  })
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.gpuTypes.forEach((g, i) => {
      const prev = seen.get(g.gpu);
      if (prev !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["gpuTypes", i, "gpu"],
          message: `"${g.gpu}" is listed twice (also gpuTypes[${prev}])`,
        });
      } else seen.set(g.gpu, i);
    });
    const adapters = f.workload.adapters;
    if (adapters && f.trace) {
      ctx.addIssue({
        code: "custom",
        path: ["trace"],
        message: "give either workload.adapters or trace, not both",
      });
    } else if (!adapters && !f.trace) {
      ctx.addIssue({
        code: "custom",
        path: ["workload", "adapters"],
        message:
          "is missing; give the adapters (a list of {id, rank, rateRps}) or a trace {path, adapters, …}",
      });
    }
    if (adapters) {
      const ids = new Map<string, number>();
      adapters.forEach((a, i) => {
        const prev = ids.get(a.id);
        if (prev !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["workload", "adapters", i, "id"],
            message: `duplicate adapter id ${show(a.id)} (also workload.adapters[${prev}])`,
          });
        } else ids.set(a.id, i);
      });
    }
  });
export type FleetFile = z.output<typeof FleetFileSchema>;
export type FleetFileInput = z.input<typeof FleetFileSchema>;

/**
 * A {@link FleetRequest} as it crosses a boundary (worker message, imported JSON): the fleet
 * file's offers, objective and flags, and a twin workload (adapters, optional trace replay).
 */
export const FleetRequestSchema = z
  .strictObject({
    model: z.enum(MODEL_IDS),
    gpuTypes: z.array(FleetGpuOfferSchema).min(1).max(GPU_IDS.length),
    objective: ObjectiveSchema.optional(),
    engine: EngineSchema.optional(),
    workload: WorkloadSchema,
  })
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.gpuTypes.forEach((g, i) => {
      const prev = seen.get(g.gpu);
      if (prev !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["gpuTypes", i, "gpu"],
          message: `"${g.gpu}" is listed twice (also gpuTypes[${prev}])`,
        });
      } else seen.set(g.gpu, i);
    });
  });

/**
 * Validate an untrusted fleet request (e.g. a message into the plan worker).
 * @throws InputError naming the first bad field and what is allowed
 */
export function parseFleetRequest(input: unknown): FleetRequest {
  const r = FleetRequestSchema.safeParse(input, { error: errorMap });
  if (r.success) return r.data;
  throw firstError(r.error);
}

function firstError(error: z.ZodError): InputError {
  const [first] = error.issues;
  if (!first) return new InputError("request", "invalid input");
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more issue(s))` : "";
  // an issue with the whole input is reported on the field "request"
  return new InputError(
    formatPath(first.path) || "request",
    `${first.message.replace(/\s+/g, " ")}${more}`,
  );
}

/** A short rendering of a user value for messages. */
function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return typeof v === "object" ? "an object" : typeof v;
}

/** Zod's issues as "must be …" rules (one line each). */
function errorMap(iss: z.core.$ZodRawIssue): string | undefined {
  const got = `(got ${show(iss.input)})`;
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return `is missing; it must be ${article(iss.expected)}`;
      return `must be ${article(iss.expected)} ${got}`;
    case "too_small": {
      const op = iss.inclusive === false ? ">" : "≥";
      if (iss.origin === "array") return `must have at least ${String(iss.minimum)} entries ${got}`;
      if (iss.origin === "string") return `must have at least ${String(iss.minimum)} characters`;
      return `must be ${op} ${String(iss.minimum)} ${got}`;
    }
    case "too_big": {
      const op = iss.inclusive === false ? "<" : "≤";
      if (iss.origin === "array") return `must have at most ${String(iss.maximum)} entries ${got}`;
      if (iss.origin === "string") return `must have at most ${String(iss.maximum)} characters`;
      return `must be ${op} ${String(iss.maximum)} ${got}`;
    }
    case "invalid_value":
      return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(", ")} ${got}`;
    case "unrecognized_keys":
      return `unknown field${iss.keys.length > 1 ? "s" : ""} ${iss.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    case "invalid_union":
      if (iss.path?.length === 1 && iss.path[0] === "objective") {
        return `must be "min-gpus", "min-cost" or latency limits {"ttftP99Ms", "itlP99Ms", "minimize": "gpus" | "cost"} ${got}`;
      }
      return `is not one of the allowed forms ${got}`;
    default:
      return undefined;
  }
}

function article(t: string): string {
  if (t === "int") return "an integer";
  if (t === "array") return "a list";
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/**
 * Validate an (already JSON-parsed) fleet file.
 * @throws InputError naming the first bad field and what is allowed
 */
export function parseFleetFile(input: unknown): FleetFile {
  const r = FleetFileSchema.safeParse(input, { error: errorMap });
  if (r.success) return r.data;
  const [first] = r.error.issues;
  if (!first) throw new InputError("fleet", "invalid fleet file");
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more issue(s))` : "";
  let message = first.message.replace(/\s+/g, " ");
  if (first.code === "unrecognized_keys" && first.path.length === 0) {
    message += "; allowed: version, model, gpuTypes, objective, engine, workload, trace";
  }
  // an issue with the whole input is reported on the field "fleet"
  throw new InputError(formatPath(first.path) || "fleet", `${message}${more}`);
}

export interface FleetConversion {
  request: FleetRequest;
  /** the trace import's summary (absent without a trace) */
  trace?: {
    format: TraceParseResult["format"];
    rows: number;
    skippedRows: number;
    skipped: TraceParseResult["skipped"];
    durationS: number;
  };
}

/**
 * The planner's request for a fleet file. `traceText` is the content of `file.trace.path`
 * (required when the file has a trace).
 * @throws InputError (field `trace…`) for a trace that cannot be used
 */
export function fleetRequestFromFile(file: FleetFile, traceText?: string): FleetConversion {
  const w = file.workload;
  const base = {
    model: file.model,
    gpuTypes: file.gpuTypes,
    ...(file.objective !== undefined ? { objective: file.objective } : {}),
    ...(file.engine !== undefined ? { engine: file.engine } : {}),
  };
  const load = {
    ...(w.seed !== undefined ? { seed: w.seed } : {}),
    ...(w.arrival !== undefined ? { arrival: w.arrival } : {}),
    ...(w.maxPendingRequests !== undefined ? { maxPendingRequests: w.maxPendingRequests } : {}),
  };
  if (!file.trace) {
    return {
      request: {
        ...base,
        workload: {
          ...load,
          ...(w.durationS !== undefined ? { durationS: w.durationS } : {}),
          ...(w.lengths !== undefined ? { lengths: w.lengths } : {}),
          adapters: w.adapters ?? [],
        },
      },
    };
  }
  const t = file.trace;
  if (traceText === undefined) throw new InputError("trace.path", "the trace file was not read");
  const parsed = prefixed("trace", () => parseTraceCsv(traceText, { onBadRow: t.onBadRow }));
  if (parsed.requests.arrivalS.length === 0) {
    throw new InputError(
      "trace",
      `no usable request in the trace (${parsed.rows} row(s), ${parsed.skipped.count} skipped${
        parsed.skipped.firstMessages[0] ? `; first: ${parsed.skipped.firstMessages[0]}` : ""
      })`,
    );
  }
  const mapping = prefixed("trace", () =>
    mapTraceToAdapters(parsed, {
      adapters: t.adapters,
      popularity: t.popularity,
      ranks: t.ranks,
      rateScale: t.rateScale,
      seed: t.seed ?? w.seed ?? 0,
      idPrefix: t.idPrefix,
    }),
  );
  const lengths: LengthProfile = w.lengths ?? fitLengthProfile(parsed);
  const durationS = w.durationS ?? mapping.durationS;
  return {
    request: {
      ...base,
      workload: {
        ...load,
        durationS,
        lengths,
        adapters: mapping.adapters,
        trace: mapping.replay,
      },
    },
    trace: {
      format: parsed.format,
      rows: parsed.rows,
      skippedRows: parsed.skipped.count,
      skipped: parsed.skipped,
      durationS: mapping.durationS,
    },
  };
}

/** Run `f`, prefixing the field of any InputError with `prefix` (e.g. `rateScale` → `trace.rateScale`). */
function prefixed<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof InputError) {
      const field = err.field === "" || err.field === prefix ? prefix : `${prefix}.${err.field}`;
      const detail = err.field ? err.message.slice(err.field.length + 2) : err.message;
      throw new InputError(field, detail);
    }
    throw err;
  }
}
