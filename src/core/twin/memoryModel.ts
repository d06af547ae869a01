/**
 * GPU memory plan of one vLLM 0.8.5 (V1) server at start-up, and the ways it fails.
 *
 * vLLM (`v1/worker/gpu_worker.py: determine_available_memory`) loads the weights and
 * allocates every LoRA slot, profiles one dummy step of `maxNumBatchedTokens` tokens,
 * and gives the KV cache what is left of `gpuMemoryUtilization × total`:
 *
 *   kvBytes = util × total − weights − loraSlots − reserve
 *   kvTokens = floor(kvBytes / (16 × kvBytesPerToken)) × 16          (16-token blocks)
 *
 * where `reserve` is the profiled activation peak plus non-torch memory (CUDA context,
 * cuBLAS workspaces) and `loraSlots = maxLoras × (maxLoraRank × bytesPerRankSlot + bytesPerSlot)`.
 * It fails to start, as vLLM does, when
 * - weights + slots + reserve exceed the device ("CUDA out of memory" while profiling),
 * - kvBytes ≤ 0 ("No available memory for the cache blocks"),
 * - the KV cache holds fewer than `maxModelLen` tokens ("The model's max seq len is larger
 *   than the maximum number of tokens that can be stored in KV cache").
 *
 * Constants for the measured pairs are fitted on `dt_calib_kv_capacity.csv` by
 * `scripts/calibrate/fit-h100-64gb.ts` (see `calibration/h100-64gb.json`); for every other
 * model they come from the architecture (see {@link loraSlotBytes}).
 */
import { kvBytesPerToken, loraParamsPerRank } from "../catalog/derived";
import type { GpuSpec, ModelSpec } from "../catalog/types";
import type { MemoryReport } from "./types";

const GiB = 2 ** 30;
/** vLLM's KV-cache block size, tokens (`--block-size` default 16 on CUDA). */
export const BLOCK_SIZE = 16;
/**
 * vLLM's `lora_extra_vocab_size` default (LoRAConfig), tokens. Models whose vLLM class has
 * `embedding_modules` (Llama, Mistral) allocate LoRA for the embedding and the LM head,
 * padded by this many extra tokens.
 */
export const LORA_EXTRA_VOCAB = 256;

/** Fitted memory constants of one measured model (GiB unless stated). */
export interface MemoryFit {
  /** weights as vLLM loads them, GiB */
  weightsGiB: number;
  /** LoRA slot bytes per unit of rank per slot, GiB */
  slotGiBPerRank: number;
  /** LoRA slot bytes per slot independent of rank, GiB */
  slotGiBPerSlot: number;
  /** activation peak + non-torch reserve at `maxNumBatchedTokens` = 2048, GiB */
  reserveGiB: number;
}

/**
 * Whether vLLM 0.8.5 gives the model embedding/LM-head LoRA (the model class declares
 * `embedding_modules`): `LlamaForCausalLM` (Llama 2/3, and Mistral which vLLM serves with it)
 * does; `Qwen2ForCausalLM` does not (vllm/model_executor/models/{llama,qwen2}.py).
 */
export function hasEmbeddingLora(model: ModelSpec): boolean {
  return !model.id.startsWith("qwen");
}

/**
 * LoRA slot memory from the architecture, bytes: per slot and rank unit, every target
 * module's A (rank × d_in) and B (d_out × rank); with embedding LoRA also the embedding's A
 * ((vocab + extra) × rank) and the LM head's A (hidden × rank) and B (vocab × rank); per slot,
 * the extra-vocab embeddings of the embedding and the LM head (2 × extra × hidden).
 * Checked against `dt_calib_kv_capacity.csv`: Llama-3.1-8B 5.77 MB/rank (fit 5.69),
 * Qwen2.5-7B 5.05 MB/rank (fit 5.04).
 */
export function loraSlotBytes(model: ModelSpec): { perRank: number; perSlot: number } {
  let perRank = loraParamsPerRank(model);
  let perSlot = 0;
  if (hasEmbeddingLora(model)) {
    perRank += model.vocabSize + LORA_EXTRA_VOCAB + model.vocabSize + model.hiddenSize;
    perSlot += 2 * LORA_EXTRA_VOCAB * model.hiddenSize;
  }
  return { perRank: perRank * model.dtypeBytes, perSlot: perSlot * model.dtypeBytes };
}

/**
 * Reserve (activation peak + non-torch), GiB, for models without a fit: a constant plus the
 * profile run's logits (`maxNumBatchedTokens` × vocab × 4 bytes) times a factor. Both numbers
 * are solved from the two measured models' fitted reserves (see the fit script); the reserve
 * scales with the step's token budget through the logits and the activations.
 */
export interface ReserveRule {
  constantGiB: number;
  logitsFactor: number;
}

export interface MemoryInputs {
  model: ModelSpec;
  gpu: GpuSpec;
  maxLoras: number;
  maxLoraRank: number;
  enableLora: boolean;
  gpuMemoryUtilization: number;
  maxModelLen: number;
  maxNumBatchedTokens: number;
  /** fitted constants when this model was measured (on any GPU: they do not depend on it) */
  fit?: MemoryFit;
  reserveRule: ReserveRule;
}

/**
 * Compute the memory plan. Never throws for valid numbers; a server that cannot start is
 * reported with `fits: false` and vLLM's reason, and zero KV tokens.
 */
export function planMemory(p: MemoryInputs): MemoryReport {
  const { model, gpu } = p;
  const logitsGiB = (p.maxNumBatchedTokens * model.vocabSize * 4) / GiB;
  let weightsGiB: number;
  let loraSlotsGiB = 0;
  let reserveGiB: number;
  if (p.fit) {
    weightsGiB = p.fit.weightsGiB;
    if (p.enableLora) {
      loraSlotsGiB = p.maxLoras * (p.maxLoraRank * p.fit.slotGiBPerRank + p.fit.slotGiBPerSlot);
    }
    // The fit is at 2048 tokens; scale its logits part with the token budget.
    const fitLogits = (2048 * model.vocabSize * 4) / GiB;
    reserveGiB = p.fit.reserveGiB + p.reserveRule.logitsFactor * (logitsGiB - fitLogits);
  } else {
    weightsGiB = (model.parameters * model.dtypeBytes) / GiB;
    if (p.enableLora) {
      const s = loraSlotBytes(model);
      loraSlotsGiB = (p.maxLoras * (p.maxLoraRank * s.perRank + s.perSlot)) / GiB;
    }
    reserveGiB = p.reserveRule.constantGiB + p.reserveRule.logitsFactor * logitsGiB;
  }
  const totalGiB = gpu.memoryGiB;
  const budgetGiB = p.gpuMemoryUtilization * totalGiB;
  const base: MemoryReport = {
    fits: false,
    reason: null,
    kvCacheTokens: 0,
    weightsGiB,
    loraSlotsGiB,
    reserveGiB,
    kvCacheGiB: 0,
    budgetGiB,
    totalGiB,
  };
  if (weightsGiB + loraSlotsGiB + reserveGiB > totalGiB) {
    return {
      ...base,
      reason:
        `CUDA out of memory at start-up: weights ${weightsGiB.toFixed(1)} GiB + LoRA slots ` +
        `${loraSlotsGiB.toFixed(1)} GiB + activations ${reserveGiB.toFixed(1)} GiB exceed the ` +
        `GPU's ${totalGiB.toFixed(1)} GiB`,
    };
  }
  const kvBytesAvail = (budgetGiB - weightsGiB - loraSlotsGiB - reserveGiB) * GiB;
  const blockBytes = BLOCK_SIZE * kvBytesPerToken(model);
  const blocks = kvBytesAvail > 0 ? Math.floor(kvBytesAvail / blockBytes) : 0;
  if (blocks <= 0) {
    return {
      ...base,
      reason:
        `No available memory for the cache blocks: weights ${weightsGiB.toFixed(1)} GiB + LoRA ` +
        `slots ${loraSlotsGiB.toFixed(1)} GiB + activations ${reserveGiB.toFixed(1)} GiB exceed ` +
        `gpuMemoryUtilization × memory = ${budgetGiB.toFixed(1)} GiB`,
    };
  }
  const kvCacheTokens = blocks * BLOCK_SIZE;
  const kvCacheGiB = (blocks * blockBytes) / GiB;
  if (kvCacheTokens < p.maxModelLen) {
    return {
      ...base,
      kvCacheTokens,
      kvCacheGiB,
      reason:
        `KV cache too small: ${kvCacheTokens} tokens fit, fewer than maxModelLen ` +
        `${p.maxModelLen} (lower maxModelLen, maxLoras or maxLoraRank)`,
    };
  }
  return { ...base, fits: true, kvCacheTokens, kvCacheGiB };
}
