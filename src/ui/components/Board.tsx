import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  MouseSensor,
  TouchSensor,
  pointerWithin,
  rectIntersection,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
} from "@dnd-kit/core";
import { memo, useCallback, useDeferredValue, useMemo, useState } from "react";
import { GPUS } from "../../core/catalog/gpus";
import { GPU_IDS, type GpuId } from "../../core/catalog/ids";
import type { PlannedGpu } from "../../core/placement/types";
import type { Adapter } from "../../core/scenario/schema";
import {
  addGpu,
  isGpuBad,
  moveAdapter,
  removeGpu,
  selectGpu,
  useApp,
  type GpuPhase,
} from "../../state/store";
import { fmtGiB, fmtMoney, fmtMs, fmtRate, fmtTok } from "../format";
import { memoryFor } from "../memory";

const CHIP_LIMIT = 36;

/** Keyboard drag: arrow keys jump to the previous / next GPU card. */
const cardKeyboardCoordinates: KeyboardCoordinateGetter = (event, { context }) => {
  const { active, collisionRect, droppableRects, droppableContainers, over } = context;
  const dir =
    event.code === "ArrowRight" || event.code === "ArrowDown"
      ? 1
      : event.code === "ArrowLeft" || event.code === "ArrowUp"
        ? -1
        : 0;
  if (!dir) return undefined;
  event.preventDefault();
  if (!active || !collisionRect) return undefined;
  const cards = droppableContainers
    .getEnabled()
    .filter((c) => droppableRects.get(c.id))
    .sort((a, b) => Number(a.data.current?.index ?? 0) - Number(b.data.current?.index ?? 0));
  if (cards.length === 0) return undefined;
  const fromUid = active.data.current?.fromUid as number | undefined;
  let cur = cards.findIndex((c) => c.id === over?.id);
  if (cur < 0) cur = cards.findIndex((c) => c.data.current?.uid === fromUid);
  const next = cards[Math.max(0, Math.min(cards.length - 1, cur + dir))]!;
  const rect = droppableRects.get(next.id)!;
  return {
    x: rect.left + rect.width / 2 - collisionRect.width / 2,
    y: rect.top + Math.min(rect.height / 2, 60) - collisionRect.height / 2,
  };
};

const collision: CollisionDetection = (args) =>
  args.pointerCoordinates ? pointerWithin(args) : rectIntersection(args);

export function Board() {
  const plan = useDeferredValue(useApp((s) => s.plan));
  const uids = useDeferredValue(useApp((s) => s.gpuUids));
  const phase = useApp((s) => s.gpuPhase);
  const selected = useApp((s) => s.selectedUid);
  const scenario = useApp((s) => s.scenario);
  const [dragging, setDragging] = useState<string | null>(null);
  const [addType, setAddType] = useState<GpuId | "">("");

  const byId = useMemo(
    () => new Map(scenario.workload.adapters.map((a) => [a.id, a])),
    [scenario.workload.adapters],
  );
  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 4 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 180, tolerance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: cardKeyboardCoordinates }),
  );

  const gpuName = useCallback(
    (uid: unknown) => {
      const i = uids.indexOf(Number(uid));
      return i >= 0 ? `GPU ${i + 1}` : "outside the GPUs";
    },
    [uids],
  );
  const announcements: Announcements = useMemo(
    () => ({
      onDragStart: ({ active }) =>
        `Picked up adapter ${String(active.data.current?.adapterId)}. Arrow keys move it between GPUs, space drops it, escape cancels.`,
      onDragOver: ({ active, over }) =>
        `Adapter ${String(active.data.current?.adapterId)} is over ${over ? gpuName(over.data.current?.uid) : "no GPU"}.`,
      onDragEnd: ({ active, over }) =>
        `Adapter ${String(active.data.current?.adapterId)} dropped on ${over ? gpuName(over.data.current?.uid) : "no GPU"}.`,
      onDragCancel: ({ active }) =>
        `Moving adapter ${String(active.data.current?.adapterId)} was cancelled.`,
    }),
    [gpuName],
  );

  const onDragStart = (e: DragStartEvent) =>
    setDragging(String(e.active.data.current?.adapterId ?? ""));
  const onDragEnd = (e: DragEndEvent) => {
    setDragging(null);
    const id = e.active.data.current?.adapterId as string | undefined;
    const to = e.over?.data.current?.uid as number | undefined;
    if (id !== undefined && to !== undefined && to !== e.active.data.current?.fromUid)
      moveAdapter(id, to);
  };

  if (!plan) return null;
  const offered = scenario.gpuTypes.map((o) => o.gpu);
  const addChoice: GpuId = addType || offered[0] || GPU_IDS[0];
  const dragAdapter = dragging ? byId.get(dragging) : undefined;

  return (
    <section className="panel board" aria-label="Fleet board">
      <div className="panel-head">
        <h2>Fleet board</h2>
        <p className="caption">
          One card per GPU: engine flags, throughput vs demand, memory. Drag adapter chips between
          GPUs (mouse, touch, or focus a chip and press space, arrows, space); both GPUs are
          re-estimated, then re-verified by the twin.
        </p>
        <div className="board-actions">
          <label className="inline">
            <span className="sr-only">GPU type to add</span>
            <select value={addChoice} onChange={(e) => setAddType(e.target.value as GpuId)}>
              {offered.map((g) => (
                <option key={g} value={g}>
                  {GPUS[g].displayName}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="btn"
            data-testid="add-gpu-button"
            onClick={() => addGpu(addChoice)}
          >
            Add GPU
          </button>
        </div>
      </div>
      <DndContext
        sensors={sensors}
        collisionDetection={collision}
        onDragStart={onDragStart}
        onDragEnd={onDragEnd}
        onDragCancel={() => setDragging(null)}
        accessibility={{ announcements }}
      >
        <div className="cards">
          {plan.gpus.map((g, i) => (
            <GpuCard
              key={uids[i] ?? i}
              uid={uids[i] ?? -1}
              index={i}
              g={g}
              byId={byId}
              phase={phase[uids[i] ?? -1]}
              selected={selected === uids[i]}
              canRemove={plan.gpus.length > 1}
              price={
                scenario.gpuTypes.find((o) => o.gpu === g.gpu)?.costPerHour ??
                GPUS[g.gpu].costPerHour
              }
              model={scenario.model}
            />
          ))}
        </div>
        <DragOverlay dropAnimation={null}>
          {dragAdapter ? <ChipBody a={dragAdapter} overlay /> : null}
        </DragOverlay>
      </DndContext>
    </section>
  );
}

interface CardProps {
  uid: number;
  index: number;
  g: PlannedGpu;
  byId: Map<string, Adapter>;
  phase: GpuPhase | undefined;
  selected: boolean;
  canRemove: boolean;
  price: number;
  model: string;
}

const GpuCard = memo(function GpuCard({
  uid,
  index,
  g,
  byId,
  phase,
  selected,
  canRemove,
  price,
  model,
}: CardProps) {
  const { setNodeRef, isOver } = useDroppable({ id: `gpu-${uid}`, data: { uid, index } });
  const [expanded, setExpanded] = useState(false);
  const bad = isGpuBad(g);
  const v = g.verified;
  const demand = g.estimate.demandTokS;
  const mem = v?.memory ?? memoryFor(model, g.gpu, g.engine);
  const shown = expanded ? g.adapters : g.adapters.slice(0, CHIP_LIMIT);
  const scale = Math.max(demand, g.estimate.throughputTokS, v?.throughputTokS ?? 0, 1);
  return (
    <article
      ref={setNodeRef}
      className={`gpu-card${bad ? " bad" : ""}${isOver ? " over" : ""}${selected ? " selected" : ""}`}
      data-testid="gpu-card"
      data-starved={bad ? "true" : "false"}
      data-gpu-index={index}
      data-adapter-count={g.adapters.length}
      data-phase={phase ?? "idle"}
      aria-label={`GPU ${index + 1}: ${GPUS[g.gpu].displayName}, ${g.adapters.length} adapters${bad ? ", has a problem" : ""}`}
    >
      <header className="card-head">
        <button
          type="button"
          className="card-title"
          onClick={() => selectGpu(uid)}
          aria-pressed={selected}
          title="Show this GPU in the charts"
        >
          <span className="gpu-no">GPU {index + 1}</span>
          <span className="gpu-type">{GPUS[g.gpu].displayName}</span>
        </button>
        <span className="card-price">{fmtMoney(price)}/h</span>
        <button
          type="button"
          className="btn small ghost"
          onClick={() => removeGpu(uid)}
          disabled={!canRemove}
          aria-label={`Remove GPU ${index + 1}`}
          title="Remove this GPU (its adapters move to the least-loaded GPUs)"
        >
          Remove
        </button>
      </header>
      <div className="flags" title={g.vllmArgs}>
        <span>max-loras {g.engine.maxLoras}</span>
        <span>cpu-loras {g.engine.maxCpuLoras}</span>
        <span>lora-rank {g.engine.maxLoraRank}</span>
        <span>num-seqs {g.engine.maxNumSeqs}</span>
      </div>
      <div className="tput" aria-label="Throughput versus demand">
        <Bar label="demand" value={demand} scale={scale} cls="demand" />
        <Bar
          label={g.estimate.source === "surrogate" ? "predicted" : "estimated"}
          value={g.estimate.throughputTokS}
          scale={scale}
          cls="predicted"
          pending={phase === "estimating"}
        />
        <Bar
          label="verified"
          value={v?.throughputTokS}
          scale={scale}
          cls="verified"
          pending={phase === "verifying"}
        />
      </div>
      <MemoryBar mem={mem} />
      {v && (
        <div className="lat muted small">
          TTFT p99 {fmtMs(v.ttftMs.p99)} · ITL p99 {fmtMs(v.itlMs.p99)}
          {v.preemptions > 0 ? ` · ${v.preemptions} preemptions` : ""}
          {v.extrapolated ? " · extrapolated latency model" : ""}
        </div>
      )}
      {bad && (
        <p className="problem" role="note">
          {g.problem ??
            (v ? (v.memory.fits ? "starved" : "does not fit in memory") : "starved (estimate)")}
        </p>
      )}
      <div className="chips" aria-label={`Adapters on GPU ${index + 1}`}>
        {shown.map((id) => {
          const a = byId.get(id);
          return a ? (
            <Chip key={id} a={a} fromUid={uid} />
          ) : (
            <span
              key={id}
              className="chip stale"
              title={`${id} is no longer in the scenario: re-plan`}
            >
              <span className="chip-id">{id}</span>
            </span>
          );
        })}
        {g.adapters.length === 0 && <span className="muted small">empty — drop adapters here</span>}
        {g.adapters.length > CHIP_LIMIT && (
          <button type="button" className="btn small ghost" onClick={() => setExpanded((x) => !x)}>
            {expanded ? "show fewer" : `+${g.adapters.length - CHIP_LIMIT} more`}
          </button>
        )}
      </div>
    </article>
  );
});

function Bar(props: {
  label: string;
  value: number | undefined;
  scale: number;
  cls: string;
  pending?: boolean;
}) {
  const w = props.value === undefined ? 0 : Math.min(100, (props.value / props.scale) * 100);
  return (
    <div className={`bar-row ${props.cls}`}>
      <span className="bar-label">{props.label}</span>
      <span className="bar-track">
        <span className="bar-fill" style={{ width: `${w}%` }} />
      </span>
      <span className="bar-value">
        {props.pending ? "…" : props.value === undefined ? "—" : `${fmtTok(props.value)} tok/s`}
      </span>
    </div>
  );
}

function MemoryBar({ mem }: { mem: ReturnType<typeof memoryFor> }) {
  if (!mem) return null;
  const total = mem.totalGiB || 1;
  const parts = [
    { k: "weights", v: mem.weightsGiB },
    { k: "lora", v: mem.loraSlotsGiB },
    { k: "kv", v: mem.kvCacheGiB },
    { k: "reserve", v: mem.reserveGiB },
  ];
  return (
    <div className="mem">
      <div
        className="mem-track"
        role="img"
        aria-label={`Memory: weights ${fmtGiB(mem.weightsGiB)}, LoRA slots ${fmtGiB(mem.loraSlotsGiB)}, KV cache ${fmtGiB(mem.kvCacheGiB)} of ${fmtGiB(mem.totalGiB)}`}
      >
        {parts.map((p) => (
          <span
            key={p.k}
            className={`mem-${p.k}`}
            style={{ width: `${Math.max(0, (p.v / total) * 100)}%` }}
          />
        ))}
      </div>
      <div className="mem-legend small muted">
        W {fmtGiB(mem.weightsGiB)} · LoRA {fmtGiB(mem.loraSlotsGiB)} · KV {fmtGiB(mem.kvCacheGiB)} /{" "}
        {fmtGiB(mem.totalGiB)}
        {!mem.fits && <strong className="bad-text"> · does not fit</strong>}
      </div>
    </div>
  );
}

const Chip = memo(function Chip({ a, fromUid }: { a: Adapter; fromUid: number }) {
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: `a:${a.id}`,
    data: { adapterId: a.id, fromUid },
  });
  return (
    <span
      ref={setNodeRef}
      className={`chip r${a.rank}${isDragging ? " dragging" : ""}`}
      data-testid="adapter-chip"
      data-adapter-id={a.id}
      title={`${a.id} · rank ${a.rank} · ${fmtRate(a.rateRps)} req/s`}
      {...attributes}
      {...listeners}
      aria-roledescription="draggable adapter"
      aria-label={`Adapter ${a.id}, rank ${a.rank}, ${fmtRate(a.rateRps)} requests per second`}
    >
      <ChipInner a={a} />
    </span>
  );
});

function ChipInner({ a }: { a: Adapter }) {
  return (
    <>
      <span className="chip-id">{a.id}</span>
      <span className="chip-meta">r{a.rank}</span>
    </>
  );
}

function ChipBody({ a, overlay }: { a: Adapter; overlay?: boolean }) {
  return (
    <span className={`chip r${a.rank}${overlay ? " overlay" : ""}`}>
      <ChipInner a={a} />
    </span>
  );
}
