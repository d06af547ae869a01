import { useState } from "react";
import { download, planJson } from "../../state/exports";
import { notify, planScenario, shareLink, useApp } from "../../state/store";
import { estimatorView } from "../estimator";

export function Header() {
  const report = useApp((s) => s.estimator);
  const model = useApp((s) => s.scenario.model);
  const offers = useApp((s) => s.scenario.gpuTypes);
  const est = estimatorView(report, model, offers);
  const hasPlan = useApp((s) => s.plan !== null);
  const planning = useApp((s) => s.job?.kind === "plan" || s.job?.kind === "trace");
  const [shared, setShared] = useState<string | null>(null);

  const onShare = async () => {
    const { url, notes, fitsUrl } = shareLink();
    setShared(url);
    for (const n of notes) notify(fitsUrl ? "info" : "error", n);
    if (!fitsUrl) return;
    try {
      await navigator.clipboard.writeText(url);
      notify("info", "Link copied: it holds the whole scenario and its placement.");
    } catch {
      notify("info", "Copy the link from the box below the header.");
    }
  };

  const exportPlan = () => {
    const p = useApp.getState().plan;
    if (p) download("lora-fleet-plan.json", planJson(p), "application/json");
  };

  return (
    <header className="app-header">
      <div className="brand">
        <h1>LoRA Fleet Planner</h1>
        <span
          className={`backend-badge${report && !est.text.startsWith("surrogate") ? " twin" : ""}`}
          data-testid="backend-badge"
          title={est.title}
        >
          estimator: {est.text}
        </span>
      </div>
      <div className="header-actions">
        <button
          type="button"
          className="btn primary"
          data-testid="plan-button"
          onClick={() => void planScenario()}
          disabled={planning}
        >
          {hasPlan ? "Re-plan" : "Plan"}
        </button>
        <button
          type="button"
          className="btn"
          data-testid="share-button"
          onClick={() => void onShare()}
        >
          Share link
        </button>
        <button
          type="button"
          className="btn"
          data-testid="export-plan-button"
          onClick={exportPlan}
          disabled={!hasPlan}
        >
          Export plan
        </button>
      </div>
      {shared && (
        <div className="share-box">
          <label>
            Share link{" "}
            <input
              readOnly
              value={shared}
              onFocus={(e) => e.currentTarget.select()}
              aria-label="Share link"
            />
          </label>
          <button
            type="button"
            className="btn small"
            onClick={() => setShared(null)}
            aria-label="Close share link"
          >
            ×
          </button>
        </div>
      )}
    </header>
  );
}
