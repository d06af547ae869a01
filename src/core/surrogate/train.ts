/**
 * Training: a small multi-output MLP (shared trunk; throughput, starvation logit and four log
 * latencies) on a twin dataset, with TF.js on whatever backend is active (cpu or wasm in Node,
 * any in a browser worker). Deterministic for a given dataset, options and backend: seeded
 * initialisers, seeded shuffling, single-threaded kernels.
 *
 * Loss = Σ_k w_k · masked MSE (regression outputs, normalised) + w_s · BCE(starved). Adam with
 * cosine learning-rate decay; the weights with the best validation loss are kept.
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../workload/rng";
import type { Dataset, DatasetRow } from "./dataset";
import { FEATURE_NAMES } from "./features";
import {
  DEFAULT_OOD_MARGIN,
  STARVED_DECISION,
  Surrogate,
  type Activation,
  type LayerDef,
  type SurrogateArtifacts,
  type SurrogateMeta,
  type ValidationMetrics,
} from "./runtime";
import {
  decodeThroughput,
  encodeTargets,
  OUTPUT_COUNT,
  OUTPUT_NAMES,
  sigmoid,
  STARVED_OUTPUT,
  type ThroughputTarget,
} from "./targets";

export interface TrainOptions {
  /** hidden layer widths (default [64, 64]) */
  hidden?: number[];
  activation?: Exclude<Activation, "linear">;
  /** default 400 */
  epochs?: number;
  /** default 128 */
  batchSize?: number;
  /** initial learning rate (default 3e-3, cosine-decayed to 2% of it) */
  learningRate?: number;
  /** default "logratio" */
  throughputTarget?: ThroughputTarget;
  /** network inputs (default: every feature); for ablations */
  features?: readonly string[];
  /** share of rows held out for model selection (default 0.1) */
  validationFraction?: number;
  /** seed of initialisation and shuffling (default 1) */
  seed?: number;
  /** loss weights: throughput, starvation, each latency (default 4, 1, 0.5) */
  lossWeights?: { throughput: number; starved: number; latency: number };
  /** L2 penalty on kernels (default 1e-5) */
  l2?: number;
  /** validate every this many epochs (default 5) */
  validateEvery?: number;
  /** recorded in the model's metadata */
  twinFingerprint?: string;
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  trainLoss: number;
  /** last validation loss (NaN before the first) */
  valLoss: number;
  bestValLoss: number;
  elapsedMs: number;
}

export interface TrainResult {
  artifacts: SurrogateArtifacts;
  surrogate: Surrogate;
  validation: ValidationMetrics;
  /** validation loss per check */
  history: { epoch: number; trainLoss: number; valLoss: number }[];
  bestEpoch: number;
  backend: string;
  wallMs: number;
}

/** Conventional SMAPE, %: 200 · mean |a − b| / (|a| + |b|) (pairs with a = b = 0 count as 0). */
export function smape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let s = 0;
  const n = actual.length;
  if (n === 0) return NaN;
  for (let i = 0; i < n; i++) {
    const a = actual[i]!;
    const p = predicted[i]!;
    const d = Math.abs(a) + Math.abs(p);
    s += d > 0 ? Math.abs(a - p) / d : 0;
  }
  return (200 * s) / n;
}

/** F1 of the positive class (NaN when there are no positives and none predicted). */
export function f1Score(actual: ArrayLike<boolean>, predicted: ArrayLike<boolean>): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] && predicted[i]) tp++;
    else if (!actual[i] && predicted[i]) fp++;
    else if (actual[i] && !predicted[i]) fn++;
  }
  return tp + fp + fn === 0 ? NaN : (2 * tp) / (2 * tp + fp + fn);
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Rows the trainer can use (a target row needs features of finite values). */
function usableRows(rows: readonly DatasetRow[]): DatasetRow[] {
  return rows.filter((r) => r.features.every(Number.isFinite));
}

/**
 * Train a surrogate on `dataset` (rows of the design's twin runs). The backend is whatever
 * TF.js has active; call `initBackend` first to choose one.
 */
export async function trainSurrogate(
  dataset: Dataset,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  const t0 = performance.now();
  const hidden = opts.hidden ?? [64, 64];
  const activation = opts.activation ?? "elu";
  const epochs = opts.epochs ?? 400;
  const batchSize = opts.batchSize ?? 128;
  const lr0 = opts.learningRate ?? 3e-3;
  const mode = opts.throughputTarget ?? "logratio";
  const seed = opts.seed ?? 1;
  const lw = opts.lossWeights ?? { throughput: 4, starved: 1, latency: 0.5 };
  const l2 = opts.l2 ?? 1e-5;
  const validateEvery = opts.validateEvery ?? 5;
  const featureNames = [...(opts.features ?? FEATURE_NAMES)];
  const cols = featureNames.map((n) => {
    const j = dataset.featureNames.indexOf(n);
    if (j < 0) throw new Error(`train: feature "${n}" is not in the dataset`);
    return j;
  });
  const nIn = cols.length;

  const rows = usableRows(dataset.rows);
  if (rows.length < 20) throw new Error(`train: need at least 20 usable rows, got ${rows.length}`);
  // deterministic split
  const rng = createRng(seed, 0xfeed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = Math.max(1, Math.round(rows.length * (opts.validationFraction ?? 0.1)));
  const valIdx = order.slice(0, nVal);
  const trainIdx = order.slice(nVal);

  // matrices
  const X = (idx: number[]) => {
    const out = new Float32Array(idx.length * nIn);
    idx.forEach((i, r) => cols.forEach((c, j) => (out[r * nIn + j] = rows[i]!.features[c]!)));
    return out;
  };
  const enc = rows.map((r) => encodeTargets(r.labels, mode));
  const Y = (idx: number[]) => Float32Array.from(idx.flatMap((i) => enc[i]!.y));
  const M = (idx: number[]) => Float32Array.from(idx.flatMap((i) => enc[i]!.mask));
  const xTrain = X(trainIdx);
  const yTrain = Y(trainIdx);
  const mTrain = M(trainIdx);

  // normalisation from the training split
  const fMean = new Array<number>(nIn).fill(0);
  const fStd = new Array<number>(nIn).fill(0);
  const fMin = new Array<number>(nIn).fill(Infinity);
  const fMax = new Array<number>(nIn).fill(-Infinity);
  const nT = trainIdx.length;
  for (let r = 0; r < nT; r++) {
    for (let j = 0; j < nIn; j++) {
      const v = xTrain[r * nIn + j]!;
      fMean[j]! += v / nT;
      if (v < fMin[j]!) fMin[j] = v;
      if (v > fMax[j]!) fMax[j] = v;
    }
  }
  for (let r = 0; r < nT; r++) {
    for (let j = 0; j < nIn; j++) fStd[j]! += (xTrain[r * nIn + j]! - fMean[j]!) ** 2 / nT;
  }
  for (let j = 0; j < nIn; j++) {
    const s = Math.sqrt(fStd[j]!);
    fStd[j] = s > 1e-6 ? s : 1;
  }
  const tMean = new Array<number>(OUTPUT_COUNT).fill(0);
  const tStd = new Array<number>(OUTPUT_COUNT).fill(1);
  for (let k = 0; k < OUTPUT_COUNT; k++) {
    if (k === STARVED_OUTPUT) continue;
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < nT; r++) {
      if (!mTrain[r * OUTPUT_COUNT + k]) continue;
      const v = yTrain[r * OUTPUT_COUNT + k]!;
      n++;
      s += v;
      s2 += v * v;
    }
    if (n > 0) {
      tMean[k] = s / n;
      const sd = Math.sqrt(Math.max(0, s2 / n - tMean[k]! ** 2));
      tStd[k] = sd > 1e-6 ? sd : 1;
    }
  }
  const normX = (x: Float32Array) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = (x[i]! - fMean[i % nIn]!) / fStd[i % nIn]!;
    return out;
  };
  const normY = (y: Float32Array) => {
    const out = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const k = i % OUTPUT_COUNT;
      out[i] = k === STARVED_OUTPUT ? y[i]! : (y[i]! - tMean[k]!) / tStd[k]!;
    }
    return out;
  };

  const layers: LayerDef[] = [
    ...hidden.map((units, i): LayerDef => ({ name: `h${i}`, units, activation })),
    { name: "out", units: OUTPUT_COUNT, activation: "linear" },
  ];
  const net = denseNetwork(layers, nIn, seed);

  const lossWeights = tf.tensor1d(
    OUTPUT_NAMES.map((_, k) => (k === 0 ? lw.throughput : k === STARVED_OUTPUT ? 0 : lw.latency)),
  );
  const clsMask = tf.tensor1d(OUTPUT_NAMES.map((_, k) => (k === STARVED_OUTPUT ? 1 : 0)));
  const xT = tf.tensor2d(normX(xTrain), [nT, nIn]);
  const yT = tf.tensor2d(normY(yTrain), [nT, OUTPUT_COUNT]);
  const mT = tf.tensor2d(mTrain, [nT, OUTPUT_COUNT]);
  const xV = tf.tensor2d(normX(X(valIdx)), [nVal, nIn]);
  const yV = tf.tensor2d(normY(Y(valIdx)), [nVal, OUTPUT_COUNT]);
  const mV = tf.tensor2d(M(valIdx), [nVal, OUTPUT_COUNT]);
  // (variable names get a uniqueness suffix after the first model of a process: "h0/kernel_1")
  const kernels = net.trainableWeights
    .filter((w) => w.name.includes("/kernel"))
    .map((w) => w.read());

  const lossOf = (pred: tf.Tensor2D, y: tf.Tensor2D, m: tf.Tensor2D, withL2: boolean): tf.Scalar =>
    tf.tidy(() => {
      const n = pred.shape[0];
      const reg = pred.sub(y).square().mul(m).mul(lossWeights).sum().div(n);
      // stable BCE with logits: max(z,0) − z·t + log(1 + e^−|z|), starved column only
      const z = pred.mul(clsMask).sum(1);
      const t = y.mul(clsMask).sum(1);
      const bce = z.relu().sub(z.mul(t)).add(z.abs().neg().exp().log1p()).mean().mul(lw.starved);
      let loss = reg.add(bce) as tf.Scalar;
      if (withL2 && l2 > 0) for (const k of kernels) loss = loss.add(k.square().sum().mul(l2));
      return loss;
    });

  const optimizer = tf.train.adam(lr0);
  const perm = Int32Array.from({ length: nT }, (_, i) => i);
  const history: TrainResult["history"] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | null = null;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      (optimizer as unknown as { learningRate: number }).learningRate =
        lr0 * (0.02 + 0.98 * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs)));
      for (let i = nT - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        const tmp = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = tmp;
      }
      let lossSum = 0;
      let batches = 0;
      for (let s = 0; s < nT; s += batchSize) {
        const idx = tf.tensor1d(perm.subarray(s, Math.min(nT, s + batchSize)), "int32");
        const xb = tf.gather(xT, idx);
        const yb = tf.gather(yT, idx);
        const mb = tf.gather(mT, idx);
        const cost = optimizer.minimize(
          () => lossOf(net.apply(xb) as tf.Tensor2D, yb, mb, true),
          true,
        );
        if (epoch % validateEvery === 0 || epoch === epochs) {
          lossSum += (await cost!.data())[0]!;
          batches++;
        }
        tf.dispose([idx, xb, yb, mb, cost!]);
      }
      if (epoch % validateEvery === 0 || epoch === epochs) {
        const v = tf.tidy(() => lossOf(net.apply(xV) as tf.Tensor2D, yV, mV, false));
        const lastVal = (await v.data())[0]!;
        v.dispose();
        const trainLoss = lossSum / Math.max(1, batches);
        history.push({ epoch, trainLoss, valLoss: lastVal });
        if (lastVal < best) {
          best = lastVal;
          bestEpoch = epoch;
          if (bestWeights) tf.dispose(bestWeights);
          bestWeights = net.getWeights().map((w) => w.clone());
        }
        opts.onProgress?.({
          epoch,
          epochs,
          trainLoss,
          valLoss: lastVal,
          bestValLoss: best,
          elapsedMs: performance.now() - t0,
        });
        await tick();
      }
    }
    if (bestWeights) net.setWeights(bestWeights);

    const meta: SurrogateMeta = {
      format: "lfp-surrogate",
      version: 1,
      model: dataset.spec.model,
      gpu: dataset.spec.gpu,
      featureNames,
      featureMean: fMean,
      featureStd: fStd,
      featureMin: fMin,
      featureMax: fMax,
      oodMargin: DEFAULT_OOD_MARGIN,
      outputNames: [...OUTPUT_NAMES],
      targetMean: tMean,
      targetStd: tStd,
      throughputTarget: mode,
      layers,
      training: {
        samples: rows.length,
        designVersion: dataset.designVersion,
        designSeed: dataset.spec.seed,
        epochs,
        seed,
        ...(opts.twinFingerprint ? { twinFingerprint: opts.twinFingerprint } : {}),
      },
    };
    const artifacts = await saveArtifacts(net, meta);
    const surrogate = Surrogate.fromArtifacts(artifacts);
    const validation = evaluateRows(
      surrogate,
      valIdx.map((i) => rows[i]!),
      dataset.featureNames,
    );
    meta.training.validation = roundMetrics(validation);
    return {
      artifacts,
      surrogate,
      validation,
      history,
      bestEpoch,
      backend: tf.getBackend(),
      wallMs: performance.now() - t0,
    };
  } finally {
    tf.dispose([lossWeights, clsMask, xT, yT, mT, xV, yV, mV]);
    if (bestWeights) tf.dispose(bestWeights);
    optimizer.dispose();
    net.dispose();
  }
}

function roundMetrics(m: ValidationMetrics): ValidationMetrics {
  const r = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    rows: m.rows,
    throughputSmape: r(m.throughputSmape),
    itlMeanSmape: r(m.itlMeanSmape),
    starvedF1: r(m.starvedF1),
    starvedAccuracy: r(m.starvedAccuracy),
  };
}

/**
 * The TF.js layers model of `layers` (dense, in order) over `nIn` inputs. With `seed`, kernels
 * start Glorot-uniform from seed·1000 + layer index and biases at zero (training); without,
 * the caller sets the weights (`ensemble.ts`).
 */
export function denseNetwork(
  layers: readonly LayerDef[],
  nIn: number,
  seed?: number,
): tf.Sequential {
  const net = tf.sequential();
  layers.forEach((def, i) =>
    net.add(
      tf.layers.dense({
        name: def.name,
        units: def.units,
        activation: def.activation,
        inputShape: i === 0 ? [nIn] : undefined,
        ...(seed === undefined
          ? {}
          : {
              kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + i }),
              biasInitializer: "zeros" as const,
            }),
      }),
    ),
  );
  return net;
}

/** Capture a layers model in the TF.js `model.json` + weights form (with `meta` as its normalisation file). */
export async function saveArtifacts(
  net: tf.LayersModel,
  meta: SurrogateMeta,
): Promise<SurrogateArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await net.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  if (!captured?.weightSpecs || !captured.weightData)
    throw new Error("train: model save captured no weights");
  const weightData = captured.weightData;
  const weights =
    weightData instanceof ArrayBuffer
      ? weightData
      : tf.io.concatenateArrayBuffers(weightData as ArrayBuffer[]);
  const modelJson: tf.io.ModelJSON = {
    format: "layers-model",
    generatedBy: captured.generatedBy ?? "TensorFlow.js",
    convertedBy: null,
    modelTopology: captured.modelTopology as object,
    weightsManifest: [{ paths: ["weights.bin"], weights: captured.weightSpecs }],
  };
  return { modelJson, weights, meta };
}

/** Metrics of a surrogate on dataset rows (features in `featureNames` order). */
export function evaluateRows(
  s: Surrogate,
  rows: readonly DatasetRow[],
  featureNames: readonly string[],
): ValidationMetrics {
  const n = rows.length;
  const x = new Float32Array(n * FEATURE_NAMES.length);
  const map = FEATURE_NAMES.map((name) => featureNames.indexOf(name));
  rows.forEach((r, i) =>
    map.forEach((c, j) => (x[i * FEATURE_NAMES.length + j] = c >= 0 ? r.features[c]! : NaN)),
  );
  const b = s.estimateSync(x, n);
  const thrA: number[] = [];
  const thrP: number[] = [];
  const itlA: number[] = [];
  const itlP: number[] = [];
  const stA: boolean[] = [];
  const stP: boolean[] = [];
  rows.forEach((r, i) => {
    thrA.push(r.labels.throughputTokS);
    thrP.push(b.throughputTokS[i]!);
    if (r.labels.finished > 0 && r.labels.itlMeanMs > 0) {
      itlA.push(r.labels.itlMeanMs);
      itlP.push(b.itlMeanMs[i]!);
    }
    stA.push(r.labels.starved);
    stP.push(b.starvedProbability[i]! >= STARVED_DECISION);
  });
  let correct = 0;
  for (let i = 0; i < n; i++) if (stA[i] === stP[i]) correct++;
  return {
    rows: n,
    throughputSmape: smape(thrA, thrP),
    itlMeanSmape: smape(itlA, itlP),
    starvedF1: f1Score(stA, stP),
    starvedAccuracy: n > 0 ? correct / n : NaN,
  };
}

export { decodeThroughput, sigmoid };
