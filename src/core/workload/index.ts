/**
 * Workload generation: seeded random streams, token-length samplers, the time-ordered request
 * stream of a workload (sampled or replayed), and real-trace import.
 */
export { createRng, uniformInt, type Rng } from "./rng";
export { createAliasTable, type AliasTable } from "./alias";
export {
  clipOutputTokens,
  clipPromptTokens,
  createLengthSampler,
  type LengthMean,
  type LengthSampler,
  type LengthSamplerOptions,
} from "./lengths";
export { SHAREGPT_MEAN, SHAREGPT_MAX_TOTAL } from "./sharegpt-table";
export {
  arrivalStream,
  createRequestStream,
  lengthStream,
  newRequestSpec,
  type RequestSpec,
  type RequestStream,
  type RequestStreamOptions,
} from "./arrivals";
export {
  fitLengthProfile,
  mapTraceToAdapters,
  MIN_MAPPED_RATE_RPS,
  parseTraceCsv,
  type BadRowReason,
  type Popularity,
  type TraceFormat,
  type TraceMapping,
  type TraceMappingOptions,
  type TraceParseOptions,
  type TraceParseResult,
  type TraceRequests,
} from "./trace";
