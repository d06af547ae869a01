import { GPUS } from "./gpus";
import { GPU_IDS, MODEL_IDS, type GpuId, type ModelId } from "./ids";
import { MODELS } from "./models";
import type { GpuSpec, ModelSpec } from "./types";

/**
 * Quantities derived from a catalog entry. All pure; units are in the names and docs.
 * "bytes" are plain bytes (not GiB); callers convert with / 2 ** 30 where they need GiB.
 */

/**
 * KV-cache size of one token, bytes/token:
 * 2 (K and V) x layers x kvHeads x headDim x dtypeBytes.
 * Llama-3.1-8B: 2 x 32 x 8 x 128 x 2 = 131,072; Qwen2.5-7B: 2 x 28 x 4 x 128 x 2 = 57,344.
 */
export function kvBytesPerToken(model: ModelSpec): number {
  return 2 * model.layers * model.kvHeads * model.headDim * model.dtypeBytes;
}

/** Weight memory, bytes: parameters x dtypeBytes (the published count, so ±0.5%). */
export function weightsBytes(model: ModelSpec): number {
  return model.parameters * model.dtypeBytes;
}

/**
 * LoRA parameters per unit of rank, over all layers, for the usual target modules
 * q, k, v, o, gate, up, down. A rank-r adapter on a d_in -> d_out linear adds
 * A (r x d_in) and B (d_out x r), i.e. r x (d_in + d_out) parameters, so per rank:
 *
 *   layers x [ (h + H·D)        q: hidden -> heads·headDim
 *            + 2 (h + K·D)      k, v: hidden -> kvHeads·headDim
 *            + (H·D + h)        o: heads·headDim -> hidden
 *            + 2 (h + I)        gate, up: hidden -> intermediate
 *            + (I + h) ]        down: intermediate -> hidden
 *
 * (h = hiddenSize, H = attentionHeads, K = kvHeads, D = headDim, I = intermediateSize).
 * Llama-3.1-8B: 32 x 81,920 = 2,621,440. Unitless count (parameters per rank).
 */
export function loraParamsPerRank(model: ModelSpec): number {
  const h = model.hiddenSize;
  const q = model.attentionHeads * model.headDim;
  const kv = model.kvHeads * model.headDim;
  const i = model.intermediateSize;
  const perLayer = h + q + 2 * (h + kv) + (q + h) + 2 * (h + i) + (i + h);
  return model.layers * perLayer;
}

/**
 * Size of one LoRA adapter of the given rank, bytes: rank x loraParamsPerRank x dtypeBytes
 * (adapter weights in the model's dtype, as vLLM holds them in its LoRA slots).
 * Llama-3.1-8B, rank 16: 16 x 2,621,440 x 2 = 83,886,080 bytes (80 MiB).
 */
export function loraAdapterBytes(model: ModelSpec, rank: number): number {
  if (!Number.isFinite(rank) || rank <= 0) {
    throw new Error(`LoRA rank must be a positive number, got ${rank}`);
  }
  return rank * loraParamsPerRank(model) * model.dtypeBytes;
}

/**
 * Parameters excluding the input embedding and the LM head, count:
 * parameters - vocabSize x hiddenSize x (tieWordEmbeddings ? 1 : 2).
 * (Qwen2.5-7B: 7.61e9 - 2 x 152,064 x 3,584 ≈ 6.52e9; its card says 6.53B non-embedding.)
 */
export function nonEmbeddingParameters(model: ModelSpec): number {
  const embeddingMatrices = model.tieWordEmbeddings ? 1 : 2;
  return model.parameters - model.vocabSize * model.hiddenSize * embeddingMatrices;
}

/**
 * Forward FLOPs per processed token ≈ 2 x non-embedding parameters (one multiply-add per
 * weight), FLOP/token. Deliberately excludes:
 * - the embedding lookup (a gather, no FLOPs);
 * - the LM head (2 x vocab x hidden): vLLM computes logits only for the last token of each
 *   sequence in a step, so it is a per-sequence, not per-token, cost;
 * - attention score/value FLOPs (4 x layers x heads x headDim x context), which depend on
 *   the context length and are the twin's business;
 * - LoRA FLOPs (2 x rank x loraParamsPerRank per token of that adapter).
 * Llama-3.1-8B: 2 x (8.03e9 - 2 x 128,256 x 4,096) ≈ 1.396e10.
 */
export function modelFlopsPerToken(model: ModelSpec): number {
  return 2 * nonEmbeddingParameters(model);
}

/** The model with this id; throws an Error naming the valid ids when it is unknown. */
export function getModel(id: string): ModelSpec {
  if (Object.hasOwn(MODELS, id)) return MODELS[id as ModelId];
  throw new Error(`Unknown model id "${id}". Valid model ids: ${MODEL_IDS.join(", ")}`);
}

/** The GPU with this id; throws an Error naming the valid ids when it is unknown. */
export function getGpu(id: string): GpuSpec {
  if (Object.hasOwn(GPUS, id)) return GPUS[id as GpuId];
  throw new Error(`Unknown GPU id "${id}". Valid GPU ids: ${GPU_IDS.join(", ")}`);
}
