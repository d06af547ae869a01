import { useState } from "react";
import { GPUS } from "../../core/catalog/gpus";
import { GPU_IDS, MODEL_IDS, type GpuId, type ModelId } from "../../core/catalog/ids";
import { MODELS } from "../../core/catalog/models";
import { objectiveFrom, objectiveParts, type ObjectiveParts } from "../../core/scenario/fleet";
import { VLLM_MAX_LORA_RANKS } from "../../core/scenario/schema";
import type { FleetScenario } from "../../state/fleet";
import {
  deleteNamedScenario,
  importTrace,
  loadNamedScenario,
  notify,
  resetToDefault,
  saveNamedScenario,
  updateScenario,
  useApp,
} from "../../state/store";
import { AdapterEditor } from "./AdapterEditor";
import { NumField, RankPicker } from "./fields";

export function Designer() {
  return (
    <div className="designer">
      <h2 className="sr-only">Workload designer</h2>
      <ModelSection />
      <GpuSection />
      <EngineSection />
      <WorkloadSection />
      <AdapterEditor />
      <TraceSection />
      <SavedSection />
    </div>
  );
}

function Section(props: {
  title: string;
  children: React.ReactNode;
  open?: boolean;
  testid?: string;
}) {
  return (
    <details className="section" open={props.open ?? true} data-testid={props.testid}>
      <summary>
        <h3>{props.title}</h3>
      </summary>
      <div className="section-body">{props.children}</div>
    </details>
  );
}

/** The latency limits of the objective: field, label, test id. */
const SLO_FIELDS = [
  ["ttftP99Ms", "TTFT p99 ≤", "slo-ttft"],
  ["itlP99Ms", "ITL p99 ≤", "slo-itl"],
] as const;

function ModelSection() {
  const model = useApp((s) => s.scenario.model);
  const objective = useApp((s) => s.scenario.objective);
  const parts = objectiveParts(objective);
  const setParts = (change: Partial<ObjectiveParts>) =>
    updateScenario((s) => ({
      ...s,
      objective: objectiveFrom({ ...objectiveParts(s.objective), ...change }),
    }));
  return (
    <Section title="Model and objective">
      <div className="field">
        <label htmlFor="model-select">Base model</label>
        <select
          id="model-select"
          value={model}
          onChange={(e) =>
            updateScenario((s) => ({
              ...s,
              model: e.target.value as ModelId,
              engine: { ...s.engine, maxModelLen: undefined },
            }))
          }
        >
          {MODEL_IDS.map((m) => (
            <option key={m} value={m}>
              {MODELS[m].displayName}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="objective-select">Minimise</label>
        <select
          id="objective-select"
          value={parts.minimize}
          onChange={(e) => setParts({ minimize: e.target.value === "cost" ? "cost" : "gpus" })}
        >
          <option value="gpus">Fewest GPUs</option>
          <option value="cost">Lowest $/h</option>
        </select>
      </div>
      <div className="row2">
        {SLO_FIELDS.map(([key, label, testid]) => (
          <NumField
            key={key}
            label={label}
            unit="ms"
            optional
            placeholder="no limit"
            testid={testid}
            value={parts[key]}
            onCommit={(v) => setParts({ [key]: v })}
          />
        ))}
      </div>
      <p className="field-hint">
        Latency limits apply to every GPU over the simulated window; empty means only the starvation
        rule (each GPU serves ≥ 90% of its demand), under which a GPU may keep up with 90–99% of its
        requests while its queue grows.
      </p>
    </Section>
  );
}

function GpuSection() {
  const offers = useApp((s) => s.scenario.gpuTypes);
  const setOffer = (gpu: GpuId, patch: Partial<FleetScenario["gpuTypes"][number]> | null) =>
    updateScenario((s) => {
      const has = s.gpuTypes.some((o) => o.gpu === gpu);
      let gpuTypes: FleetScenario["gpuTypes"];
      if (patch === null) gpuTypes = s.gpuTypes.filter((o) => o.gpu !== gpu);
      else if (has) gpuTypes = s.gpuTypes.map((o) => (o.gpu === gpu ? { ...o, ...patch } : o));
      else gpuTypes = [...s.gpuTypes, { gpu, costPerHour: GPUS[gpu].costPerHour, ...patch }];
      return { ...s, gpuTypes };
    });
  return (
    <Section title="GPU types offered">
      <table className="gpu-table">
        <thead>
          <tr>
            <th scope="col">Use</th>
            <th scope="col">GPU</th>
            <th scope="col">$/h</th>
            <th scope="col">Max</th>
          </tr>
        </thead>
        <tbody>
          {GPU_IDS.map((g) => {
            const o = offers.find((x) => x.gpu === g);
            return (
              <tr key={g} className={o ? "" : "off"}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Offer ${GPUS[g].displayName}`}
                    checked={!!o}
                    disabled={!!o && offers.length === 1}
                    onChange={(e) => {
                      const err = setOffer(g, e.target.checked ? {} : null);
                      if (err) alertInline(err);
                    }}
                  />
                </td>
                <td title={`${GPUS[g].memoryGiB} GiB, ${GPUS[g].memoryBandwidthTBs} TB/s`}>
                  {GPUS[g].displayName}
                </td>
                <td>
                  {o && (
                    <InlineNum
                      label={`${g} price per hour`}
                      value={o.costPerHour}
                      onCommit={(v) =>
                        v === undefined ? "required" : setOffer(g, { costPerHour: v })
                      }
                    />
                  )}
                </td>
                <td>
                  {o && (
                    <InlineNum
                      label={`${g} maximum count`}
                      value={o.maxCount}
                      placeholder="∞"
                      onCommit={(v) => setOffer(g, { maxCount: v })}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Section>
  );
}

function alertInline(msg: string) {
  // errors of a checkbox have no field to show under: use the notices
  notify("error", msg);
}

function InlineNum(props: {
  label: string;
  value: number | undefined;
  placeholder?: string;
  onCommit: (v: number | undefined) => string | null;
}) {
  const [text, setText] = useState(props.value === undefined ? "" : String(props.value));
  const [prev, setPrev] = useState(props.value);
  const [err, setErr] = useState<string | null>(null);
  if (prev !== props.value) {
    setPrev(props.value);
    setText(props.value === undefined ? "" : String(props.value));
  }
  const commit = () => {
    const t = text.trim();
    const v = t === "" ? undefined : Number(t);
    if (v !== undefined && !Number.isFinite(v)) return setErr("not a number");
    if (v === props.value) return setErr(null);
    setErr(props.onCommit(v));
  };
  return (
    <input
      className={`inline-num${err ? " invalid" : ""}`}
      type="number"
      step="any"
      aria-label={props.label}
      aria-invalid={err ? true : undefined}
      title={err ?? undefined}
      placeholder={props.placeholder}
      value={text}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === "Enter" && commit()}
    />
  );
}

function EngineSection() {
  const e = useApp((s) => s.scenario.engine);
  const set = (patch: Partial<FleetScenario["engine"]>) =>
    updateScenario((s) => ({ ...s, engine: { ...s.engine, ...patch } }));
  return (
    <Section title="Engine flags (blank = planner chooses)" open={false}>
      <div className="row2">
        <NumField
          label="--max-loras"
          optional
          value={e.maxLoras}
          onCommit={(v) => set({ maxLoras: v })}
        />
        <NumField
          label="--max-cpu-loras"
          optional
          value={e.maxCpuLoras}
          onCommit={(v) => set({ maxCpuLoras: v })}
        />
        <div className="field">
          <label htmlFor="max-lora-rank">--max-lora-rank</label>
          <select
            id="max-lora-rank"
            value={e.maxLoraRank ?? ""}
            onChange={(ev) =>
              set({ maxLoraRank: ev.target.value === "" ? undefined : Number(ev.target.value) })
            }
          >
            <option value="">auto</option>
            {VLLM_MAX_LORA_RANKS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <NumField
          label="--max-num-seqs"
          optional
          value={e.maxNumSeqs}
          onCommit={(v) => set({ maxNumSeqs: v })}
        />
        <NumField
          label="--max-num-batched-tokens"
          optional
          value={e.maxNumBatchedTokens}
          onCommit={(v) => set({ maxNumBatchedTokens: v })}
        />
        <NumField
          label="--gpu-memory-utilization"
          optional
          value={e.gpuMemoryUtilization}
          onCommit={(v) => set({ gpuMemoryUtilization: v })}
        />
        <NumField
          label="--max-model-len"
          optional
          value={e.maxModelLen}
          onCommit={(v) => set({ maxModelLen: v })}
        />
      </div>
    </Section>
  );
}

function WorkloadSection() {
  const w = useApp((s) => s.scenario.workload);
  const set = (patch: Partial<FleetScenario["workload"]>) =>
    updateScenario((s) => ({ ...s, workload: { ...s.workload, ...patch } }));
  const lp = w.lengths;
  return (
    <Section title="Load generator" open={false}>
      <div className="row2">
        <NumField
          label="Window"
          unit="s"
          value={w.durationS}
          onCommit={(v) => set({ durationS: v })}
          hint="twin run per GPU"
        />
        <NumField label="Seed" value={w.seed} onCommit={(v) => set({ seed: v })} />
        <div className="field">
          <label htmlFor="lengths-select">Request lengths</label>
          <select
            id="lengths-select"
            value={lp.profile}
            onChange={(e) => {
              const v = e.target.value;
              if (v === "sharegpt") set({ lengths: { profile: "sharegpt" } });
              else if (v === "fixed")
                set({ lengths: { profile: "fixed", promptTokens: 256, outputTokens: 256 } });
            }}
          >
            <option value="sharegpt">ShareGPT (measured runs)</option>
            <option value="fixed">Fixed</option>
            {lp.profile === "uniform" && <option value="uniform">Uniform</option>}
            {lp.profile === "empirical" && (
              <option value="empirical">From trace ({lp.promptTokens.length} samples)</option>
            )}
          </select>
        </div>
        {lp.profile === "fixed" && (
          <>
            <NumField
              label="Prompt"
              unit="tokens"
              value={lp.promptTokens}
              onCommit={(v) => set({ lengths: { ...lp, promptTokens: v ?? 1 } })}
            />
            <NumField
              label="Output"
              unit="tokens"
              value={lp.outputTokens}
              onCommit={(v) => set({ lengths: { ...lp, outputTokens: v ?? 1 } })}
            />
          </>
        )}
        <div className="field">
          <label htmlFor="arrival-select">Arrivals</label>
          <select
            id="arrival-select"
            value={w.arrival.kind}
            onChange={(e) =>
              set({
                arrival:
                  e.target.value === "gamma" ? { kind: "gamma", cv: 2 } : { kind: "poisson" },
              })
            }
          >
            <option value="poisson">Poisson</option>
            <option value="gamma">Bursty (Gamma)</option>
          </select>
        </div>
        {w.arrival.kind === "gamma" && (
          <NumField
            label="Burstiness CV"
            value={w.arrival.cv}
            onCommit={(v) => set({ arrival: { kind: "gamma", cv: v ?? 1 } })}
          />
        )}
        <NumField
          label="Client queue cap"
          optional
          placeholder="none"
          value={w.maxPendingRequests}
          onCommit={(v) => set({ maxPendingRequests: v })}
        />
      </div>
    </Section>
  );
}

function TraceSection() {
  const [adapters, setAdapters] = useState(100);
  const [ranks, setRanks] = useState([8, 16, 32]);
  const [alpha, setAlpha] = useState(1);
  const [scale, setScale] = useState(1);
  const busy = useApp((s) => s.job?.kind === "trace");
  return (
    <Section title="Import a request trace" testid="trace-section">
      <p className="muted small">
        Azure LLM inference trace CSV (<code>TIMESTAMP,ContextTokens,GeneratedTokens</code>) or the
        processed form (<code>arrived_at,num_prefill_tokens,num_decode_tokens</code>). Requests are
        spread over N adapters by a Zipf law; the scenario keeps the fitted per-adapter rates and a
        length profile.
      </p>
      <div className="row2">
        <NumField
          label="Adapters"
          value={adapters}
          onCommit={(v) =>
            v && v >= 1 && v <= 20000 ? (setAdapters(Math.round(v)), null) : "1..20,000"
          }
        />
        <NumField
          label="Zipf α"
          value={alpha}
          onCommit={(v) => (v !== undefined && v >= 0 && v <= 10 ? (setAlpha(v), null) : "0..10")}
        />
        <NumField
          label="Rate scale"
          value={scale}
          hint="2 = twice the rate"
          onCommit={(v) => (v !== undefined && v > 0 && v <= 1e6 ? (setScale(v), null) : "> 0")}
        />
      </div>
      <RankPicker value={ranks} onChange={setRanks} />
      <label className="file-button">
        <span className="btn">{busy ? "Importing…" : "Choose trace CSV…"}</span>
        <input
          type="file"
          accept=".csv,text/csv,text/plain"
          data-testid="trace-file-input"
          className="visually-hidden-file"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            e.currentTarget.value = "";
            if (f)
              void importTrace(f, {
                adapters,
                ranks: ranks.length ? ranks : [8],
                zipfAlpha: alpha,
                rateScale: scale,
                seed: 0,
                idPrefix: "adapter-",
              });
          }}
        />
      </label>
    </Section>
  );
}

function SavedSection() {
  const saved = useApp((s) => s.saved);
  const [name, setName] = useState("");
  return (
    <Section title="Saved scenarios" open={false} testid="saved-section">
      <form
        className="save-form"
        onSubmit={(e) => {
          e.preventDefault();
          void saveNamedScenario(name);
          setName("");
        }}
      >
        <input
          aria-label="Scenario name"
          placeholder="name"
          value={name}
          maxLength={80}
          onChange={(e) => setName(e.target.value)}
        />
        <button
          type="submit"
          className="btn"
          disabled={!name.trim()}
          data-testid="save-scenario-button"
        >
          Save
        </button>
      </form>
      {saved.length === 0 ? (
        <p className="muted small">
          Nothing saved yet. Your working scenario is kept automatically in this browser.
        </p>
      ) : (
        <ul className="saved-list" data-testid="saved-list">
          {saved.map((m) => (
            <li key={m.name}>
              <span className="saved-name">{m.name}</span>
              <span className="muted small">
                {m.adapters} adapters · {new Date(m.savedAt).toLocaleString()}
              </span>
              <button
                type="button"
                className="btn small"
                onClick={() => void loadNamedScenario(m.name)}
              >
                Open
              </button>
              <button
                type="button"
                className="btn small ghost"
                onClick={() => void deleteNamedScenario(m.name)}
                aria-label={`Delete ${m.name}`}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="btn ghost small" onClick={resetToDefault}>
        Reset to the default scenario
      </button>
    </Section>
  );
}
