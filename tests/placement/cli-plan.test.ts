/**
 * `cli plan`: one JSON object on stdout for a good fleet file; one stderr line naming the
 * field for a bad one (exit 1, no stack trace unless --debug); trace import of malformed
 * files (clear errors, skipped rows counted).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/run";
import { fleetRequestFromFile, parseFleetFile } from "../../src/core/placement/fleetSchema";
import { InputError } from "../../src/core/scenario/errors";

const root = join(import.meta.dirname, "..", "..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const cliMain = join(root, "src", "cli", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "lfp-plan-"));

function cli(...args: string[]) {
  return spawnSync(tsx, [cliMain, "plan", ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
  });
}

/** Run the CLI in this process (fast: no tsx start-up). */
async function cliIn(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await main(["plan", ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { status, stdout, stderr };
}

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

const STACK = /\bat .*\(.*:\d+:\d+\)/;

const TRACE_OK = [
  "arrived_at,num_prefill_tokens,num_decode_tokens",
  ...Array.from({ length: 60 }, (_, i) => `${(i * 0.5).toFixed(2)},${100 + i},${50 + i}`),
].join("\n");

describe("cli plan", () => {
  it("prints one JSON object with the plan's shape", () => {
    const f = file("small.json", {
      model: "llama-3.1-8b-instruct",
      gpuTypes: [{ gpu: "h100-64gb", costPerHour: 3 }],
      workload: {
        durationS: 60,
        adapters: [
          { id: "a0", rank: 8, rateRps: 2 },
          { id: "a1", rank: 16, rateRps: 1 },
          { id: "weird id; $(x)", rank: 32, rateRps: 0.5 },
        ],
      },
    });
    const r = cli(f, "--window", "30", "--jobs", "2");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const plan = JSON.parse(lines[0]!);
    for (const k of ["gpuCount", "costPerHour", "lowerBoundGpus", "starvedGpus", "wallMs"]) {
      expect(typeof plan[k], k).toBe("number");
    }
    expect(plan.gpus.length).toBe(plan.gpuCount);
    const g = plan.gpus[0];
    for (const k of ["gpu", "engine", "adapters", "estimate", "verified", "problem", "vllmArgs"]) {
      expect(g, k).toHaveProperty(k);
    }
    for (const k of ["maxLoras", "maxCpuLoras", "maxLoraRank"])
      expect(g.engine, k).toHaveProperty(k);
    expect(g.vllmArgs.startsWith("--enable-lora --max-loras ")).toBe(true);
    for (const name of [
      "round-robin",
      "least-loaded",
      "loraserve",
      "first-fit-memory",
      "paper-greedy",
    ]) {
      expect(plan.baselines[name], name).toMatchObject({
        gpuCount: expect.any(Number),
        starvedGpus: expect.any(Number),
      });
    }
  }, 120_000);

  it("reports a bad field on one stderr line, exit 1, no stack trace (stack with --debug)", async () => {
    const f = file("bad.json", {
      model: "llama-3.1-8b-instruct",
      gpuTypes: [{ gpu: "h100-64gb", costPerHour: 0 }],
      workload: { adapters: [{ id: "a", rank: 8, rateRps: 1 }] },
    });
    const r = await cliIn(f);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    const e = JSON.parse(lines[0]!);
    expect(e.field).toBe("gpuTypes[0].costPerHour");
    expect(e.error).toMatch(/gpuTypes\[0\]\.costPerHour: must be > 0 \(got 0\)/);
    expect(r.stderr).not.toMatch(STACK);
    const d = await cliIn(f, "--debug");
    expect(d.status).toBe(1);
    expect(d.stderr).toMatch(STACK);
  }, 60_000);

  it("--estimator surrogate needs a trained model for every offered GPU type", async () => {
    const f = file("sur.json", {
      model: "llama-3.1-8b-instruct",
      gpuTypes: [{ gpu: "l4" }],
      workload: { adapters: [{ id: "a", rank: 8, rateRps: 1 }] },
    });
    const r = await cliIn(f, "--estimator", "surrogate", "--models", dir);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stderr).field).toBe("gpuTypes[0].gpu");
    expect(r.stderr).toMatch(/no surrogate model for llama-3.1-8b-instruct on l4/);
    expect((await cliIn(f, "--estimator", "magic")).status).toBe(2);
  });

  it("refuses bad arguments with exit 2", async () => {
    expect((await cliIn()).status).toBe(2);
    expect((await cliIn("a.json", "b.json")).status).toBe(2);
    expect((await cliIn("a.json", "--jobs", "zero")).status).toBe(2);
    expect((await cliIn("a.json", "--frobnicate")).status).toBe(2);
  });

  it("names a missing trace file and an unreadable trace", async () => {
    const missing = file("t1.json", {
      model: "llama-3.1-8b-instruct",
      gpuTypes: [{ gpu: "h100-64gb" }],
      trace: { path: "nope.csv", adapters: 5 },
    });
    const r = await cliIn(missing);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stderr).field).toBe("trace.path");
    expect(r.stderr).toMatch(/no such file/);
    file("garbage.csv", "foo,bar\n1,2\n");
    const garbage = file("t2.json", {
      model: "llama-3.1-8b-instruct",
      gpuTypes: [{ gpu: "h100-64gb" }],
      trace: { path: "garbage.csv", adapters: 5 },
    });
    const g = await cliIn(garbage);
    expect(g.status).toBe(1);
    expect(g.stderr.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(g.stderr).error).toMatch(/trace: line 1: unknown header "foo,bar"/);
  }, 60_000);
});

describe("fleet file with a trace", () => {
  const base = {
    model: "llama-3.1-8b-instruct",
    gpuTypes: [{ gpu: "h100-64gb" }],
    trace: { path: "t.csv", adapters: 8, ranks: [8, 32], rateScale: 2 },
  };

  it("maps the trace onto adapters, replays it, and fits the lengths", () => {
    const { request, trace } = fleetRequestFromFile(parseFleetFile(base), TRACE_OK);
    expect(request.workload.adapters).toHaveLength(8);
    expect(request.workload.adapters.map((a) => a.rank)).toEqual([8, 32, 8, 32, 8, 32, 8, 32]);
    expect(request.workload.trace!.arrivalS).toHaveLength(60);
    expect(request.workload.lengths!.profile).toBe("empirical");
    expect(trace!.rows).toBe(60);
    expect(trace!.skippedRows).toBe(0);
    // rateScale 2 halves the span
    expect(request.workload.durationS!).toBeLessThan(16);
  });

  it("skips and counts malformed rows, naming the first ones", () => {
    const csv = [
      "arrived_at,num_prefill_tokens,num_decode_tokens",
      "0,10,10",
      "1,abc,10",
      "2,10",
      "3,-5,10",
      "4,10,2.5",
      '5,"10,10',
      "6,10,10",
    ].join("\n");
    const { trace, request } = fleetRequestFromFile(parseFleetFile(base), csv);
    expect(trace!.rows).toBe(6);
    expect(trace!.skippedRows).toBeGreaterThanOrEqual(4);
    expect(trace!.skipped.firstMessages[0]).toMatch(
      /^line 3, column "num_prefill_tokens": not a number/,
    );
    expect(request.workload.trace!.arrivalS.length).toBe(trace!.rows - trace!.skippedRows);
  });

  it("stops at the first bad row with onBadRow: error", () => {
    const f = parseFleetFile({ ...base, trace: { ...base.trace, onBadRow: "error" } });
    expect(() =>
      fleetRequestFromFile(f, "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,x,1\n"),
    ).toThrow(/^trace: line 3, column "num_prefill_tokens": not a number/);
  });

  it("gives clear errors for unusable traces", () => {
    const f = parseFleetFile(base);
    const err = (text: string) => {
      try {
        fleetRequestFromFile(f, text);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as InputError).message;
      }
      throw new Error("no error");
    };
    expect(err("")).toMatch(/^trace: the file has no header/);
    expect(err("arrived_at,num_prefill_tokens,num_decode_tokens\n")).toMatch(
      /^trace: no usable request/,
    );
    expect(err("arrived_at,num_prefill_tokens,num_decode_tokens\nx,y,z\n")).toMatch(
      /^trace: no usable request .*1 skipped; first: line 2/,
    );
    const wide = parseFleetFile({ ...base, trace: { ...base.trace, rateScale: 1e-6 } });
    expect(() => fleetRequestFromFile(wide, TRACE_OK)).toThrow(/^trace\.rateScale: /);
  });

  it("refuses a fleet file with both adapters and a trace, or neither", () => {
    expect(() =>
      parseFleetFile({ ...base, workload: { adapters: [{ id: "a", rank: 8, rateRps: 1 }] } }),
    ).toThrow(/^trace: give either workload.adapters or trace, not both/);
    expect(() => parseFleetFile({ model: base.model, gpuTypes: base.gpuTypes })).toThrow(
      /^workload\.adapters: is missing/,
    );
    expect(() => parseFleetFile({ ...base, trace: { ...base.trace, ranks: [7] } })).toThrow(
      /^trace\.ranks\[0\]: must be one of vLLM's LoRA ranks/,
    );
  });
});
