/**
 * Light fuzzing of the CLI boundary (bench only: every case spawns `tsx src/cli/main.ts`, which
 * takes about a second). Each subcommand gets scenario files (valid, broken, not JSON, empty,
 * binary, deeply nested, missing) and bad arguments. A case passes when the command either
 * succeeds (exit 0, one JSON line per file on stdout) or fails cleanly (exit code 1 or 2,
 * nothing on stdout, every stderr line a one-line JSON `{"error": …}` or a usage line, and no
 * stack trace); with `--debug` a stack trace is allowed. Commands that answer "not implemented"
 * are reported as skipped.
 */
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deepNest, fleetScenarioArb, mutate, mutationArb, singleScenarioArb } from "./arbitraries";
import { emptyStats, type BoundaryStats } from "./boundaries";

const root = join(import.meta.dirname, "..", "..");
const tsx = join(root, "node_modules", ".bin", process.platform === "win32" ? "tsx.cmd" : "tsx");
const cliMain = join(root, "src", "cli", "main.ts");

interface CliCase {
  /** file contents (undefined: pass `file` as given, e.g. a missing path) */
  content?: string | Uint8Array;
  /** extra arguments before the file */
  args: string[];
  /** the file argument, when not the temp file */
  file?: string;
  kind: string;
}

/**
 * Tiny, fast valid inputs (≤ 4 adapters, 10 s window) and what breaks them: single-GPU
 * scenarios for `twin`/`estimate`, fleet files (the app scenario without trace summary or hand
 * placement) for `plan`.
 */
function cliCaseArb(command: string): fc.Arbitrary<CliCase> {
  const tiny: fc.Arbitrary<unknown> =
    command === "plan"
      ? fleetScenarioArb({ maxAdapters: 4, bigAdapters: 4 }).map((f) => {
          const { trace: _t, placement: _p, ...rest } = structuredClone(f);
          const adapters = rest.workload.adapters.slice(0, 4).map(({ lengths: _l, ...a }) => ({
            ...a,
            rateRps: Math.min(a.rateRps, 1),
          }));
          return {
            ...rest,
            workload: {
              ...rest.workload,
              durationS: 10,
              lengths: { profile: "sharegpt" },
              adapters,
            },
          };
        })
      : singleScenarioArb().map((doc) => {
          const d = structuredClone(doc) as { workload: Record<string, unknown> };
          const adapters = (d.workload.adapters as { rateRps: number }[]).slice(0, 4);
          for (const a of adapters) a.rateRps = Math.min(a.rateRps, 1);
          d.workload = { ...d.workload, durationS: 10, adapters, lengths: { profile: "sharegpt" } };
          delete d.workload.trace;
          return d;
        });
  const fast = command === "plan" ? ["--no-baselines"] : [];
  const json = (v: unknown) => JSON.stringify(v) ?? "null";
  return fc.oneof(
    tiny.map((d) => ({ content: json(d), args: fast, kind: "valid" })),
    fc
      .tuple(tiny, fc.nat(), mutationArb(true))
      .map(([d, i, m]) => ({ content: json(mutate(d, i, m)), args: fast, kind: "mutated" })),
    fc.constantFrom<CliCase>(
      { content: "", args: [], kind: "empty file" },
      { content: "{", args: [], kind: "bad JSON" },
      { content: '{"model": 1e999}', args: [], kind: "huge number" },
      { content: "[".repeat(100_000) + "]".repeat(100_000), args: [], kind: "deep nesting" },
      {
        content: json({ model: "llama-3.1-8b-instruct", gpu: "h100-64gb", workload: deepNest(50) }),
        args: [],
        kind: "nested workload",
      },
      { content: new Uint8Array([0xff, 0xfe, 0x00, 0x01, 0x80]), args: [], kind: "binary" },
      { content: "{}", args: ["--no-such-option"], kind: "unknown option" },
      { args: [], file: join(tmpdir(), "lfp-no-such-file.json"), kind: "missing file" },
      { args: [], file: tmpdir(), kind: "directory" },
      { content: '"<img src=x onerror=alert(1)>"', args: [], kind: "string" },
    ),
  );
}

const STACK = /^\s+at .+(:\d+:\d+|\(native\))/m;

/** Why a run did not fail or succeed cleanly, or null. */
function judge(
  status: number | null,
  stdout: string,
  stderr: string,
  debug: boolean,
): { ok: boolean; why?: string } {
  if (status === 0) {
    const lines = stdout.trim().split("\n");
    const bad = lines.find((l) => {
      try {
        return typeof JSON.parse(l) !== "object";
      } catch {
        return true;
      }
    });
    return bad === undefined
      ? { ok: true }
      : { ok: false, why: `exit 0 but stdout line is not JSON: ${bad.slice(0, 120)}` };
  }
  if (status !== 1 && status !== 2)
    return { ok: false, why: `exit ${status} (signal or crash); stderr ${stderr.slice(0, 200)}` };
  if (stdout !== "")
    return { ok: false, why: `exit ${status} with output on stdout: ${stdout.slice(0, 120)}` };
  if (!debug && STACK.test(stderr))
    return { ok: false, why: `stack trace without --debug: ${stderr.slice(0, 200)}` };
  const lines = stderr.trimEnd().split("\n");
  if (!debug && lines.length !== 1)
    return { ok: false, why: `${lines.length} stderr lines: ${stderr.slice(0, 200)}` };
  const first = lines[0] ?? "";
  if (!/^usage: /.test(first)) {
    try {
      const e = JSON.parse(first) as { error?: unknown };
      if (typeof e.error !== "string" || e.error === "")
        return { ok: false, why: `stderr JSON without an error: ${first.slice(0, 200)}` };
    } catch {
      return { ok: false, why: `stderr is not a JSON error line: ${first.slice(0, 200)}` };
    }
  }
  return { ok: false };
}

export interface CliFuzzResult {
  stats: BoundaryStats[];
  skipped: string[];
}

/** Spawn each subcommand on `perCommand` generated cases. */
export function fuzzCli(perCommand: number, seed: number, timeoutMs = 120_000): CliFuzzResult {
  const dir = mkdtempSync(join(tmpdir(), "lfp-cli-fuzz-"));
  const result: CliFuzzResult = { stats: [], skipped: [] };
  try {
    for (const command of ["twin", "estimate", "plan"]) {
      const stats = emptyStats(`CLI ${command} (spawned)`);
      const cases = fc.sample(cliCaseArb(command), { numRuns: perCommand, seed });
      let notImplemented = false;
      cases.forEach((c, i) => {
        if (notImplemented) return;
        const file = c.file ?? join(dir, `case-${command}-${i}.json`);
        if (c.content !== undefined) writeFileSync(file, c.content);
        const debug = i % 10 === 9;
        const argv = [cliMain, command, ...c.args, file, ...(debug ? ["--debug"] : [])];
        const t0 = performance.now();
        const r = spawnSync(tsx, argv, {
          cwd: root,
          encoding: "utf8",
          timeout: timeoutMs,
          env: { ...process.env, NO_COLOR: "1" },
        });
        const ms = performance.now() - t0;
        if (r.stderr.includes('"not implemented"')) {
          notImplemented = true;
          return;
        }
        const verdict = judge(r.status, r.stdout, r.stderr, debug);
        stats.cases++;
        stats.maxMs = Math.max(stats.maxMs, ms);
        if (r.error || ms > timeoutMs) stats.hangs++;
        if (verdict.ok) stats.valid++;
        else if (!verdict.why) stats.rejected++;
        else {
          stats.crashes++;
          if (stats.failures.length < 5)
            stats.failures.push({
              detail: verdict.why,
              input: `${c.kind}: ${command} ${c.args.join(" ")}`,
              ms,
            });
        }
      });
      if (notImplemented) result.skipped.push(command);
      else result.stats.push(stats);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
