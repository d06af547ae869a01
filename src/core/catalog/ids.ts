/**
 * Identifiers of the catalog entries. The CLI, scenario files and URLs use these
 * exact strings; renaming one breaks saved scenarios, so only ever add.
 */

/** Base models the planner knows. `llama-3.1-8b-instruct` and `qwen-2.5-7b-instruct` are measured on `h100-64gb`. */
export const MODEL_IDS = [
  "llama-3.1-8b-instruct",
  "qwen-2.5-7b-instruct",
  "llama-3.1-70b-instruct",
  "mistral-7b-instruct-v0.3",
  "llama-2-7b",
  "llama-2-13b",
] as const;

/** GPU types the planner knows. `h100-64gb` is the measured GPU (MareNostrum 5's 64 GB H100). */
export const GPU_IDS = [
  "h100-64gb",
  "h100-sxm-80gb",
  "h200",
  "a100-80gb",
  "a100-40gb",
  "l40s",
  "l4",
  "a10g",
  "b200",
] as const;

export type ModelId = (typeof MODEL_IDS)[number];
export type GpuId = (typeof GPU_IDS)[number];

/** The pairs whose step-latency coefficients are fitted on real measurements; every other pair is extrapolated. */
export const MEASURED_PAIRS: ReadonlyArray<readonly [ModelId, GpuId]> = [
  ["llama-3.1-8b-instruct", "h100-64gb"],
  ["qwen-2.5-7b-instruct", "h100-64gb"],
];
