/**
 * Scenarios: the single-GPU scenario the twin runs (`schema.ts`, `resolve.ts`), the app's fleet
 * scenario (`fleet.ts`), its URL form (`urlCodec.ts`) and format migrations (`migrate.ts`).
 * Every boundary parses with these schemas and reports bad input as one-line InputErrors.
 */
export { InputError, formatPath, inputErrorFromZod } from "./errors";
export * from "./schema";
export {
  loadScenario,
  parseScenario,
  resolveScenario,
  VLLM_DEFAULTS,
  type ResolvedEngine,
  type ResolvedScenario,
} from "./resolve";
export {
  DEFAULT_ADAPTER_COUNT,
  DEFAULT_RANK_CYCLE,
  DEFAULT_RATE_CYCLE_RPS,
  defaultFleetScenario,
  FLEET_LIMITS,
  FleetScenarioSchema,
  FleetWorkloadSchema,
  GpuOfferSchema,
  jsonDepthExceeds,
  ObjectiveSchema,
  parseFleetScenario,
  parseFleetScenarioJson,
  parseFleetScenarioWithNotes,
  objectiveFrom,
  objectiveParts,
  parseJsonSafely,
  PlacementOverrideSchema,
  show as showValue,
  sortLengthProfile,
  toFleetRequest,
  TraceSummarySchema,
  type FleetObjective,
  type FleetScenario,
  type FleetScenarioInput,
  type FleetWorkload,
  type GpuOfferEntry,
  type ObjectiveParts,
  type ParsedFleetScenario,
  type PlacementOverride,
  type TraceSummary,
} from "./fleet";
export {
  decodeScenarioFromHash,
  decompressUriSafeCapped,
  encodeScenarioToHash,
  isScenarioHash,
  shareScenario,
  URL_LIMITS,
  type DecodeResult,
  type ShareResult,
} from "./urlCodec";
export {
  checkVersion,
  FLEET_MIGRATIONS,
  FLEET_SCENARIO_VERSION,
  migrateDocument,
  oldestReadableVersion,
  type MigrationRegistry,
  type MigrationResult,
  type MigrationStep,
} from "./migrate";
