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

export const KNOWN_ISSUES: readonly KnownIssue[] = [
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
];

/** The known issue a failure belongs to, if any. */
export function knownIssueOf(boundary: string, detail: string): KnownIssue | undefined {
  return KNOWN_ISSUES.find((k) => k.matches(boundary, detail));
}
