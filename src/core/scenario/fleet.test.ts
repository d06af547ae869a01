import { describe, expect, it } from "vitest";
import { GPUS } from "../catalog/gpus";
import { InputError } from "./errors";
import {
  defaultFleetScenario,
  FLEET_LIMITS,
  jsonDepthExceeds,
  objectiveFrom,
  objectiveParts,
  parseFleetScenario,
  parseFleetScenarioJson,
  parseFleetScenarioWithNotes,
  sortLengthProfile,
  toFleetRequest,
  type FleetScenario,
} from "./fleet";

/** A scenario being edited into something invalid (any shape goes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function errorOf(input: unknown): InputError {
  try {
    parseFleetScenario(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

/** The default scenario with `edit` applied to a deep copy. */
function edited(edit: (s: Loose) => void): unknown {
  const s = structuredClone(defaultFleetScenario()) as Loose;
  edit(s);
  return s;
}

describe("defaultFleetScenario", () => {
  it("is the measured setup: Llama-3.1-8B, 300 adapters of ranks 8/16/32 at 0.1/0.05/0.025 req/s", () => {
    const s = defaultFleetScenario();
    expect(s.model).toBe("llama-3.1-8b-instruct");
    expect(s.gpuTypes.map((g) => g.gpu)).toEqual(["h100-64gb", "h100-sxm-80gb", "a100-80gb"]);
    for (const g of s.gpuTypes) expect(g.costPerHour).toBe(GPUS[g.gpu].costPerHour);
    expect(s.engine).toEqual({ maxNumSeqs: 2048, maxNumBatchedTokens: 2048 });
    expect(s.objective).toEqual({ ttftP99Ms: 2000, minimize: "cost" });
    expect(s.workload).toMatchObject({
      durationS: 3600,
      seed: 0,
      lengths: { profile: "sharegpt" },
      arrival: { kind: "poisson" },
      maxPendingRequests: 25_500,
    });
    const a = s.workload.adapters;
    expect(a).toHaveLength(300);
    expect(a[0]).toEqual({ id: "adapter-000", rank: 8, rateRps: 0.1 });
    expect(a[299]).toEqual({ id: "adapter-299", rank: 32, rateRps: 0.025 });
    expect(a.map((x) => x.rank).slice(0, 6)).toEqual([8, 16, 32, 8, 16, 32]);
    const total = a.reduce((t, x) => t + x.rateRps, 0);
    expect(total).toBeCloseTo(17.5, 9);
  });

  it("is valid, parses to itself, and is a fresh object on every call", () => {
    const s = defaultFleetScenario();
    expect(parseFleetScenario(s)).toEqual(s);
    expect(parseFleetScenario(JSON.parse(JSON.stringify(s)))).toEqual(s);
    s.workload.adapters[0]!.rateRps = 5;
    expect(defaultFleetScenario().workload.adapters[0]!.rateRps).toBe(0.1);
  });

  it("converts to the planner's FleetRequest", () => {
    const s: FleetScenario = {
      ...defaultFleetScenario(),
      trace: { source: "t.csv", format: "azure", rows: 3, skippedRows: 0, durationS: 10 },
    };
    const r = toFleetRequest(s);
    expect(Object.keys(r).sort()).toEqual(["engine", "gpuTypes", "model", "objective", "workload"]);
    expect(r.workload).toBe(s.workload);
  });
});

describe("objectiveParts / objectiveFrom", () => {
  it("take an objective apart and put it back in its shortest form", () => {
    expect(objectiveParts("min-gpus")).toEqual({ minimize: "gpus" });
    expect(objectiveParts("min-cost")).toEqual({ minimize: "cost" });
    expect(objectiveParts({ ttftP99Ms: 500 })).toEqual({
      minimize: "gpus",
      ttftP99Ms: 500,
      itlP99Ms: undefined,
    });
    expect(objectiveFrom({ minimize: "cost" })).toBe("min-cost");
    expect(objectiveFrom({ minimize: "gpus", ttftP99Ms: undefined })).toBe("min-gpus");
    expect(objectiveFrom({ minimize: "cost", itlP99Ms: 80 })).toEqual({
      itlP99Ms: 80,
      minimize: "cost",
    });
    // clearing the last limit of a cost objective keeps minimising cost
    const parts = objectiveParts({ ttftP99Ms: 2000, minimize: "cost" });
    expect(objectiveFrom({ ...parts, ttftP99Ms: undefined })).toBe("min-cost");
  });

  it("rejects an unknown minimize with the field named", () => {
    const err = errorOf(edited((s) => (s.objective = { ttftP99Ms: 100, minimize: "watts" })));
    expect(err.message).toMatch(/objective/);
  });
});

describe("parseFleetScenario", () => {
  it("fills defaults for a minimal scenario", () => {
    const s = parseFleetScenario({
      model: "qwen-2.5-7b-instruct",
      gpuTypes: [{ gpu: "l40s", costPerHour: 1 }],
      workload: { adapters: [{ id: "a", rank: 16, rateRps: 1 }] },
    });
    expect(s).toEqual({
      version: 1,
      model: "qwen-2.5-7b-instruct",
      gpuTypes: [{ gpu: "l40s", costPerHour: 1 }],
      objective: "min-cost",
      engine: {},
      workload: {
        durationS: 3600,
        seed: 0,
        lengths: { profile: "sharegpt" },
        arrival: { kind: "poisson" },
        adapters: [{ id: "a", rank: 16, rateRps: 1 }],
      },
    });
  });

  it("prices an offer without costPerHour at the catalog's typical price", () => {
    const s = parseFleetScenario({
      model: "llama-3.1-8b-instruct",
      gpuTypes: [{ gpu: "a100-80gb" }, { gpu: "l4", costPerHour: 0.5, maxCount: 3 }],
      workload: { adapters: [] },
    });
    expect(s.gpuTypes).toEqual([
      { gpu: "a100-80gb", costPerHour: GPUS["a100-80gb"].costPerHour },
      { gpu: "l4", costPerHour: 0.5, maxCount: 3 },
    ]);
  });

  it("accepts latency objectives, a trace summary and a hand placement", () => {
    const s = parseFleetScenario(
      edited((x) => {
        x.objective = { ttftP99Ms: 2000 };
        x.gpuTypes[2].maxCount = 1;
        x.trace = {
          source: "AzureLLMInferenceTrace_conv.csv",
          format: "azure",
          rows: 19_366,
          skippedRows: 2,
          durationS: 3600,
          rateScale: 2,
          popularity: { kind: "zipf", alpha: 1.2 },
          seed: 7,
        };
        x.placement = {
          gpus: [
            { gpu: "h100-64gb", adapters: ["adapter-000", "adapter-001"] },
            { gpu: "a100-80gb", adapters: ["adapter-002"] },
            { gpu: "h100-64gb", adapters: [] },
          ],
        };
      }),
    );
    expect(s.placement?.gpus).toHaveLength(3);
    expect(s.trace?.popularity).toEqual({ kind: "zipf", alpha: 1.2 });
  });

  // [edit, field, message pattern]
  const cases: [string, (s: Loose) => void, string, RegExp][] = [
    [
      "zero price",
      (s) => (s.gpuTypes[0].costPerHour = 0),
      "gpuTypes[0].costPerHour",
      /must be a number in \(0, 1,000\] \$\/h \(got 0\)$/,
    ],
    [
      "price as text",
      (s) => (s.gpuTypes[0].costPerHour = "3"),
      "gpuTypes[0].costPerHour",
      /\(got "3"\)$/,
    ],
    [
      "maxCount 0",
      (s) => (s.gpuTypes[0].maxCount = 0),
      "gpuTypes[0].maxCount",
      /integer in \[1, 10,000\] GPUs \(got 0\)/,
    ],
    [
      "no GPU types",
      (s) => (s.gpuTypes = []),
      "gpuTypes",
      /must list 1 to 9 GPU types \(got 0 entries\)/,
    ],
    [
      "GPU twice",
      (s) => (s.gpuTypes[1].gpu = "h100-64gb"),
      "gpuTypes[1].gpu",
      /offered twice \(also gpuTypes\[0\]\)/,
    ],
    [
      "unknown GPU",
      (s) => (s.gpuTypes[0].gpu = "tpu-v5"),
      "gpuTypes[0].gpu",
      /unknown GPU "tpu-v5"; valid: h100-64gb, .*b200$/,
    ],
    [
      "unknown model",
      (s) => (s.model = "gpt-5"),
      "model",
      /unknown model "gpt-5"; valid: llama-3.1-8b-instruct, /,
    ],
    ["missing model", (s) => delete s.model, "model", /is missing; valid models: /],
    [
      "bad rank",
      (s) => (s.workload.adapters[3].rank = 7),
      "workload.adapters[3].rank",
      /LoRA ranks 1, 8, 16, 32, 64, 128, 256, 320, 512 \(got 7\)/,
    ],
    [
      "rank as text",
      (s) => (s.workload.adapters[3].rank = "8"),
      "workload.adapters[3].rank",
      /LoRA ranks .* \(got "8"\)/,
    ],
    [
      "NaN rate",
      (s) => (s.workload.adapters[3].rateRps = NaN),
      "workload.adapters[3].rateRps",
      /\(0, 10,000\] req\/s \(got NaN\)/,
    ],
    [
      "infinite rate",
      (s) => (s.workload.adapters[3].rateRps = Infinity),
      "workload.adapters[3].rateRps",
      /\(got Infinity\)/,
    ],
    [
      "zero rate",
      (s) => (s.workload.adapters[3].rateRps = 0),
      "workload.adapters[3].rateRps",
      /\(got 0\)/,
    ],
    [
      "empty id",
      (s) => (s.workload.adapters[3].id = ""),
      "workload.adapters[3].id",
      /1 to 128 characters \(got 0 characters\)/,
    ],
    [
      "long id",
      (s) => (s.workload.adapters[3].id = "x".repeat(5000)),
      "workload.adapters[3].id",
      /\(got 5,000 characters\)/,
    ],
    [
      "duplicate id",
      (s) => (s.workload.adapters[4].id = "adapter-003"),
      "workload.adapters[4].id",
      /duplicate adapter id "adapter-003" \(also workload.adapters\[3\]\)/,
    ],
    [
      "day-long window",
      (s) => (s.workload.durationS = 86_401),
      "workload.durationS",
      /\(0, 86,400\] s \(got 86401\)/,
    ],
    ["negative seed", (s) => (s.workload.seed = -1), "workload.seed", /\[0, 4,294,967,295\]/],
    [
      "fixed 0 tokens",
      (s) => (s.workload.lengths = { profile: "fixed", promptTokens: 0, outputTokens: 1 }),
      "workload.lengths.promptTokens",
      /integer in \[1, 1,048,576\] tokens \(got 0\)/,
    ],
    [
      "unknown profile",
      (s) => (s.workload.lengths = { profile: "zipf" }),
      "workload.lengths.profile",
      /"sharegpt", "fixed", "uniform" or "empirical" \(got "zipf"\)/,
    ],
    [
      "adapter profile",
      (s) =>
        (s.workload.adapters[1].lengths = {
          profile: "empirical",
          promptTokens: [1, 2],
          outputTokens: [1, -2],
        }),
      "workload.adapters[1].lengths.outputTokens[1]",
      /tokens \(got -2\)/,
    ],
    [
      "bursty cv",
      (s) => (s.workload.arrival = { kind: "gamma", cv: 100 }),
      "workload.arrival.cv",
      /\[0.05, 20\] \(got 100\)/,
    ],
    [
      "bad objective",
      (s) => (s.objective = "fast"),
      "objective",
      /"min-gpus", "min-cost" or latency limits/,
    ],
    ["empty SLO", (s) => (s.objective = {}), "objective", /give ttftP99Ms and\/or itlP99Ms/],
    [
      "negative SLO",
      (s) => (s.objective = { itlP99Ms: -1 }),
      "objective.itlP99Ms",
      /\(0, 60,000\] ms \(got -1\)/,
    ],
    [
      "fractional maxLoras",
      (s) => (s.engine.maxLoras = 1.5),
      "engine.maxLoras",
      /integer in \[1, 4,096\] \(got 1.5\)/,
    ],
    [
      "unknown flag",
      (s) => (s.engine.tensorParallel = 2),
      "engine",
      /unknown field "tensorParallel"/,
    ],
    [
      "rank above maxLoraRank",
      (s) => (s.engine.maxLoraRank = 8),
      "workload.adapters[1].rank",
      /rank 16 exceeds engine.maxLoraRank 8/,
    ],
    [
      "cpu < gpu slots",
      (s) => Object.assign(s.engine, { maxLoras: 8, maxCpuLoras: 4 }),
      "engine.maxCpuLoras",
      /at least engine.maxLoras \(8\)/,
    ],
    [
      "batch < seqs",
      (s) => (s.engine.maxNumBatchedTokens = 1024),
      "engine.maxNumBatchedTokens",
      /at least engine.maxNumSeqs \(2048\)/,
    ],
    [
      "context too long",
      (s) => ((s.model = "llama-2-7b"), (s.engine.maxModelLen = 8192)),
      "engine.maxModelLen",
      /at most 4,096 for llama-2-7b/,
    ],
    [
      "too many adapters",
      (s) => (s.workload.adapters = new Array(20_001).fill(0)),
      "workload.adapters",
      /at most 20,000 adapters \(got 20,001 entries\)/,
    ],
    [
      "newer version",
      (s) => (s.version = 2),
      "version",
      /newer planner \(v2\); this one reads up to v1/,
    ],
    [
      "missing workload",
      (s) => delete s.workload,
      "workload",
      /is missing; it must be an object \{durationS/,
    ],
    ["unknown top field", (s) => (s.plan = {}), "scenario", /unknown field "plan"/],
    [
      "trace skipped > rows",
      (s) =>
        (s.trace = { source: "a.csv", format: "azure", rows: 5, skippedRows: 6, durationS: 10 }),
      "trace.skippedRows",
      /at most trace.rows \(5\)/,
    ],
    [
      "raw trace rows",
      (s) =>
        (s.trace = { source: "a.csv", format: "azure", rows: 1, durationS: 10, arrivalS: [0] }),
      "trace",
      /unknown field "arrivalS"/,
    ],
    [
      "placement GPU not offered",
      (s) => (s.placement = { gpus: [{ gpu: "b200", adapters: [] }] }),
      "placement.gpus[0].gpu",
      /"b200" is not among the offered gpuTypes/,
    ],
    [
      "placement unknown adapter",
      (s) => (s.placement = { gpus: [{ gpu: "l4", adapters: [] }] }),
      "placement.gpus[0].gpu",
      /not among/,
    ],
    [
      "placement twice",
      (s) =>
        (s.placement = {
          gpus: [
            { gpu: "h100-64gb", adapters: ["adapter-001"] },
            { gpu: "h100-64gb", adapters: ["adapter-001"] },
          ],
        }),
      "placement.gpus[1].adapters[0]",
      /"adapter-001" is also on placement.gpus\[0\]/,
    ],
    [
      "placement ghost",
      (s) => (s.placement = { gpus: [{ gpu: "h100-64gb", adapters: ["ghost"] }] }),
      "placement.gpus[0].adapters[0]",
      /unknown adapter id "ghost"/,
    ],
    [
      "placement over maxCount",
      (s) => (
        (s.gpuTypes[0].maxCount = 1),
        (s.placement = {
          gpus: [
            { gpu: "h100-64gb", adapters: [] },
            { gpu: "h100-64gb", adapters: [] },
          ],
        })
      ),
      "placement.gpus[1].gpu",
      /more "h100-64gb" GPUs than its maxCount \(1\)/,
    ],
    [
      "placement engine rank below an adapter's",
      (s) =>
        (s.placement = {
          gpus: [{ gpu: "h100-64gb", adapters: ["adapter-002"], engine: { maxLoraRank: 16 } }],
        }),
      "placement.gpus[0].engine.maxLoraRank",
      /16 is below the rank 32 of adapter "adapter-002"/,
    ],
    [
      "placement engine cpu loras below max loras",
      (s) =>
        (s.placement = {
          gpus: [{ gpu: "h100-64gb", adapters: [], engine: { maxLoras: 8, maxCpuLoras: 4 } }],
        }),
      "placement.gpus[0].engine.maxCpuLoras",
      /must be at least maxLoras \(8\); got 4/,
    ],
    [
      "placement engine unknown flag",
      (s) =>
        (s.placement = {
          gpus: [{ gpu: "h100-64gb", adapters: [], engine: { enableLora: true } }],
        }),
      "placement.gpus[0].engine",
      /unknown field "enableLora"/,
    ],
    [
      "placement engine max-loras out of range",
      (s) =>
        (s.placement = { gpus: [{ gpu: "h100-64gb", adapters: [], engine: { maxLoras: 0 } }] }),
      "placement.gpus[0].engine.maxLoras",
      /must be an integer in \[1, /,
    ],
  ];
  it.each(cases)(
    "rejects %s with a one-line error naming the field",
    (_name, edit, field, pattern) => {
      const e = errorOf(edited(edit));
      expect(e.field).toBe(field);
      expect(e.message.startsWith(`${field}: `)).toBe(true);
      expect(e.message).toMatch(pattern);
      expect(e.message).not.toMatch(/\n/);
      expect(e.message.length).toBeLessThan(400);
    },
  );

  it("caps empirical samples summed over the whole scenario", () => {
    const big = {
      profile: "empirical",
      promptTokens: new Array(60_000).fill(5),
      outputTokens: new Array(60_000).fill(5),
    };
    const s = edited((x) => {
      x.workload.lengths = big;
      x.workload.adapters[0].lengths = big;
      x.workload.adapters[1].lengths = big;
      x.workload.adapters[2].lengths = big;
    });
    expect(errorOf(s).message).toMatch(
      new RegExp(
        `^workload.lengths: empirical length profiles hold 240,000 samples in all, more than ${FLEET_LIMITS.totalLengthSamples.toLocaleString("en-US")}`,
      ),
    );
  });

  it("names the whole scenario for non-objects and never echoes long values", () => {
    for (const v of [null, undefined, 5, "x", [], true]) {
      const e = errorOf(v);
      expect(e.field).toBe("scenario");
      expect(e.message).toMatch(/^scenario: (is missing; it )?must be a scenario object/);
    }
    const e = errorOf(edited((s) => (s.model = "m".repeat(1_000_000))));
    expect(e.message.length).toBeLessThan(300);
  });

  it("counts further issues", () => {
    expect(errorOf({ gpuTypes: 5 }).message).toMatch(/\(and \d+ more issue\(s\)\)$/);
  });
});

describe("parseFleetScenarioJson", () => {
  it("parses a JSON file", () => {
    const text = JSON.stringify(defaultFleetScenario());
    expect(parseFleetScenarioJson(text)).toEqual({ scenario: defaultFleetScenario(), notes: [] });
  });

  it("refuses bad JSON, deep nesting and huge texts with the field `scenario`", () => {
    const msg = (t: string) => {
      try {
        parseFleetScenarioJson(t);
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        return (err as InputError).message;
      }
      return "";
    };
    expect(msg("{")).toMatch(/^scenario: is not valid JSON/);
    expect(msg("[".repeat(100_000))).toMatch(/^scenario: nests deeper than 32 levels/);
    expect(msg(" ".repeat(FLEET_LIMITS.jsonChars + 1))).toMatch(
      /^scenario: is 16,000,001 characters long/,
    );
  });

  it("measures depth outside strings only", () => {
    expect(jsonDepthExceeds('{"a":"[[[[[[\\"[[["}', 2)).toBe(false);
    expect(jsonDepthExceeds("[[[]]]", 2)).toBe(true);
    expect(jsonDepthExceeds("[[],[],[[]]]", 3)).toBe(false);
  });
});

describe("sortLengthProfile", () => {
  it("sorts empirical pairs by prompt then output, keeping pairs together", () => {
    expect(
      sortLengthProfile({
        profile: "empirical",
        promptTokens: [5, 1, 5, 3],
        outputTokens: [9, 2, 1, 4],
      }),
    ).toEqual({ profile: "empirical", promptTokens: [1, 3, 5, 5], outputTokens: [2, 4, 1, 9] });
    const fixed = { profile: "fixed", promptTokens: 3, outputTokens: 4 } as const;
    expect(sortLengthProfile(fixed)).toBe(fixed);
  });
});

describe("parseFleetScenarioWithNotes", () => {
  it("has no notes for a current scenario", () => {
    expect(parseFleetScenarioWithNotes(defaultFleetScenario()).notes).toEqual([]);
  });
});
