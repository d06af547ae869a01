/** GPU and base-model catalog: ids, spec types, the data, and quantities derived from it. */
export * from "./ids";
export type * from "./types";
export { MODELS } from "./models";
export { GPUS } from "./gpus";
export {
  getGpu,
  getModel,
  kvBytesPerToken,
  loraAdapterBytes,
  loraParamsPerRank,
  modelFlopsPerToken,
  nonEmbeddingParameters,
  weightsBytes,
} from "./derived";
