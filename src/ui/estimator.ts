import { GPUS } from "../core/catalog/gpus";
import type { GpuId } from "../core/catalog/ids";
import type { EstimatorReport } from "../state/jobs/services";
import type { FleetScenario } from "../state/fleet";

type Offers = FleetScenario["gpuTypes"];

export interface EstimatorView {
  /** the badge text */
  text: string;
  /** details (tooltip) */
  title: string;
  /** offered GPU types of the scenario's model without a usable surrogate */
  missing: GpuId[];
}

/** What the backend badge says about the estimator of the last plan or edit. */
export function estimatorView(
  r: EstimatorReport | null,
  model: string,
  offers: Offers,
): EstimatorView {
  if (!r)
    return { text: "starting…", title: "The estimator starts with the first plan.", missing: [] };
  const pairs = offers.map((o) => ({ gpu: o.gpu, st: r.pairs[`${model}__${o.gpu}`] }));
  const loaded = pairs.filter((p) => p.st?.loaded);
  const missing = pairs.filter((p) => p.st && !p.st.loaded).map((p) => p.gpu);
  const lines = pairs.map(({ gpu, st }) =>
    !st
      ? `${GPUS[gpu].displayName}: not used yet`
      : st.loaded
        ? `${GPUS[gpu].displayName}: surrogate (${st.source === "trained" ? "trained in this browser" : "shipped model"})`
        : `${GPUS[gpu].displayName}: twin — ${st.error ? `the model failed to load: ${st.error}` : "no surrogate model for this pair"}`,
  );
  const c = r.counts;
  lines.push(
    `estimates: ${c.surrogate} by the surrogate, ${c.twinOod} by the twin (out of the surrogate's training range), ${c.twinNoModel} by the twin (no model)`,
  );
  if (r.mode === "twin" || loaded.length === 0) {
    return {
      text: missing.length ? "twin (no surrogate for this model/GPU)" : "twin",
      title: lines.join("\n"),
      missing,
    };
  }
  let text = `surrogate · ${r.backend ?? "?"}`;
  if (missing.length)
    text += ` · twin for ${missing.length} GPU type${missing.length > 1 ? "s" : ""}`;
  else if (c.twinOod > 0) text += " · twin when out of range";
  return { text, title: lines.join("\n"), missing };
}
