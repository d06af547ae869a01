/**
 * The TF.js surrogate of the twin: features of a GPU's assignment, the sampling design and
 * dataset generation, training, the runtime (batched estimates, OOD flag, backend choice) and
 * the planner-facing estimator. Node-only file helpers live in `./node` (not exported here).
 */
export {
  ACTIVE_TAUS_S,
  extractFeatures,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURES,
  profileMean,
  type FeatureDef,
  type FeatureGroup,
  type ScenarioSummary,
} from "./features";
export {
  DESIGN_VERSION,
  designScenario,
  maxLorasLimit,
  MEASURED_DURATION_S,
  MEASURED_PENDING_CAP,
  MIN_DURATION_S,
  type DatasetSpec,
  type SampleInfo,
} from "./design";
export {
  generateDataset,
  inlineRunner,
  labelsOf,
  runSample,
  type Dataset,
  type DatasetRow,
  type GenerateOptions,
  type GenerateProgress,
  type Labels,
  type SampleRunner,
  type SampleTask,
} from "./dataset";
export { OUTPUT_NAMES, THROUGHPUT_TARGETS, type ThroughputTarget } from "./targets";
export {
  evaluateRows,
  f1Score,
  smape,
  trainSurrogate,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from "./train";
export {
  DEFAULT_OOD_MARGIN,
  loadSurrogateFromUrl,
  MODEL_FILES,
  modelDirName,
  STARVED_DECISION,
  Surrogate,
  type EstimateBatch,
  type LayerDef,
  type SurrogateArtifacts,
  type SurrogateEstimate,
  type SurrogateMeta,
  type ValidationMetrics,
} from "./runtime";
export {
  BACKEND_ORDER,
  benchmarkBackends,
  initBackend,
  probeSurrogate,
  syntheticFeatures,
  timeBatch,
  type BackendChoice,
  type BackendEnvironment,
  type BackendName,
  type BackendProbe,
  type InitBackendOptions,
} from "./backend";
export {
  createSurrogateEstimator,
  resolveQuery,
  toGpuEstimate,
  type QueryEstimator,
  type SurrogateEstimatorOptions,
  type SurrogateQuery,
} from "./estimator";
