import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli/commands/estimate";
import { initBackend } from "../src/core/surrogate/backend";
import { writeArtifacts } from "../src/core/surrogate/node";
import { syntheticDataset } from "../src/core/surrogate/testing";
import { trainSurrogate } from "../src/core/surrogate/train";

let dir: string;
let models: string;

beforeAll(async () => {
  tf.enableProdMode();
  await initBackend({ force: "cpu" });
  const r = await trainSurrogate(syntheticDataset(80), {
    epochs: 3,
    hidden: [8],
    validateEvery: 1,
  });
  dir = mkdtempSync(join(tmpdir(), "lfp-estimate-"));
  models = join(dir, "models");
  mkdirSync(models);
  await writeArtifacts(join(models, "llama-3.1-8b-instruct__h100-64gb"), r.artifacts);
  r.surrogate.dispose();
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function scenario(extra: Record<string, unknown> = {}) {
  return {
    model: "llama-3.1-8b-instruct",
    gpu: "h100-64gb",
    engine: { maxLoras: 4, maxCpuLoras: 8, maxLoraRank: 16, maxModelLen: 4096 },
    workload: {
      durationS: 300,
      adapters: Array.from({ length: 8 }, (_, i) => ({ id: `a${i}`, rank: 16, rateRps: 0.5 })),
    },
    ...extra,
  };
}

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

async function cli(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run(["--models", models, "--backend", "cpu", ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

describe("cli estimate", () => {
  it("prints one JSON line per scenario in the documented shape", async () => {
    const a = file("a.json", scenario());
    const b = file(
      "b.json",
      scenario({ gpu: "h100-64gb", engine: { maxLoras: 8, maxCpuLoras: 8, maxModelLen: 4096 } }),
    );
    const r = await cli(a, b);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(Object.keys(lines[0])).toEqual([
      "file",
      "source",
      "throughputTokS",
      "starvedProbability",
      "starved",
      "itlMs",
      "ttftMs",
      "memory",
      "outOfDistribution",
      "backend",
      "wallUs",
    ]);
    expect(lines[0].file).toBe(a);
    expect(lines[0].source).toBe("surrogate");
    expect(lines[0].backend).toBe("cpu");
    expect(Object.keys(lines[0].itlMs)).toEqual(["mean", "p99"]);
    expect(Object.keys(lines[0].memory)).toEqual(["fits", "kvCacheTokens"]);
    expect(lines[0].memory.fits).toBe(true);
    expect(lines[0].wallUs).toBeGreaterThan(0);
  });

  it("a bad field: exit 1, one stderr line naming it, nothing on stdout", async () => {
    const bad = scenario();
    (bad.workload.adapters[2] as { rank: number }).rank = 7;
    const r = await cli(file("bad.json", bad));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    const e = JSON.parse(lines[0]!);
    expect(e.field).toBe("workload.adapters[2].rank");
    expect(e.error).toMatch(/workload\.adapters\[2\]\.rank/);
    expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+/);
  });

  it("unreadable and non-JSON files fail alone; the others still print", async () => {
    const good = file("good.json", scenario());
    const r = await cli(join(dir, "missing.json"), file("broken.json", "{ nope"), good);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const errs = r.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(errs[0].error).toMatch(/no such file/);
    expect(errs[1].error).toMatch(/invalid JSON/);
  });

  it("a pair without a trained model is an error for that file", async () => {
    const r = await cli(file("l4.json", scenario({ gpu: "l4" })));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(JSON.parse(r.stderr.trim()).field).toBe("gpu");
  });

  it("bad arguments exit 2", async () => {
    await expect(cli("--frobnicate")).rejects.toMatchObject({ exitCode: 2 });
    await expect(run([], { stdout: () => {}, stderr: () => {} })).rejects.toMatchObject({
      exitCode: 2,
    });
  });
});
