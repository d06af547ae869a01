/**
 * TF.js for the browser planner, loaded only when a surrogate model is used (a dynamic
 * `import()` from `surrogateModels.ts`, so TF.js and the wasm backend are a separate chunk that
 * only workers fetch). The wasm binaries are served as assets next to the chunk; their paths
 * are set before the backend is first used, and only the single-threaded builds are used (the
 * threaded one broke in a minified worker and is no faster on 2 cores).
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import wasmPlain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import wasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import { initBackend, type BackendChoice } from "../src/core/surrogate/backend";
import {
  loadSurrogateFromUrl,
  Surrogate,
  type SurrogateArtifacts,
} from "../src/core/surrogate/runtime";

setWasmPaths({
  "tfjs-backend-wasm.wasm": wasmPlain,
  "tfjs-backend-wasm-simd.wasm": wasmSimd,
  "tfjs-backend-wasm-threaded-simd.wasm": wasmSimd,
});
tf.enableProdMode();

let choice: Promise<BackendChoice> | null = null;

/**
 * Activate the backend once: wasm, else cpu (no probe: the planner's batches are small, where
 * wasm wins; WebGL and WebGPU pay milliseconds per call in transfers).
 */
export function ready(): Promise<BackendChoice> {
  choice ??= initBackend({ candidates: ["wasm", "cpu"] });
  return choice;
}

export async function fromUrl(url: string): Promise<Surrogate> {
  await ready();
  return loadSurrogateFromUrl(url);
}

export async function fromArtifacts(a: SurrogateArtifacts): Promise<Surrogate> {
  await ready();
  return Surrogate.fromArtifacts(a);
}
