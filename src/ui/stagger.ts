import { createContext, useContext, useEffect, useState } from "react";
import { flushSync } from "react-dom";

/**
 * Chart updates, one per task. Recharts renders a chart, then re-renders it from its own store,
 * synchronously (no time slicing): six charts taking a new plan in one React commit made one
 * main-thread task of 150–400 ms. With `useStaggered`, each chart takes its new data in a task
 * of its own, after a frame, so the browser paints and handles input in between.
 */
const queue: Array<() => void> = [];
let scheduled = false;

function pump(): void {
  if (scheduled) return;
  scheduled = true;
  let ran = false;
  const run = () => {
    if (ran) return;
    ran = true;
    scheduled = false;
    queue.shift()?.();
    if (queue.length > 0) pump();
  };
  // after the next frame (the previous chart's resize observer and paint run first); hidden
  // tabs run no frames
  requestAnimationFrame(() => setTimeout(run, 0));
  setTimeout(run, 100);
}

/**
 * Where a chart is. A chart pass is 15–30 ms of main-thread CPU, and a busy core stretches it
 * past 50 ms: a chart box scrolled out of view (`inView` false) keeps what it shows and takes the
 * newest data, or mounts a chart it swapped for a placeholder (e.g. the selected GPU's time
 * series while the twin runs), when it comes near the viewport again. A box's first chart
 * (`drawn` false) is drawn wherever the box is.
 */
export interface ChartView {
  inView: boolean;
  /**
   * whether the box is near the viewport now (its geometry, read when a queued update runs):
   * `inView` comes from the observer, whose report of a frame's layout arrives in a task after
   * the update queued in that frame's animation callback, e.g. after a new board pushed the box
   * out of view
   */
  nearNow: () => boolean;
  /** a chart in this box has been drawn (set by `useStaggered`) */
  drawn: { current: boolean };
}
const View = createContext<ChartView>({
  inView: true,
  nearNow: () => true,
  drawn: { current: false },
});
export const ChartViewProvider = View.Provider;

type ViewCallback = (inView: boolean) => void;
const watched = new Map<Element, ViewCallback>();
let observer: IntersectionObserver | null = null;
/** how far outside the viewport a box counts as near */
const MARGIN = 200;
let printing = false;

/** `el` is within `MARGIN` px of the viewport (its current layout), or a printout is being made. */
export function isNear(el: Element | null): boolean {
  if (!el || printing || typeof window === "undefined") return true;
  const r = el.getBoundingClientRect();
  return r.bottom >= -MARGIN && r.top <= window.innerHeight + MARGIN;
}

/** Watch `el` for being within 200 px of the viewport (`cb` on each change); returns the unwatch. */
export function watchInView(el: Element, cb: ViewCallback): () => void {
  if (typeof IntersectionObserver === "undefined") {
    cb(true);
    return () => {};
  }
  if (!observer) {
    observer = new IntersectionObserver(
      (entries) => {
        for (const e of entries) watched.get(e.target)?.(e.isIntersecting);
      },
      // a little ahead: a chart scrolled towards takes its new data just before it shows
      { rootMargin: `${MARGIN}px 0px` },
    );
    // a printout shows every chart (the observer reports the real view again afterwards)
    window.addEventListener("beforeprint", () => {
      printing = true;
      for (const cb of watched.values()) cb(true);
    });
    window.addEventListener("afterprint", () => {
      printing = false;
    });
  }
  watched.set(el, cb);
  observer.observe(el);
  return () => {
    watched.delete(el);
    observer?.unobserve(el);
  };
}

/**
 * `value`, taken over in a task of its own (queued behind the other charts' updates);
 * undefined until the first one lands. A value equal in content to the one shown (a chart's
 * data rebuilt from a new plan object whose numbers for this chart did not change, e.g. the
 * fleet counts when verdicts land) keeps the shown one: no task, no chart render. Off screen
 * (see `ChartView`), the shown value stays until the chart comes near the viewport.
 */
export function useStaggered<T>(
  value: T,
  opts: {
    /** content equality (default: as JSON) */
    same?: (a: T, b: T) => boolean;
    /** what lands is a chart (default), not a wrapper that mounts one (see `ChartView.drawn`) */
    draws?: boolean;
  } = {},
): T | undefined {
  const same = opts.same ?? sameContent;
  const draws = opts.draws ?? true;
  const [shown, setShown] = useState<{ v: T } | undefined>(undefined);
  // bumped to look again at a queued update that found its box out of view
  const [look, setLook] = useState(0);
  const view = useContext(View);
  const inView = view.inView;
  useEffect(() => {
    if (!inView && (shown || view.drawn.current)) return;
    if (shown && (Object.is(shown.v, value) || same(shown.v, value))) return;
    let again: ReturnType<typeof setTimeout> | undefined;
    const job = () => {
      if ((shown || view.drawn.current) && !view.nearNow()) {
        // out of view since queued: the observer's report re-runs this effect; should it not
        // come (the box back in view by then), look again in a while
        again = setTimeout(() => setLook((n) => n + 1), 500);
        return;
      }
      if (draws) view.drawn.current = true;
      flushSync(() => setShown({ v: value }));
    };
    queue.push(job);
    pump();
    return () => {
      const i = queue.indexOf(job);
      if (i >= 0) queue.splice(i, 1);
      clearTimeout(again);
    };
  }, [value, shown, inView, view, same, draws, look]);
  return shown?.v;
}

/** Chart data is plain JSON (small arrays of numbers and names): compare it as such. */
function sameContent(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}
