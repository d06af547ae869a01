import { lazy, Suspense, useEffect } from "react";
import { boot, installReadyFlag } from "../state/store";
import { Header } from "./components/Header";
import { Notices } from "./components/Notices";
import { JobBar } from "./components/JobBar";
import { Designer } from "./components/Designer";
import { FleetSummary } from "./components/FleetSummary";
import { Board } from "./components/Board";

// Recharts is the largest UI dependency: load it after the first paint, in its own chunk.
const loadCharts = () => import("./components/Charts");
const Charts = lazy(() => loadCharts().then((m) => ({ default: m.Charts })));

export function App() {
  useEffect(() => {
    const off = installReadyFlag();
    void boot();
    const t = setTimeout(() => void loadCharts(), 0);
    return () => {
      off();
      clearTimeout(t);
    };
  }, []);
  return (
    <div className="app">
      <Header />
      <Notices />
      <JobBar />
      <main className="app-main" aria-label="Planner workspace">
        <aside className="designer-col" aria-label="Workload designer">
          <Designer />
        </aside>
        <div className="results-col">
          <FleetSummary />
          <Board />
          <Suspense fallback={<section className="panel charts muted">Loading charts…</section>}>
            <Charts />
          </Suspense>
        </div>
      </main>
    </div>
  );
}
