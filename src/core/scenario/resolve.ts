/**
 * Parse a scenario from untrusted input and fill in every default, the way `vllm serve`
 * (0.8.5) would, so the twin and the surrogate see complete, checked values.
 */
import { getGpu, getModel } from "../catalog/derived";
import type { GpuSpec, ModelSpec } from "../catalog/types";
import { InputError, inputErrorFromZod } from "./errors";
import { SCENARIO_VERSION, ScenarioSchema, VLLM_MAX_LORA_RANKS } from "./schema";
import type { Scenario, Workload } from "./schema";

/** Engine flags with every default applied. */
export interface ResolvedEngine {
  enableLora: boolean;
  maxLoras: number;
  maxCpuLoras: number;
  maxLoraRank: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  gpuMemoryUtilization: number;
  maxModelLen: number;
  /** KV-cache block, tokens (vLLM's default on CUDA) */
  blockSize: number;
}

export interface ResolvedScenario {
  model: ModelSpec;
  gpu: GpuSpec;
  engine: ResolvedEngine;
  workload: Workload;
}

/**
 * vLLM 0.8.5 defaults (`vllm/engine/arg_utils.py`, V1 OpenAI server): `max_loras` 1,
 * `max_lora_rank` 16, `max_cpu_loras` = `max_loras`, `max_num_seqs` 256,
 * `max_num_batched_tokens` 2048 (chunked prefill), `gpu_memory_utilization` 0.9,
 * `max_model_len` = the model's `max_position_embeddings`, block size 16.
 */
export const VLLM_DEFAULTS = {
  maxLoras: 1,
  maxLoraRank: 16,
  maxNumSeqs: 256,
  maxNumBatchedTokens: 2048,
  gpuMemoryUtilization: 0.9,
  blockSize: 16,
} as const;

/**
 * Validate `input` against the scenario schema.
 * @throws InputError naming the first bad field and what is allowed; a `version` newer than
 *   this build is refused (older versions are accepted: version 1 is the first).
 */
export function parseScenario(input: unknown): Scenario {
  const parsed = ScenarioSchema.safeParse(input);
  if (!parsed.success) throw inputErrorFromZod(parsed.error);
  const v = parsed.data.version ?? SCENARIO_VERSION;
  if (v > SCENARIO_VERSION) {
    throw new InputError(
      "version",
      `scenario version ${v} is newer than this planner understands (${SCENARIO_VERSION}); update the planner`,
    );
  }
  return parsed.data;
}

/**
 * Apply defaults and the cross-field rules vLLM enforces at start-up.
 * `enableLora` defaults to true when there are adapters (the planner's reason to exist;
 * vLLM's flag default is off). `maxLoraRank` defaults to vLLM's 16, raised to the smallest
 * allowed slot that fits the largest adapter.
 * @throws InputError for: maxCpuLoras < maxLoras, maxNumBatchedTokens < maxNumSeqs,
 *   maxModelLen above the model's context, an adapter rank above an explicit maxLoraRank.
 */
export function resolveScenario(s: Scenario): ResolvedScenario {
  const model = getModel(s.model);
  const gpu = getGpu(s.gpu);
  const e = s.engine;
  const adapters = s.workload.adapters;
  const maxAdapterRank = adapters.reduce((m, a) => Math.max(m, a.rank), 0);
  let maxLoraRank = e.maxLoraRank;
  if (maxLoraRank === undefined) {
    maxLoraRank =
      VLLM_MAX_LORA_RANKS.find((r) => r >= Math.max(VLLM_DEFAULTS.maxLoraRank, maxAdapterRank)) ??
      VLLM_MAX_LORA_RANKS[VLLM_MAX_LORA_RANKS.length - 1]!;
  } else {
    const bad = adapters.findIndex((a) => a.rank > maxLoraRank!);
    if (bad >= 0) {
      throw new InputError(
        `workload.adapters[${bad}].rank`,
        `rank ${adapters[bad]!.rank} exceeds engine.maxLoraRank ${maxLoraRank} (vLLM refuses to load it)`,
      );
    }
  }
  const maxLoras = e.maxLoras ?? VLLM_DEFAULTS.maxLoras;
  const maxCpuLoras = e.maxCpuLoras ?? maxLoras;
  if (maxCpuLoras < maxLoras) {
    throw new InputError(
      "engine.maxCpuLoras",
      `must be at least engine.maxLoras (${maxLoras}); got ${maxCpuLoras}`,
    );
  }
  const maxNumSeqs = e.maxNumSeqs ?? VLLM_DEFAULTS.maxNumSeqs;
  const maxNumBatchedTokens = e.maxNumBatchedTokens ?? VLLM_DEFAULTS.maxNumBatchedTokens;
  if (maxNumBatchedTokens < maxNumSeqs) {
    throw new InputError(
      "engine.maxNumBatchedTokens",
      `must be at least engine.maxNumSeqs (${maxNumSeqs}); got ${maxNumBatchedTokens}`,
    );
  }
  const maxModelLen = e.maxModelLen ?? model.maxPositionEmbeddings;
  if (maxModelLen > model.maxPositionEmbeddings) {
    throw new InputError(
      "engine.maxModelLen",
      `must be at most ${model.maxPositionEmbeddings} for ${model.id}; got ${maxModelLen}`,
    );
  }
  return {
    model,
    gpu,
    engine: {
      enableLora: e.enableLora ?? adapters.length > 0,
      maxLoras,
      maxCpuLoras,
      maxLoraRank,
      maxNumSeqs,
      maxNumBatchedTokens,
      gpuMemoryUtilization: e.gpuMemoryUtilization ?? VLLM_DEFAULTS.gpuMemoryUtilization,
      maxModelLen,
      blockSize: VLLM_DEFAULTS.blockSize,
    },
    workload: s.workload,
  };
}

/** parse + resolve. @throws InputError */
export function loadScenario(input: unknown): ResolvedScenario {
  return resolveScenario(parseScenario(input));
}
