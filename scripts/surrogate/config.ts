/**
 * The shipped surrogates and the settings they are trained with (one place, so
 * `surrogate:train`, `surrogate:all` and `bench:surrogate` agree).
 */
import type { GpuId, ModelId } from "../../src/core/catalog/ids";
import type { TrainOptions } from "../../src/core/surrogate/train";

/** Pairs whose models ship in public/models/. */
export const SHIPPED_PAIRS: readonly (readonly [ModelId, GpuId])[] = [
  ["llama-3.1-8b-instruct", "h100-64gb"],
  ["qwen-2.5-7b-instruct", "h100-64gb"],
  ["llama-3.1-8b-instruct", "h100-sxm-80gb"],
  ["qwen-2.5-7b-instruct", "h100-sxm-80gb"],
  ["llama-3.1-8b-instruct", "a100-80gb"],
  ["qwen-2.5-7b-instruct", "a100-80gb"],
  ["llama-3.1-8b-instruct", "l40s"],
  ["qwen-2.5-7b-instruct", "l40s"],
];

/** Training defaults (chosen by `bench:surrogate --ablation`; see the README). */
export const DEFAULT_TRAIN = {
  samples: 1200,
  designSeed: 1,
  epochs: 400,
  options: {
    hidden: [64, 64],
    activation: "elu",
    batchSize: 128,
    learningRate: 3e-3,
    throughputTarget: "logratio",
    seed: 1,
  } satisfies TrainOptions,
};

/** Held-out design seed of the benchmark (training uses {@link DEFAULT_TRAIN.designSeed}). */
export const HELDOUT_SEED = 2;
