import { useRef } from "react";
import { assignmentCsv, download, scenarioJson, serveScript } from "../../state/exports";
import { importScenarioFile, useApp } from "../../state/store";

/** Exports of the plan and the scenario, and scenario import (validated). */
export function ExportBar() {
  const hasPlan = useApp((s) => s.plan !== null);
  const importRef = useRef<HTMLInputElement>(null);
  const get = useApp.getState;
  return (
    <div className="export-bar" role="group" aria-label="Export and import">
      <span className="muted small">Export</span>
      <button
        type="button"
        className="btn small"
        data-testid="export-script-button"
        disabled={!hasPlan}
        onClick={() => {
          const p = get().plan;
          if (p) download("serve-fleet.sh", serveScript(p), "text/x-shellscript");
        }}
      >
        vllm serve script
      </button>
      <button
        type="button"
        className="btn small"
        data-testid="export-csv-button"
        disabled={!hasPlan}
        onClick={() => {
          const { plan, scenario } = get();
          if (plan)
            download("lora-fleet-assignment.csv", assignmentCsv(plan, scenario), "text/csv");
        }}
      >
        Assignment CSV
      </button>
      <button
        type="button"
        className="btn small"
        data-testid="export-scenario-button"
        onClick={() =>
          download("lora-fleet-scenario.json", scenarioJson(get().scenario), "application/json")
        }
      >
        Scenario JSON
      </button>
      <button type="button" className="btn small ghost" onClick={() => importRef.current?.click()}>
        Import scenario…
      </button>
      <input
        ref={importRef}
        type="file"
        accept=".json,application/json"
        hidden
        data-testid="scenario-file-input"
        onChange={(e) => {
          const f = e.currentTarget.files?.[0];
          e.currentTarget.value = "";
          if (f) void importScenarioFile(f);
        }}
      />
    </div>
  );
}
