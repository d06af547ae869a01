import { cancelJob, useApp } from "../../state/store";

/**
 * The running job: a progress bar and a cancel button (cancel terminates its worker). The bar
 * keeps its place (a quiet strip of the same height when nothing runs): a bar that came and went
 * with each job (every drop starts an estimate and a verification) moved the whole page by its
 * height, i.e. laid out and repainted the full page twice per job.
 */
export function JobBar() {
  const job = useApp((s) => s.job);
  if (!job || job.kind === "details") {
    return (
      <div className="job-bar quiet" aria-live="polite">
        <span className="job-label">{job ? `${job.label}…` : "No job running"}</span>
      </div>
    );
  }
  const pct = job.progress === null ? undefined : Math.round(job.progress * 100);
  return (
    <div className="job-bar" aria-live="polite">
      <span className="job-label">{job.label}</span>
      <div
        className={`progress${pct === undefined ? " indeterminate" : ""}`}
        role="progressbar"
        data-testid="job-progress"
        aria-label={job.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={job.message}
      >
        <div
          className="progress-fill"
          // a transform (not a width): the fill moves on the compositor, no layout or paint
          style={pct === undefined ? { width: "30%" } : { transform: `scaleX(${pct / 100})` }}
        />
      </div>
      <span className="job-message">{job.message}</span>
      <button
        type="button"
        className="btn small danger"
        data-testid="cancel-job-button"
        onClick={cancelJob}
      >
        Cancel
      </button>
    </div>
  );
}
