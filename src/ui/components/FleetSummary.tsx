import { useDeferredValue } from "react";
import { GPUS } from "../../core/catalog/gpus";
import { isGpuBad, trainSurrogate, useApp } from "../../state/store";
import { estimatorView } from "../estimator";
import { fmtInt, fmtMoney, fmtTok } from "../format";
import { ExportBar } from "./ExportBar";

export function FleetSummary() {
  const plan = useDeferredValue(useApp((s) => s.plan));
  const stale = useApp((s) => s.plan !== null && s.planRev !== s.scenarioRev);
  const trace = useApp((s) => s.scenario.trace);
  const traceInfo = useApp((s) => s.traceInfo);
  const adapters = useApp((s) => s.scenario.workload.adapters.length);
  const job = useApp((s) => s.job?.kind ?? null);
  if (!plan) {
    return (
      <section className="panel summary" aria-label="Fleet summary">
        <h2>Fleet</h2>
        <p className="muted">No plan yet. Planning {fmtInt(adapters)} adapters…</p>
      </section>
    );
  }
  const demand = plan.gpus.reduce((s, g) => s + g.estimate.demandTokS, 0);
  const predicted = plan.gpus.reduce((s, g) => s + g.estimate.throughputTokS, 0);
  const verifiedAll = plan.gpus.every((g) => g.verified || g.adapters.length === 0);
  const verified = plan.gpus.reduce((s, g) => s + (g.verified?.throughputTokS ?? 0), 0);
  const bad = plan.gpus.filter(isGpuBad).length;
  const baselines = Object.entries(plan.baselines);
  return (
    <section
      className="panel summary"
      aria-label="Fleet summary"
      data-testid="fleet-summary"
      data-gpu-count={plan.gpus.length}
    >
      <div className="panel-head">
        <h2>Fleet</h2>
        {stale && (
          <span className="pill warn">scenario changed since this plan — re-plan to update</span>
        )}
      </div>
      <div className="stats">
        <Stat
          label="GPUs"
          value={String(plan.gpus.length)}
          sub={
            plan.lowerBoundGpus > 0
              ? `lower bound ${plan.lowerBoundGpus}`
              : job === "plan" || job === "verify"
                ? "lower bound: computing…"
                : "lower bound: re-plan to compute"
          }
        />
        <Stat
          label="Cost"
          value={`${fmtMoney(plan.costPerHour)}/h`}
          sub={`${fmtMoney(plan.costPerHour * 730)}/month`}
        />
        <Stat
          label="Demand"
          value={`${fmtTok(demand)} tok/s`}
          sub={`${fmtInt(adapters)} adapters`}
        />
        <Stat label="Predicted" value={`${fmtTok(predicted)} tok/s`} sub="quick estimate" />
        <Stat
          label="Verified (twin)"
          value={verifiedAll ? `${fmtTok(verified)} tok/s` : "…"}
          sub={verifiedAll ? "all GPUs simulated" : "verifying in background"}
        />
        <Stat
          label="Starved / not fitting"
          value={String(bad)}
          sub={bad ? "see red cards" : "none"}
          tone={bad ? "bad" : "good"}
        />
      </div>
      {plan?.notes?.map((n) => (
        <p key={n} className="plan-note" data-testid="plan-note">
          {n}
        </p>
      ))}
      {baselines.length > 0 && (
        <table className="baselines">
          <caption>
            Same workload, other placement rules (
            {baselines.every(([, b]) => b.verified)
              ? "twin-verified"
              : "sized and judged by the estimator"}
            )
          </caption>
          <thead>
            <tr>
              <th scope="col">Placement</th>
              <th scope="col">GPUs</th>
              <th scope="col">Starved</th>
              <th scope="col">$/h</th>
            </tr>
          </thead>
          <tbody>
            <tr className="ours">
              <td>this plan</td>
              <td>{plan.gpus.length}</td>
              <td>{bad}</td>
              <td>{fmtMoney(plan.costPerHour)}</td>
            </tr>
            {baselines.map(([name, b]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{b.gpuCount}</td>
                <td>{b.starvedGpus}</td>
                <td>{fmtMoney(b.costPerHour)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <SurrogateNote />
      <ExportBar />
      {trace && (
        <p className="muted small">
          Workload from trace <strong>{trace.source}</strong> ({trace.format}, {fmtInt(trace.rows)}{" "}
          rows
          {trace.skippedRows ? `, ${fmtInt(trace.skippedRows)} skipped` : ""}). The link and saved
          copy keep its fitted per-adapter rates and a length profile, not the raw rows.
          {traceInfo && traceInfo.result.skippedMessages.length > 0 && (
            <>
              {" "}
              First skipped rows:{" "}
              <span className="skipped-rows">
                {traceInfo.result.skippedMessages.slice(0, 3).join("; ")}
              </span>
            </>
          )}
        </p>
      )}
    </section>
  );
}

function Stat(props: { label: string; value: string; sub?: string; tone?: "good" | "bad" }) {
  return (
    <div className={`stat${props.tone ? ` ${props.tone}` : ""}`}>
      <div className="stat-label">{props.label}</div>
      <div className="stat-value">{props.value}</div>
      {props.sub && <div className="stat-sub">{props.sub}</div>}
    </div>
  );
}

/** When some offered GPU type has no surrogate for the model: say so, offer to train one. */
function SurrogateNote() {
  const report = useApp((s) => s.estimator);
  const model = useApp((s) => s.scenario.model);
  const offers = useApp((s) => s.scenario.gpuTypes);
  const busy = useApp((s) => s.job?.kind === "train");
  const { missing } = estimatorView(report, model, offers);
  if (missing.length === 0) return null;
  return (
    <div className="surrogate-note" data-testid="surrogate-note">
      <p className="muted small">
        No surrogate model for {model} on {missing.map((g) => GPUS[g].displayName).join(", ")}: the
        planner asks the twin instead (slower). Training one here takes a few minutes of twin runs;
        it is kept in this browser.
      </p>
      <div className="btn-row">
        {missing.map((g) => (
          <button
            key={g}
            type="button"
            className="btn small"
            data-testid="train-surrogate-button"
            disabled={busy}
            onClick={() => void trainSurrogate(g)}
          >
            Train surrogate for {GPUS[g].displayName}
          </button>
        ))}
      </div>
    </div>
  );
}
