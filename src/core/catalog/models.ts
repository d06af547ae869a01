import type { ModelId } from "./ids";
import type { ModelSpec } from "./types";

/**
 * Base models, with every architecture number taken from the model's Hugging Face
 * `config.json` (field names in `types.ts`) and the parameter count as published on the
 * model card / Hub page (rounded to three significant digits, e.g. 8.03B).
 *
 * Cross-check: the exact parameter count recomputed from the config fields
 * (embedding + untied LM head + per layer q/k/v/o + gate/up/down + 2 RMSNorm, + final norm,
 * + Qwen2's q/k/v biases) is quoted in each comment; every published figure rounds from it.
 *
 * `dtypeBytes` is 2 for all: the weights ship as bf16 (Llama 2: fp16) and vLLM serves them
 * and their KV cache in 16-bit unless told otherwise.
 */
export const MODELS: Record<ModelId, ModelSpec> = {
  // Exact count from config: 8,030,261,248. config.json has an explicit head_dim = 128.
  "llama-3.1-8b-instruct": {
    id: "llama-3.1-8b-instruct",
    displayName: "Llama 3.1 8B Instruct",
    hfRepo: "meta-llama/Llama-3.1-8B-Instruct",
    parameters: 8.03e9,
    layers: 32,
    hiddenSize: 4096,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128,
    intermediateSize: 14336,
    vocabSize: 128256,
    maxPositionEmbeddings: 131072,
    dtypeBytes: 2,
    tieWordEmbeddings: false,
    sources: [
      "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/blob/main/config.json",
      "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct (8.03B params)",
    ],
  },

  // Exact count from config: 7,615,616,512 (6,525,621,760 non-embedding; the card says
  // "7.61B, non-embedding 6.53B"). q/k/v projections carry biases (Qwen2 architecture).
  // The 7B-Instruct config.json sets max_position_embeddings = 32768 (128K needs YaRN,
  // which vLLM does not enable by default) and tie_word_embeddings = false.
  "qwen-2.5-7b-instruct": {
    id: "qwen-2.5-7b-instruct",
    displayName: "Qwen2.5 7B Instruct",
    hfRepo: "Qwen/Qwen2.5-7B-Instruct",
    parameters: 7.61e9,
    layers: 28,
    hiddenSize: 3584,
    attentionHeads: 28,
    kvHeads: 4,
    headDim: 128, // 3584 / 28
    intermediateSize: 18944,
    vocabSize: 152064,
    maxPositionEmbeddings: 32768,
    dtypeBytes: 2,
    tieWordEmbeddings: false,
    sources: [
      "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/config.json",
      "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct (Number of Parameters: 7.61B)",
    ],
  },

  // Exact count from config: 70,553,706,496.
  "llama-3.1-70b-instruct": {
    id: "llama-3.1-70b-instruct",
    displayName: "Llama 3.1 70B Instruct",
    hfRepo: "meta-llama/Llama-3.1-70B-Instruct",
    parameters: 70.6e9,
    layers: 80,
    hiddenSize: 8192,
    attentionHeads: 64,
    kvHeads: 8,
    headDim: 128, // 8192 / 64
    intermediateSize: 28672,
    vocabSize: 128256,
    maxPositionEmbeddings: 131072,
    dtypeBytes: 2,
    tieWordEmbeddings: false,
    sources: [
      "https://huggingface.co/meta-llama/Llama-3.1-70B-Instruct/blob/main/config.json",
      "https://huggingface.co/meta-llama/Llama-3.1-70B-Instruct (70.6B params)",
    ],
  },

  // Exact count from config: 7,248,023,552. v0.3 extends the vocabulary to 32768 and drops
  // sliding-window attention (sliding_window: null), so the full 32K context is usable.
  "mistral-7b-instruct-v0.3": {
    id: "mistral-7b-instruct-v0.3",
    displayName: "Mistral 7B Instruct v0.3",
    hfRepo: "mistralai/Mistral-7B-Instruct-v0.3",
    parameters: 7.25e9,
    layers: 32,
    hiddenSize: 4096,
    attentionHeads: 32,
    kvHeads: 8,
    headDim: 128, // config.json head_dim
    intermediateSize: 14336,
    vocabSize: 32768,
    maxPositionEmbeddings: 32768,
    dtypeBytes: 2,
    tieWordEmbeddings: false,
    sources: [
      "https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3/blob/main/config.json",
      "https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3 (7.25B params)",
    ],
  },

  // Exact count from config: 6,738,415,616. Multi-head attention (kvHeads = heads), so its
  // KV cache per token is 4x Llama 3.1 8B's. torch_dtype float16 (still 2 bytes).
  "llama-2-7b": {
    id: "llama-2-7b",
    displayName: "Llama 2 7B",
    hfRepo: "meta-llama/Llama-2-7b-hf",
    parameters: 6.74e9,
    layers: 32,
    hiddenSize: 4096,
    attentionHeads: 32,
    kvHeads: 32,
    headDim: 128, // 4096 / 32
    intermediateSize: 11008,
    vocabSize: 32000,
    maxPositionEmbeddings: 4096,
    dtypeBytes: 2,
    tieWordEmbeddings: false,
    sources: [
      "https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json",
      "https://huggingface.co/meta-llama/Llama-2-7b-hf (6.74B params)",
    ],
  },

  // Exact count from config: 13,015,864,320 (published as "13B"; 13.0B to three digits).
  "llama-2-13b": {
    id: "llama-2-13b",
    displayName: "Llama 2 13B",
    hfRepo: "meta-llama/Llama-2-13b-hf",
    parameters: 13.0e9,
    layers: 40,
    hiddenSize: 5120,
    attentionHeads: 40,
    kvHeads: 40,
    headDim: 128, // 5120 / 40
    intermediateSize: 13824,
    vocabSize: 32000,
    maxPositionEmbeddings: 4096,
    dtypeBytes: 2,
    tieWordEmbeddings: false,
    sources: [
      "https://huggingface.co/meta-llama/Llama-2-13b-hf/blob/main/config.json",
      "https://huggingface.co/meta-llama/Llama-2-13b-hf (13B params)",
    ],
  },
};
