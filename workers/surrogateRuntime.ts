/**
 * TF.js for the browser planner, loaded only when a surrogate model is used (a dynamic
 * `import()` from `surrogateModels.ts`, so TF.js and the wasm backend are a separate chunk that
 * only workers fetch); `tfjsWasm.ts` points the wasm backend at its binaries first.
 */
import { configureTfjs } from "./tfjsWasm";
import { initBackend, type BackendChoice } from "../src/core/surrogate/backend";
import {
  loadSurrogateFromUrl,
  Surrogate,
  type SurrogateArtifacts,
} from "../src/core/surrogate/runtime";

configureTfjs();

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
