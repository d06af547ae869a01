/**
 * Fuzz findings in modules this suite does not own, still open. Each entry matches its
 * failures narrowly (boundary + message shape) so the bounded `npm test` run stays green while
 * it is open, and carries a minimal reproduction: `knownIssues.test.ts` fails as soon as the
 * reproduction stops failing, so a fixed issue must be deleted here (and can never hide a new
 * one). `npm run bench:fuzz` counts matches in its "known" column and exits non-zero on them
 * unless `--allow-known` is given.
 */
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

export const KNOWN_ISSUES: readonly KnownIssue[] = [];

/** The known issue a failure belongs to, if any. */
export function knownIssueOf(boundary: string, detail: string): KnownIssue | undefined {
  return KNOWN_ISSUES.find((k) => k.matches(boundary, detail));
}
