/**
 * Step-latency model: the wall time of one vLLM engine step (one forward pass and the
 * scheduling around it), ms, from what the step contains.
 *
 *   step = base                               fixed: CPU scheduling/launch + weight read
 *        + eager if tokens > 512              no CUDA graph above vLLM's largest capture size
 *        + perToken × tokens                  every scheduled token (prefill or decode): GEMMs
 *        + perDecode × decodes                each decoding request: LM head, sampling, bookkeeping
 *        + perKvToken × Σ decode contexts     decode attention reads every KV token once
 *        + perPrefillAttn × Σ chunk·(ctx+chunk/2)   prefill attention FLOPs
 *        + perPrefillAttn × 128 × Σ decode contexts    only in steps mixing prefill and decode
 *        + LoRA                               see below, only with LoRA in the batch
 *        + perSkippedUs × waiting requests the scheduler skipped (adapter not in the batch)
 *        + adapter loads (CPU→GPU, disk→CPU) done in this step
 *
 * LoRA. vLLM 0.8.5 runs the Punica LoRA kernels (`lora_shrink`/`lora_expand`, Triton) for
 * every LoRA-wrapped layer (qkv, o, gate_up, down). Their grid launches one block of CTAs
 * per GPU adapter slot (`max_loras + 1`, `vllm/lora/ops/triton_ops/lora_shrink_op.py`: "This
 * grid formulation maximizes parallelization at the cost of wasteful thread block launch"),
 * and CTAs of empty slots exit at once. So the LoRA cost is
 *   kernels × floor + idleCta × (all CTAs launched) + activeCta × (CTAs that do work),
 * with shrink grid = splitK · ⌈M/32⌉ · ⌈R/16⌉ · slices · (maxLoras+1) (splitK = 64 if M < 128
 * else 8) and expand grid = ⌈M/64⌉ · ⌈N/128⌉ · slices · (maxLoras+1), M = tokens in the step
 * (padded to the CUDA-graph size when ≤ 512), R = maxLoraRank, N = widest output of the layer;
 * an active adapter with m tokens does the work of ⌈m/32⌉·⌈R/16⌉·Σ slices·min(splitK, ⌈K/blockK⌉)
 * shrink CTAs (blockK = 256 if M < 128 else 32: split-K blocks past the layer's input width K
 * find no work) and ⌈m/64⌉·⌈N/128⌉·slices expand CTAs (vLLM 0.8.5 default kernel configs,
 * `get_v1_op_configs`).
 * Two constants, fitted on `dt_calib_lora_latency_overhead.csv`, come out alike for both
 * measured models (≈ 0.9 ns per launched CTA, ≈ 23 ns per working CTA).
 */
import type { ModelSpec } from "../catalog/types";

/** Coefficients of the no-LoRA part of a step (see file comment), ms. */
export interface StepCoefficients {
  baseMs: number;
  /** extra per step run without CUDA graphs (more than 512 tokens), ms */
  eagerMs: number;
  perTokenMs: number;
  perDecodeMs: number;
  perKvTokenMs: number;
  perPrefillAttnMs: number;
}

/**
 * Query rows of one attention tile (FlashAttention's kBlockM for head dim 128). In a step that
 * also runs a prefill chunk, vLLM V1 runs every request through one variable-length attention
 * kernel: a decoding request then occupies a whole query tile with a single useful row, and
 * pays the tile's attention FLOPs over its context (in decode-only steps the decode path
 * avoids this). Modelled as `perPrefillAttnMs × DECODE_TILE_ROWS × Σ decode contexts`.
 */
export const DECODE_TILE_ROWS = 128;

/** Coefficients of the LoRA kernels' cost. */
export interface LoraCoefficients {
  /**
   * µs every LoRA kernel takes at least, even with nothing to do (launch and drain of a tiny
   * kernel inside a CUDA graph); a step runs `layers × 2 × wrapped linears` of them.
   */
  kernelFloorUs: number;
  /** ns per CTA launched (most exit at once) */
  idleCtaNs: number;
  /** ns per CTA that multiplies */
  activeCtaNs: number;
}

/** Adapter load latency: `baseMs + perRankMs × rank`. */
export interface LinearMs {
  baseMs: number;
  perRankMs: number;
}

export interface LoadCoefficients {
  /** copy into a GPU slot; `rank` is `maxLoraRank` (the whole slot is written) */
  cpuToGpu: LinearMs;
  /** read from disk into the CPU cache; `rank` is the adapter's rank */
  diskToCpu: LinearMs;
}

export interface SchedulerCoefficients {
  /** µs per waiting request the scheduler pops and puts back (Python loop in vLLM 0.8.5) */
  perSkippedUs: number;
}

/** Everything the twin needs to time a step of one model on one GPU. */
export interface LatencyCoefficients {
  step: StepCoefficients;
  lora: LoraCoefficients;
  load: LoadCoefficients;
  scheduler: SchedulerCoefficients;
}

/** One LoRA-wrapped linear layer as vLLM groups it: input width and each slice's output width. */
interface LoraOp {
  inFeatures: number;
  sliceOut: number[];
}

/** The LoRA-wrapped layers of one transformer block (vLLM's merged qkv and gate_up). */
export function loraOps(model: ModelSpec): LoraOp[] {
  const h = model.hiddenSize;
  const q = model.attentionHeads * model.headDim;
  const kv = model.kvHeads * model.headDim;
  return [
    { inFeatures: h, sliceOut: [q, kv, kv] },
    { inFeatures: q, sliceOut: [h] },
    { inFeatures: h, sliceOut: [model.intermediateSize, model.intermediateSize] },
    { inFeatures: model.intermediateSize, sliceOut: [h] },
  ];
}

/** Per-model constants of the CTA counts, precomputed once per run. */
export interface LoraShape {
  layers: number;
  /** query heads per KV head (grouped-query attention) */
  gqaGroup: number;
  /** LoRA kernels per transformer block: a shrink and an expand per wrapped linear */
  kernelsPerLayer: number;
  /** total slices over the ops of one block */
  slices: number;
  /** Σ over ops of slices × ⌈input width / 256⌉ (shrink split-K blocks with work when M < 128) */
  shrinkSplitsSmallM: number;
  /** Σ over ops of slices × ⌈widest slice / 128⌉ (expand CTAs per 64-token block per slot) */
  expandNBlocks: number;
}

export function loraShape(model: ModelSpec): LoraShape {
  let slices = 0;
  let expandNBlocks = 0;
  let shrinkSplitsSmallM = 0;
  for (const op of loraOps(model)) {
    slices += op.sliceOut.length;
    shrinkSplitsSmallM += op.sliceOut.length * Math.min(64, Math.ceil(op.inFeatures / 256));
    expandNBlocks += op.sliceOut.length * Math.ceil(Math.max(...op.sliceOut) / 128);
  }
  return {
    layers: model.layers,
    kernelsPerLayer: 2 * loraOps(model).length,
    gqaGroup: model.attentionHeads / model.kvHeads,
    slices,
    shrinkSplitsSmallM,
    expandNBlocks,
  };
}

/** vLLM 0.8.5 V1's largest CUDA-graph capture size, tokens (`max_capture_size`). */
export const MAX_CUDA_GRAPH_TOKENS = 512;

/**
 * Tokens the CUDA graph runs for `m` scheduled tokens: vLLM 0.8.5 V1 captures graphs for
 * 1, 2, 4 and multiples of 8 up to 512 and pads up to the next; above 512 it runs eagerly.
 */
export function paddedTokens(m: number): number {
  if (m > MAX_CUDA_GRAPH_TOKENS) return m;
  if (m <= 2) return m <= 1 ? 1 : 2;
  if (m <= 4) return 4;
  return Math.ceil(m / 8) * 8;
}

function splitK(m: number): number {
  return m < 128 ? 64 : 8;
}

/** CTAs the LoRA kernels launch in one step of `m` scheduled tokens (all slots). */
export function launchedLoraCtas(
  shape: LoraShape,
  m: number,
  maxLoras: number,
  maxRank: number,
): number {
  const mp = paddedTokens(m);
  const rBlocks = Math.ceil(maxRank / 16);
  const perSlot =
    splitK(mp) * Math.ceil(mp / 32) * rBlocks * shape.slices +
    Math.ceil(mp / 64) * shape.expandNBlocks;
  return perSlot * (maxLoras + 1) * shape.layers;
}

/**
 * CTAs that do work, given Σ⌈m_l/32⌉ and Σ⌈m_l/64⌉ over the adapters l in the batch
 * (m_l = that adapter's tokens in the step).
 */
export function activeLoraCtas(
  shape: LoraShape,
  m: number,
  maxRank: number,
  sumCeil32: number,
  sumCeil64: number,
): number {
  const mp = paddedTokens(m);
  const rBlocks = Math.ceil(maxRank / 16);
  // split-K blocks with work: all 8 when M ≥ 128 (blockK 32 × 8 ≤ every K); when M < 128
  // (64 splits of blockK 256) only ⌈K/256⌉ of them per slice
  const shrinkSplits = mp < 128 ? shape.shrinkSplitsSmallM : splitK(mp) * shape.slices;
  return (shrinkSplits * rBlocks * sumCeil32 + shape.expandNBlocks * sumCeil64) * shape.layers;
}

/** What one step contains, as the latency model sees it. */
export interface StepLoad {
  /** scheduled tokens (prefill chunks + decodes) */
  tokens: number;
  /** decoding requests (one token each) */
  decodes: number;
  /** Σ over decoding requests of their context (prompt + generated), tokens */
  kvTokens: number;
  /** Σ over prefill chunks of chunk × (computed tokens before it + chunk / 2) */
  prefillAttn: number;
  /** prefill chunks in the step (a step with any runs attention without GQA packing) */
  prefills: number;
  /** distinct adapters in the batch (0: no LoRA work) */
  adapters: number;
  /** Σ over adapters in the batch of ⌈their tokens / 32⌉ */
  sumCeil32: number;
  /** Σ over adapters in the batch of ⌈their tokens / 64⌉ */
  sumCeil64: number;
  /** waiting requests the scheduler skipped this step */
  skipped: number;
}

/** Compute-side time of a step, ms (adapter loads are added by the engine). */
export function stepMs(
  c: LatencyCoefficients,
  shape: LoraShape,
  maxLoras: number,
  maxRank: number,
  s: StepLoad,
): number {
  const k = c.step;
  let t =
    k.baseMs +
    (s.tokens > MAX_CUDA_GRAPH_TOKENS ? k.eagerMs : 0) +
    k.perTokenMs * s.tokens +
    k.perDecodeMs * s.decodes +
    k.perKvTokenMs * s.kvTokens +
    (s.prefills > 0 ? k.perPrefillAttnMs * DECODE_TILE_ROWS * s.kvTokens : 0) +
    k.perPrefillAttnMs * s.prefillAttn +
    c.scheduler.perSkippedUs * 1e-3 * s.skipped;
  if (s.adapters > 0) {
    t +=
      1e-3 * c.lora.kernelFloorUs * shape.kernelsPerLayer * shape.layers +
      1e-6 * c.lora.idleCtaNs * launchedLoraCtas(shape, s.tokens, maxLoras, maxRank) +
      1e-6 *
        c.lora.activeCtaNs *
        activeLoraCtas(shape, s.tokens, maxRank, s.sumCeil32, s.sumCeil64);
  }
  return t;
}

/** Load time of one adapter into a GPU slot, ms. */
export function cpuToGpuMs(c: LatencyCoefficients, maxRank: number): number {
  return c.load.cpuToGpu.baseMs + c.load.cpuToGpu.perRankMs * maxRank;
}

/** Load time of one adapter from disk into the CPU cache, ms. */
export function diskToCpuMs(c: LatencyCoefficients, rank: number): number {
  return c.load.diskToCpu.baseMs + c.load.diskToCpu.perRankMs * rank;
}
