/**
 * The surrogate at run time: a trained network plus its normalisation, answering batches of
 * feature rows in microseconds, and whole scenarios with the deterministic parts (memory fit,
 * empty or non-starting servers) filled in exactly.
 *
 * Inference runs the dense layers as fused matMul+bias+activation kernels (one kernel per
 * layer; `LayersModel.predict` costs ~5× more per batch on wasm), with the input
 * normalisation folded into the first layer and the output scaling into the last. Backend-
 * agnostic: whatever `tf.getBackend()` is (see `backend.ts`).
 */
import * as tf from "@tensorflow/tfjs";
import type { GpuId, ModelId } from "../catalog/ids";
import type { ResolvedScenario } from "../scenario/resolve";
import type { MemoryReport } from "../twin/types";
import { extractFeatures, FEATURE_COUNT, FEATURE_NAMES, type ScenarioSummary } from "./features";
import {
  decodeThroughput,
  OUTPUT_COUNT,
  OUTPUT_NAMES,
  sigmoid,
  type ThroughputTarget,
} from "./targets";

export type Activation = "relu" | "elu" | "linear";

/** One dense layer of the saved network (weights `${name}/kernel`, `${name}/bias`). */
export interface LayerDef {
  name: string;
  units: number;
  activation: Activation;
}

/** Metrics of a model on its validation split (stored with it). */
export interface ValidationMetrics {
  rows: number;
  /** conventional SMAPE, %: 200 · mean |a − b| / (|a| + |b|) */
  throughputSmape: number;
  itlMeanSmape: number;
  starvedF1: number;
  starvedAccuracy: number;
}

/** The normalisation and provenance file (`normalisation.json`) saved next to `model.json`. */
export interface SurrogateMeta {
  format: "lfp-surrogate";
  version: 1;
  model: ModelId;
  gpu: GpuId;
  /** the network's inputs, in order (names of {@link FEATURE_NAMES}) */
  featureNames: string[];
  featureMean: number[];
  featureStd: number[];
  /** training range of each input (for the out-of-distribution flag) */
  featureMin: number[];
  featureMax: number[];
  /** a query is out of distribution when an input lies beyond [min, max] by more than this share of the range */
  oodMargin: number;
  outputNames: string[];
  targetMean: number[];
  targetStd: number[];
  throughputTarget: ThroughputTarget;
  layers: LayerDef[];
  training: {
    samples: number;
    designVersion: number;
    designSeed: number;
    epochs: number;
    seed: number;
    /** sha256 prefix of the twin's sources the data came from (Node pipeline) */
    twinFingerprint?: string;
    validation?: ValidationMetrics;
    /** seeds of the members when the network is an averaged ensemble (`ensemble.ts`) */
    ensembleSeeds?: number[];
    /**
     * when the network was distilled from an ensemble (`distill.ts`): its members' seeds, the
     * rows it labelled, their design seed, and the twin rows of the planner's own questions
     * (`scripts/surrogate/planner-queries.ts`) with their query seed
     */
    distillation?: {
      teacherSeeds: number[];
      teacherRows: number;
      designSeed: number;
      plannerQueryRows?: number;
      plannerQuerySeed?: number;
    };
  };
}

/** Default OOD margin: 5% of each feature's training range. */
export const DEFAULT_OOD_MARGIN = 0.05;
/** Absolute slack for features that were constant in training (e.g. the GPU descriptors of a per-pair model). */
const OOD_EPS = 1e-4;

/** Answers for a batch of feature rows (struct of arrays, one entry per row). */
export interface EstimateBatch {
  rows: number;
  throughputTokS: Float64Array;
  starvedProbability: Float64Array;
  itlMeanMs: Float64Array;
  itlP99Ms: Float64Array;
  ttftMeanMs: Float64Array;
  ttftP99Ms: Float64Array;
  /** 1 when some input lies outside the training range (beyond the margin) */
  outOfDistribution: Uint8Array;
}

/** The answer for one scenario (what `cli estimate` prints, minus timing). */
export interface SurrogateEstimate {
  source: "surrogate";
  throughputTokS: number;
  /** expected demanded tokens/s of the scenario's adapters */
  demandTokS: number;
  starvedProbability: number;
  starved: boolean;
  itlMs: { mean: number; p99: number };
  ttftMs: { mean: number; p99: number };
  memory: { fits: boolean; kvCacheTokens: number };
  /** the full memory plan (deterministic) */
  memoryReport: MemoryReport;
  outOfDistribution: boolean;
  /** names of the inputs outside the training range */
  oodFeatures: string[];
}

/** Probability at or above which a server is reported starved. */
export const STARVED_DECISION = 0.5;

/** The saved form: `model.json` (TF.js layers format), its weights, and `normalisation.json`. */
export interface SurrogateArtifacts {
  modelJson: tf.io.ModelJSON;
  weights: ArrayBuffer;
  meta: SurrogateMeta;
}

/** File names inside a model directory. */
export const MODEL_FILES = {
  model: "model.json",
  weights: "weights.bin",
  meta: "normalisation.json",
} as const;

interface RuntimeLayer {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  activation: Activation;
}

/** One dense layer in plain arrays: `kernel` row-major `inDim × units`, y = act(x·kernel + bias). */
export interface FoldedLayer {
  inDim: number;
  units: number;
  kernel: Float64Array;
  bias: Float64Array;
  activation: Activation;
}

/**
 * The network of saved artifacts as plain layers that take raw feature values (the inputs of
 * `meta.featureNames`, in order) and give raw outputs: the input normalisation is folded into the
 * first layer and the output scaling into the last.
 * @throws Error on an unsupported `normalisation.json`, other outputs than {@link OUTPUT_NAMES},
 *   missing weights or a layer shape that does not chain.
 */
export function foldedLayers(a: SurrogateArtifacts): FoldedLayer[] {
  const meta = a.meta;
  if (meta.format !== "lfp-surrogate" || meta.version !== 1) {
    throw new Error(
      `surrogate: unsupported normalisation file (format ${meta.format}, version ${meta.version})`,
    );
  }
  if (meta.outputNames.join() !== OUTPUT_NAMES.join()) {
    throw new Error(
      `surrogate: outputs ${meta.outputNames.join(",")} differ from ${OUTPUT_NAMES.join(",")}`,
    );
  }
  const specs = a.modelJson.weightsManifest.flatMap((g) => g.weights);
  const named = tf.io.decodeWeights(a.weights, specs);
  try {
    const layers: FoldedLayer[] = [];
    const nL = meta.layers.length;
    let inDim = meta.featureNames.length;
    meta.layers.forEach((def, li) => {
      const k = named[`${def.name}/kernel`];
      const b = named[`${def.name}/bias`];
      if (!k || !b) throw new Error(`surrogate: weights of layer ${def.name} missing`);
      if (k.shape[0] !== inDim || k.shape[1] !== def.units) {
        throw new Error(
          `surrogate: layer ${def.name} has shape ${k.shape.join("x")}, expected ${inDim}x${def.units}`,
        );
      }
      const K = Float64Array.from(k.dataSync());
      const B = Float64Array.from(b.dataSync());
      const units = def.units;
      if (li === 0) {
        // x_n = (x − μ)/σ  ⇒  W' = W/σ (per input row), b' = b − Σ_i μ_i/σ_i · W_i
        for (let i = 0; i < inDim; i++) {
          const s = meta.featureStd[i]!;
          const m = meta.featureMean[i]!;
          for (let u = 0; u < units; u++) {
            const w = K[i * units + u]! / s;
            K[i * units + u] = w;
            B[u] = B[u]! - m * w;
          }
        }
      }
      if (li === nL - 1) {
        // y = y_n σ_y + μ_y (the classification output keeps σ = 1, μ = 0)
        for (let u = 0; u < units; u++) {
          const s = meta.targetStd[u]!;
          for (let i = 0; i < inDim; i++) K[i * units + u] = K[i * units + u]! * s;
          B[u] = B[u]! * s + meta.targetMean[u]!;
        }
      }
      layers.push({ inDim, units, kernel: K, bias: B, activation: def.activation });
      inDim = units;
    });
    if (inDim !== OUTPUT_COUNT)
      throw new Error(`surrogate: network has ${inDim} outputs, expected ${OUTPUT_COUNT}`);
    return layers;
  } finally {
    tf.dispose(Object.values(named));
  }
}

export class Surrogate {
  readonly meta: SurrogateMeta;
  /** column of each network input in a full feature row */
  private readonly cols: Int32Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly layers: RuntimeLayer[];
  private readonly demandCol: number;
  private readonly nIn: number;
  private disposed = false;

  private constructor(meta: SurrogateMeta, layers: RuntimeLayer[]) {
    this.meta = meta;
    this.layers = layers;
    this.nIn = meta.featureNames.length;
    this.cols = Int32Array.from(meta.featureNames, (n) => {
      const j = FEATURE_NAMES.indexOf(n);
      if (j < 0)
        throw new Error(
          `surrogate: the model uses feature "${n}", which this build does not compute`,
        );
      return j;
    });
    this.lo = new Float64Array(this.nIn);
    this.hi = new Float64Array(this.nIn);
    for (let j = 0; j < this.nIn; j++) {
      const range = meta.featureMax[j]! - meta.featureMin[j]!;
      const slack = Math.max(meta.oodMargin * range, OOD_EPS);
      this.lo[j] = meta.featureMin[j]! - slack;
      this.hi[j] = meta.featureMax[j]! + slack;
    }
    this.demandCol = FEATURE_NAMES.indexOf("log10DemandTokS");
  }

  /**
   * Build from saved artifacts: decode the weights, fold the input normalisation into the
   * first layer and the output scaling into the last.
   */
  static fromArtifacts(a: SurrogateArtifacts): Surrogate {
    const layers = foldedLayers(a).map((l): RuntimeLayer => ({
      kernel: tf.tensor2d(Float32Array.from(l.kernel), [l.inDim, l.units]),
      bias: tf.tensor1d(Float32Array.from(l.bias)),
      activation: l.activation,
    }));
    return new Surrogate(a.meta, layers);
  }

  /**
   * Load a model directory through `read(fileName)` (a `fetch` of `<url>/<name>` in the
   * browser, a file read in Node; see `loadSurrogateFromUrl` and `scripts/surrogate/files.ts`).
   */
  static async load(read: (name: string) => Promise<ArrayBuffer>): Promise<Surrogate> {
    const text = (b: ArrayBuffer) => new TextDecoder().decode(b);
    const [modelBuf, metaBuf, weights] = await Promise.all([
      read(MODEL_FILES.model),
      read(MODEL_FILES.meta),
      read(MODEL_FILES.weights),
    ]);
    return Surrogate.fromArtifacts({
      modelJson: JSON.parse(text(modelBuf)) as tf.io.ModelJSON,
      meta: JSON.parse(text(metaBuf)) as SurrogateMeta,
      weights,
    });
  }

  /** Network inputs of `rows` full feature rows (row-major, {@link FEATURE_COUNT} columns). */
  private gather(x: Float32Array, rows: number): Float32Array {
    const nIn = this.nIn;
    const out = new Float32Array(rows * nIn);
    const cols = this.cols;
    for (let r = 0; r < rows; r++) {
      const src = r * FEATURE_COUNT;
      const dst = r * nIn;
      for (let j = 0; j < nIn; j++) out[dst + j] = x[src + cols[j]!]!;
    }
    return out;
  }

  private forward(input: Float32Array, rows: number): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = tf.tensor2d(input, [rows, this.nIn]);
      for (const l of this.layers) {
        h = tf.fused.matMul({
          a: h,
          b: l.kernel,
          bias: l.bias,
          activation: l.activation,
        }) as tf.Tensor2D;
      }
      return h;
    });
  }

  private decode(
    x: Float32Array,
    input: Float32Array,
    rows: number,
    raw: Float32Array | Int32Array | Uint8Array,
  ): EstimateBatch {
    const out: EstimateBatch = {
      rows,
      throughputTokS: new Float64Array(rows),
      starvedProbability: new Float64Array(rows),
      itlMeanMs: new Float64Array(rows),
      itlP99Ms: new Float64Array(rows),
      ttftMeanMs: new Float64Array(rows),
      ttftP99Ms: new Float64Array(rows),
      outOfDistribution: new Uint8Array(rows),
    };
    const mode = this.meta.throughputTarget;
    const nIn = this.nIn;
    for (let r = 0; r < rows; r++) {
      const o = r * OUTPUT_COUNT;
      const demand = Math.max(0, 10 ** x[r * FEATURE_COUNT + this.demandCol]! - 1e-6);
      out.throughputTokS[r] = decodeThroughput(raw[o]!, demand, mode);
      out.starvedProbability[r] = sigmoid(raw[o + 1]!);
      out.itlMeanMs[r] = Math.exp(raw[o + 2]!);
      out.itlP99Ms[r] = Math.exp(raw[o + 3]!);
      out.ttftMeanMs[r] = Math.exp(raw[o + 4]!);
      out.ttftP99Ms[r] = Math.exp(raw[o + 5]!);
      let ood = 0;
      const base = r * nIn;
      for (let j = 0; j < nIn; j++) {
        const v = input[base + j]!;
        if (!(v >= this.lo[j]! && v <= this.hi[j]!)) {
          ood = 1;
          break;
        }
      }
      out.outOfDistribution[r] = ood;
    }
    return out;
  }

  /** Synchronous batch estimate (`dataSync`; fine on cpu and wasm, blocks on webgl/webgpu). */
  estimateSync(x: Float32Array, rows = x.length / FEATURE_COUNT): EstimateBatch {
    this.check(x, rows);
    const input = this.gather(x, rows);
    const y = this.forward(input, rows);
    try {
      return this.decode(x, input, rows, y.dataSync());
    } finally {
      y.dispose();
    }
  }

  /** Batch estimate of `rows` feature rows (row-major, {@link FEATURE_COUNT} columns each). */
  async estimate(x: Float32Array, rows = x.length / FEATURE_COUNT): Promise<EstimateBatch> {
    this.check(x, rows);
    const input = this.gather(x, rows);
    const y = this.forward(input, rows);
    try {
      return this.decode(x, input, rows, await y.data());
    } finally {
      y.dispose();
    }
  }

  /** Which network inputs of a full feature row are outside the training range. */
  oodFeatures(x: Float32Array, row = 0): string[] {
    const names: string[] = [];
    for (let j = 0; j < this.nIn; j++) {
      const v = x[row * FEATURE_COUNT + this.cols[j]!]!;
      if (!(v >= this.lo[j]! && v <= this.hi[j]!)) names.push(this.meta.featureNames[j]!);
    }
    return names;
  }

  /**
   * Estimate whole scenarios. Deterministic cases bypass the network: a server that does not
   * start (memory) has zero throughput and is starved when requests arrive; a scenario with no
   * demand has zero throughput and is not starved.
   */
  async estimateScenarios(scenarios: readonly ResolvedScenario[]): Promise<SurrogateEstimate[]> {
    const rows = scenarios.length;
    const x = new Float32Array(rows * FEATURE_COUNT);
    const summaries: ScenarioSummary[] = scenarios.map((s, r) =>
      extractFeatures(s, x, r * FEATURE_COUNT),
    );
    const b = rows > 0 ? await this.estimate(x, rows) : undefined;
    return summaries.map((sum, r) => this.assemble(sum, b!, r, x));
  }

  private assemble(
    sum: ScenarioSummary,
    b: EstimateBatch,
    r: number,
    x: Float32Array,
  ): SurrogateEstimate {
    const memory = { fits: sum.memory.fits, kvCacheTokens: sum.memory.kvCacheTokens };
    const base = {
      source: "surrogate" as const,
      demandTokS: sum.demandTokS,
      memory,
      memoryReport: sum.memory,
    };
    const zero = { mean: 0, p99: 0 };
    if (!sum.memory.fits || sum.demandTokS <= 0) {
      const starved = sum.demandTokS > 0;
      return {
        ...base,
        throughputTokS: 0,
        starvedProbability: starved ? 1 : 0,
        starved,
        itlMs: zero,
        ttftMs: zero,
        outOfDistribution: false,
        oodFeatures: [],
      };
    }
    const p = b.starvedProbability[r]!;
    const oodFeatures = b.outOfDistribution[r] ? this.oodFeatures(x, r) : [];
    return {
      ...base,
      throughputTokS: b.throughputTokS[r]!,
      starvedProbability: p,
      starved: p >= STARVED_DECISION,
      itlMs: { mean: b.itlMeanMs[r]!, p99: b.itlP99Ms[r]! },
      ttftMs: { mean: b.ttftMeanMs[r]!, p99: b.ttftP99Ms[r]! },
      outOfDistribution: oodFeatures.length > 0,
      oodFeatures,
    };
  }

  private check(x: Float32Array, rows: number): void {
    if (this.disposed) throw new Error("surrogate: used after dispose()");
    if (!Number.isInteger(rows) || rows < 0 || x.length < rows * FEATURE_COUNT) {
      throw new Error(
        `surrogate: need ${rows} rows of ${FEATURE_COUNT} features, got ${x.length} numbers`,
      );
    }
  }

  /** Free the weight tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.layers) {
      l.kernel.dispose();
      l.bias.dispose();
    }
  }
}

/** Load a model directory served at `baseUrl` (e.g. `models/llama-3.1-8b-instruct__h100-64gb/`). */
export function loadSurrogateFromUrl(
  baseUrl: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Surrogate> {
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  return Surrogate.load(async (name) => {
    const res = await fetchImpl(`${base}${name}`);
    if (!res.ok) throw new Error(`surrogate: ${base}${name}: HTTP ${res.status}`);
    return res.arrayBuffer();
  });
}

/** Directory name of a pair's shipped model under `public/models/`. */
export function modelDirName(model: ModelId, gpu: GpuId): string {
  return `${model}__${gpu}`;
}
