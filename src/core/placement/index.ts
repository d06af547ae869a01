/**
 * Placement planner: which adapters on which GPU, with which vLLM flags, verified by the twin.
 * Entry point {@link planFleet}; estimators and verifiers plug in through `types.ts`.
 */
export { planFleet, problemOf, type PlanFleetOptions } from "./plan";
export { createContext, type FleetContext } from "./context";
export { scenarioForGpu, scenarioForIds } from "./scenario";
export {
  createTwinEstimator,
  inThreadRunner,
  inThreadVerifier,
  runnerVerifier,
  verdictOf,
  type TwinEstimatorOptions,
} from "./twinEstimator";
export { adapterPath, loraModule, shellQuote, vllmArgs, vllmArgv } from "./vllmArgs";
export type * from "./types";
export { BASELINE_NAMES } from "./types";
