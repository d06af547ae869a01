/**
 * The scenario: one vLLM server (one GPU, one base model, its engine flags) and the
 * workload of LoRA adapters it serves. It is the input of the twin and the surrogate,
 * the unit the planner verifies, and (inside a fleet) what the app's URL encodes.
 *
 * Every boundary (CLI file, URL, imported JSON, worker message) parses with these zod
 * schemas; limits are stated here once, with the reason for each.
 */
import { z } from "zod";
import { GPU_IDS, MODEL_IDS } from "../catalog/ids";
import { quote } from "./errors";

/** Current scenario format version. Older versions are migrated (see `migrate.ts`); newer ones are refused. */
export const SCENARIO_VERSION = 1;

/**
 * LoRA ranks vLLM 0.8.5 accepts for `--max-lora-rank` (`vllm/config.py`, LoRAConfig
 * `possible_max_ranks = (8, 16, 32, 64, 128, 256, 320, 512)`); rank 1 adapters load into any slot.
 */
export const VLLM_LORA_RANKS = [1, 8, 16, 32, 64, 128, 256, 320, 512] as const;
export type LoraRank = (typeof VLLM_LORA_RANKS)[number];
/** Ranks vLLM accepts as `--max-lora-rank` (rank 1 is not one of them). */
export const VLLM_MAX_LORA_RANKS = [8, 16, 32, 64, 128, 256, 320, 512] as const;

/** Input limits: large enough for real fleets, small enough that nothing hangs a browser tab. */
export const LIMITS = {
  /** adapters in one scenario or fleet */
  adapters: 20_000,
  /** per-adapter request rate, req/s (exclusive lower bound 0) */
  rateRps: 10_000,
  /** simulated window, s (24 h) */
  durationS: 86_400,
  /** rows of an imported trace */
  traceRows: 5_000_000,
  /** prompt or output tokens of one request (largest context any catalog model has) */
  tokens: 1_048_576,
  /** adapter id length, characters */
  idLength: 128,
  /** samples in an empirical length profile */
  empiricalSamples: 100_000,
  /** `--max-loras` (no vLLM limit; memory ends it long before) */
  maxLoras: 4_096,
  /** `--max-cpu-loras` */
  maxCpuLoras: 65_536,
  /** `--max-num-seqs` */
  maxNumSeqs: 65_536,
  /** `--max-num-batched-tokens` */
  maxNumBatchedTokens: 1_048_576,
  /** waiting-queue cap of the load generator */
  maxPendingRequests: 10_000_000,
} as const;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const tokens = int(1, LIMITS.tokens);

const rank = z.number().refine((r) => (VLLM_LORA_RANKS as readonly number[]).includes(r), {
  error: (iss) =>
    `must be one of vLLM's LoRA ranks ${VLLM_LORA_RANKS.join(", ")} (got ${quote(iss.input, 20)})`,
});

const maxRank = z.number().refine((r) => (VLLM_MAX_LORA_RANKS as readonly number[]).includes(r), {
  error: (iss) =>
    `must be one of vLLM's --max-lora-rank values ${VLLM_MAX_LORA_RANKS.join(", ")} (got ${quote(iss.input, 20)})`,
});

/**
 * Prompt/output token-length distribution of requests.
 * - `sharegpt`: the ShareGPT V3 first-turn mix of the measured runs (prompt 4..1024, prompt+output ≤ 2048).
 * - `fixed`: every request has exactly these lengths.
 * - `uniform`: integer-uniform in the inclusive ranges `[min, max]`.
 * - `empirical`: paired samples (e.g. from a trace), drawn with replacement.
 */
export const LengthProfileSchema = z.discriminatedUnion("profile", [
  z.strictObject({ profile: z.literal("sharegpt") }),
  z.strictObject({ profile: z.literal("fixed"), promptTokens: tokens, outputTokens: tokens }),
  z
    .strictObject({
      profile: z.literal("uniform"),
      promptTokens: z.tuple([tokens, tokens]),
      outputTokens: z.tuple([tokens, tokens]),
    })
    .refine(
      (p) => p.promptTokens[0] <= p.promptTokens[1] && p.outputTokens[0] <= p.outputTokens[1],
      {
        error: "uniform ranges must be [min, max] with min <= max",
      },
    ),
  z
    .strictObject({
      profile: z.literal("empirical"),
      promptTokens: z.array(tokens).min(1).max(LIMITS.empiricalSamples),
      outputTokens: z.array(tokens).min(1).max(LIMITS.empiricalSamples),
    })
    .refine((p) => p.promptTokens.length === p.outputTokens.length, {
      error: "promptTokens and outputTokens must have the same number of samples",
    }),
]);
export type LengthProfile = z.infer<typeof LengthProfileSchema>;

/**
 * Inter-arrival law of each adapter's independent request stream.
 * - `poisson`: exponential inter-arrivals (the measured runs).
 * - `gamma`: Gamma inter-arrivals with coefficient of variation `cv` (cv > 1 is bursty, cv = 1 is Poisson).
 */
export const ArrivalSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("poisson") }),
  z.strictObject({ kind: z.literal("gamma"), cv: z.number().min(0.05).max(20) }),
]);
export type Arrival = z.infer<typeof ArrivalSchema>;

/** One LoRA adapter served by the GPU: its id (shown to users, passed to `--lora-modules`), rank and request rate (req/s). */
export const AdapterSchema = z.strictObject({
  id: z.string().min(1).max(LIMITS.idLength),
  rank,
  rateRps: z.number().gt(0).max(LIMITS.rateRps),
  lengths: LengthProfileSchema.optional(),
});
export type Adapter = z.infer<typeof AdapterSchema>;

/**
 * A recorded request stream to replay instead of sampling arrivals: column arrays of
 * equal length, arrival times in seconds from the window start (non-decreasing),
 * `adapter` as indices into `workload.adapters`.
 */
export const TraceReplaySchema = z
  .strictObject({
    arrivalS: z.array(z.number().min(0).max(LIMITS.durationS)).max(LIMITS.traceRows),
    adapter: z
      .array(
        z
          .number()
          .int()
          .min(0)
          .max(LIMITS.adapters - 1),
      )
      .max(LIMITS.traceRows),
    promptTokens: z.array(tokens).max(LIMITS.traceRows),
    outputTokens: z.array(tokens).max(LIMITS.traceRows),
  })
  .refine(
    (t) =>
      t.adapter.length === t.arrivalS.length &&
      t.promptTokens.length === t.arrivalS.length &&
      t.outputTokens.length === t.arrivalS.length,
    { error: "arrivalS, adapter, promptTokens and outputTokens must have the same length" },
  );
export type TraceReplay = z.infer<typeof TraceReplaySchema>;

/** The load generator and the adapters. Omitted fields take the defaults of the measured runs. */
export const WorkloadSchema = z
  .strictObject({
    /** simulated window, s; requests unfinished at its end are cancelled and do not count (as in the measured runs) */
    durationS: z.number().gt(0).max(LIMITS.durationS).default(3600),
    /** seed of every random draw (arrivals, lengths) */
    seed: int(0, 2 ** 32 - 1).default(0),
    lengths: LengthProfileSchema.default({ profile: "sharegpt" }),
    arrival: ArrivalSchema.default({ kind: "poisson" }),
    /**
     * Waiting requests beyond this many are held back by the client until the queue
     * drains (the measured client saturated near 25,500). Omitted: unlimited.
     */
    maxPendingRequests: int(1, LIMITS.maxPendingRequests).optional(),
    adapters: z.array(AdapterSchema).max(LIMITS.adapters),
    trace: TraceReplaySchema.optional(),
  })
  .superRefine((w, ctx) => {
    const seen = new Map<string, number>();
    w.adapters.forEach((a, i) => {
      const prev = seen.get(a.id);
      if (prev !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["adapters", i, "id"],
          message: `duplicate adapter id ${quote(a.id)} (also adapters[${prev}])`,
        });
      } else seen.set(a.id, i);
    });
    if (w.trace) {
      const n = w.adapters.length;
      const bad = w.trace.adapter.findIndex((a) => a >= n);
      if (bad >= 0) {
        ctx.addIssue({
          code: "custom",
          path: ["trace", "adapter", bad],
          message: `adapter index ${w.trace.adapter[bad]} is out of range (there are ${n} adapters)`,
        });
      }
      for (let i = 1; i < w.trace.arrivalS.length; i++) {
        if (w.trace.arrivalS[i]! < w.trace.arrivalS[i - 1]!) {
          ctx.addIssue({
            code: "custom",
            path: ["trace", "arrivalS", i],
            message: "arrival times must be non-decreasing",
          });
          break;
        }
      }
    }
  });
export type WorkloadInput = z.input<typeof WorkloadSchema>;
export type Workload = z.output<typeof WorkloadSchema>;

/**
 * vLLM engine flags (`vllm serve` arguments). Every field is optional in input; see
 * `resolve.ts` for the defaults (vLLM 0.8.5's, or the model's).
 */
export const EngineSchema = z.strictObject({
  /** `--enable-lora`; false serves the base model only (adapters' requests then use no LoRA) */
  enableLora: z.boolean().optional(),
  /** `--max-loras`: GPU adapter slots, i.e. the most distinct adapters in one batch */
  maxLoras: int(1, LIMITS.maxLoras).optional(),
  /** `--max-cpu-loras`: adapters cached in host memory (LRU) */
  maxCpuLoras: int(1, LIMITS.maxCpuLoras).optional(),
  /** `--max-lora-rank`: size of every GPU slot */
  maxLoraRank: maxRank.optional(),
  /** `--max-num-seqs`: most requests in one batch */
  maxNumSeqs: int(1, LIMITS.maxNumSeqs).optional(),
  /** `--max-num-batched-tokens`: token budget of one step (chunked prefill) */
  maxNumBatchedTokens: int(1, LIMITS.maxNumBatchedTokens).optional(),
  /** `--gpu-memory-utilization`: fraction of GPU memory vLLM may use */
  gpuMemoryUtilization: z.number().gt(0).max(1).optional(),
  /** `--max-model-len`: longest request context, tokens (default: the model's) */
  maxModelLen: int(16, LIMITS.tokens).optional(),
});
export type EngineInput = z.infer<typeof EngineSchema>;

const modelId = z.string().refine((m) => (MODEL_IDS as readonly string[]).includes(m), {
  error: (iss) => `unknown model ${quote(iss.input)}; valid: ${MODEL_IDS.join(", ")}`,
});
const gpuId = z.string().refine((g) => (GPU_IDS as readonly string[]).includes(g), {
  error: (iss) => `unknown GPU ${quote(iss.input)}; valid: ${GPU_IDS.join(", ")}`,
});

/** A scenario file (the `twin` and `estimate` CLI input). */
export const ScenarioSchema = z.strictObject({
  version: z.number().int().min(1).optional(),
  model: modelId,
  gpu: gpuId,
  engine: EngineSchema.default({}),
  workload: WorkloadSchema,
});
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;
