/**
 * The fleet scenario as the UI uses it: the core's schema (src/core/scenario/fleet.ts) and URL
 * codec (src/core/scenario/urlCodec.ts), re-exported so the UI has one import point.
 */
export {
  defaultFleetScenario,
  parseFleetScenario,
  parseFleetScenarioJson,
  parseFleetScenarioWithNotes,
  toFleetRequest,
  type FleetScenario,
  type PlacementOverride,
  type TraceSummary,
} from "../core/scenario/fleet";
export {
  decodeScenarioFromHash,
  encodeScenarioToHash,
  isScenarioHash,
  shareScenario,
  type DecodeResult,
  type ShareResult,
} from "../core/scenario/urlCodec";
