/**
 * Invariants of the twin's engine loop, checked step by step through `simulate(s, { onStep })`
 * on seeded scenarios that stress different limits, plus two small replayed traces whose
 * outcome (preemptions, recomputed tokens, adapter loads) is derived by hand.
 */
import { describe, expect, it } from "vitest";
import { loadScenario, type ResolvedScenario } from "../src/core/scenario/resolve";
import type { ScenarioInput } from "../src/core/scenario/schema";
import type { StepInfo } from "../src/core/twin/engine";
import { memoryPlan, simulate } from "../src/core/twin/simulate";
import type { TwinResult } from "../src/core/twin/types";

const BLOCK = 16;
const MODEL = "llama-3.1-8b-instruct";
const GPU = "h100-64gb";

type Engine = NonNullable<ScenarioInput["engine"]>;
type Workload = ScenarioInput["workload"];

function scenario(engine: Engine, workload: Workload): ResolvedScenario {
  return loadScenario({ model: MODEL, gpu: GPU, engine, workload });
}

function adapters(n: number, ranks: number[], rates: number[]) {
  return Array.from({ length: n }, (_, i) => ({
    id: `a${i}`,
    rank: ranks[i % ranks.length]!,
    rateRps: rates[i % rates.length]!,
  }));
}

/**
 * The first `gpuMemoryUtilization` (0.30..0.40 by 0.0005) whose KV cache has between
 * `minBlocks` and `maxBlocks` blocks — a small cache whatever the fitted memory constants are.
 */
function utilForBlocks(engine: Engine, minBlocks: number, maxBlocks: number): number {
  for (let u = 0.3; u < 0.4; u += 0.0005) {
    const s = scenario(
      { ...engine, gpuMemoryUtilization: u },
      { durationS: 1, adapters: [{ id: "x", rank: 8, rateRps: 1 }] },
    );
    const blocks = memoryPlan(s).kvCacheTokens / BLOCK;
    if (blocks >= minBlocks && blocks <= maxBlocks) return u;
  }
  throw new Error(`no utilization gives ${minBlocks}..${maxBlocks} KV blocks`);
}

interface Checked {
  result: TwinResult;
  steps: number;
  maxDistinct: number;
  maxTokens: number;
  maxUsedBlocks: number;
  /** Σ over steps of scheduled tokens (bulk runs: tokens × steps) */
  tokensScheduled: number;
  stepInfos: number;
}

/** Run `s`, asserting the per-step invariants on every step; returns what was seen. */
function runChecked(s: ResolvedScenario): Checked {
  const e = s.engine;
  const seen: Checked = {
    result: undefined as unknown as TwinResult,
    steps: 0,
    maxDistinct: 0,
    maxTokens: 0,
    maxUsedBlocks: 0,
    tokensScheduled: 0,
    stepInfos: 0,
  };
  let lastStart = -Infinity;
  let totalBlocks = -1;
  const violations: string[] = [];
  const fail = (what: string, info: StepInfo) => {
    if (violations.length < 5) violations.push(`${what}: ${JSON.stringify(info)}`);
  };
  const onStep = (info: StepInfo) => {
    seen.stepInfos++;
    seen.steps += info.bulkSteps;
    seen.tokensScheduled += info.tokens * info.bulkSteps;
    seen.maxDistinct = Math.max(seen.maxDistinct, info.distinctAdapters);
    seen.maxTokens = Math.max(seen.maxTokens, info.tokens);
    seen.maxUsedBlocks = Math.max(seen.maxUsedBlocks, info.usedBlocks);
    if (totalBlocks < 0) totalBlocks = info.totalBlocks;
    if (info.totalBlocks !== totalBlocks) fail("KV pool changed size", info);
    if (e.enableLora && info.distinctAdapters > e.maxLoras)
      fail("more adapters than maxLoras", info);
    if (info.tokens > e.maxNumBatchedTokens) fail("more tokens than maxNumBatchedTokens", info);
    if (info.tokens <= 0) fail("empty step", info);
    if (info.usedBlocks < 0) fail("negative used blocks", info);
    if (info.usedBlocks > info.totalBlocks) fail("used blocks over capacity", info);
    if (info.running > e.maxNumSeqs) fail("more running than maxNumSeqs", info);
    if (info.running < 0 || info.waiting < 0 || info.skipped < 0) fail("negative count", info);
    if (!(info.durationMs > 0)) fail("step without duration", info);
    if (!Number.isInteger(info.bulkSteps) || info.bulkSteps < 1) fail("bad bulk step count", info);
    if (info.startS < lastStart) fail("time went backwards", info);
    if (info.startS >= s.workload.durationS) fail("step started after the window", info);
    lastStart = info.startS;
  };
  seen.result = simulate(s, { onStep });
  expect(violations).toEqual([]);
  expect(totalBlocks).toBe(seen.result.memory.kvCacheTokens / BLOCK);
  return seen;
}

/** Invariants of the final result. */
function checkResult(s: ResolvedScenario, c: Checked): void {
  const r = c.result;
  const d = s.workload.durationS;
  expect(r.memory.fits).toBe(true);
  // every arrived request ends finished, running, waiting or held back by the client
  expect(
    r.unfinished.running + r.unfinished.waiting + r.unfinished.heldBack + r.finishedRequests,
  ).toBe(r.arrivedRequests);
  expect(r.steps).toBe(c.steps);
  expect(r.finishedRequests).toBeGreaterThan(0);
  expect(r.requestThroughputRps * d).toBeCloseTo(r.finishedRequests, 6);
  expect(r.throughputTokS).toBeCloseTo(r.inputThroughputTokS + r.outputThroughputTokS, 9);
  expect(r.throughputTokS).toBeLessThanOrEqual(r.idealThroughputTokS + 1e-9);
  expect(r.starved).toBe(r.throughputTokS < 0.9 * r.idealThroughputTokS);
  // processed tokens cover at least what finished requests needed (prompt + output − 1 each)
  expect(c.tokensScheduled).toBeGreaterThanOrEqual(
    (r.inputThroughputTokS + r.outputThroughputTokS - r.requestThroughputRps) * d - 1e-6,
  );
  expect(r.ttftMs.p50).toBeLessThanOrEqual(r.ttftMs.p99);
  expect(r.itlMs.p50).toBeLessThanOrEqual(r.itlMs.p99);
  expect(r.ttftMs.mean).toBeGreaterThan(0);
  expect(r.itlMs.mean).toBeGreaterThan(0);
}

describe("twin invariants on seeded scenarios", () => {
  it("light load: everything finishes, nobody waits long, no preemption", () => {
    const s = scenario(
      { maxLoras: 4, maxCpuLoras: 4, maxLoraRank: 16, maxNumSeqs: 256, maxNumBatchedTokens: 2048 },
      { durationS: 300, seed: 1, adapters: adapters(4, [8, 16], [0.5, 0.25]) },
    );
    const c = runChecked(s);
    checkResult(s, c);
    const r = c.result;
    // 4 adapters at 0.5, 0.25, 0.5, 0.25 req/s for 300 s: 450 requests expected, Poisson sd ≈ 21
    expect(r.arrivedRequests).toBeGreaterThan(450 - 5 * 21);
    expect(r.arrivedRequests).toBeLessThan(450 + 5 * 21);
    expect(r.preemptions).toBe(0);
    expect(r.starved).toBe(false);
    expect(r.unfinished.heldBack).toBe(0);
    expect(r.finishedRequests).toBeGreaterThanOrEqual(r.arrivedRequests - 10);
    expect(c.maxDistinct).toBeLessThanOrEqual(4);
    // one load per adapter: 4 slots hold all 4 adapters
    expect(r.adapterLoads).toBe(4);
  });

  it("overloaded with a small KV cache: preempts, recomputes, holds arrivals back, still finishes", () => {
    const engine: Engine = {
      maxLoras: 8,
      maxCpuLoras: 8,
      maxLoraRank: 16,
      maxNumSeqs: 512,
      maxNumBatchedTokens: 2048,
      maxModelLen: 2048,
    };
    const u = utilForBlocks(engine, 400, 800); // 6,400..12,800 tokens
    const s = scenario(
      { ...engine, gpuMemoryUtilization: u },
      {
        durationS: 120,
        seed: 7,
        maxPendingRequests: 300,
        adapters: adapters(8, [8, 16], [3, 1.5]),
      },
    );
    const c = runChecked(s);
    checkResult(s, c);
    const r = c.result;
    expect(r.preemptions).toBeGreaterThan(0);
    expect(r.starved).toBe(true);
    expect(r.unfinished.heldBack).toBeGreaterThan(0);
    expect(c.maxUsedBlocks).toBe(r.memory.kvCacheTokens / BLOCK); // the cache was full at times
    expect(c.maxDistinct).toBeLessThanOrEqual(8);
    // a preempted request's KV is recomputed: more tokens were processed than finished work needs
    const finishedWork =
      (r.inputThroughputTokS + r.outputThroughputTokS - r.requestThroughputRps) *
      s.workload.durationS;
    expect(c.tokensScheduled).toBeGreaterThan(finishedWork);
  });

  it("many adapters, few GPU slots: at most maxLoras adapters per step, many loads", () => {
    const s = scenario(
      { maxLoras: 2, maxCpuLoras: 8, maxLoraRank: 32, maxNumSeqs: 256, maxNumBatchedTokens: 2048 },
      { durationS: 300, seed: 3, adapters: adapters(64, [8, 16, 32], [0.2, 0.1]) },
    );
    const c = runChecked(s);
    checkResult(s, c);
    const r = c.result;
    expect(c.maxDistinct).toBe(2);
    // 64 adapters through an 8-adapter host cache: the cache is refilled many times
    expect(r.adapterDiskLoads).toBeGreaterThan(8);
    expect(r.adapterLoads).toBeGreaterThanOrEqual(r.adapterDiskLoads); // every disk read goes on to a slot
    // 9.6 req/s offered, but a batch serves only 2 adapters at a time (≈ 0.15 req/s each):
    // requests of the other adapters queue up, the server is starved by its LoRA slots.
    expect(r.preemptions).toBe(0);
    expect(r.starved).toBe(true);
    expect(r.meanWaiting).toBeGreaterThan(r.meanRunning);
  });

  it("a KV cache barely above maxModelLen still serves every request length", () => {
    const engine: Engine = {
      maxLoras: 4,
      maxCpuLoras: 4,
      maxLoraRank: 16,
      maxNumSeqs: 256,
      maxNumBatchedTokens: 2048,
      maxModelLen: 2048,
    };
    const u = utilForBlocks(engine, 128, 160); // 2,048..2,560 tokens: one longest request fits
    const s = scenario(
      { ...engine, gpuMemoryUtilization: u },
      { durationS: 120, seed: 11, adapters: adapters(4, [8, 16], [0.5]) },
    );
    expect(s.engine.maxModelLen).toBeLessThanOrEqual(memoryPlan(s).kvCacheTokens);
    const c = runChecked(s);
    checkResult(s, c);
    expect(c.maxUsedBlocks).toBeLessThanOrEqual(160);
  });

  it("serves the base model only when LoRA is off (no adapter loads)", () => {
    const s = scenario(
      { enableLora: false, maxNumSeqs: 256, maxNumBatchedTokens: 2048 },
      { durationS: 120, seed: 5, adapters: adapters(16, [8], [0.3]) },
    );
    const c = runChecked(s);
    checkResult(s, c);
    expect(c.result.adapterLoads).toBe(0);
    expect(c.result.memory.loraSlotsGiB).toBe(0);
  });
});

describe("twin behaviour on hand-built traces", () => {
  it("preempts the newest request by recompute when the KV cache runs out (hand-derived)", () => {
    // KV pool of B blocks (B in 64..128). Two requests arrive at t = 0 with prompts of exactly
    // a and b blocks (a + b = B) and O = 40 output tokens each.
    // Step 1 prefills both (16B ≤ 2048 tokens): the pool is full; each samples its first token.
    // Step 2: R1's next token needs a new block → R2 (newest) is preempted (1 preemption), its
    // blocks freed and its 16b + 1 tokens (prompt + its 1 output token) to be recomputed. R2
    // cannot come back while R1 runs (needs b + 1 blocks, b − 1 free). R1 decodes to the end
    // (O − 1 decode steps in all), then R2 recomputes 16b + 1 tokens and decodes O − 2 more.
    // Tokens processed: R1 16a + (O − 1); R2 16b + (16b + 1) + (O − 2) = 16(a + 2b) + 2O − 2.
    const engine: Engine = {
      maxLoras: 1,
      maxCpuLoras: 1,
      maxLoraRank: 8,
      maxNumSeqs: 256,
      maxNumBatchedTokens: 2048,
      maxModelLen: 1024,
    };
    const u = utilForBlocks(engine, 64, 128);
    const base = scenario(
      { ...engine, gpuMemoryUtilization: u },
      { durationS: 1, adapters: [{ id: "x", rank: 8, rateRps: 1 }] },
    );
    const B = memoryPlan(base).kvCacheTokens / BLOCK;
    const a = Math.floor(B / 2);
    const b = B - a;
    const O = 40;
    const s = scenario(
      { ...engine, gpuMemoryUtilization: u },
      {
        durationS: 60,
        adapters: [{ id: "x", rank: 8, rateRps: 1 }],
        trace: {
          arrivalS: [0, 0],
          adapter: [0, 0],
          promptTokens: [16 * a, 16 * b],
          outputTokens: [O, O],
        },
      },
    );
    const c = runChecked(s);
    const r = c.result;
    expect(r.preemptions).toBe(1);
    expect(r.finishedRequests).toBe(2);
    expect(c.tokensScheduled).toBe(16 * (a + 2 * b) + 2 * O - 2);
    // both requests' prompt and output count once in throughput, whatever was recomputed
    expect(r.throughputTokS * 60).toBeCloseTo(16 * B + 2 * O, 6);
    expect(r.outputThroughputTokS * 60).toBeCloseTo(2 * O, 6);
    expect(c.maxUsedBlocks).toBe(B);
    expect(r.adapterLoads).toBe(1);
  });

  it("keeps a batch to maxLoras adapters, admitting later requests of batch adapters (hand-derived)", () => {
    // maxLoras 1; at t = 0 requests of adapters x, y, x, y arrive (in that order). Step 1 admits
    // x's first request; with the batch at 1 adapter, y's requests are skipped (vLLM scans the
    // whole waiting queue: both are skipped) and x's second one is still admitted. Both x
    // requests run to the end, then both y requests: 2 GPU loads, 2 disk loads, never 2
    // adapters in a step; every y request waits for the x ones.
    const s = scenario(
      { maxLoras: 1, maxCpuLoras: 2, maxLoraRank: 8, maxNumSeqs: 256, maxNumBatchedTokens: 2048 },
      {
        durationS: 60,
        adapters: [
          { id: "x", rank: 8, rateRps: 1 },
          { id: "y", rank: 8, rateRps: 1 },
        ],
        trace: {
          arrivalS: [0, 0, 0, 0],
          adapter: [0, 1, 0, 1],
          promptTokens: [100, 100, 100, 100],
          outputTokens: [20, 20, 20, 20],
        },
      },
    );
    let firstSkipped = -1;
    let twoAdapterSteps = 0;
    const r = simulate(s, {
      onStep: (i) => {
        if (firstSkipped < 0) firstSkipped = i.skipped;
        if (i.distinctAdapters > 1) twoAdapterSteps++;
      },
    });
    expect(r.finishedRequests).toBe(4);
    expect(twoAdapterSteps).toBe(0);
    expect(firstSkipped).toBe(2); // both y requests
    expect(r.adapterLoads).toBe(2);
    expect(r.adapterDiskLoads).toBe(2);
    expect(r.throughputTokS * 60).toBeCloseTo(4 * 120, 6);
    // the y requests got their first token only after the x requests' 20 tokens
    expect(r.ttftMs.p99).toBeGreaterThan(19 * r.itlMs.p50);
  });
});
