/**
 * Distillation: teach one small network what an ensemble of networks knows.
 *
 * An averaged ensemble (`ensemble.ts`) is more accurate than any of its members, but costs K
 * times as much per estimate. Its knowledge is cheap to transfer: the design's scenarios cost
 * nothing without the twin (features only, ~20 µs each), so the ensemble can label as many
 * of them as we like, and a network of the members' size trained on the twin's rows plus those
 * teacher-labelled rows gets most of the ensemble's accuracy at one member's cost
 * (bench:surrogate; the README quotes both).
 */
import { loadScenario } from "../scenario/resolve";
import type { DatasetRow } from "./dataset";
import { designScenario, type DatasetSpec } from "./design";
import { extractFeatures, FEATURE_COUNT } from "./features";
import type { Surrogate } from "./runtime";

/**
 * Rows of `spec`'s design scenarios (features only, no twin run) labelled by `teacher`: its
 * throughput (tokens/s) against the expected demand as the ideal, its starvation probability as
 * a soft target, its latencies (ms). Scenarios with no demand are left out. Row `index` is the
 * design index. Cost: the features of `spec.samples` scenarios plus one batched estimate.
 * @throws Error when the teacher does not accept the feature rows (see `Surrogate.estimateSync`)
 */
export function teacherLabelledRows(teacher: Surrogate, spec: DatasetSpec): DatasetRow[] {
  const n = spec.samples;
  const x = new Float32Array(n * FEATURE_COUNT);
  const info = [];
  const demand = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = designScenario(spec, i);
    demand[i] = extractFeatures(loadScenario(d.scenario), x, i * FEATURE_COUNT).demandTokS;
    info.push(d.info);
  }
  const e = teacher.estimateSync(x, n);
  const rows: DatasetRow[] = [];
  for (let i = 0; i < n; i++) {
    if (!(demand[i]! > 0)) continue;
    const p = e.starvedProbability[i]!;
    rows.push({
      index: i,
      features: Array.from(x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT)),
      labels: {
        throughputTokS: e.throughputTokS[i]!,
        idealTokS: demand[i]!,
        demandTokS: demand[i]!,
        starved: p >= 0.5,
        starvedProbability: p,
        itlMeanMs: e.itlMeanMs[i]!,
        itlP99Ms: e.itlP99Ms[i]!,
        ttftMeanMs: e.ttftMeanMs[i]!,
        ttftP99Ms: e.ttftP99Ms[i]!,
        arrived: 1,
        finished: 1,
      },
      info: info[i]!,
      twinMs: 0,
    });
  }
  return rows;
}
