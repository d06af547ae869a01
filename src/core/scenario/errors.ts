import type { z } from "zod";

/**
 * Bad input from a user (file, URL, CLI argument, message into a worker).
 * `field` is a dotted path such as `workload.adapters[3].rank` ("" for the whole input);
 * `message` is one line that names the field and what is allowed. Never thrown for bugs.
 */
export class InputError extends Error {
  readonly field: string;
  constructor(field: string, detail: string) {
    super(field ? `${field}: ${detail}` : detail);
    this.name = "InputError";
    this.field = field;
  }
}

/** `["workload", "adapters", 3, "rank"]` → `workload.adapters[3].rank`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * A user-supplied value quoted in a one-line message: JSON-escaped (no newlines), cut to
 * `max` characters with an ellipsis.
 */
export function quote(value: unknown, max = 40): string {
  if (typeof value === "number") return String(value);
  const s = JSON.stringify(typeof value === "string" ? value : String(value)) ?? '""';
  return s.length <= max ? s : `${s.slice(0, max - 2)}…"`;
}

/**
 * Turn the first issue of a failed zod parse into an {@link InputError} (one line;
 * a count of further issues is appended so the user knows there is more to fix).
 * An issue about the whole input is reported on the field `root` (e.g. "scenario").
 */
export function inputErrorFromZod(error: z.ZodError, prefix = "", root = "scenario"): InputError {
  const [first] = error.issues;
  if (!first) return new InputError(prefix || root, "invalid input");
  const path = formatPath([...(prefix ? [prefix] : []), ...first.path]) || root;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more issue(s))` : "";
  return new InputError(path, `${first.message}${more}`);
}
