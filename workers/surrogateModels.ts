/**
 * Where the browser planner's surrogates come from: a model trained in this browser
 * (IndexedDB) wins over a shipped one (`models/<model>__<gpu>/`, listed in
 * `models/index.json`). TF.js is imported only when a pair actually has a model. Every pair is
 * loaded once per worker; a model that fails to load (e.g. trained with features this build no
 * longer computes) counts as missing, with the reason, and the twin answers for it.
 */
import type { GpuId, ModelId } from "../src/core/catalog/ids";
import type { Surrogate } from "../src/core/surrogate/runtime";
import { fetchManifest, loadTrained, pairKey } from "../src/state/models";

export type PairSource = "trained" | "shipped" | "none";

export interface PairStatus {
  source: PairSource;
  /** loaded and usable */
  loaded: boolean;
  /** why a model that exists could not be used */
  error?: string;
}

export interface SurrogateStatus {
  /** TF.js backend in use (null until a model loads) */
  backend: string | null;
  /** per `<model>__<gpu>` pair asked about */
  pairs: Record<string, PairStatus>;
}

export interface ModelSource {
  /** The pair's surrogate, or null (the twin answers then). Never rejects. */
  load(model: ModelId, gpu: GpuId): Promise<Surrogate | null>;
  /** Whether the pair has a model (without loading TF.js). */
  sourceOf(model: ModelId, gpu: GpuId): Promise<PairSource>;
  status(): SurrogateStatus;
}

type Runtime = typeof import("./surrogateRuntime");

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `modelsBase`: absolute URL of the app's `models/` directory (undefined: shipped models off). */
export function createModelSource(
  modelsBase: string | undefined,
  onChange?: (s: SurrogateStatus) => void,
): ModelSource {
  let manifest: Promise<Set<string>> | null = null;
  let runtime: Promise<Runtime> | null = null;
  const cache = new Map<string, Promise<Surrogate | null>>();
  const status: SurrogateStatus = { backend: null, pairs: {} };
  const changed = () => onChange?.(structuredClone(status));

  const shipped = () =>
    (manifest ??= modelsBase
      ? fetchManifest(modelsBase).then((l) => new Set(l))
      : Promise.resolve(new Set<string>()));

  const sourceOf = async (model: ModelId, gpu: GpuId): Promise<PairSource> => {
    const key = pairKey(model, gpu);
    if (await loadTrained(key)) return "trained";
    return (await shipped()).has(key) ? "shipped" : "none";
  };

  const loadPair = async (model: ModelId, gpu: GpuId): Promise<Surrogate | null> => {
    const key = pairKey(model, gpu);
    const trained = await loadTrained(key);
    const source: PairSource = trained
      ? "trained"
      : (await shipped()).has(key)
        ? "shipped"
        : "none";
    status.pairs[key] = { source, loaded: false };
    if (source === "none") {
      changed();
      return null;
    }
    try {
      runtime ??= import("./surrogateRuntime");
      const rt = await runtime;
      const s = trained
        ? await rt.fromArtifacts(trained.artifacts)
        : await rt.fromUrl(new URL(`${key}/`, modelsBase).href);
      status.backend = (await rt.ready()).backend;
      status.pairs[key] = { source, loaded: true };
      changed();
      return s;
    } catch (e) {
      status.pairs[key] = { source, loaded: false, error: message(e).slice(0, 300) };
      changed();
      return null;
    }
  };

  return {
    load(model, gpu) {
      const key = pairKey(model, gpu);
      let p = cache.get(key);
      if (!p) {
        p = loadPair(model, gpu);
        cache.set(key, p);
      }
      return p;
    },
    sourceOf,
    status: () => structuredClone(status),
  };
}
