import { useId, useState } from "react";

/**
 * A number input that commits on blur / Enter. `onCommit` returns an error message (shown under
 * the field) or null. Empty input commits `undefined` when `optional`.
 */
export function NumField(props: {
  label: string;
  value: number | undefined;
  onCommit: (v: number | undefined) => string | null;
  optional?: boolean;
  placeholder?: string;
  step?: string;
  min?: number;
  max?: number;
  unit?: string;
  testid?: string;
  hint?: string;
}) {
  const id = useId();
  const [text, setText] = useState(props.value === undefined ? "" : String(props.value));
  const [err, setErr] = useState<string | null>(null);
  const [prev, setPrev] = useState(props.value);
  if (prev !== props.value) {
    // the value changed elsewhere (import, reset): show it
    setPrev(props.value);
    setText(props.value === undefined ? "" : String(props.value));
  }
  const commit = () => {
    const t = text.trim();
    if (t === "") {
      if (props.optional) {
        setErr(props.onCommit(undefined));
        return;
      }
      setErr("required");
      return;
    }
    const v = Number(t);
    if (!Number.isFinite(v)) {
      setErr("not a number");
      return;
    }
    if (v === props.value) {
      setErr(null);
      return;
    }
    setErr(props.onCommit(v));
  };
  return (
    <div className={`field${err ? " invalid" : ""}`}>
      <label htmlFor={id}>
        {props.label}
        {props.unit && <span className="unit"> ({props.unit})</span>}
      </label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        value={text}
        placeholder={props.placeholder ?? (props.optional ? "auto" : "")}
        step={props.step ?? "any"}
        min={props.min}
        max={props.max}
        data-testid={props.testid}
        aria-invalid={err ? true : undefined}
        aria-describedby={err ? `${id}-err` : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit();
        }}
      />
      {err && (
        <span className="field-error" id={`${id}-err`}>
          {err}
        </span>
      )}
      {props.hint && !err && <span className="field-hint">{props.hint}</span>}
    </div>
  );
}

export function RankPicker(props: {
  value: number[];
  onChange: (r: number[]) => void;
  label?: string;
  options?: number[];
}) {
  const opts = props.options ?? [8, 16, 32, 64, 128];
  return (
    <fieldset className="rank-picker">
      <legend>{props.label ?? "Ranks"}</legend>
      {opts.map((r) => (
        <label key={r} className="check">
          <input
            type="checkbox"
            checked={props.value.includes(r)}
            onChange={(e) =>
              props.onChange(
                e.target.checked
                  ? [...props.value, r].sort((a, b) => a - b)
                  : props.value.filter((x) => x !== r),
              )
            }
          />
          {r}
        </label>
      ))}
    </fieldset>
  );
}
