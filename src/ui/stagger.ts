import { useEffect, useState } from "react";
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
 * `value`, taken over in a task of its own (queued behind the other charts' updates);
 * undefined until the first one lands. A value equal in content to the one shown (a chart's
 * data rebuilt from a new plan object whose numbers for this chart did not change, e.g. the
 * fleet counts when verdicts land) keeps the shown one: no task, no chart render.
 */
export function useStaggered<T>(value: T): T | undefined {
  const [shown, setShown] = useState<{ v: T } | undefined>(undefined);
  useEffect(() => {
    if (shown && (Object.is(shown.v, value) || sameContent(shown.v, value))) return;
    const job = () => flushSync(() => setShown({ v: value }));
    queue.push(job);
    pump();
    return () => {
      const i = queue.indexOf(job);
      if (i >= 0) queue.splice(i, 1);
    };
  }, [value, shown]);
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
