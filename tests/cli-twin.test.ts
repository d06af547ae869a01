/**
 * `cli twin`: output format and one-line errors for bad input. The process-level cases spawn
 * the real CLI (local tsx, no network); the rest call the dispatcher in-process.
 * Expected numbers are derived by hand from the scenario (a replayed trace with fixed lengths).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { jsonErrorOffset } from "../src/cli/files";
import { main } from "../src/cli/run";

const root = join(import.meta.dirname, "..");
const tsx = join(root, "node_modules", ".bin", process.platform === "win32" ? "tsx.cmd" : "tsx");
const cliMain = join(root, "src", "cli", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "lfp-cli-twin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [cliMain, ...args], { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

async function runInProcess(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const status = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { status, stdout, stderr };
}

/**
 * Three requests (prompt 100, output 10) at t = 0, 1, 2 s in a 10 s window, one adapter:
 * each finishes in well under a second, so by hand
 *   throughput = 3 × 110 / 10 = 33 tok/s, input 30, output 3, 0.3 req/s, ideal 33 (not starved).
 */
const valid = {
  model: "llama-3.1-8b-instruct",
  gpu: "h100-64gb",
  engine: { maxLoras: 16, maxCpuLoras: 16, maxLoraRank: 16 },
  workload: {
    durationS: 10,
    seed: 0,
    adapters: [{ id: "a0", rank: 16, rateRps: 0.3 }],
    trace: {
      arrivalS: [0, 1, 2],
      adapter: [0, 0, 0],
      promptTokens: [100, 100, 100],
      outputTokens: [10, 10, 10],
    },
  },
};

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

function withChange(change: (s: typeof valid & Record<string, unknown>) => void): unknown {
  const s = structuredClone(valid) as typeof valid & Record<string, unknown>;
  change(s);
  return s;
}

const STACK = /\n\s+at .*:\d+:\d+/;

/** Exit ≠ 0, exactly one stderr line (a JSON object naming the file), empty stdout, no stack. */
function expectOneLineError(
  r: Run,
  path: string,
  mention: RegExp,
): { error: string; field: string } {
  expect(r.status).not.toBe(0);
  expect(r.stdout).toBe("");
  expect(r.stderr.endsWith("\n")).toBe(true);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).not.toMatch(STACK);
  const e = JSON.parse(r.stderr) as { error: string; field: string; file: string };
  expect(e.error).toContain(path);
  expect(e.error).toMatch(mention);
  return e;
}

describe("cli twin (spawned process)", { concurrent: true, timeout: 60_000 }, () => {
  it("prints one JSON line with every result field for a valid file", async () => {
    const p = file("valid.json", valid);
    const r = await spawnCli(["twin", p]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as Record<string, unknown> & {
      memory: Record<string, unknown>;
      ttftMs: Record<string, number>;
      itlMs: Record<string, number>;
    };
    for (const k of [
      "throughputTokS",
      "inputThroughputTokS",
      "outputThroughputTokS",
      "requestThroughputRps",
      "arrivedRequests",
      "finishedRequests",
      "starved",
      "ttftMs",
      "itlMs",
      "memory",
      "preemptions",
      "adapterLoads",
      "extrapolated",
      "simulatedS",
      "wallMs",
    ]) {
      expect(out, k).toHaveProperty(k);
    }
    for (const k of [
      "fits",
      "reason",
      "kvCacheTokens",
      "weightsGiB",
      "loraSlotsGiB",
      "kvCacheGiB",
    ]) {
      expect(out.memory, k).toHaveProperty(k);
    }
    for (const k of ["mean", "p50", "p99"]) {
      expect(typeof out.ttftMs[k]).toBe("number");
      expect(typeof out.itlMs[k]).toBe("number");
    }
    expect(out).not.toHaveProperty("timeSeries");
    expect(out.file).toBe(p);
    expect(out.arrivedRequests).toBe(3);
    expect(out.finishedRequests).toBe(3);
    expect(out.throughputTokS).toBeCloseTo(33, 9);
    expect(out.inputThroughputTokS).toBeCloseTo(30, 9);
    expect(out.outputThroughputTokS).toBeCloseTo(3, 9);
    expect(out.requestThroughputRps).toBeCloseTo(0.3, 9);
    expect(out.starved).toBe(false);
    expect(out.simulatedS).toBe(10);
    expect(out.extrapolated).toBe(false);
    expect(out.memory.fits).toBe(true);
    expect(out.memory.reason).toBeNull();
    // vLLM reported 296000 KV tokens for Llama-3.1-8B, 16 slots of rank 16 (dt_calib_kv_capacity.csv)
    expect(Math.abs((out.memory.kvCacheTokens as number) / 296000 - 1)).toBeLessThan(0.03);
    expect(out.adapterLoads).toBe(1);
    expect(out.preemptions).toBe(0);
  });

  it("rejects bad JSON naming the file and the position", async () => {
    const p = file("bad.json", '{"model": "llama-3.1-8b-instruct",\n  "gpu": }');
    const e = expectOneLineError(await spawnCli(["twin", p]), p, /invalid JSON.*line 2/);
    expect(e.field).toBe("");
  });

  it("rejects an unknown model and lists the valid ids", async () => {
    const p = file(
      "model.json",
      withChange((s) => (s.model = "gpt-4")),
    );
    const e = expectOneLineError(
      await spawnCli(["twin", p]),
      p,
      /model.*"gpt-4".*llama-3\.1-8b-instruct.*qwen-2\.5-7b-instruct.*llama-2-13b/,
    );
    expect(e.field).toBe("model");
  });

  it("rejects a rank vLLM does not allow, listing the allowed ranks", async () => {
    const p = file(
      "rank.json",
      withChange((s) => (s.workload.adapters[0]!.rank = 12)),
    );
    const e = expectOneLineError(await spawnCli(["twin", p]), p, /rank.*8, 16, 32, 64/);
    expect(e.field).toBe("workload.adapters[0].rank");
  });

  it("rejects a request rate of zero or below", async () => {
    const p = file(
      "rate.json",
      withChange((s) => (s.workload.adapters[0]!.rateRps = 0)),
    );
    const e = expectOneLineError(await spawnCli(["twin", p]), p, /rateRps.*>\s*0/);
    expect(e.field).toBe("workload.adapters[0].rateRps");
  });

  it("rejects a missing file", async () => {
    const p = join(dir, "does-not-exist.json");
    expectOneLineError(await spawnCli(["twin", p]), p, /no such file/);
  });

  it("rejects duplicate adapter ids", async () => {
    const p = file(
      "dup.json",
      withChange((s) => s.workload.adapters.push({ id: "a0", rank: 8, rateRps: 1 })),
    );
    const e = expectOneLineError(await spawnCli(["twin", p]), p, /duplicate adapter id "a0"/);
    expect(e.field).toBe("workload.adapters[1].id");
  });

  it("reads a scenario from stdin with -", async () => {
    const r = await spawnCli(["twin", "-"], JSON.stringify(valid));
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { file: string; finishedRequests: number };
    expect(out.file).toBe("<stdin>");
    expect(out.finishedRequests).toBe(3);
  });

  it("prints a stack trace only with --debug", async () => {
    const p = file(
      "debug.json",
      withChange((s) => (s.gpu = "tpu-v5")),
    );
    const r = await spawnCli(["twin", p, "--debug"]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(STACK);
    expect(JSON.parse(r.stderr.split("\n")[0]!)).toMatchObject({ field: "gpu" });
  });
});

describe("cli twin (in-process)", () => {
  it("prints the valid files of a mixed batch in order and exits 1 at the end", async () => {
    const a = file("mix-a.json", valid);
    const bad = file(
      "mix-bad.json",
      withChange((s) => (s.engine.maxLoraRank = 12)),
    );
    const b = file(
      "mix-b.json",
      withChange((s) => (s.workload.durationS = 5)),
    );
    const r = await runInProcess(["twin", a, bad, b]);
    expect(r.status).toBe(1);
    const lines = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { file: string; simulatedS: number });
    expect(lines.map((l) => l.file)).toEqual([a, b]);
    expect(lines.map((l) => l.simulatedS)).toEqual([10, 5]);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ file: bad, field: "engine.maxLoraRank" });
    expect(r.stderr).toMatch(/8, 16, 32/);
  });

  it("includes the time series only with --timeseries", async () => {
    const p = file("ts.json", valid);
    const r = await runInProcess(["twin", "--timeseries", p]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { timeSeries: unknown[] };
    expect(Array.isArray(out.timeSeries)).toBe(true);
    expect(out.timeSeries.length).toBeGreaterThan(0);
    expect(out.timeSeries.length).toBeLessThanOrEqual(500);
  });

  it("reports a server that does not fit in memory as a valid result", async () => {
    // dt_calib_kv_capacity.csv: Llama-3.1-8B with 256 slots of rank 32 fails with CUDA OOM.
    const p = file(
      "oom.json",
      withChange((s) => {
        s.engine = { maxLoras: 256, maxCpuLoras: 256, maxLoraRank: 32 };
      }),
    );
    const r = await runInProcess(["twin", p]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      memory: { fits: boolean; reason: string };
      throughputTokS: number;
      finishedRequests: number;
      arrivedRequests: number;
    };
    expect(out.memory.fits).toBe(false);
    expect(out.memory.reason).toMatch(/out of memory/i);
    expect(out.throughputTokS).toBe(0);
    expect(out.finishedRequests).toBe(0);
    expect(out.arrivedRequests).toBe(3);
  });

  it("rejects a scenario-level unknown key, empty files and directories in one line each", async () => {
    const extra = file(
      "extra.json",
      withChange((s) => (s.flavour = "vanilla")),
    );
    const empty = file("empty.json", "");
    const r = await runInProcess(["twin", extra, empty, dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const errs = r.stderr
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { error: string });
    expect(errs).toHaveLength(3);
    expect(errs[0]!.error).toMatch(/extra\.json: .*flavour/);
    expect(errs[1]!.error).toMatch(/empty\.json: invalid JSON/);
    expect(errs[2]!.error).toMatch(/directory/);
  });

  it("rejects unknown options and a missing file argument with exit code 2", async () => {
    const unknown = await runInProcess(["twin", "--fast", file("opt.json", valid)]);
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/unknown option --fast; allowed: --timeseries/);
    const none = await runInProcess(["twin"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no scenario file/);
    expect(none.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("prints usage on stdout with --help", async () => {
    const r = await runInProcess(["twin", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: lfp twin/);
  });
});

describe("jsonErrorOffset", () => {
  it("finds the first syntax error where a reader would look for it", () => {
    expect(jsonErrorOffset('{"a": 1}')).toBe(-1);
    expect(jsonErrorOffset('{"a":\n 1,}')).toBe(9); // the "}" after the trailing comma
    expect(jsonErrorOffset("[1, 2")).toBe(5); // end of input
    expect(jsonErrorOffset('{"a": tru}')).toBe(9);
    expect(jsonErrorOffset("01")).toBe(1);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
    expect(jsonErrorOffset('"\\u12g4"')).toBe(5);
  });

  it("agrees with JSON.parse on what is valid", () => {
    const valid = (s: string) => {
      try {
        JSON.parse(s);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.jsonValue(), (v) => jsonErrorOffset(JSON.stringify(v, null, 1)) === -1),
    );
    const jsonish = fc.stringMatching(/^[[\]{}",:0-9.eE+\- tfrulnas\\]{0,12}$/);
    fc.assert(
      fc.property(jsonish, (s) => (jsonErrorOffset(s) === -1) === valid(s)),
      { numRuns: 3000 },
    );
  });
});
