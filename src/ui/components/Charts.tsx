import {
  memo,
  useDeferredValue,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ComponentType,
} from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type XAxisTickContentProps,
} from "recharts";
import type { Plan } from "../../core/placement/types";
import type { TwinResult } from "../../core/twin/types";
import { assignmentKey } from "../../state/jobs/assign";
import { isGpuBad, useApp } from "../../state/store";
import { memoryFor } from "../memory";
import { fmtTok } from "../format";
import { ChartViewProvider, isNear, useStaggered, watchInView, type ChartView } from "../stagger";

const C = {
  demand: "#94a3b8",
  predicted: "#6366f1",
  verified: "#0ea5e9",
  weights: "#475569",
  lora: "#f59e0b",
  kv: "#10b981",
  reserve: "#cbd5e1",
  free: "#e2e8f0",
  waiting: "#ef4444",
  running: "#6366f1",
  kvUsage: "#10b981",
  tput: "#0ea5e9",
  latMean: "#a5b4fc",
  latP50: "#6366f1",
  latP99: "#312e81",
  gpus: "#6366f1",
  starved: "#ef4444",
};

export function Charts() {
  const plan = useDeferredValue(useApp((s) => s.chartPlan));
  const model = useApp((s) => s.scenario.model);
  if (!plan) return null;
  return (
    <section className="panel charts" aria-label="Charts">
      <div className="panel-head">
        <h2>Charts</h2>
      </div>
      <div className="chart-grid">
        <ThroughputChart plan={plan} />
        <MemoryChart plan={plan} model={model} />
        <SelectedGpuCharts />
        <FleetChart plan={plan} />
      </div>
    </section>
  );
}

/*
 * Legends are plain HTML under each chart, not Recharts' <Legend>: that one registers its
 * payload in the chart's store and measures its own box after mounting, each a further
 * render pass of the whole chart (every grid line, bar and point) when a chart mounts or
 * takes new data.
 */
const LEGEND_H = 22;

interface LegendItem {
  name: string;
  color: string;
  /** a line series (drawn as a stroke), not a bar */
  line?: boolean;
}

function ChartLegend({ items }: { items: readonly LegendItem[] }) {
  return (
    <ul className="chart-legend" style={{ height: LEGEND_H }}>
      {items.map((it) => (
        <li key={it.name}>
          <span
            className={it.line ? "swatch line" : "swatch"}
            style={{ background: it.color }}
            aria-hidden="true"
          />
          {it.name}
        </li>
      ))}
    </ul>
  );
}

const THROUGHPUT_LEGEND: LegendItem[] = [
  { name: "demand", color: C.demand },
  { name: "estimated", color: C.predicted },
  { name: "verified (twin)", color: C.verified },
];
const MEMORY_LEGEND: LegendItem[] = [
  { name: "weights", color: C.weights },
  { name: "LoRA slots", color: C.lora },
  { name: "KV cache", color: C.kv },
  { name: "reserve", color: C.reserve },
  { name: "free", color: C.free },
];
const COUNTS_LEGEND: LegendItem[] = [
  { name: "waiting", color: C.waiting, line: true },
  { name: "running", color: C.running, line: true },
  { name: "KV use %", color: C.kvUsage, line: true },
];
const TPUT_LEGEND: LegendItem[] = [{ name: "throughput (tok/s)", color: C.tput, line: true }];
const LATENCY_LEGEND: LegendItem[] = [
  { name: "mean", color: C.latMean },
  { name: "median", color: C.latP50 },
  { name: "p99", color: C.latP99 },
];
const FLEET_LEGEND: LegendItem[] = [
  { name: "GPUs", color: C.gpus },
  { name: "starved GPUs", color: C.starved },
];

/*
 * Linear numeric axes show all of their ~5 "nice" ticks (`interval={0}`). Recharts' default
 * interval instead measures every tick label in a DOM span (getBoundingClientRect, a forced
 * style and layout of the page, the 2,000-chip board included) to hide labels that would
 * overlap, which five short labels on a 160–220 px axis never do. Category axes (one label
 * per GPU) and the time axis keep the measuring interval (it moves the last time label,
 * "3600 s", inside the chart instead of clipping it; its labels repeat, so the measurements
 * come from Recharts' text cache).
 *
 * Tick labels are plain SVG <text> (`AxisTick`), not Recharts' <Text>: that one splits each
 * label into words and measures them (the axis passes its width), a fifth of a chart pass.
 * Units are part of the tick formatters (a custom tick gets no `unit`).
 */
type BaseTickContentProps = Omit<XAxisTickContentProps, "orientation" | "padding">;

/** Recharts' <Text> baseline offsets for one line (its `capHeight` 0.71em). */
const TICK_DY: Record<string, string> = { start: "0.71em", middle: "0.355em", end: "0" };

function AxisTick(p: BaseTickContentProps) {
  const label = p.tickFormatter ? p.tickFormatter(p.payload.value, p.index) : p.payload.value;
  return (
    <text
      x={p.x}
      y={p.y}
      dy={TICK_DY[p.verticalAnchor] ?? "0"}
      textAnchor={p.textAnchor}
      fill={p.fill}
      stroke="none"
      fontSize={11}
      className={p.className}
    >
      {String(label)}
    </text>
  );
}

const withUnit = (unit: string) => (v: unknown) => `${String(v)}${unit}`;
const NUM_TICKS = { tick: AxisTick, interval: 0 } as const;
const CAT_TICKS = { tick: AxisTick } as const;

/*
 * Grid lines of one direction only. Recharts computes both directions' lines (the hidden one
 * too: the category axis' ticks, each label measured again) unless given the points.
 */
const NO_LINES = () => [];
/** Horizontal grid lines only (value axis vertical). */
const H_GRID = {
  strokeDasharray: "3 3",
  vertical: false,
  verticalCoordinatesGenerator: NO_LINES,
} as const;
/** Vertical grid lines only (value axis horizontal). */
const V_GRID = {
  strokeDasharray: "3 3",
  horizontal: false,
  horizontalCoordinatesGenerator: NO_LINES,
} as const;
/** A line series without point markers or animation. */
const PLAIN_LINE = { dot: false, isAnimationActive: false } as const;

/** Where a chart will be, until its first data lands (same height: no layout shift). */
function Pending({ height }: { height: number }) {
  return <div className="chart-pending" style={{ height }} aria-hidden="true" />;
}

function ChartBox(props: {
  testid?: string;
  title: string;
  caption: string;
  children: React.ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLElement>(null);
  const [inView, setInView] = useState(false);
  useEffect(() => watchInView(ref.current!, setInView), []);
  const [drawn] = useState(() => ({ current: false }));
  const view = useMemo<ChartView>(
    () => ({ inView, nearNow: () => isNear(ref.current), drawn }),
    [inView, drawn],
  );
  return (
    <figure ref={ref} className={`chart${props.wide ? " wide" : ""}`} data-testid={props.testid}>
      <figcaption>
        <strong>{props.title}</strong> <span className="muted">{props.caption}</span>
      </figcaption>
      <div className="chart-body">
        <ChartViewProvider value={view}>{props.children}</ChartViewProvider>
      </div>
    </figure>
  );
}

const ThroughputChart = memo(function ThroughputChart({ plan }: { plan: Plan }) {
  const data = useMemo(
    () =>
      plan.gpus.map((g, i) => ({
        name: `GPU ${i + 1}`,
        demand: Math.round(g.estimate.demandTokS),
        predicted: Math.round(g.estimate.throughputTokS),
        verified: g.verified ? Math.round(g.verified.throughputTokS) : null,
      })),
    [plan],
  );
  // staggered inside the box: useStaggered reads the box's place (ChartViewProvider)
  return (
    <ChartBox
      testid="throughput-chart"
      title="Throughput vs demand per GPU"
      caption="tokens/s each GPU is asked for (demand), the quick estimate, and the twin's verified throughput; verified below 90% of demand means starved."
    >
      <Staggered data={data} height={240} chart={ThroughputBars} />
    </ChartBox>
  );
});

const ThroughputBars = memo(function ThroughputBars({
  data,
}: {
  data: { name: string; demand: number; predicted: number; verified: number | null }[];
}) {
  return (
    <div>
      <ResponsiveContainer width="100%" height={240 - LEGEND_H}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid {...H_GRID} />
          <XAxis dataKey="name" {...CAT_TICKS} interval="preserveStartEnd" />
          <YAxis {...NUM_TICKS} tickFormatter={(v: number) => fmtTok(v)} width={48} />
          <Tooltip formatter={(v) => `${fmtTok(Number(v))} tok/s`} />
          <Bar dataKey="demand" fill={C.demand} isAnimationActive={false} />
          <Bar dataKey="predicted" name="estimated" fill={C.predicted} isAnimationActive={false} />
          <Bar
            dataKey="verified"
            name="verified (twin)"
            fill={C.verified}
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
      <ChartLegend items={THROUGHPUT_LEGEND} />
    </div>
  );
});

const MemoryChart = memo(function MemoryChart({ plan, model }: { plan: Plan; model: string }) {
  const data = useMemo(
    () =>
      plan.gpus.map((g, i) => {
        const m = g.verified?.memory ?? memoryFor(model, g.gpu, g.engine);
        const r = (x: number) => Math.round(x * 10) / 10;
        if (!m) return { name: `GPU ${i + 1}` };
        const used = m.weightsGiB + m.loraSlotsGiB + m.kvCacheGiB + m.reserveGiB;
        return {
          name: `GPU ${i + 1}`,
          weights: r(m.weightsGiB),
          lora: r(m.loraSlotsGiB),
          kv: r(m.kvCacheGiB),
          reserve: r(m.reserveGiB),
          free: r(Math.max(0, m.totalGiB - used)),
        };
      }),
    [plan, model],
  );
  // staggered inside the box: useStaggered reads the box's place (ChartViewProvider)
  return (
    <ChartBox
      testid="memory-chart"
      title="Memory per GPU"
      caption="GiB of device memory: model weights, LoRA slots (max-loras × max-lora-rank), KV cache, activation/graph reserve, and what vLLM leaves free."
    >
      <Staggered data={data} height={240} chart={MemoryBars} />
    </ChartBox>
  );
});

const MemoryBars = memo(function MemoryBars({ data }: { data: Record<string, unknown>[] }) {
  return (
    <div>
      <ResponsiveContainer width="100%" height={240 - LEGEND_H}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid {...H_GRID} />
          <XAxis dataKey="name" {...CAT_TICKS} interval="preserveStartEnd" />
          <YAxis {...NUM_TICKS} tickFormatter={withUnit(" GiB")} width={56} />
          <Tooltip formatter={(v) => `${Number(v).toFixed(1)} GiB`} />
          <Bar dataKey="weights" stackId="m" fill={C.weights} isAnimationActive={false} />
          <Bar
            dataKey="lora"
            name="LoRA slots"
            stackId="m"
            fill={C.lora}
            isAnimationActive={false}
          />
          <Bar dataKey="kv" name="KV cache" stackId="m" fill={C.kv} isAnimationActive={false} />
          <Bar dataKey="reserve" stackId="m" fill={C.reserve} isAnimationActive={false} />
          <Bar dataKey="free" stackId="m" fill={C.free} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <ChartLegend items={MEMORY_LEGEND} />
    </div>
  );
});

function SelectedGpuCharts() {
  const plan = useDeferredValue(useApp((s) => s.chartPlan));
  const uids = useApp((s) => s.gpuUids);
  const selected = useApp((s) => s.selectedUid);
  const rev = useApp((s) => s.scenarioRev);
  const details = useApp((s) => s.details);
  const idx = selected === null ? 0 : Math.max(0, uids.indexOf(selected));
  const g = plan?.gpus[idx];
  const d: TwinResult | undefined = g ? details[assignmentKey(String(rev), g)] : undefined;
  const title = g ? `GPU ${idx + 1} (${g.adapters.length} adapters)` : "no GPU";
  return (
    <>
      <ChartBox
        testid="timeseries-chart"
        wide
        title={`Twin time series — ${title}`}
        caption="over the simulated window: requests waiting and running, KV-cache use (%), and tokens/s processed. Click a GPU card's title to select it."
      >
        <TimeSeriesBody d={d} empty={g !== undefined && g.adapters.length === 0} />
      </ChartBox>
      <ChartBox
        testid="latency-chart"
        title={`Latency — ${title}`}
        caption="time to first token and inter-token latency of finished requests (mean, median, 99th percentile), from the twin."
      >
        <LatencyBody d={d} />
      </ChartBox>
    </>
  );
}

/*
 * The selected GPU's twin details, swapped in a task of their own: a new plan or workload
 * changes the details key, and unmounting (or mounting) the Recharts trees in the same task
 * as the click or plan that did it cost 10–15 ms there. Out of view, the last charts stay
 * until the box comes near the viewport (see stagger.ts).
 */
const byRef = () => false;

function TimeSeriesBody({ d, empty }: { d: TwinResult | undefined; empty: boolean }) {
  const shown = useStaggered(d ?? null, { same: byRef, draws: false });
  return shown && shown.timeSeries.length > 0 ? (
    <TimeSeries d={shown} />
  ) : (
    <p className="chart-empty muted">
      {empty ? "This GPU has no adapters." : "Simulating this GPU with the twin…"}
    </p>
  );
}

function LatencyBody({ d }: { d: TwinResult | undefined }) {
  const shown = useStaggered(d ?? null, { same: byRef, draws: false });
  return shown ? <Latency d={shown} /> : <p className="chart-empty muted">Waiting for the twin…</p>;
}

const TimeSeries = memo(function TimeSeries({ d }: { d: TwinResult }) {
  const data = useMemo(
    () =>
      thin(d.timeSeries, 120).map((p) => ({
        t: Math.round(p.t),
        waiting: p.waiting,
        running: p.running,
        kv: Math.round(p.kvUsage * 1000) / 10,
        tput: Math.round(p.throughputTokS),
      })),
    [d],
  );
  return (
    <div className="ts-grid">
      <Staggered data={data} height={200} chart={TsCountsLines} />
      <Staggered data={data} height={200} chart={TsThroughputLine} />
    </div>
  );
});

/*
 * A numeric time axis: a category axis (Recharts' default) makes every one of the ~120 points
 * a tick candidate, each measured and copied on every render to pick which ones fit.
 */
const TIME_AXIS = {
  dataKey: "t",
  type: "number",
  domain: [0, "dataMax"],
  tickFormatter: withUnit(" s"),
  ...CAT_TICKS,
} as const;

interface TsPoint {
  t: number;
  waiting: number;
  running: number;
  kv: number;
  tput: number;
}

/*
 * Each chart below is a staggering wrapper around a memoised Recharts tree: the wrapper
 * re-renders as soon as new data arrives (in the deferred pass of the plan / details that
 * brought it), and a Recharts tree rendered there, even with its old data, is a full chart
 * render in the same task as the rest of that pass.
 */
/** `chart` with `data` taken over in a task of its own (see stagger.ts); a placeholder of `height` px until then. */
function Staggered<T>({
  data,
  height,
  chart: Chart,
}: {
  data: T;
  height: number;
  chart: ComponentType<{ data: T }>;
}) {
  const shown = useStaggered(data);
  return shown ? <Chart data={shown} /> : <Pending height={height} />;
}

const TsCountsLines = memo(function TsCountsLines({ data }: { data: TsPoint[] }) {
  return (
    <div>
      <ResponsiveContainer width="100%" height={200 - LEGEND_H}>
        <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} syncId="ts">
          <CartesianGrid {...H_GRID} />
          <XAxis {...TIME_AXIS} />
          <YAxis yAxisId="n" {...NUM_TICKS} width={40} />
          <YAxis
            yAxisId="p"
            orientation="right"
            domain={[0, 100]}
            tickFormatter={withUnit("%")}
            {...NUM_TICKS}
            width={44}
          />
          <Tooltip />
          <Line yAxisId="n" dataKey="waiting" stroke={C.waiting} {...PLAIN_LINE} />
          <Line yAxisId="n" dataKey="running" stroke={C.running} {...PLAIN_LINE} />
          <Line yAxisId="p" dataKey="kv" name="KV use %" stroke={C.kvUsage} {...PLAIN_LINE} />
        </LineChart>
      </ResponsiveContainer>
      <ChartLegend items={COUNTS_LEGEND} />
    </div>
  );
});

const TsThroughputLine = memo(function TsThroughputLine({ data }: { data: TsPoint[] }) {
  return (
    <div>
      <ResponsiveContainer width="100%" height={200 - LEGEND_H}>
        <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} syncId="ts">
          <CartesianGrid {...H_GRID} />
          <XAxis {...TIME_AXIS} />
          <YAxis {...NUM_TICKS} width={48} tickFormatter={(v: number) => fmtTok(v)} />
          <Tooltip formatter={(v) => `${fmtTok(Number(v))} tok/s`} />
          <Line dataKey="tput" name="throughput (tok/s)" stroke={C.tput} {...PLAIN_LINE} />
        </LineChart>
      </ResponsiveContainer>
      <ChartLegend items={TPUT_LEGEND} />
    </div>
  );
});

const Latency = memo(function Latency({ d }: { d: TwinResult }) {
  const data = useMemo(
    () =>
      [
        { name: "TTFT", mean: d.ttftMs.mean, p50: d.ttftMs.p50, p99: d.ttftMs.p99 },
        { name: "ITL", mean: d.itlMs.mean, p50: d.itlMs.p50, p99: d.itlMs.p99 },
      ].map((x) => ({ ...x, mean: round1(x.mean), p50: round1(x.p50), p99: round1(x.p99) })),
    [d],
  );
  return <Staggered data={data} height={200} chart={LatencyBars} />;
});

interface LatencyRow {
  name: string;
  mean: number;
  p50: number;
  p99: number;
}

const LatencyBars = memo(function LatencyBars({ data }: { data: LatencyRow[] }) {
  return (
    <div>
      <ResponsiveContainer width="100%" height={200 - LEGEND_H}>
        <BarChart data={data} layout="vertical" margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid {...V_GRID} />
          <XAxis
            type="number"
            scale="log"
            domain={[1, "auto"]}
            allowDataOverflow
            tickFormatter={withUnit(" ms")}
            {...CAT_TICKS}
          />
          <YAxis type="category" dataKey="name" {...CAT_TICKS} width={44} />
          <Tooltip formatter={(v) => `${Number(v).toFixed(1)} ms`} />
          <Bar dataKey="mean" fill={C.latMean} isAnimationActive={false} />
          <Bar dataKey="p50" name="median" fill={C.latP50} isAnimationActive={false} />
          <Bar dataKey="p99" name="p99" fill={C.latP99} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <ChartLegend items={LATENCY_LEGEND} />
    </div>
  );
});

function round1(x: number): number {
  return Math.max(0.1, Math.round(x * 10) / 10);
}

/** Display names of the planner's baselines (`Plan.baselines` keys). */
const BASELINE_LABEL: Record<string, string> = {
  "round-robin": "round-robin",
  "least-loaded": "least-loaded",
  loraserve: "LoRAServe-like",
  "first-fit-memory": "first-fit (memory)",
  "paper-greedy": "paper's greedy",
};

const FleetChart = memo(function FleetChart({ plan }: { plan: Plan }) {
  const data = useMemo(
    () => [
      { name: "this plan", gpus: plan.gpus.length, starved: plan.gpus.filter(isGpuBad).length },
      { name: "lower bound", gpus: plan.lowerBoundGpus, starved: 0 },
      ...Object.entries(plan.baselines).map(([name, b]) => ({
        name: BASELINE_LABEL[name] ?? name,
        gpus: b.gpuCount,
        starved: b.starvedGpus,
      })),
    ],
    [plan],
  );
  // staggered inside the box: useStaggered reads the box's place (ChartViewProvider)
  return (
    <ChartBox
      testid="fleet-chart"
      title="Fleet vs lower bound and baselines"
      caption="GPUs this plan uses, the lower bound (total demand ÷ best per-GPU throughput), and the baseline placements; red is starved GPUs."
    >
      <Staggered data={data} height={200} chart={FleetBars} />
    </ChartBox>
  );
});

const FleetBars = memo(function FleetBars({
  data,
}: {
  data: { name: string; gpus: number; starved: number }[];
}) {
  return (
    <div>
      <ResponsiveContainer width="100%" height={200 - LEGEND_H}>
        <BarChart layout="vertical" data={data} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid {...V_GRID} />
          <XAxis type="number" allowDecimals={false} {...NUM_TICKS} />
          {/* one row per placement, every label shown (a category x axis dropped the ones that did not fit) */}
          <YAxis type="category" dataKey="name" width={112} interval={0} {...CAT_TICKS} />
          <Tooltip />
          <Bar dataKey="gpus" name="GPUs" fill={C.gpus} isAnimationActive={false} />
          <Bar dataKey="starved" name="starved GPUs" fill={C.starved} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <ChartLegend items={FLEET_LEGEND} />
    </div>
  );
});

/** At most `n` evenly spaced points (the charts need no more; Recharts' cost grows with points). */
function thin<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.floor((i * (xs.length - 1)) / (n - 1))]!);
  return out;
}
