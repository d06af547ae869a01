/**
 * TF.js set-up shared by the surrogate workers: the wasm backend's binaries are served as
 * assets next to the chunk, and only the single-threaded builds are used (the threaded one
 * broke in a minified worker and is no faster on 2 cores). Call before the backend is used.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import wasmPlain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import wasmSimd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";

export function configureTfjs(): void {
  setWasmPaths({
    "tfjs-backend-wasm.wasm": wasmPlain,
    "tfjs-backend-wasm-simd.wasm": wasmSimd,
    "tfjs-backend-wasm-threaded-simd.wasm": wasmSimd,
  });
  tf.enableProdMode();
}
