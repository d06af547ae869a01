/**
 * Coefficients of the twin for any (model, GPU) pair.
 *
 * Measured pairs (Llama-3.1-8B-Instruct and Qwen-2.5-7B-Instruct on `h100-64gb`) use the
 * coefficients fitted on their micro-benchmarks (`calibration/h100-64gb.json`, written by
 * `scripts/calibrate/fit-h100-64gb.ts`). Every other pair is scaled from a measured
 * reference — the same model on `h100-64gb` if it was measured, else Llama-3.1-8B — by this
 * roofline rule (results are marked `extrapolated`):
 *
 * - memory-bound terms scale with bytes / bandwidth: the weight read inside the fixed step
 *   time (weights / effective bandwidth) and the KV read per token (KV bytes / effective
 *   bandwidth); effective bandwidth = the GPU's datasheet bandwidth × the efficiency measured
 *   on h100-64gb (fitted KV-read bandwidth / its datasheet bandwidth);
 * - compute-bound terms scale with FLOPs / peak: per-token GEMM time by
 *   (2 × non-embedding parameters) / dense BF16 TFLOPS, prefill attention by its FLOPs, the
 *   per-decode term (LM head + sampling) by hidden × vocab / TFLOPS, LoRA CTA costs by
 *   TFLOPS (a proxy for SM count × clock);
 * - host-bound terms stay: the CPU part of the fixed step time (measured fixed time − weight
 *   read), the eager-mode launch overhead (scaled by layer count), the scheduler;
 * - adapter loads: the fixed part stays, the per-rank part scales with adapter bytes and the
 *   host link bandwidth.
 */
import { GPUS } from "../catalog/gpus";
import type { GpuId, ModelId } from "../catalog/ids";
import { MODELS } from "../catalog/models";
import { kvBytesPerToken, loraParamsPerRank, nonEmbeddingParameters } from "../catalog/derived";
import type { GpuSpec, ModelSpec } from "../catalog/types";
import h100 from "./calibration/h100-64gb.json";
import type { LatencyCoefficients, StepCoefficients } from "./latencyModel";
import type { MemoryFit, ReserveRule } from "./memoryModel";

interface FittedModel {
  step: StepCoefficients;
  load: LatencyCoefficients["load"];
  memory: MemoryFit;
}

const REFERENCE_GPU: GpuId = "h100-64gb";
const REFERENCE_MODEL: ModelId = "llama-3.1-8b-instruct";
const fitted = h100.models as Record<string, FittedModel>;

/** Coefficients and provenance for one pair. */
export interface PairCalibration {
  coefficients: LatencyCoefficients;
  /** fitted memory constants when the model was measured (valid on any GPU) */
  memoryFit?: MemoryFit;
  reserveRule: ReserveRule;
  /** true when scaled by the roofline rule rather than fitted on this pair */
  extrapolated: boolean;
  /** the measured pair it was scaled from */
  reference: { model: ModelId; gpu: GpuId };
}

/** Memory-fitted models (their constants hold on any GPU). */
export function isMeasuredModel(model: ModelId): boolean {
  return model in fitted;
}

/** Resolve the coefficients of `model` on `gpu` (see file comment for the rule). */
export function calibrationFor(modelId: ModelId, gpuId: GpuId): PairCalibration {
  const measuredModel = isMeasuredModel(modelId);
  const refModelId: ModelId = measuredModel ? modelId : REFERENCE_MODEL;
  const ref = fitted[refModelId]!;
  const base: LatencyCoefficients = {
    step: { ...ref.step },
    lora: { ...h100.lora },
    load: { cpuToGpu: { ...ref.load.cpuToGpu }, diskToCpu: { ...ref.load.diskToCpu } },
    scheduler: { ...h100.scheduler },
  };
  const result: PairCalibration = {
    coefficients: base,
    memoryFit: measuredModel ? { ...ref.memory } : undefined,
    reserveRule: { ...h100.reserveRule },
    extrapolated: !(measuredModel && gpuId === REFERENCE_GPU),
    reference: { model: refModelId, gpu: REFERENCE_GPU },
  };
  if (!result.extrapolated) return result;
  result.coefficients = scaleCoefficients(
    base,
    MODELS[refModelId],
    GPUS[REFERENCE_GPU],
    MODELS[modelId],
    GPUS[gpuId],
  );
  return result;
}

function scaleCoefficients(
  c: LatencyCoefficients,
  refModel: ModelSpec,
  refGpu: GpuSpec,
  model: ModelSpec,
  gpu: GpuSpec,
): LatencyCoefficients {
  const efficiency = h100.kvReadBandwidthTBs / refGpu.memoryBandwidthTBs;
  const refBw = h100.kvReadBandwidthTBs * 1e12; // bytes/s achieved on the reference
  const bw = gpu.memoryBandwidthTBs * efficiency * 1e12;
  const computeRatio = refGpu.bf16Tflops / gpu.bf16Tflops;
  const refWeightMs = ((refModel.parameters * refModel.dtypeBytes) / refBw) * 1e3;
  const hostMs = Math.max(0, c.step.baseMs - refWeightMs);
  const weightMs = ((model.parameters * model.dtypeBytes) / bw) * 1e3;
  const flopRatio = nonEmbeddingParameters(model) / nonEmbeddingParameters(refModel);
  const flopPerMs = (2 * nonEmbeddingParameters(refModel)) / c.step.perTokenMs / computeRatio;
  const headRatio =
    (model.hiddenSize * model.vocabSize) / (refModel.hiddenSize * refModel.vocabSize);
  const bytesRatio = loraParamsPerRank(model) / loraParamsPerRank(refModel);
  const linkRatio = refGpu.hostLinkGBs / gpu.hostLinkGBs;
  return {
    step: {
      baseMs: hostMs + weightMs,
      eagerMs: c.step.eagerMs * (model.layers / refModel.layers),
      perTokenMs: c.step.perTokenMs * flopRatio * computeRatio,
      perDecodeMs: c.step.perDecodeMs * headRatio * computeRatio,
      perKvTokenMs: (kvBytesPerToken(model) / bw) * 1e3,
      perPrefillAttnMs: (4 * model.layers * model.attentionHeads * model.headDim) / flopPerMs,
    },
    lora: {
      kernelFloorUs: c.lora.kernelFloorUs,
      idleCtaNs: c.lora.idleCtaNs * computeRatio,
      activeCtaNs: c.lora.activeCtaNs * computeRatio,
    },
    load: {
      cpuToGpu: {
        baseMs: c.load.cpuToGpu.baseMs,
        perRankMs: c.load.cpuToGpu.perRankMs * bytesRatio * linkRatio,
      },
      diskToCpu: {
        baseMs: c.load.diskToCpu.baseMs,
        perRankMs: c.load.diskToCpu.perRankMs * bytesRatio,
      },
    },
    scheduler: { ...c.scheduler },
  };
}
