/**
 * The app's scenario: everything the user designs (base model, GPU types offered with prices,
 * objective, user-fixed engine flags, the workload and its adapters), plus where it came from
 * (a compact trace summary) and any placement the user made by hand. It is the one source of
 * truth the URL encodes (`urlCodec.ts`), the app saves, and the planner receives
 * (`toFleetRequest`).
 *
 * Every input (URL, imported JSON, worker message) goes through {@link parseFleetScenario}:
 * zod schemas with stated limits, migrations of older versions (`migrate.ts`), and one-line
 * {@link InputError}s that name the field and the allowed range.
 */
import { z } from "zod";
import { GPUS } from "../catalog/gpus";
import { GPU_IDS, MODEL_IDS, type GpuId } from "../catalog/ids";
import { MODELS } from "../catalog/models";
import type { FleetRequest } from "../placement/types";
import { formatPath, InputError } from "./errors";
import { FLEET_MIGRATIONS, FLEET_SCENARIO_VERSION, migrateDocument } from "./migrate";
import {
  AdapterSchema,
  ArrivalSchema,
  EngineSchema,
  LengthProfileSchema,
  LIMITS,
  VLLM_LORA_RANKS,
  type Adapter,
  type LengthProfile,
  type LoraRank,
} from "./schema";

export { FLEET_SCENARIO_VERSION } from "./migrate";

/** Limits of the fleet scenario on top of {@link LIMITS} (per-adapter and workload limits). */
export const FLEET_LIMITS = {
  /** GPU types offered (one entry per catalog GPU at most) */
  gpuTypes: GPU_IDS.length,
  /** $/h per GPU (exclusive lower bound 0) */
  costPerHour: 1_000,
  /** GPUs of one type a plan may use */
  maxCount: 10_000,
  /** GPUs in a hand-made placement */
  placementGpus: 10_000,
  /** TTFT P99 limit, ms (1 h) */
  ttftP99Ms: 3_600_000,
  /** ITL P99 limit, ms */
  itlP99Ms: 60_000,
  /** empirical length samples summed over the workload and every adapter (keeps URLs and memory bounded) */
  totalLengthSamples: 200_000,
  /** trace file name, characters */
  traceSource: 256,
  /** trace `rateScale` */
  rateScale: 1_000_000,
  /** characters of a scenario JSON text (`parseFleetScenarioJson`) */
  jsonChars: 16_000_000,
  /** nesting depth of a scenario JSON text (a valid scenario nests 6 levels) */
  jsonDepth: 32,
} as const;

const fmt = (x: number): string => x.toLocaleString("en-US");

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

const ModelIdSchema = z.enum(MODEL_IDS, {
  error: (iss) =>
    iss.input === undefined
      ? `is missing; valid models: ${MODEL_IDS.join(", ")}`
      : `unknown model ${show(iss.input)}; valid: ${MODEL_IDS.join(", ")}`,
});
const GpuIdSchema = z.enum(GPU_IDS, {
  error: (iss) =>
    iss.input === undefined
      ? `is missing; valid GPUs: ${GPU_IDS.join(", ")}`
      : `unknown GPU ${show(iss.input)}; valid: ${GPU_IDS.join(", ")}`,
});
const int = (min: number, max: number) => z.number().int().min(min).max(max);
/** A number whose range includes 0, with -0 read as 0 (JSON cannot carry -0, so links round-trip exactly). */
const zeroed = <T extends z.ZodNumber>(n: T) => n.transform((v) => v + 0);
const SEED = zeroed(int(0, 2 ** 32 - 1));
const adapterId = z.string().min(1).max(LIMITS.idLength);

/**
 * A GPU type the planner may use, its price and how many are available (omitted: unlimited).
 * An omitted price is the catalog's typical price (as in the `plan` CLI's fleet file); the
 * parsed scenario always carries one.
 */
export const GpuOfferSchema = z
  .strictObject({
    gpu: GpuIdSchema,
    costPerHour: z.number().gt(0).max(FLEET_LIMITS.costPerHour).optional(),
    maxCount: int(1, FLEET_LIMITS.maxCount).optional(),
  })
  .transform((o) => ({ ...o, costPerHour: o.costPerHour ?? GPUS[o.gpu].costPerHour }));
export type GpuOfferEntry = z.infer<typeof GpuOfferSchema>;

/**
 * What the plan optimises: fewest GPUs, lowest $/h, or latency limits every GPU must meet
 * (on top of fewest GPUs); give at least one limit.
 */
export const ObjectiveSchema = z.union([
  z.literal("min-gpus"),
  z.literal("min-cost"),
  z
    .strictObject({
      ttftP99Ms: z.number().gt(0).max(FLEET_LIMITS.ttftP99Ms).optional(),
      itlP99Ms: z.number().gt(0).max(FLEET_LIMITS.itlP99Ms).optional(),
      /** what the plan minimises within the limits (default "gpus") */
      minimize: z.enum(["gpus", "cost"]).optional(),
    })
    .refine((o) => o.ttftP99Ms !== undefined || o.itlP99Ms !== undefined, {
      error: 'give ttftP99Ms and/or itlP99Ms (ms), or use "min-gpus" / "min-cost"',
    }),
]);
export type FleetObjective = z.infer<typeof ObjectiveSchema>;

/** An objective taken apart: what is minimised, and the latency limits (ms; undefined = none). */
export interface ObjectiveParts {
  minimize: "gpus" | "cost";
  ttftP99Ms?: number;
  itlP99Ms?: number;
}

/** `objective` as {@link ObjectiveParts} (an SLO object without `minimize` minimises GPUs). */
export function objectiveParts(o: FleetObjective): ObjectiveParts {
  if (o === "min-gpus") return { minimize: "gpus" };
  if (o === "min-cost") return { minimize: "cost" };
  return { minimize: o.minimize ?? "gpus", ttftP99Ms: o.ttftP99Ms, itlP99Ms: o.itlP99Ms };
}

/**
 * The objective for `parts`, in its shortest form: `"min-gpus"` / `"min-cost"` without limits,
 * else `{ttftP99Ms?, itlP99Ms?, minimize}` (inverse of {@link objectiveParts}).
 */
export function objectiveFrom(parts: ObjectiveParts): FleetObjective {
  const { minimize, ttftP99Ms, itlP99Ms } = parts;
  if (ttftP99Ms === undefined && itlP99Ms === undefined) {
    return minimize === "cost" ? "min-cost" : "min-gpus";
  }
  return {
    ...(ttftP99Ms !== undefined ? { ttftP99Ms } : {}),
    ...(itlP99Ms !== undefined ? { itlP99Ms } : {}),
    minimize,
  };
}

/** Fleet-wide load generator settings and the adapters. Omitted fields take the measured runs' defaults. */
export const FleetWorkloadSchema = z.strictObject({
  /** simulated window of each verification run, s */
  durationS: z.number().gt(0).max(LIMITS.durationS).default(3600),
  /** seed of every random draw (arrivals, lengths) */
  seed: SEED.default(0),
  /** request lengths of adapters without their own profile (for a trace: the fitted empirical profile) */
  lengths: LengthProfileSchema.default({ profile: "sharegpt" }),
  arrival: ArrivalSchema.default({ kind: "poisson" }),
  /** waiting requests beyond this many are held back by the client (measured: ~25,500); omitted: unlimited */
  maxPendingRequests: int(1, LIMITS.maxPendingRequests).optional(),
  adapters: z.array(AdapterSchema).max(LIMITS.adapters),
});

/**
 * Where the workload came from when it was imported from a request trace. Only a summary:
 * the raw rows never enter the scenario (nor the URL). The per-adapter fitted rates are the
 * adapters' `rateRps`, and the fitted length profile is `workload.lengths` (an empirical
 * profile); re-import the file to replay the exact requests.
 */
export const TraceSummarySchema = z.strictObject({
  /** the file name as the user picked it (shown only as text) */
  source: z.string().min(1).max(FLEET_LIMITS.traceSource),
  format: z.enum(["azure", "processed"]),
  /** data rows in the file (accepted + skipped) */
  rows: int(1, LIMITS.traceRows),
  /** rows skipped as malformed */
  skippedRows: zeroed(int(0, LIMITS.traceRows)).default(0),
  /** window the (scaled) trace covers, s */
  durationS: z.number().gt(0).max(LIMITS.durationS),
  /** arrivals were divided by this (2 = twice the request rate) */
  rateScale: z.number().gt(0).max(FLEET_LIMITS.rateScale).optional(),
  /** how requests were spread over the adapters */
  popularity: z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("zipf"), alpha: zeroed(z.number().min(0).max(10)) }),
      z.strictObject({ kind: z.literal("dirichlet"), alpha: z.number().min(0.001).max(1000) }),
    ])
    .optional(),
  /** seed of the request-to-adapter mapping */
  seed: SEED.optional(),
});
export type TraceSummary = z.infer<typeof TraceSummarySchema>;

/**
 * The vLLM flags of one GPU of a placement (what the planner chose for it, or the user kept
 * after a drag), so that a link reproduces each GPU's `vllm serve` command. Omitted flags are
 * chosen as for a new GPU (the scenario's fixed flags, else the planner's defaults).
 */
export const PlacementEngineSchema = EngineSchema.omit({ enableLora: true });
export type PlacementEngine = z.infer<typeof PlacementEngineSchema>;

/**
 * A placement the user edited by hand (dragged adapters between GPUs) or the planner made: the
 * GPUs, the ids of the adapters on each and, optionally, each GPU's engine flags. Adapters not
 * listed are left for the planner to place; a GPU may be empty (just added).
 */
export const PlacementOverrideSchema = z.strictObject({
  gpus: z
    .array(
      z.strictObject({
        gpu: GpuIdSchema,
        adapters: z.array(adapterId).max(LIMITS.adapters),
        engine: PlacementEngineSchema.optional(),
      }),
    )
    .min(1)
    .max(FLEET_LIMITS.placementGpus),
});
export type PlacementOverride = z.infer<typeof PlacementOverrideSchema>;

function lengthSamples(p: LengthProfile | undefined): number {
  return p?.profile === "empirical" ? p.promptTokens.length : 0;
}

/** The app's scenario (see the module comment). */
export const FleetScenarioSchema = z
  .strictObject({
    version: z.literal(FLEET_SCENARIO_VERSION).default(FLEET_SCENARIO_VERSION),
    model: ModelIdSchema,
    gpuTypes: z.array(GpuOfferSchema).min(1).max(FLEET_LIMITS.gpuTypes),
    objective: ObjectiveSchema.default("min-cost"),
    /** engine flags the user fixed; the planner chooses the others per GPU */
    engine: EngineSchema.default({}),
    workload: FleetWorkloadSchema,
    trace: TraceSummarySchema.optional(),
    placement: PlacementOverrideSchema.optional(),
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });

    const gpuAt = new Map<GpuId, number>();
    s.gpuTypes.forEach((g, i) => {
      const prev = gpuAt.get(g.gpu);
      if (prev !== undefined)
        issue(["gpuTypes", i, "gpu"], `"${g.gpu}" is offered twice (also gpuTypes[${prev}])`);
      else gpuAt.set(g.gpu, i);
    });

    const adapters = s.workload.adapters;
    const idAt = new Map<string, number>();
    adapters.forEach((a, i) => {
      const prev = idAt.get(a.id);
      if (prev !== undefined) {
        issue(
          ["workload", "adapters", i, "id"],
          `duplicate adapter id ${show(a.id)} (also workload.adapters[${prev}])`,
        );
      } else idAt.set(a.id, i);
    });

    // The cross-field rules vLLM enforces at start-up (see resolveScenario), so a scenario that
    // parses can always be planned.
    const e = s.engine;
    if (e.maxLoraRank !== undefined) {
      const bad = adapters.findIndex((a) => a.rank > e.maxLoraRank!);
      if (bad >= 0) {
        issue(
          ["workload", "adapters", bad, "rank"],
          `rank ${adapters[bad]!.rank} exceeds engine.maxLoraRank ${e.maxLoraRank} (vLLM refuses to load it)`,
        );
      }
    }
    if (e.maxLoras !== undefined && e.maxCpuLoras !== undefined && e.maxCpuLoras < e.maxLoras) {
      issue(
        ["engine", "maxCpuLoras"],
        `must be at least engine.maxLoras (${e.maxLoras}); got ${e.maxCpuLoras}`,
      );
    }
    if (
      e.maxNumSeqs !== undefined &&
      e.maxNumBatchedTokens !== undefined &&
      e.maxNumBatchedTokens < e.maxNumSeqs
    ) {
      issue(
        ["engine", "maxNumBatchedTokens"],
        `must be at least engine.maxNumSeqs (${e.maxNumSeqs}); got ${e.maxNumBatchedTokens}`,
      );
    }
    const maxLen = MODELS[s.model].maxPositionEmbeddings;
    if (e.maxModelLen !== undefined && e.maxModelLen > maxLen) {
      issue(
        ["engine", "maxModelLen"],
        `must be at most ${fmt(maxLen)} for ${s.model}; got ${fmt(e.maxModelLen)}`,
      );
    }

    let samples = lengthSamples(s.workload.lengths);
    for (const a of adapters) samples += lengthSamples(a.lengths);
    if (samples > FLEET_LIMITS.totalLengthSamples) {
      issue(
        ["workload", "lengths"],
        `empirical length profiles hold ${fmt(samples)} samples in all, more than ${fmt(FLEET_LIMITS.totalLengthSamples)}: fit the trace with fewer samples`,
      );
    }

    if (s.trace && s.trace.skippedRows > s.trace.rows) {
      issue(
        ["trace", "skippedRows"],
        `must be at most trace.rows (${s.trace.rows}); got ${s.trace.skippedRows}`,
      );
    }

    if (s.placement) {
      const placedOn = new Map<string, number>();
      const perType = new Map<GpuId, number>();
      s.placement.gpus.forEach((g, gi) => {
        const offer = gpuAt.get(g.gpu);
        if (offer === undefined) {
          issue(["placement", "gpus", gi, "gpu"], `"${g.gpu}" is not among the offered gpuTypes`);
        } else {
          const count = (perType.get(g.gpu) ?? 0) + 1;
          perType.set(g.gpu, count);
          const max = s.gpuTypes[offer]!.maxCount;
          if (max !== undefined && count === max + 1) {
            issue(
              ["placement", "gpus", gi, "gpu"],
              `more "${g.gpu}" GPUs than its maxCount (${max})`,
            );
          }
        }
        g.adapters.forEach((id, ai) => {
          if (!idAt.has(id)) {
            issue(["placement", "gpus", gi, "adapters", ai], `unknown adapter id ${show(id)}`);
            return;
          }
          const prev = placedOn.get(id);
          if (prev !== undefined) {
            issue(
              ["placement", "gpus", gi, "adapters", ai],
              `adapter ${show(id)} is also on placement.gpus[${prev}]`,
            );
          } else placedOn.set(id, gi);
        });
        // the same start-up rules as the scenario's engine flags, per GPU
        const ge = g.engine;
        if (ge) {
          const at = (f: string) => ["placement", "gpus", gi, "engine", f];
          if (ge.maxLoraRank !== undefined) {
            const ai = g.adapters.findIndex((id) => {
              const k = idAt.get(id);
              return k !== undefined && adapters[k]!.rank > ge.maxLoraRank!;
            });
            if (ai >= 0) {
              const a = adapters[idAt.get(g.adapters[ai]!)!]!;
              issue(
                at("maxLoraRank"),
                `${ge.maxLoraRank} is below the rank ${a.rank} of adapter ${show(a.id)} on this GPU (vLLM refuses to load it)`,
              );
            }
          }
          if (
            ge.maxLoras !== undefined &&
            ge.maxCpuLoras !== undefined &&
            ge.maxCpuLoras < ge.maxLoras
          ) {
            issue(
              at("maxCpuLoras"),
              `must be at least maxLoras (${ge.maxLoras}); got ${ge.maxCpuLoras}`,
            );
          }
          if (
            ge.maxNumSeqs !== undefined &&
            ge.maxNumBatchedTokens !== undefined &&
            ge.maxNumBatchedTokens < ge.maxNumSeqs
          ) {
            issue(
              at("maxNumBatchedTokens"),
              `must be at least maxNumSeqs (${ge.maxNumSeqs}); got ${ge.maxNumBatchedTokens}`,
            );
          }
          if (ge.maxModelLen !== undefined && ge.maxModelLen > maxLen) {
            issue(
              at("maxModelLen"),
              `must be at most ${fmt(maxLen)} for ${s.model}; got ${fmt(ge.maxModelLen)}`,
            );
          }
        }
      });
    }
  });

export type FleetScenarioInput = z.input<typeof FleetScenarioSchema>;
export type FleetScenario = z.output<typeof FleetScenarioSchema>;
export type FleetWorkload = FleetScenario["workload"];

// ---------------------------------------------------------------------------------------------
// Messages: every issue names the field (the InputError's path) and the allowed range.
// ---------------------------------------------------------------------------------------------

/** A short, one-line rendering of a user value for messages (never echoes long strings). */
export function show(v: unknown): string {
  switch (typeof v) {
    case "string": {
      const s = v.length > 40 ? `${v.slice(0, 40)}…` : v;
      return JSON.stringify(s);
    }
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n`;
    case "boolean":
      return String(v);
    case "undefined":
      return "nothing";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    default:
      if (v === null) return "null";
      if (Array.isArray(v)) return `a list of ${fmt(v.length)}`;
      return "an object";
  }
}

const TOKENS = `an integer in [1, ${fmt(LIMITS.tokens)}] tokens`;
const RANK_LIST = VLLM_LORA_RANKS.join(", ");

/** The allowed values of each field, by path with list indices as `[]`. */
const FIELD_RULES: Record<string, string> = {
  "": "must be a scenario object {version, model, gpuTypes, objective, engine, workload, trace?, placement?}",
  version: `must be ${FLEET_SCENARIO_VERSION}`,
  model: `must be one of ${MODEL_IDS.join(", ")}`,
  gpuTypes: `must list 1 to ${FLEET_LIMITS.gpuTypes} GPU types`,
  "gpuTypes[]": "must be a GPU offer {gpu, costPerHour, maxCount?}",
  "gpuTypes[].gpu": `must be one of ${GPU_IDS.join(", ")}`,
  "gpuTypes[].costPerHour": `must be a number in (0, ${fmt(FLEET_LIMITS.costPerHour)}] $/h`,
  "gpuTypes[].maxCount": `must be an integer in [1, ${fmt(FLEET_LIMITS.maxCount)}] GPUs`,
  objective: 'must be "min-gpus", "min-cost" or latency limits {ttftP99Ms?, itlP99Ms?, minimize?}',
  "objective.ttftP99Ms": `must be a number in (0, ${fmt(FLEET_LIMITS.ttftP99Ms)}] ms`,
  "objective.itlP99Ms": `must be a number in (0, ${fmt(FLEET_LIMITS.itlP99Ms)}] ms`,
  "objective.minimize": 'must be "gpus" or "cost"',
  engine: "must be an object of vLLM flags",
  "engine.enableLora": "must be true or false",
  "engine.maxLoras": `must be an integer in [1, ${fmt(LIMITS.maxLoras)}]`,
  "engine.maxCpuLoras": `must be an integer in [1, ${fmt(LIMITS.maxCpuLoras)}]`,
  "engine.maxLoraRank":
    "must be one of vLLM's --max-lora-rank values 8, 16, 32, 64, 128, 256, 320, 512",
  "engine.maxNumSeqs": `must be an integer in [1, ${fmt(LIMITS.maxNumSeqs)}]`,
  "engine.maxNumBatchedTokens": `must be an integer in [1, ${fmt(LIMITS.maxNumBatchedTokens)}] tokens`,
  "engine.gpuMemoryUtilization": "must be a number in (0, 1]",
  "engine.maxModelLen": `must be an integer in [16, ${fmt(LIMITS.tokens)}] tokens`,
  workload: "must be an object {durationS, seed, lengths, arrival, maxPendingRequests?, adapters}",
  "workload.durationS": `must be a number in (0, ${fmt(LIMITS.durationS)}] s`,
  "workload.seed": `must be an integer in [0, ${fmt(2 ** 32 - 1)}]`,
  "workload.maxPendingRequests": `must be an integer in [1, ${fmt(LIMITS.maxPendingRequests)}]`,
  "workload.arrival": 'must be {kind: "poisson"} or {kind: "gamma", cv}',
  "workload.arrival.kind": 'must be "poisson" or "gamma"',
  "workload.arrival.cv": "must be a number in [0.05, 20]",
  "workload.adapters": `must be a list of at most ${fmt(LIMITS.adapters)} adapters`,
  "workload.adapters[]": "must be an adapter {id, rank, rateRps, lengths?}",
  "workload.adapters[].id": `must be a string of 1 to ${LIMITS.idLength} characters`,
  "workload.adapters[].rank": `must be one of vLLM's LoRA ranks ${RANK_LIST}`,
  "workload.adapters[].rateRps": `must be a number in (0, ${fmt(LIMITS.rateRps)}] req/s`,
  trace:
    "must be a trace summary {source, format, rows, skippedRows, durationS, rateScale?, popularity?, seed?}",
  "trace.source": `must be a file name of 1 to ${FLEET_LIMITS.traceSource} characters`,
  "trace.format": 'must be "azure" or "processed"',
  "trace.rows": `must be an integer in [1, ${fmt(LIMITS.traceRows)}]`,
  "trace.skippedRows": `must be an integer in [0, ${fmt(LIMITS.traceRows)}]`,
  "trace.durationS": `must be a number in (0, ${fmt(LIMITS.durationS)}] s`,
  "trace.rateScale": `must be a number in (0, ${fmt(FLEET_LIMITS.rateScale)}]`,
  "trace.popularity": 'must be {kind: "zipf", alpha} or {kind: "dirichlet", alpha}',
  "trace.popularity.kind": 'must be "zipf" or "dirichlet"',
  "trace.popularity.alpha": "must be a number in [0, 10] (zipf) or [0.001, 1000] (dirichlet)",
  "trace.seed": `must be an integer in [0, ${fmt(2 ** 32 - 1)}]`,
  placement: "must be a placement {gpus: [{gpu, adapters, engine?}]}",
  "placement.gpus": `must list 1 to ${fmt(FLEET_LIMITS.placementGpus)} GPUs`,
  "placement.gpus[]": "must be a GPU {gpu, adapters, engine?}",
  "placement.gpus[].gpu": `must be one of ${GPU_IDS.join(", ")}`,
  "placement.gpus[].adapters": `must be a list of at most ${fmt(LIMITS.adapters)} adapter ids`,
  "placement.gpus[].adapters[]": `must be an adapter id of 1 to ${LIMITS.idLength} characters`,
  "placement.gpus[].engine": "must be an object of this GPU's vLLM flags",
  "placement.gpus[].engine.maxLoras": `must be an integer in [1, ${fmt(LIMITS.maxLoras)}]`,
  "placement.gpus[].engine.maxCpuLoras": `must be an integer in [1, ${fmt(LIMITS.maxCpuLoras)}]`,
  "placement.gpus[].engine.maxLoraRank":
    "must be one of vLLM's --max-lora-rank values 8, 16, 32, 64, 128, 256, 320, 512",
  "placement.gpus[].engine.maxNumSeqs": `must be an integer in [1, ${fmt(LIMITS.maxNumSeqs)}]`,
  "placement.gpus[].engine.maxNumBatchedTokens": `must be an integer in [1, ${fmt(LIMITS.maxNumBatchedTokens)}] tokens`,
  "placement.gpus[].engine.gpuMemoryUtilization": "must be a number in (0, 1]",
  "placement.gpus[].engine.maxModelLen": `must be an integer in [16, ${fmt(LIMITS.tokens)}] tokens`,
};

/** Rules of a length profile's fields (under `workload.lengths` or `workload.adapters[].lengths`). */
function lengthRule(sub: string, iss: z.core.$ZodRawIssue): string | undefined {
  switch (sub) {
    case "":
      return 'must be a length profile {profile: "sharegpt" | "fixed" | "uniform" | "empirical", …}';
    case ".profile":
      return 'must be "sharegpt", "fixed", "uniform" or "empirical"';
    case ".promptTokens[]":
    case ".outputTokens[]":
      return `must be ${TOKENS}`;
    case ".promptTokens":
    case ".outputTokens": {
      const origin = "origin" in iss ? iss.origin : undefined;
      const expected = "expected" in iss ? iss.expected : undefined;
      if (origin === "number" || expected === "number") return `must be ${TOKENS}`;
      return `must be a [min, max] pair (uniform) or 1 to ${fmt(LIMITS.empiricalSamples)} samples (empirical) of ${TOKENS}`;
    }
    default:
      return undefined;
  }
}

function ruleFor(path: readonly PropertyKey[], iss: z.core.$ZodRawIssue): string | undefined {
  const key = path
    .map((k) => (typeof k === "number" ? "[]" : `.${String(k)}`))
    .join("")
    .replace(/^\./, "");
  const m = /^(?:workload|workload\.adapters\[\])\.lengths(.*)$/.exec(key);
  if (m) return lengthRule(m[1]!, iss);
  return FIELD_RULES[key];
}

const plural = (n: number, one: string, many: string) => `${fmt(n)} ${n === 1 ? one : many}`;

function got(iss: z.core.$ZodRawIssue): string {
  const input: unknown = iss.input;
  if (
    (iss.code === "too_big" || iss.code === "too_small") &&
    iss.origin === "array" &&
    Array.isArray(input)
  ) {
    return plural(input.length, "entry", "entries");
  }
  if (
    (iss.code === "too_big" || iss.code === "too_small") &&
    iss.origin === "string" &&
    typeof input === "string"
  ) {
    return plural(input.length, "character", "characters");
  }
  if (
    iss.code === "invalid_union" &&
    "discriminator" in iss &&
    typeof iss.discriminator === "string"
  ) {
    // A discriminated union reports the whole object; show the tag that did not match.
    const tag =
      typeof input === "object" && input !== null
        ? (input as Record<string, unknown>)[iss.discriminator]
        : undefined;
    return show(tag);
  }
  return show(input);
}

/** Per-parse zod error map: turns zod's generic messages into "must be … (got …)". */
function fleetErrorMap(iss: z.core.$ZodRawIssue): string | undefined {
  const path = iss.path ?? [];
  switch (iss.code) {
    case "unrecognized_keys": {
      const keys = iss.keys.slice(0, 3).map((k) => show(k));
      const more = iss.keys.length > 3 ? ` and ${iss.keys.length - 3} more` : "";
      return `unknown field${iss.keys.length > 1 ? "s" : ""} ${keys.join(", ")}${more}`;
    }
    case "invalid_type":
    case "too_big":
    case "too_small":
    case "invalid_value":
    case "invalid_union":
    case "not_multiple_of":
    case "invalid_format": {
      const rule = ruleFor(path, iss);
      if (iss.code === "invalid_type" && iss.input === undefined) {
        return rule ? `is missing; it ${rule}` : "is missing";
      }
      return rule ? `${rule} (got ${got(iss)})` : undefined;
    }
    default:
      return undefined;
  }
}

/** The first issue of a failed parse as a one-line InputError naming its field. */
function firstIssue(error: z.ZodError): InputError {
  const [first] = error.issues;
  if (!first) return new InputError("scenario", "invalid scenario");
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more issue(s))` : "";
  const message = first.message.replace(/\s*[\r\n]+\s*/g, " ");
  return new InputError(formatPath(first.path) || "scenario", `${message}${more}`);
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

function sizeGuard(input: unknown): void {
  // Refuse oversized lists before zod walks every element of them.
  const rec = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  const w = rec(rec(input)?.workload);
  const adapters = w?.adapters;
  if (Array.isArray(adapters) && adapters.length > LIMITS.adapters) {
    throw new InputError(
      "workload.adapters",
      `must be a list of at most ${fmt(LIMITS.adapters)} adapters (got ${fmt(adapters.length)} entries)`,
    );
  }
  const gpus = rec(rec(input)?.placement)?.gpus;
  if (Array.isArray(gpus) && gpus.length > FLEET_LIMITS.placementGpus) {
    throw new InputError(
      "placement.gpus",
      `must list 1 to ${fmt(FLEET_LIMITS.placementGpus)} GPUs (got ${fmt(gpus.length)} entries)`,
    );
  }
}

export interface ParsedFleetScenario {
  scenario: FleetScenario;
  /** one line per thing the user should know (e.g. "migrated from v1 to v2: …") */
  notes: string[];
}

/**
 * Validate and migrate untrusted input (already JSON-parsed) into a scenario, with notes.
 * A missing `version` is read as the current one.
 * @throws InputError — one line naming the field and the allowed range, e.g.
 *   `gpuTypes[0].costPerHour: must be a number in (0, 1,000] $/h (got 0)`
 */
export function parseFleetScenarioWithNotes(input: unknown): ParsedFleetScenario {
  const { doc, notes } = migrateDocument(input, FLEET_MIGRATIONS);
  sizeGuard(doc);
  const parsed = FleetScenarioSchema.safeParse(doc, { error: fleetErrorMap });
  if (!parsed.success) throw firstIssue(parsed.error);
  return { scenario: parsed.data, notes };
}

/**
 * Validate and migrate untrusted input into a scenario (defaults filled in).
 * @throws InputError naming the first bad field and what is allowed
 */
export function parseFleetScenario(input: unknown): FleetScenario {
  return parseFleetScenarioWithNotes(input).scenario;
}

/**
 * Depth of the deepest `[`/`{` nesting of a JSON text, stopping as soon as it exceeds `max`
 * (strings are skipped, so brackets inside ids do not count). Linear, no recursion.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/**
 * `JSON.parse` for untrusted text with a size and nesting cap.
 * @throws InputError (field `field`) when the text is too long, nests too deeply or is not JSON
 */
export function parseJsonSafely(
  text: string,
  field: string,
  maxChars: number = FLEET_LIMITS.jsonChars,
  maxDepth: number = FLEET_LIMITS.jsonDepth,
): unknown {
  if (typeof text !== "string")
    throw new InputError(field, `must be JSON text (got ${show(text)})`);
  if (text.length > maxChars) {
    throw new InputError(
      field,
      `is ${fmt(text.length)} characters long, more than the ${fmt(maxChars)} allowed`,
    );
  }
  if (jsonDepthExceeds(text, maxDepth)) {
    throw new InputError(field, `nests deeper than ${maxDepth} levels; it is not a scenario`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0]!.slice(0, 120) : "syntax error";
    throw new InputError(field, `is not valid JSON (${why})`);
  }
}

/**
 * Parse an imported scenario file (JSON text): size, depth and JSON checks, then
 * {@link parseFleetScenarioWithNotes}.
 * @throws InputError
 */
export function parseFleetScenarioJson(text: string): ParsedFleetScenario {
  return parseFleetScenarioWithNotes(parseJsonSafely(text, "scenario"));
}

// ---------------------------------------------------------------------------------------------
// Defaults and conversion
// ---------------------------------------------------------------------------------------------

/** Ranks and rates of the default scenario, cycled over the adapters as in the measured runs. */
export const DEFAULT_RANK_CYCLE: readonly LoraRank[] = [8, 16, 32];
export const DEFAULT_RATE_CYCLE_RPS: readonly number[] = [0.1, 0.05, 0.025];
export const DEFAULT_ADAPTER_COUNT = 300;

/**
 * TTFT p99 limit of the default scenario, ms: an interactive chat service's first token
 * within 2 s for 99% of requests (the same limit the objective editor suggests).
 */
export const DEFAULT_TTFT_P99_MS = 2000;

/**
 * The app's first scenario, drawn from the measured setup: Llama-3.1-8B-Instruct, 300 adapters
 * `adapter-000`…`adapter-299` with ranks cycling 8/16/32 and Poisson rates cycling
 * 0.1/0.05/0.025 req/s (17.5 req/s, ≈ 7,300 tokens/s of ShareGPT requests: the twin needs
 * several GPUs for it), 1 h windows, the measured client's 25,500 pending-request cap, and the
 * measured `--max-num-seqs 2048 --max-num-batched-tokens 2048`. GPU types: the measured
 * h100-64gb plus h100-sxm-80gb and a100-80gb at the catalog's typical prices; objective:
 * lowest $/h with TTFT p99 ≤ {@link DEFAULT_TTFT_P99_MS} on every GPU. Without the limit the
 * cheapest plan that passes the starvation rule alone is two A100s serving 92–95% of their
 * demand with growing queues (TTFT p99 430–610 s over the hour); with it, three A100s
 * ($3.90/h) serving 97–99% with TTFT p99 ≈ 0.5–1.4 s (`plan` CLI, twin 1b2f8c7c7dec887f).
 * A new object on every call.
 */
export function defaultFleetScenario(): FleetScenario {
  const n = DEFAULT_ADAPTER_COUNT;
  const width = String(n - 1).length;
  const adapters: Adapter[] = [];
  for (let i = 0; i < n; i++) {
    adapters.push({
      id: `adapter-${String(i).padStart(width, "0")}`,
      rank: DEFAULT_RANK_CYCLE[i % DEFAULT_RANK_CYCLE.length]!,
      rateRps: DEFAULT_RATE_CYCLE_RPS[i % DEFAULT_RATE_CYCLE_RPS.length]!,
    });
  }
  const offer = (gpu: GpuId) => ({ gpu, costPerHour: GPUS[gpu].costPerHour });
  return {
    version: FLEET_SCENARIO_VERSION,
    model: "llama-3.1-8b-instruct",
    gpuTypes: [offer("h100-64gb"), offer("h100-sxm-80gb"), offer("a100-80gb")],
    objective: { ttftP99Ms: DEFAULT_TTFT_P99_MS, minimize: "cost" },
    engine: { maxNumSeqs: 2048, maxNumBatchedTokens: 2048 },
    workload: {
      durationS: 3600,
      seed: 0,
      lengths: { profile: "sharegpt" },
      arrival: { kind: "poisson" },
      maxPendingRequests: 25_500,
      adapters,
    },
  };
}

/**
 * An empirical length profile with its (prompt, output) pairs sorted by prompt, then output.
 * Same distribution (pairs are drawn with replacement), but a sorted profile takes about half
 * the URL space (`urlCodec` stores sorted prompts as deltas). Apply it once when the profile
 * is created (e.g. right after fitting a trace), before planning: the order of the samples
 * decides which pair each seeded draw picks, so sorting later changes the simulated requests.
 * Other profiles are returned unchanged.
 */
export function sortLengthProfile(p: LengthProfile): LengthProfile {
  if (p.profile !== "empirical") return p;
  const order = p.promptTokens.map((_, i) => i);
  order.sort(
    (a, b) => p.promptTokens[a]! - p.promptTokens[b]! || p.outputTokens[a]! - p.outputTokens[b]!,
  );
  return {
    profile: "empirical",
    promptTokens: order.map((i) => p.promptTokens[i]!),
    outputTokens: order.map((i) => p.outputTokens[i]!),
  };
}

/**
 * The planner's input for a scenario (drops version, trace summary and hand placement; shares
 * the adapter objects). Also the compile-time proof that a FleetScenario is a FleetRequest.
 */
export function toFleetRequest(s: FleetScenario): FleetRequest {
  const { model, gpuTypes, objective, engine, workload } = s;
  const request: FleetRequest = { model, gpuTypes, objective, engine, workload };
  return request;
}

/** Compile-time check: the scenario type itself is assignable to the planner's FleetRequest. */
type Assert<T extends true> = T;
export type _FleetScenarioIsFleetRequest = Assert<
  FleetScenario extends FleetRequest ? true : false
>;
