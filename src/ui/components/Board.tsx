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
import {
  memo,
  useCallback,
  useDeferredValue,
  useEffect,
  useLayoutEffect,
  useMemo,
  useState,
  type SyntheticEvent,
} from "react";
import { GPUS } from "../../core/catalog/gpus";
import { GPU_IDS, type GpuId } from "../../core/catalog/ids";
import type { PlannedGpu } from "../../core/placement/types";
import { servedShare } from "../../core/placement/verdict";
import type { Adapter } from "../../core/scenario/schema";
import {
  addGpu,
  holdForDrag,
  isGpuBad,
  moveAdapter,
  removeGpu,
  selectGpu,
  useApp,
  type GpuPhase,
} from "../../state/store";
import { fmtGiB, fmtMoney, fmtMs, fmtRate, fmtTok } from "../format";
import { memoryFor } from "../memory";

/**
 * Verified share of demand below which a GPU that is not starved (≥ 90%, the paper's rule) is
 * flagged as one whose queue grows: a server that keeps up finishes all but the requests in
 * flight at the window's end (seconds of residence in a window of up to an hour: about 1% at
 * most; verified ratios of GPUs that keep up are 0.98–1.00 in bench:placement).
 */
const QUEUE_GROWS = 0.97;

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

/**
 * The pointer's height in the viewport during a drag (null: keyboard). dnd-kit's auto-scroller
 * can pair the page's scroll container with a stale rect (a chip list's, while the scrollable
 * ancestors switch from the chip's to the card's under the pointer) and scroll the page to the
 * top while the pointer is mid-screen; the page only auto-scrolls near its top or bottom edge.
 */
let pointerY: number | null = null;
const trackPointer = (e: MouseEvent | TouchEvent) => {
  pointerY = "touches" in e ? (e.touches[0]?.clientY ?? pointerY) : e.clientY;
};
const autoScroll = {
  canScroll: (el: Element) => {
    if (pointerY === null || el !== document.scrollingElement) return true;
    const edge = window.innerHeight * 0.2;
    return pointerY <= edge || pointerY >= window.innerHeight - edge;
  },
};
function watchPointer(on: boolean): void {
  pointerY = null;
  for (const type of ["mousemove", "touchmove"] as const) {
    if (on) window.addEventListener(type, trackPointer, { capture: true, passive: true });
    else window.removeEventListener(type, trackPointer, { capture: true });
  }
}

const collision: CollisionDetection = (args) =>
  args.pointerCoordinates ? pointerWithin(args) : rectIntersection(args);

export function Board() {
  const plan = useDeferredValue(useApp((s) => s.plan));
  const uids = useDeferredValue(useApp((s) => s.gpuUids));
  const phase = useApp((s) => s.gpuPhase);
  const selected = useApp((s) => s.selectedUid);
  // deferred with the plan: a new workload (e.g. 2,000 adapters replaced) re-renders every
  // card, in a background pass rather than in the click that made it
  const scenario = useDeferredValue(useApp((s) => s.scenario));
  const [dragging, setDragging] = useState<string | null>(null);
  const [addType, setAddType] = useState<GpuId | "">("");
  // a board that goes away mid-drag (e.g. its plan is cleared) ends the drag's hold on updates
  useEffect(() => () => holdForDrag(false), []);

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

  const onDragStart = (e: DragStartEvent) => {
    dragRunning = true;
    holdForDrag(true);
    watchPointer(true);
    setDragging(String(e.active.data.current?.adapterId ?? ""));
  };
  const onDragCancel = () => {
    dragRunning = false;
    holdForDrag(false);
    watchPointer(false);
    setDragging(null);
  };
  const onDragEnd = (e: DragEndEvent) => {
    dragRunning = false;
    holdForDrag(false);
    watchPointer(false);
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
        autoScroll={autoScroll}
        onDragStart={onDragStart}
        onDragEnd={onDragEnd}
        onDragCancel={onDragCancel}
        accessibility={{ announcements }}
      >
        <div className="cards">
          {plan.gpus.map((g, i) => (
            <GpuCard
              // with its place in the key, a card is never moved: a GPU of a new plan that kept
              // its id but not its place mounts anew (chips paced, see chipTurn) where React
              // would have moved the card's element, laying out all its chips again in one frame
              key={`${uids[i] ?? -1}@${i}`}
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

const GpuCard = memo(function GpuCard(props: CardProps) {
  const { uid, index, g, phase, selected } = props;
  // The droppable's hook re-renders on every drag-over: keep it on the card's shell; the body
  // (bars, memory, chips) is memoised and re-renders only when its GPU changes.
  const { setNodeRef, isOver } = useDroppable({ id: `gpu-${uid}`, data: { uid, index } });
  const bad = isGpuBad(g);
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
      <CardBody {...props} />
    </article>
  );
});

const CardBody = memo(function CardBody({
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
  const bad = isGpuBad(g);
  const v = g.verified;
  const demand = g.estimate.demandTokS;
  const mem = v?.memory ?? memoryFor(model, g.gpu, g.engine);
  const scale = Math.max(demand, g.estimate.throughputTokS, v?.throughputTokS ?? 0, 1);
  return (
    <>
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
      {!bad && v && servedShare(v) < QUEUE_GROWS && (
        <p className="queue-note" role="note">
          serves {Math.floor(100 * servedShare(v))}% of its demand: not starved by the 90% rule, but
          its queue grows over the window — move adapters away, add a GPU, or set a TTFT p99 limit
        </p>
      )}
      <ChipArea uid={uid} index={index} adapters={g.adapters} byId={byId} />
    </>
  );
});

/**
 * Which chip a card's draggable carries. One draggable per card (not per chip): a dnd-kit
 * draggable re-renders on every drag-over, and a board of 2,000 adapters had that many. The
 * chip under the pointer / focus becomes the draggable's node and payload when a sensor starts.
 */
class ChipGrab {
  adapterId: string | undefined = undefined;
  constructor(readonly fromUid: number) {}
  take(id: string): void {
    this.adapterId = id;
  }
}

/** A drag runs (the card draggables must not be retargeted meanwhile, e.g. by a second touch). */
let dragRunning = false;

/**
 * Chip lists that take a new adapter list per frame. A landing plan changes every card's chips
 * (8 cards × 36 chips: ~1,500 of the page's ~3,000 layout objects): in one commit that was one
 * frame of ~15 ms layout + ~10 ms paint, stretched past 50 ms while the twin's worker and the
 * rasteriser held the two cores. The first lists (a drop's two cards, the top of the board) take
 * theirs at once; the rest follow a few per frame, in board order.
 */
const CHIP_LISTS_PER_FRAME = 2;
let chipListsThisFrame = 0;
let chipFrame = false;
const chipQueue: Array<() => void> = [];

function nextChipFrame(): void {
  if (chipFrame) return;
  chipFrame = true;
  let ran = false;
  const run = () => {
    if (ran) return;
    ran = true;
    chipFrame = false;
    chipListsThisFrame = 0;
    while (chipQueue.length > 0 && chipListsThisFrame < CHIP_LISTS_PER_FRAME) {
      chipListsThisFrame++;
      chipQueue.shift()!();
    }
    if (chipQueue.length > 0 || chipListsThisFrame > 0) nextChipFrame();
  };
  requestAnimationFrame(run);
  setTimeout(run, 100); // hidden tabs run no frames
}

/** Run `take` now when this frame has room for another chip list, else in a later frame; returns a cancel. */
function chipTurn(take: () => void): () => void {
  if (chipQueue.length === 0 && chipListsThisFrame < CHIP_LISTS_PER_FRAME) {
    chipListsThisFrame++;
    nextChipFrame();
    take();
    return () => {};
  }
  chipQueue.push(take);
  nextChipFrame();
  return () => {
    const i = chipQueue.indexOf(take);
    if (i >= 0) chipQueue.splice(i, 1);
  };
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The adapter list a card's chips show: `adapters`, taken when {@link chipTurn} gives this card
 * its turn (null until the first). Until then the card shows its previous chips (for a frame or
 * a few) or, when new, a placeholder of about the chips' height.
 */
function usePacedList(adapters: string[]): string[] | null {
  const [list, setList] = useState<string[] | null>(null);
  const current = list !== null && (list === adapters || sameIds(list, adapters));
  useLayoutEffect(() => {
    if (current) return;
    return chipTurn(() => setList(adapters));
  }, [adapters, current]);
  return current ? adapters : list;
}

const ChipArea = memo(function ChipArea({
  uid,
  index,
  adapters,
  byId,
}: {
  uid: number;
  index: number;
  adapters: string[];
  byId: Map<string, Adapter>;
}) {
  const [expanded, setExpanded] = useState(false);
  const [grab] = useState(() => new ChipGrab(uid));
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: `chips-${uid}`,
    data: grab,
  });
  const handlers = useMemo(() => {
    const out: Record<string, (e: SyntheticEvent) => void> = {};
    for (const [name, fn] of Object.entries(listeners ?? {})) {
      out[name] = (e: SyntheticEvent) => {
        const chip = (e.target as Element).closest?.('[data-testid="adapter-chip"]');
        const id = chip?.getAttribute("data-adapter-id");
        if (!chip || id == null || dragRunning || !e.currentTarget.contains(chip)) return;
        grab.take(id);
        setNodeRef(chip as HTMLElement);
        (fn as (e: SyntheticEvent) => void)(e);
      };
    }
    return out;
  }, [listeners, grab, setNodeRef]);
  const paced = usePacedList(adapters);
  const shown = useMemo(
    () => (paced === null ? [] : expanded ? paced : paced.slice(0, CHIP_LIMIT)),
    [expanded, paced],
  );
  return (
    <div
      className="chips"
      aria-label={`Adapters on GPU ${index + 1}`}
      aria-busy={paced !== adapters}
      style={
        paced === null
          ? { height: Math.min(168, Math.ceil(adapters.length / 3) * 24 + 4) }
          : undefined
      }
      {...handlers}
    >
      <Chips
        ids={shown}
        byId={byId}
        describedBy={attributes["aria-describedby"]}
        draggingId={isDragging ? grab.adapterId : undefined}
      />
      {adapters.length === 0 && <span className="muted small">empty — drop adapters here</span>}
      {adapters.length > CHIP_LIMIT && (
        <button type="button" className="btn small ghost" onClick={() => setExpanded((x) => !x)}>
          {expanded ? "show fewer" : `+${adapters.length - CHIP_LIMIT} more`}
        </button>
      )}
    </div>
  );
});

/** A card's chips: plain elements (no hooks), re-rendered only when the list changes. */
const Chips = memo(function Chips({
  ids,
  byId,
  describedBy,
  draggingId,
}: {
  ids: string[];
  byId: Map<string, Adapter>;
  describedBy: string | undefined;
  draggingId: string | undefined;
}) {
  return ids.map((id) => {
    const a = byId.get(id);
    if (!a)
      return (
        <span key={id} className="chip stale" title={`${id} is no longer in the scenario: re-plan`}>
          <span className="chip-id">{id}</span>
        </span>
      );
    const dragging = id === draggingId;
    return (
      <span
        key={id}
        className={`chip r${a.rank}${dragging ? " dragging" : ""}`}
        data-testid="adapter-chip"
        data-adapter-id={a.id}
        title={`${a.id} · rank ${a.rank} · ${fmtRate(a.rateRps)} req/s`}
        role="button"
        tabIndex={0}
        aria-disabled={false}
        aria-pressed={dragging ? true : undefined}
        aria-roledescription="draggable adapter"
        aria-describedby={describedBy}
        aria-label={`Adapter ${a.id}, rank ${a.rank}, ${fmtRate(a.rateRps)} requests per second`}
      >
        <ChipInner a={a} />
      </span>
    );
  });
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
