import { describe, expect, it } from "vitest";
import { InputError } from "./errors";
import {
  checkVersion,
  FLEET_MIGRATIONS,
  FLEET_SCENARIO_VERSION,
  migrateDocument,
  oldestReadableVersion,
  type MigrationRegistry,
} from "./migrate";

/** A made-up history: v1 had `rate`, v2 renamed it `rateRps`, v3 added `objective`. */
const registry: MigrationRegistry = {
  what: "scenario",
  current: 3,
  steps: {
    1: {
      describe: "renamed rate to rateRps",
      migrate: ({ rate, ...rest }) => ({ ...rest, rateRps: rate }),
    },
    2: {
      describe: 'added objective "min-cost"',
      migrate: (doc) => ({ ...doc, objective: "min-cost" }),
    },
  },
};

function thrown(f: () => unknown): InputError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

describe("migrateDocument", () => {
  it("chains every step from an old version to the current one, without mutating the input", () => {
    const v1 = Object.freeze({ version: 1, rate: 0.5 });
    const r = migrateDocument(v1, registry);
    expect(r.doc).toEqual({ version: 3, rateRps: 0.5, objective: "min-cost" });
    expect(r.from).toBe(1);
    expect(r.notes).toEqual([
      "migrated from v1 to v2: renamed rate to rateRps",
      'migrated from v2 to v3: added objective "min-cost"',
    ]);
    expect(v1).toEqual({ version: 1, rate: 0.5 });
  });

  it("starts in the middle of the chain", () => {
    expect(migrateDocument({ version: 2, rateRps: 1 }, registry).doc).toEqual({
      version: 3,
      rateRps: 1,
      objective: "min-cost",
    });
  });

  it("returns current documents, documents without a version and non-objects unchanged", () => {
    const cur = { version: 3, x: 1 };
    expect(migrateDocument(cur, registry)).toEqual({ doc: cur, from: 3, notes: [] });
    expect(migrateDocument({ x: 1 }, registry).doc).toEqual({ x: 1 });
    for (const v of [null, 5, "s", [1]]) expect(migrateDocument(v, registry).doc).toBe(v);
  });

  it("refuses a newer version politely", () => {
    const e = thrown(() => migrateDocument({ version: 4 }, registry));
    expect(e.field).toBe("version");
    expect(e.message).toBe(
      "version: this scenario was created by a newer planner (v4); this one reads up to v3 — open it with an up-to-date planner",
    );
  });

  it("refuses versions older than the chain reaches, and non-integers", () => {
    const gap: MigrationRegistry = { ...registry, steps: { 2: registry.steps[2]! } };
    expect(oldestReadableVersion(gap)).toBe(2);
    expect(thrown(() => migrateDocument({ version: 1 }, gap)).message).toMatch(
      /format v1, which this planner no longer reads \(it reads v2 to v3\)/,
    );
    for (const v of [0, -1, 1.5, NaN, Infinity, "1", null, {}, 2 ** 60]) {
      const e = thrown(() => checkVersion(v, registry));
      expect(e.field).toBe("version");
      expect(e.message).toMatch(/^version: must be an integer from 1 to 3 \(got .*\)$/);
    }
  });

  it("turns a failing step into an InputError naming the step", () => {
    const bad: MigrationRegistry = {
      what: "scenario",
      current: 2,
      steps: {
        1: {
          describe: "x",
          migrate: () => {
            throw new TypeError("boom\nsecond line");
          },
        },
      },
    };
    expect(thrown(() => migrateDocument({ version: 1 }, bad)).message).toBe(
      "version: could not migrate this scenario from v1 to v2: boom",
    );
  });

  it("the fleet registry is at v1, the first format, with no steps", () => {
    expect(FLEET_SCENARIO_VERSION).toBe(1);
    expect(FLEET_MIGRATIONS.current).toBe(1);
    expect(oldestReadableVersion(FLEET_MIGRATIONS)).toBe(1);
    expect(thrown(() => checkVersion(2)).message).toMatch(
      /newer planner \(v2\); this one reads up to v1/,
    );
    expect(thrown(() => checkVersion(0)).message).toBe("version: must be 1 (got 0)");
  });
});
