/**
 * Test helpers: a dataset with the design's real feature rows and made-up labels (no twin
 * runs), so training, saving and loading can be tested in well under a second.
 */
import { loadScenario } from "../scenario/resolve";
import type { Dataset, DatasetRow } from "./dataset";
import { DESIGN_VERSION, designScenario, type DatasetSpec } from "./design";
import { extractFeatures, FEATURE_COUNT, FEATURE_NAMES } from "./features";

/**
 * `n` design scenarios (fixed 300 s window) with synthetic labels: throughput = demand while
 * the nominal load is below 1, demand / load above (starved), ITL 40 ms + 20 ms × load.
 */
export function syntheticDataset(n: number, spec: Partial<DatasetSpec> = {}): Dataset {
  const full = {
    model: "llama-3.1-8b-instruct" as const,
    gpu: "h100-64gb" as const,
    samples: n,
    seed: 7,
    durationS: 300,
    ...spec,
  };
  const rows: DatasetRow[] = [];
  for (let i = 0; i < n; i++) {
    const { scenario, info } = designScenario(full, i);
    const x = new Float32Array(FEATURE_COUNT);
    const s = extractFeatures(loadScenario(scenario), x);
    const starved = info.load > 1;
    const thr = starved ? s.demandTokS / info.load : s.demandTokS;
    rows.push({
      index: i,
      features: Array.from(x),
      labels: {
        throughputTokS: thr,
        idealTokS: s.demandTokS,
        demandTokS: s.demandTokS,
        starved,
        itlMeanMs: 40 + 20 * info.load,
        itlP99Ms: 80 + 40 * info.load,
        ttftMeanMs: 100 * (1 + info.load),
        ttftP99Ms: 300 * (1 + info.load),
        arrived: Math.round(s.expectedRequests),
        finished: Math.round(s.expectedRequests),
      },
      info,
      twinMs: 0,
    });
  }
  return {
    format: "lfp-surrogate-dataset",
    designVersion: DESIGN_VERSION,
    spec: full,
    featureNames: [...FEATURE_NAMES],
    rows,
    twinMs: 0,
  };
}
