/**
 * The workloads of bench:placement (also the source of bench:surrogate's "placement queries"):
 * paper-style grids of 128 / 512 / 2,000 adapters (Llama-3.1-8B-Instruct on the measured
 * 64 GB H100, ranks cycling 8/16/32, Zipf(1) or seeded Dirichlet(1) popularity, ShareGPT
 * lengths, Poisson arrivals), the Azure LLM conversation trace 2023 over 1,000 adapters
 * (null when ../shared/data is absent), and the 512 Zipf grid over three priced GPU types.
 */
import { existsSync, readFileSync } from "node:fs";
import { randomGamma } from "d3-random";
import { fleetRequestFromFile, parseFleetFile } from "../src/core/placement/fleetSchema";
import type { FleetRequest } from "../src/core/placement/types";
import { createRng } from "../src/core/workload/rng";

/** The Azure LLM inference trace 2023, conversation (../shared/data; absent on a user's clone). */
export const TRACE = "/work/shared/data/traces/azure-llm-2023-conv.csv";
const RANKS = [8, 16, 32] as const;

/** Shares of n adapters: Zipf(alpha) or a seeded symmetric Dirichlet(alpha), largest first. */
function shares(n: number, kind: "zipf" | "dirichlet", alpha: number, seed: number): number[] {
  let w: number[];
  if (kind === "zipf") w = Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, alpha));
  else {
    const rng = createRng(seed, 7);
    const g = randomGamma.source(() => rng.next())(alpha, 1);
    w = Array.from({ length: n }, () => g()).sort((x, y) => y - x);
  }
  const s = w.reduce((x, y) => x + y, 0);
  return w.map((x) => x / s);
}

export interface Workload {
  name: string;
  request: () => FleetRequest | null;
}

export function grid(
  n: number,
  kind: "zipf" | "dirichlet",
  totalRps: number,
  durationS: number,
): Workload {
  return {
    name: `${n}-${kind}`,
    request: () => ({
      model: "llama-3.1-8b-instruct",
      gpuTypes: [{ gpu: "h100-64gb" }],
      objective: "min-gpus",
      workload: {
        durationS,
        seed: 1,
        adapters: shares(n, kind, 1, 11).map((s, i) => ({
          id: `adapter-${String(i).padStart(4, "0")}`,
          rank: RANKS[i % RANKS.length]!,
          rateRps: Math.max(1e-6, s * totalRps),
        })),
      },
    }),
  };
}

/** The 512-adapter Zipf grid over three GPU types with prices and a cap, minimising $/h. */
function heterogeneous(durationS: number): Workload {
  const base = grid(512, "zipf", 250, durationS);
  return {
    name: "512-zipf-min-cost-3-types",
    request: () => ({
      ...base.request()!,
      objective: "min-cost",
      gpuTypes: [
        { gpu: "h100-64gb", costPerHour: 3 },
        { gpu: "a100-80gb", costPerHour: 1.3, maxCount: 4 },
        { gpu: "h100-sxm-80gb", costPerHour: 3.5 },
      ],
    }),
  };
}

function azure(durationS: number): Workload {
  return {
    name: "azure-conv-1000",
    request: () => {
      if (!existsSync(TRACE)) return null;
      const file = parseFleetFile({
        model: "llama-3.1-8b-instruct",
        gpuTypes: [{ gpu: "h100-64gb" }],
        workload: { seed: 1, ...(durationS < 3600 ? { durationS } : {}) },
        trace: {
          path: TRACE,
          adapters: 1000,
          popularity: { kind: "zipf", alpha: 1 },
          ranks: [8, 16, 32],
          rateScale: 8,
        },
      });
      return fleetRequestFromFile(file, readFileSync(TRACE, "utf8")).request;
    },
  };
}

/** bench:placement's eight workloads, in table order; windows of `durationS` s (trace: its span). */
export function placementWorkloads(durationS: number): Workload[] {
  return [
    grid(128, "zipf", 120, durationS),
    grid(128, "dirichlet", 120, durationS),
    grid(512, "zipf", 250, durationS),
    grid(512, "dirichlet", 250, durationS),
    grid(2000, "zipf", 250, durationS),
    grid(2000, "dirichlet", 400, durationS),
    azure(durationS),
    heterogeneous(durationS),
  ];
}
