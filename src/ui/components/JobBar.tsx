import { cancelJob, useApp } from "../../state/store";

/** The running job: a progress bar and a cancel button (cancel terminates its worker). */
export function JobBar() {
  const job = useApp((s) => s.job);
  if (!job || job.kind === "details") {
    return job ? (
      <div className="job-bar quiet" aria-live="polite">
        <span className="job-label">{job.label}…</span>
      </div>
    ) : null;
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
        <div className="progress-fill" style={{ width: pct === undefined ? "30%" : `${pct}%` }} />
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
