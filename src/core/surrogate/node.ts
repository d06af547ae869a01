/**
 * Node-only file helpers of the surrogate (model directories on disk). Not exported from the
 * barrel: browser code loads models with `loadSurrogateFromUrl`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MODEL_FILES, Surrogate, type SurrogateArtifacts } from "./runtime";

/** Load the model directory `dir` (model.json, weights.bin, normalisation.json). */
export function loadSurrogateFromDir(dir: string): Promise<Surrogate> {
  return Surrogate.load(async (name) => {
    const b = await readFile(join(dir, name));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  });
}

/** Write artifacts into `dir` (created if needed). Byte-identical for identical artifacts. */
export async function writeArtifacts(dir: string, a: SurrogateArtifacts): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MODEL_FILES.model), JSON.stringify(a.modelJson) + "\n");
  await writeFile(join(dir, MODEL_FILES.weights), new Uint8Array(a.weights));
  await writeFile(join(dir, MODEL_FILES.meta), JSON.stringify(a.meta, null, 2) + "\n");
}
