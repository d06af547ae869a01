import { dismissNotice, useApp } from "../../state/store";

/** Errors (error-banner, stays until dismissed) and short info toasts. Text only. */
export function Notices() {
  const notices = useApp((s) => s.notices);
  const errors = notices.filter((n) => n.level === "error");
  const infos = notices.filter((n) => n.level === "info");
  return (
    <>
      {errors.length > 0 && (
        <div className="error-banner" role="alert" data-testid="error-banner">
          <ul>
            {errors.map((n) => (
              <li key={n.id}>
                <span>{n.text}</span>
                <button
                  type="button"
                  className="btn small"
                  onClick={() => dismissNotice(n.id)}
                  aria-label="Dismiss"
                >
                  Dismiss
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="toasts" role="status" aria-live="polite">
        {infos.map((n) => (
          <div className="toast" key={n.id}>
            <span>{n.text}</span>
            <button
              type="button"
              className="btn small ghost"
              onClick={() => dismissNotice(n.id)}
              aria-label="Dismiss"
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </>
  );
}
