/**
 * Fuzz findings in modules this suite does not own, still open. Each entry matches its
 * failures narrowly (boundary + message shape) so the bounded `npm test` run stays green while
 * it is open, and carries a minimal reproduction: `knownIssues.test.ts` fails as soon as the
 * reproduction stops failing, so a fixed issue must be deleted here (and can never hide a new
 * one). `npm run bench:fuzz` counts matches in its "known" column and exits non-zero on them
 * unless `--allow-known` is given.
 */
import { InputError } from "../../src/core/scenario/errors";
import { parseFleetFile, parseFleetRequest } from "../../src/core/placement/fleetSchema";
import { loadScenario } from "../../src/core/scenario/resolve";
import { parseTraceCsv } from "../../src/core/workload/trace";
import { unclearReason } from "./boundaries";

export interface KnownIssue {
  id: string;
  /** where the fix belongs */
  file: string;
  what: string;
  /** does this failure (boundary name, crash detail) belong to this issue? */
  matches: (boundary: string, detail: string) => boolean;
  /** true while the issue still reproduces */
  reproduces: () => boolean;
}

const SCENARIO = "scenario (loadScenario)";
const TRACE = "trace CSV (parseTraceCsv)";
const FLEET_FILE = "fleet file (parseFleetFile + fleetRequestFromFile)";
const FLEET_REQUEST = "plan request (parseFleetRequest)";

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
}

const valid = {
  model: "llama-3.1-8b-instruct",
  gpu: "h100-64gb",
  workload: { adapters: [{ id: "a", rank: 8, rateRps: 1 }] },
};

export const KNOWN_ISSUES: readonly KnownIssue[] = [
  {
    id: "scenario-root-field",
    file: "src/core/scenario/errors.ts (inputErrorFromZod)",
    what: 'issues at the root (input not an object; unknown top-level key) give an InputError with field "" (message "Invalid input: expected object, received number" names no field); use e.g. "scenario" for the empty path',
    matches: (b, d) => b === SCENARIO && d.startsWith("InputError without a field: "),
    reproduces: () => (errorOf(() => loadScenario(5)) as InputError | undefined)?.field === "",
  },
  {
    id: "scenario-echoes-long-ids",
    file: "src/core/scenario/schema.ts (modelId/gpuId refine messages)",
    what: "unknown model/GPU messages echo the whole input string (a 100 KB id gives a 100 KB message); truncate the echoed value (~40 chars)",
    matches: (b, d) =>
      b === SCENARIO && /^message of \d+ characters: (model|gpu): unknown (model|GPU) "/.test(d),
    reproduces: () =>
      unclearReason(errorOf(() => loadScenario({ ...valid, model: "x".repeat(1000) }))) !== null,
  },
  {
    id: "scenario-duplicate-id-newline",
    file: "src/core/scenario/schema.ts (WorkloadSchema duplicate-id message)",
    what: 'the duplicate adapter id message embeds the raw id (`"${a.id}"`), so an id with a newline gives a multi-line message; use JSON.stringify(id) (and truncate)',
    matches: (b, d) =>
      b === SCENARIO && d.startsWith("multi-line message: ") && d.includes("duplicate adapter id"),
    reproduces: () => {
      const a = { id: "x\ny", rank: 8, rateRps: 1 };
      const e = errorOf(() => loadScenario({ ...valid, workload: { adapters: [a, a] } }));
      return unclearReason(e)?.startsWith("multi-line") ?? false;
    },
  },
  {
    id: "fleet-file-root-field",
    file: "src/core/placement/fleetSchema.ts (parseFleetFile, parseFleetRequest: formatPath of the root path)",
    what: 'issues at the root (input not an object; an unknown top-level key of a plan request) give an InputError with field "" ("must be an object (got 5)" names no field); use e.g. "fleet" / "request" for the empty path',
    matches: (b, d) =>
      (b === FLEET_FILE || b === FLEET_REQUEST) && d.startsWith("InputError without a field: "),
    reproduces: () =>
      (errorOf(() => parseFleetFile(5)) as InputError | undefined)?.field === "" ||
      (errorOf(() => parseFleetRequest(null)) as InputError | undefined)?.field === "",
  },
  {
    id: "trace-echoes-long-cells",
    file: "src/core/workload/trace.ts (unknown-header and bad-cell messages)",
    what: "messages echo the whole header line or cell (a 1 MB cell gives a 1 MB error/skipped-row message); truncate echoed text (~40 chars)",
    matches: (b, d) =>
      b === TRACE &&
      (/^strict mode: message of \d+ characters: trace: line \d+/.test(d) ||
        d.startsWith("unclear skipped-row message: ")),
    reproduces: () => {
      const long = "9".repeat(2000);
      const e = errorOf(() => parseTraceCsv(`${long},a,b\n`));
      return unclearReason(e) !== null;
    },
  },
  {
    id: "trace-infinite-arrival",
    file: "src/core/workload/trace.ts (readRow, processed form)",
    what: 'an arrived_at cell such as "1e400" passes the DECIMAL check and becomes arrival Infinity (accepted, not skipped); reject non-finite values as "not a number"',
    matches: (b, d) => b === TRACE && /^arrival \d+ is -?Infinity$/.test(d),
    reproduces: () => {
      const r = parseTraceCsv(
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1e400,5,5\n",
      );
      return r.requests.arrivalS.some((t) => !Number.isFinite(t));
    },
  },
];

/** The known issue a failure belongs to, if any. */
export function knownIssueOf(boundary: string, detail: string): KnownIssue | undefined {
  return KNOWN_ISSUES.find((k) => k.matches(boundary, detail));
}
