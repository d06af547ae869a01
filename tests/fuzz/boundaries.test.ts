/**
 * Bounded fuzzing of every input boundary (part of `npm test`): FUZZ_CASES cases per boundary
 * (default 200), seed FUZZ_SEED (default fixed, so the run is reproducible; set it to explore).
 * Each case must give a valid result or a clear InputError naming its field, within 1 s.
 * The large run is `npm run bench:fuzz`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fleetBoundary,
  fleetFileBoundary,
  fleetRequestBoundary,
  roundTripBoundary,
  runCase,
  scenarioBoundary,
  traceBoundary,
  urlBoundary,
  type Boundary,
} from "./boundaries";
import { knownIssueOf } from "./knownIssues";

const CASES = Number(process.env.FUZZ_CASES ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const HANG_MS = 1000;
const SIZES = { longLineChars: 1_000_000, bigAdapters: 600 };

function fuzz<T>(b: Boundary<T>): void {
  let maxMs = 0;
  let slowest = "";
  fc.assert(
    fc.property(b.arbitrary, (input) => {
      const r = runCase(b, input);
      if (r.ms > maxMs) {
        maxMs = r.ms;
        slowest = (b.describe ?? String)(input);
      }
      if (r.outcome === "crash" && !knownIssueOf(b.name, r.detail ?? "")) {
        throw new Error(`${b.name}: ${r.detail}`);
      }
      if (r.ms > HANG_MS) throw new Error(`${b.name}: a case took ${r.ms.toFixed(0)} ms`);
    }),
    { numRuns: CASES, seed: SEED },
  );
  expect(maxMs, `slowest case: ${slowest.slice(0, 200)}`).toBeLessThan(HANG_MS);
}

describe(`fuzz (${CASES} cases per boundary, seed ${SEED})`, () => {
  it("scenario files (loadScenario)", () => fuzz(scenarioBoundary()), 60_000);
  it(
    "plan fleet files (parseFleetFile + fleetRequestFromFile)",
    () => fuzz(fleetFileBoundary()),
    60_000,
  );
  it("plan worker messages (parseFleetRequest)", () => fuzz(fleetRequestBoundary()), 60_000);
  it("fleet scenarios (parseFleetScenario)", () => fuzz(fleetBoundary(SIZES)), 60_000);
  it("URL hashes (decodeScenarioFromHash)", () => fuzz(urlBoundary(SIZES)), 60_000);
  it("trace CSVs (parseTraceCsv), 1 MB lines included", () => fuzz(traceBoundary(SIZES)), 60_000);
  it("round trips: decode(encode(s)) deep-equals s", () => fuzz(roundTripBoundary(SIZES)), 60_000);
});
