/**
 * Versioned documents (the app's fleet scenario, in a URL or an imported JSON file).
 *
 * Every saved or shared scenario carries `version`. A document older than this build is
 * migrated step by step (v1 → v2 → … → current), each step a pure function registered below;
 * a newer one is refused politely ("created by a newer planner"). Version 1 is the first
 * published format, so the fleet registry has no step yet: the first format change adds
 * `1: { describe, migrate }` here and bumps `FLEET_SCENARIO_VERSION`, nothing else.
 */
import { InputError } from "./errors";

/** Current version of the app's fleet scenario format (`FleetScenario.version`, the URL's `#vN.`). */
export const FLEET_SCENARIO_VERSION = 1;

/** One step: turns a version-`from` document into a version-`from + 1` one. */
export interface MigrationStep {
  /** one line shown to the user, e.g. "renamed workload.rate to workload.adapters[].rateRps" */
  describe: string;
  /** must not mutate its input; receives a plain object whose `version` is `from` */
  migrate: (doc: Record<string, unknown>) => Record<string, unknown>;
}

export interface MigrationRegistry {
  /** what the documents are, for messages ("scenario") */
  what: string;
  /** the version this build writes and reads natively */
  current: number;
  /** step from version k to k + 1, keyed by k; a gap means versions below it are unsupported */
  steps: Readonly<Record<number, MigrationStep>>;
}

/** The app's fleet scenario formats. No step yet: v1 is the first format. */
export const FLEET_MIGRATIONS: MigrationRegistry = {
  what: "scenario",
  current: FLEET_SCENARIO_VERSION,
  steps: {},
};

export interface MigrationResult {
  /** the document at `registry.current` (unchanged when it already was; never the input object when migrated) */
  doc: unknown;
  /** the version it was written in */
  from: number;
  /** one line per applied step, e.g. "migrated from v1 to v2: …" */
  notes: string[];
}

/** The oldest version this registry can still read. */
export function oldestReadableVersion(registry: MigrationRegistry): number {
  let v = registry.current;
  while (registry.steps[v - 1]) v--;
  return v;
}

/**
 * Check a version number against the registry (used for the URL's `#vN.` prefix and a
 * document's `version` field).
 * @throws InputError (field `version`) when it is not a positive integer, newer than this
 *   build ("created by a newer planner (vN); this one reads up to vM"), or older than the
 *   oldest migratable version.
 */
export function checkVersion(
  version: unknown,
  registry: MigrationRegistry = FLEET_MIGRATIONS,
): number {
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    const shown =
      typeof version === "string" ? JSON.stringify(version.slice(0, 20)) : String(version);
    throw new InputError(
      "version",
      `must be ${registry.current === 1 ? "1" : `an integer from 1 to ${registry.current}`} (got ${typeof version === "object" && version !== null ? "an object" : shown})`,
    );
  }
  if (version > registry.current) {
    throw new InputError(
      "version",
      `this ${registry.what} was created by a newer planner (v${version}); this one reads up to v${registry.current} — open it with an up-to-date planner`,
    );
  }
  const oldest = oldestReadableVersion(registry);
  if (version < oldest) {
    throw new InputError(
      "version",
      `this ${registry.what} is in format v${version}, which this planner no longer reads (it reads v${oldest} to v${registry.current})`,
    );
  }
  return version;
}

/**
 * Bring a parsed document to the current version. Non-objects and documents without a
 * `version` are returned as they are (treated as current; the schema then judges them).
 * @throws InputError (field `version`) as {@link checkVersion}, or when a step fails
 */
export function migrateDocument(
  doc: unknown,
  registry: MigrationRegistry = FLEET_MIGRATIONS,
): MigrationResult {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc) || !("version" in doc)) {
    return { doc, from: registry.current, notes: [] };
  }
  const from = checkVersion((doc as { version: unknown }).version, registry);
  let current = doc as Record<string, unknown>;
  const notes: string[] = [];
  for (let v = from; v < registry.current; v++) {
    const step = registry.steps[v]!; // checkVersion guarantees the chain is complete
    let next: Record<string, unknown>;
    try {
      next = step.migrate(current);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(
        "version",
        `could not migrate this ${registry.what} from v${v} to v${v + 1}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
      );
    }
    current = { ...next, version: v + 1 };
    notes.push(`migrated from v${v} to v${v + 1}: ${step.describe}`);
  }
  return { doc: current, from, notes };
}
