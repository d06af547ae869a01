import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useMemo, useRef, useState } from "react";
import { LIMITS, VLLM_LORA_RANKS, type Adapter, type LoraRank } from "../../core/scenario/schema";
import { checkBulk, generateAdapters, type BulkSpec } from "../../state/generate";
import { adapterDemand } from "../../state/jobs/assign";
import { planScenario, updateAdapters, updateAdaptersSoon, useApp } from "../../state/store";
import { fmtRate, fmtTok } from "../format";
import { RankPicker } from "./fields";

const ROW_H = 34;

export function AdapterEditor() {
  const adapters = useApp((s) => s.scenario.workload.adapters);
  const lengths = useApp((s) => s.scenario.workload.lengths);
  const [filter, setFilter] = useState("");
  const [editing, setEditing] = useState<string | null>(null);
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? adapters.filter((a) => a.id.toLowerCase().includes(f)) : adapters;
  }, [adapters, filter]);
  const totals = useMemo(() => {
    let rate = 0;
    let tok = 0;
    for (const a of adapters) {
      rate += a.rateRps;
      tok += adapterDemand(a, lengths);
    }
    return { rate, tok };
  }, [adapters, lengths]);

  const parentRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual returns fresh functions by design
  const v = useVirtualizer({
    count: shown.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_H,
    overscan: 8,
  });

  return (
    <details className="section" open data-testid="adapter-section">
      <summary>
        <h3>
          Adapters <span className="muted small">({adapters.length.toLocaleString()})</span>
        </h3>
      </summary>
      <div className="section-body">
        <p className="muted small">
          {totals.rate.toFixed(2)} req/s in all · ≈ {fmtTok(totals.tok)} tokens/s demanded
        </p>
        <input
          className="filter"
          type="search"
          placeholder="Filter by id…"
          aria-label="Filter adapters by id"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        <div className="adapter-head" aria-hidden="true">
          <span>id</span>
          <span>rank</span>
          <span>req/s</span>
          <span />
        </div>
        <div
          ref={parentRef}
          className="adapter-list"
          role="list"
          aria-label="Adapters"
          data-testid="adapter-list"
        >
          <div style={{ height: v.getTotalSize(), position: "relative" }}>
            {v.getVirtualItems().map((item) => {
              const a = shown[item.index]!;
              return (
                <div
                  key={a.id}
                  role="listitem"
                  className="adapter-row"
                  style={{
                    position: "absolute",
                    top: 0,
                    left: 0,
                    right: 0,
                    height: ROW_H,
                    transform: `translateY(${item.start}px)`,
                  }}
                >
                  {editing === a.id ? (
                    <EditRow a={a} onDone={() => setEditing(null)} />
                  ) : (
                    <Row a={a} onEdit={() => setEditing(a.id)} />
                  )}
                </div>
              );
            })}
          </div>
        </div>
        <AddAdapter taken={adapters} />
        <BulkGenerate existing={adapters} />
      </div>
    </details>
  );
}

const Row = memo(function Row({ a, onEdit }: { a: Adapter; onEdit: () => void }) {
  return (
    <>
      <span className="adapter-id" title={a.id}>
        {a.id}
      </span>
      <span>{a.rank}</span>
      <span>{fmtRate(a.rateRps)}</span>
      <span className="row-actions">
        <button
          type="button"
          className="btn tiny ghost"
          onClick={onEdit}
          aria-label={`Edit ${a.id}`}
        >
          Edit
        </button>
        <button
          type="button"
          className="btn tiny ghost"
          aria-label={`Delete ${a.id}`}
          onClick={() => updateAdapters((list) => list.filter((x) => x.id !== a.id))}
        >
          ✕
        </button>
      </span>
    </>
  );
});

function EditRow({ a, onDone }: { a: Adapter; onDone: () => void }) {
  const [id, setId] = useState(a.id);
  const [rank, setRank] = useState<number>(a.rank);
  const [rate, setRate] = useState(String(a.rateRps));
  const [err, setErr] = useState<string | null>(null);
  const save = () => {
    const r = Number(rate);
    const e = updateAdapters((list) =>
      list.map((x) =>
        x.id === a.id ? { ...x, id: id.trim(), rank: rank as LoraRank, rateRps: r } : x,
      ),
    );
    if (e) setErr(e);
    else onDone();
  };
  return (
    <form
      className="edit-row"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <input
        aria-label="Adapter id"
        value={id}
        maxLength={LIMITS.idLength}
        onChange={(e) => setId(e.target.value)}
      />
      <select aria-label="Rank" value={rank} onChange={(e) => setRank(Number(e.target.value))}>
        {VLLM_LORA_RANKS.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
      <input
        aria-label="Rate (req/s)"
        type="number"
        step="any"
        value={rate}
        onChange={(e) => setRate(e.target.value)}
      />
      <span className="row-actions">
        <button type="submit" className="btn tiny primary">
          Save
        </button>
        <button type="button" className="btn tiny ghost" onClick={onDone}>
          Cancel
        </button>
      </span>
      {err && (
        <span className="field-error row-error" title={err}>
          {err}
        </span>
      )}
    </form>
  );
}

function AddAdapter({ taken }: { taken: readonly Adapter[] }) {
  const [id, setId] = useState("");
  const [rank, setRank] = useState(16);
  const [rate, setRate] = useState("0.1");
  const [err, setErr] = useState<string | null>(null);
  return (
    <form
      className="add-adapter"
      aria-label="Add an adapter"
      onSubmit={(e) => {
        e.preventDefault();
        const name = id.trim() || `adapter-${taken.length}`;
        const er = updateAdapters((list) => [
          ...list,
          { id: name, rank: rank as LoraRank, rateRps: Number(rate) },
        ]);
        setErr(er);
        if (!er) setId("");
      }}
    >
      <input
        aria-label="New adapter id"
        data-testid="new-adapter-id"
        placeholder="new adapter id"
        value={id}
        maxLength={LIMITS.idLength}
        onChange={(e) => setId(e.target.value)}
      />
      <select
        aria-label="New adapter rank"
        value={rank}
        onChange={(e) => setRank(Number(e.target.value))}
      >
        {VLLM_LORA_RANKS.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
      <input
        aria-label="New adapter rate (req/s)"
        data-testid="new-adapter-rate"
        type="number"
        step="any"
        value={rate}
        onChange={(e) => setRate(e.target.value)}
      />
      <button type="submit" className="btn small" data-testid="add-adapter-button">
        Add
      </button>
      {err && <span className="field-error">{err}</span>}
    </form>
  );
}

function BulkGenerate({ existing }: { existing: readonly Adapter[] }) {
  const [spec, setSpec] = useState<BulkSpec>({
    count: 500,
    ranks: [8, 16, 32],
    totalRateRps: 30,
    zipfAlpha: 1,
    idPrefix: "lora-",
  });
  const [err, setErr] = useState<string | null>(null);
  const run = (replace: boolean) => {
    const e = checkBulk(spec, replace ? 0 : existing.length);
    if (e) return setErr(e);
    const taken = new Set(replace ? [] : existing.map((a) => a.id));
    const fresh = generateAdapters(spec, taken);
    // the schema check, the new list's render and planning: one task each after the click's
    void updateAdaptersSoon((list) => (replace ? fresh : [...list, ...fresh])).then((er) => {
      setErr(er);
      if (!er) setTimeout(() => void planScenario(), 0);
    });
  };
  const num =
    (k: "count" | "totalRateRps" | "zipfAlpha") => (e: React.ChangeEvent<HTMLInputElement>) =>
      setSpec((s) => ({ ...s, [k]: Number(e.target.value) }));
  return (
    <fieldset className="bulk" data-testid="bulk-generate">
      <legend>Bulk generate</legend>
      <div className="row2">
        <label className="field">
          N adapters
          <input
            type="number"
            min={1}
            max={LIMITS.adapters}
            value={spec.count}
            onChange={num("count")}
            data-testid="bulk-count"
          />
        </label>
        <label className="field">
          Total rate (req/s)
          <input
            type="number"
            step="any"
            value={spec.totalRateRps}
            onChange={num("totalRateRps")}
            data-testid="bulk-rate"
          />
        </label>
        <label className="field">
          Zipf α
          <input
            type="number"
            step="any"
            min={0}
            max={10}
            value={spec.zipfAlpha}
            onChange={num("zipfAlpha")}
          />
        </label>
        <label className="field">
          Id prefix
          <input
            value={spec.idPrefix}
            maxLength={100}
            onChange={(e) => setSpec((s) => ({ ...s, idPrefix: e.target.value }))}
          />
        </label>
      </div>
      <RankPicker
        label="Rank mix (cycled)"
        value={spec.ranks}
        onChange={(ranks) => setSpec((s) => ({ ...s, ranks }))}
      />
      <div className="btn-row">
        <button
          type="button"
          className="btn"
          onClick={() => run(true)}
          data-testid="bulk-replace-button"
        >
          Replace all and plan
        </button>
        <button type="button" className="btn ghost" onClick={() => run(false)}>
          Append and plan
        </button>
      </div>
      {err && <p className="field-error">{err}</p>}
    </fieldset>
  );
}
