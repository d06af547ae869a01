import { describe, expect, it } from "vitest";
import { KNOWN_ISSUES } from "./knownIssues";

describe("known fuzz findings in other modules", () => {
  // one test for the whole list, so it also runs (and passes) when the list is empty
  it("every listed finding still reproduces (when fixed, delete it from tests/fuzz/knownIssues.ts)", () => {
    for (const issue of KNOWN_ISSUES) {
      expect(
        issue.reproduces(),
        `${issue.id} is fixed in ${issue.file}: remove it from KNOWN_ISSUES`,
      ).toBe(true);
    }
  });
});
