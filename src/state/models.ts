/**
 * Surrogate models trained in this browser (the "train surrogate for this pair" job), kept in
 * IndexedDB so that every later plan uses them. Read by the main thread (which pairs have one)
 * and by the plan worker (which loads them). Shipped models live in `public/models/` and are
 * listed in `models/index.json` (written by the build, see vite.config.ts).
 */
import { createStore, del, get, keys, set } from "idb-keyval";
import type { SurrogateArtifacts, ValidationMetrics } from "../core/surrogate/runtime";

/** A model trained in the browser, as stored. */
export interface TrainedModel {
  /** `<model>__<gpu>` */
  pair: string;
  artifacts: SurrogateArtifacts;
  trainedAt: number;
  samples: number;
  epochs: number;
  validation: ValidationMetrics;
  /** TF.js backend it was trained on */
  backend: string;
}

/** What `models/index.json` holds. */
export interface ModelsManifest {
  format: "lfp-models";
  /** `<model>__<gpu>` directories under `models/` */
  models: string[];
}

export function pairKey(model: string, gpu: string): string {
  return `${model}__${gpu}`;
}

const store =
  typeof indexedDB !== "undefined" ? createStore("lora-fleet-planner-models", "models") : undefined;

function isTrained(v: unknown, pair: string): v is TrainedModel {
  if (typeof v !== "object" || v === null) return false;
  const m = v as Partial<TrainedModel>;
  return (
    m.pair === pair &&
    typeof m.artifacts === "object" &&
    m.artifacts !== null &&
    m.artifacts.weights instanceof ArrayBuffer &&
    typeof m.artifacts.meta === "object" &&
    typeof m.artifacts.modelJson === "object"
  );
}

/** The trained model of a pair, or null (a record that does not look like one is ignored). */
export async function loadTrained(pair: string): Promise<TrainedModel | null> {
  if (!store) return null;
  try {
    const v = await get<unknown>(pair, store);
    return isTrained(v, pair) ? v : null;
  } catch {
    return null;
  }
}

export async function saveTrained(m: TrainedModel): Promise<void> {
  if (!store) throw new Error("this browser has no IndexedDB to keep the model in");
  await set(m.pair, m, store);
}

export async function deleteTrained(pair: string): Promise<void> {
  if (store) await del(pair, store);
}

/** Pairs with a model trained in this browser. */
export async function listTrained(): Promise<string[]> {
  if (!store) return [];
  try {
    return (await keys(store)).filter((k): k is string => typeof k === "string").sort();
  } catch {
    return [];
  }
}

/** The shipped models listed in `<base>index.json` (empty when missing or unreadable). */
export async function fetchManifest(base: string): Promise<string[]> {
  try {
    const res = await fetch(new URL("index.json", base));
    if (!res.ok) return [];
    const j = (await res.json()) as Partial<ModelsManifest>;
    return Array.isArray(j.models)
      ? j.models.filter((x): x is string => typeof x === "string" && /^[\w.-]+__[\w.-]+$/.test(x))
      : [];
  } catch {
    return [];
  }
}
