import { describe, expect, it } from "vitest";
import {
  GPU_IDS,
  GPUS,
  MODEL_IDS,
  MODELS,
  getGpu,
  getModel,
  kvBytesPerToken,
  loraAdapterBytes,
  loraParamsPerRank,
  modelFlopsPerToken,
  nonEmbeddingParameters,
  weightsBytes,
  type ModelSpec,
} from "./index";

// Every expected number below is computed by hand (shown in the comment), not by the code
// under test.

describe("kvBytesPerToken", () => {
  it("Llama-3.1-8B: 2 x 32 layers x 8 kv heads x 128 x 2 bytes = 131072", () => {
    expect(kvBytesPerToken(getModel("llama-3.1-8b-instruct"))).toBe(131072);
  });
  it("Qwen2.5-7B: 2 x 28 x 4 x 128 x 2 = 57344", () => {
    expect(kvBytesPerToken(getModel("qwen-2.5-7b-instruct"))).toBe(57344);
  });
  it("Llama-3.1-70B: 2 x 80 x 8 x 128 x 2 = 327680", () => {
    expect(kvBytesPerToken(getModel("llama-3.1-70b-instruct"))).toBe(327680);
  });
  it("Llama-2-7B (no GQA): 2 x 32 x 32 x 128 x 2 = 524288", () => {
    expect(kvBytesPerToken(getModel("llama-2-7b"))).toBe(524288);
  });
  it("Llama-2-13B: 2 x 40 x 40 x 128 x 2 = 819200", () => {
    expect(kvBytesPerToken(getModel("llama-2-13b"))).toBe(819200);
  });
});

describe("loraParamsPerRank", () => {
  it("Llama-3.1-8B: 32 x (8192 + 5120 + 5120 + 8192 + 18432 + 18432 + 18432) = 2621440", () => {
    // q 4096+4096, k 4096+1024, v 4096+1024, o 4096+4096,
    // gate 4096+14336, up 4096+14336, down 14336+4096  -> 81920 per layer
    expect(loraParamsPerRank(getModel("llama-3.1-8b-instruct"))).toBe(2621440);
  });
  it("Qwen2.5-7B: 28 x (7168 + 4096 + 4096 + 7168 + 22528 x 3) = 2523136", () => {
    // q 3584+3584, k/v 3584+512, o 3584+3584, gate/up/down 3584+18944 -> 90112 per layer
    expect(loraParamsPerRank(getModel("qwen-2.5-7b-instruct"))).toBe(2523136);
  });
  it("Mistral-7B-v0.3 has Llama-3.1-8B's layer shapes: 2621440", () => {
    expect(loraParamsPerRank(getModel("mistral-7b-instruct-v0.3"))).toBe(2621440);
  });
});

describe("loraAdapterBytes", () => {
  it("Llama-3.1-8B rank 16: 16 x 2621440 x 2 bytes = 83886080 (80 MiB)", () => {
    expect(loraAdapterBytes(getModel("llama-3.1-8b-instruct"), 16)).toBe(83886080);
  });
  it("rejects a non-positive rank", () => {
    const m = getModel("llama-3.1-8b-instruct");
    expect(() => loraAdapterBytes(m, 0)).toThrow(/rank/);
    expect(() => loraAdapterBytes(m, -8)).toThrow(/rank/);
    expect(() => loraAdapterBytes(m, Number.NaN)).toThrow(/rank/);
  });
});

describe("weightsBytes / FLOPs", () => {
  it("Llama-3.1-8B weights: 8.03e9 x 2 = 16.06e9 bytes", () => {
    expect(weightsBytes(getModel("llama-3.1-8b-instruct"))).toBeCloseTo(16.06e9, -3);
  });
  it("Llama-3.1-8B non-embedding: 8.03e9 - 2 x 128256 x 4096 = 6979326848", () => {
    expect(nonEmbeddingParameters(getModel("llama-3.1-8b-instruct"))).toBe(6979326848);
  });
  it("Llama-3.1-8B FLOPs/token: 2 x 6979326848 = 13958653696", () => {
    expect(modelFlopsPerToken(getModel("llama-3.1-8b-instruct"))).toBe(13958653696);
  });
  it("Qwen2.5-7B non-embedding ≈ 6.53e9 as its model card says", () => {
    // 7.61e9 - 2 x 152064 x 3584 = 6,520,005,248; the card's 6.53B is from the exact 7.6156e9
    expect(nonEmbeddingParameters(getModel("qwen-2.5-7b-instruct"))).toBe(6520005248);
  });
});

/**
 * Exact parameter count recomputed from the architecture fields, written out independently
 * of derived.ts: catches a mistyped config value against the published parameter count.
 */
function parametersFromArchitecture(m: ModelSpec): number {
  const h = m.hiddenSize;
  const attn = 2 * h * m.attentionHeads * m.headDim + 2 * h * m.kvHeads * m.headDim;
  const mlp = 3 * h * m.intermediateSize;
  const layer = attn + mlp + 2 * h; // + two RMSNorm weight vectors
  const embeddings = m.vocabSize * h * (m.tieWordEmbeddings ? 1 : 2);
  return m.layers * layer + h + embeddings; // + final norm
}

describe("model catalog", () => {
  it("has an entry for every model id, keyed by its own id", () => {
    expect(Object.keys(MODELS).sort()).toEqual([...MODEL_IDS].sort());
    for (const id of MODEL_IDS) expect(MODELS[id].id).toBe(id);
  });

  it.each(MODEL_IDS)("%s has positive integer sizes and at least one source", (id) => {
    const m = MODELS[id];
    for (const key of [
      "layers",
      "hiddenSize",
      "attentionHeads",
      "kvHeads",
      "headDim",
      "intermediateSize",
      "vocabSize",
      "maxPositionEmbeddings",
      "dtypeBytes",
    ] as const) {
      expect(Number.isInteger(m[key]) && m[key] > 0, `${id}.${key}`).toBe(true);
    }
    expect(m.parameters).toBeGreaterThan(0);
    expect(m.attentionHeads % m.kvHeads, `${id}: heads divisible by kv heads`).toBe(0);
    expect(m.sources.length).toBeGreaterThan(0);
    expect(m.sources.some((s) => s.includes("config.json"))).toBe(true);
    expect(m.hfRepo).toMatch(/^[\w.-]+\/[\w.-]+$/);
  });

  it.each(MODEL_IDS)("%s: published parameter count within 0.5% of the config's", (id) => {
    const m = MODELS[id];
    expect(Math.abs(parametersFromArchitecture(m) / m.parameters - 1)).toBeLessThan(0.005);
  });

  it("Qwen2.5-7B-Instruct uses the config.json values (32K context, untied, 4 KV heads)", () => {
    const q = getModel("qwen-2.5-7b-instruct");
    expect(q.maxPositionEmbeddings).toBe(32768);
    expect(q.tieWordEmbeddings).toBe(false);
    expect([q.layers, q.kvHeads, q.headDim, q.intermediateSize, q.vocabSize]).toEqual([
      28, 4, 128, 18944, 152064,
    ]);
  });
});

describe("GPU catalog", () => {
  it("has an entry for every GPU id, keyed by its own id", () => {
    expect(Object.keys(GPUS).sort()).toEqual([...GPU_IDS].sort());
    for (const id of GPU_IDS) expect(GPUS[id].id).toBe(id);
  });

  it.each(GPU_IDS)("%s has positive numbers and at least one source", (id) => {
    const g = GPUS[id];
    for (const key of [
      "memoryGiB",
      "bf16Tflops",
      "memoryBandwidthTBs",
      "hostLinkGBs",
      "costPerHour",
    ] as const) {
      expect(Number.isFinite(g[key]) && g[key] > 0, `${id}.${key}`).toBe(true);
    }
    expect(g.hostLink).toMatch(/PCIe Gen[45] x16/);
    expect(g.sources.length).toBeGreaterThan(0);
  });

  it("memory is what CUDA reports: below the marketing GB read as GiB", () => {
    // hand-written nominal sizes (GB on the box) for each id
    const nominal: Record<string, number> = {
      "h100-64gb": 64,
      "h100-sxm-80gb": 80,
      h200: 141,
      "a100-80gb": 80,
      "a100-40gb": 40,
      l40s: 48,
      l4: 24,
      a10g: 24,
      b200: 180,
    };
    for (const id of GPU_IDS) {
      expect(GPUS[id].memoryGiB, id).toBeLessThan(nominal[id]!);
      expect(GPUS[id].memoryGiB, id).toBeGreaterThan(nominal[id]! * 0.9);
    }
    // 85,031,714,816 bytes / 2^30 = 79.19 GiB
    expect(getGpu("h100-sxm-80gb").memoryGiB).toBe(79.19);
  });

  it("uses dense (not 2:4-sparse) BF16 peaks", () => {
    expect(getGpu("h100-sxm-80gb").bf16Tflops).toBe(989.4);
    expect(getGpu("a100-80gb").bf16Tflops).toBe(312);
    expect(getGpu("l40s").bf16Tflops).toBe(362.05);
    expect(getGpu("l4").bf16Tflops).toBe(121);
    expect(getGpu("b200").bf16Tflops).toBe(2250);
  });

  it("the measured 64 GB H100 has less bandwidth than the 80 GB HBM3 part", () => {
    expect(getGpu("h100-64gb").memoryBandwidthTBs).toBeLessThan(
      getGpu("h100-sxm-80gb").memoryBandwidthTBs,
    );
  });
});

describe("getModel / getGpu", () => {
  it("return the catalog entry", () => {
    expect(getModel("llama-2-13b")).toBe(MODELS["llama-2-13b"]);
    expect(getGpu("l4")).toBe(GPUS.l4);
  });

  it("unknown model id -> Error listing every valid model id", () => {
    expect(() => getModel("gpt-5")).toThrow(Error);
    try {
      getModel("gpt-5");
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('"gpt-5"');
      for (const id of MODEL_IDS) expect(msg).toContain(id);
    }
  });

  it("unknown GPU id -> Error listing every valid GPU id", () => {
    expect(() => getGpu("h100")).toThrow(Error);
    try {
      getGpu("h100");
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('"h100"');
      for (const id of GPU_IDS) expect(msg).toContain(id);
    }
  });

  it("does not resolve inherited object keys as ids", () => {
    expect(() => getModel("toString")).toThrow(/Valid model ids/);
    expect(() => getGpu("__proto__")).toThrow(/Valid GPU ids/);
  });
});
