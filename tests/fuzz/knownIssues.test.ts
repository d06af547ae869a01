import { describe, expect, it } from "vitest";
import { KNOWN_ISSUES } from "./knownIssues";

describe("known fuzz findings in other modules", () => {
  it.each(KNOWN_ISSUES.map((k) => [k.id, k] as const))(
    "%s still reproduces (when fixed, delete it from tests/fuzz/knownIssues.ts)",
    (_id, issue) => {
      expect(
        issue.reproduces(),
        `${issue.id} is fixed in ${issue.file}: remove it from KNOWN_ISSUES`,
      ).toBe(true);
    },
  );
});
