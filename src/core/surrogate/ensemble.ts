/**
 * An ensemble of surrogates shipped as ONE network.
 *
 * Networks trained on the same samples from different seeds (initialisation, shuffling and
 * validation split) disagree most where the data is thin — heavily slot-contended, starved
 * servers — and their average is more accurate than any one of them (bench:surrogate). The
 * average of K multilayer perceptrons of equal depth is itself a perceptron: the members'
 * first layers side by side, their hidden layers block-diagonal, and their linear output layers
 * stacked and scaled by 1/K. So the ensemble needs no new file format and no runtime change: it
 * is a plain TF.js layers model whose hidden layers are K times wider.
 *
 * What is averaged is each output in the network's own space: the throughput target (ln of
 * throughput / demand, a geometric mean of the members' throughputs), the starvation logit,
 * and the ln latencies.
 */
import * as tf from "@tensorflow/tfjs";
import {
  foldedLayers,
  type LayerDef,
  type SurrogateArtifacts,
  type SurrogateMeta,
} from "./runtime";
import { denseNetwork, saveArtifacts } from "./train";

/**
 * Merge `members` (each a saved surrogate) into one network whose outputs are the mean of
 * theirs. Each member's input normalisation and output scaling are folded into its weights, so
 * the merged model has identity normalisation (mean 0, std 1) and the union of the members'
 * training ranges for the out-of-distribution flag.
 * @throws Error when there is no member, or members differ in inputs, outputs, throughput
 *   target, depth or activations.
 */
export async function mergeEnsemble(
  members: readonly SurrogateArtifacts[],
): Promise<SurrogateArtifacts> {
  const first = members[0];
  if (!first) throw new Error("ensemble: no member to merge");
  const m0 = first.meta;
  for (const [i, a] of members.entries()) {
    const m = a.meta;
    const differs = (what: string) => {
      throw new Error(`ensemble: member ${i} differs from member 0 in ${what}`);
    };
    if (m.featureNames.join() !== m0.featureNames.join()) differs("its input features");
    if (m.outputNames.join() !== m0.outputNames.join()) differs("its outputs");
    if (m.throughputTarget !== m0.throughputTarget) differs("its throughput target");
    if (m.layers.length !== m0.layers.length) differs("its depth");
    if (m.layers.some((l, j) => l.activation !== m0.layers[j]!.activation))
      differs("its activations");
  }
  const K = members.length;
  const folded = members.map(foldedLayers);
  const depth = m0.layers.length;
  const nIn = m0.featureNames.length;
  const kernels: tf.Tensor2D[] = [];
  const biases: tf.Tensor1D[] = [];
  const defs: LayerDef[] = [];
  let inDim = nIn;
  for (let l = 0; l < depth; l++) {
    const last = l === depth - 1;
    const parts = folded.map((f) => f[l]!);
    const units = last ? parts[0]!.units : parts.reduce((s, p) => s + p.units, 0);
    const W = new Float32Array(inDim * units);
    const B = new Float32Array(units);
    let row = 0; // first input row of this member (hidden layers after the first)
    let col = 0; // first output column of this member (hidden layers)
    for (const p of parts) {
      for (let i = 0; i < p.inDim; i++) {
        for (let u = 0; u < p.units; u++) {
          const w = p.kernel[i * p.units + u]!;
          if (last) W[(row + i) * units + u] = w / K;
          else if (l === 0) W[i * units + col + u] = w;
          else W[(row + i) * units + col + u] = w;
        }
      }
      for (let u = 0; u < p.units; u++) {
        if (last) B[u] = B[u]! + p.bias[u]! / K;
        else B[col + u] = p.bias[u]!;
      }
      if (l > 0) row += p.inDim;
      if (!last) col += p.units;
    }
    kernels.push(tf.tensor2d(W, [inDim, units]));
    biases.push(tf.tensor1d(B));
    defs.push({ name: m0.layers[l]!.name, units, activation: m0.layers[l]!.activation });
    inDim = units;
  }

  const net = denseNetwork(defs, nIn);
  try {
    net.setWeights(defs.flatMap((_, i) => [kernels[i]!, biases[i]!]));
    const meta: SurrogateMeta = {
      ...m0,
      featureMean: new Array<number>(nIn).fill(0),
      featureStd: new Array<number>(nIn).fill(1),
      featureMin: m0.featureMin.map((_, j) =>
        Math.min(...members.map((a) => a.meta.featureMin[j]!)),
      ),
      featureMax: m0.featureMax.map((_, j) =>
        Math.max(...members.map((a) => a.meta.featureMax[j]!)),
      ),
      targetMean: new Array<number>(m0.outputNames.length).fill(0),
      targetStd: new Array<number>(m0.outputNames.length).fill(1),
      layers: defs,
      training: {
        ...m0.training,
        validation: undefined,
        ensembleSeeds: members.map((a) => a.meta.training.seed),
      },
    };
    return await saveArtifacts(net, meta);
  } finally {
    tf.dispose([...kernels, ...biases]);
    net.dispose();
  }
}
