import type { GpuId, ModelId } from "./ids";

/**
 * Architecture of a base model, as in its Hugging Face `config.json`. Sizes are counts
 * (not bytes) unless the name says otherwise. `sources` lists where each number comes from.
 */
export interface ModelSpec {
  id: ModelId;
  displayName: string;
  /** Hugging Face repository of the weights */
  hfRepo: string;
  /** total parameters (embeddings and LM head included) */
  parameters: number;
  /** `num_hidden_layers` */
  layers: number;
  /** `hidden_size` */
  hiddenSize: number;
  /** `num_attention_heads` */
  attentionHeads: number;
  /** `num_key_value_heads` (grouped-query attention) */
  kvHeads: number;
  /** `head_dim` (hidden_size / attention_heads unless stated) */
  headDim: number;
  /** `intermediate_size` of the MLP */
  intermediateSize: number;
  /** `vocab_size` */
  vocabSize: number;
  /** `max_position_embeddings`: vLLM's default `--max-model-len` */
  maxPositionEmbeddings: number;
  /** bytes per weight and per KV element as served (bf16 = 2) */
  dtypeBytes: number;
  /** `tie_word_embeddings` */
  tieWordEmbeddings: boolean;
  /** where the numbers come from (model card, config.json URL, paper) */
  sources: string[];
}

/**
 * A GPU type. Memory is what the CUDA runtime reports as total (GiB = 2^30 bytes);
 * TFLOPS are dense (not 2:4 sparse) BF16 tensor-core peaks; bandwidths are per direction.
 */
export interface GpuSpec {
  id: GpuId;
  displayName: string;
  /** total device memory, GiB */
  memoryGiB: number;
  /** dense BF16 tensor-core peak, TFLOPS */
  bf16Tflops: number;
  /** HBM/GDDR bandwidth, TB/s (10^12 bytes/s) */
  memoryBandwidthTBs: number;
  /** host link (PCIe or NVLink-C2C) bandwidth host→device, GB/s (10^9 bytes/s) */
  hostLinkGBs: number;
  /** name of that link, e.g. "PCIe Gen5 x16" */
  hostLink: string;
  /** a typical on-demand price, $/h per GPU (editable in the app; prices move) */
  costPerHour: number;
  /** where the numbers come from (datasheet URLs, price pages with date) */
  sources: string[];
}
