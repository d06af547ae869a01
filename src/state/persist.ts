/**
 * Local persistence (IndexedDB via idb-keyval): the working scenario on every change, and
 * named scenarios. Everything read back is re-validated with the scenario schema; a record
 * that no longer validates is ignored, never trusted.
 */
import { createStore, del, get, set } from "idb-keyval";
import { parseFleetScenario, type FleetScenario } from "./fleet";

const store =
  typeof indexedDB !== "undefined" ? createStore("lora-fleet-planner", "scenarios") : undefined;

const WORKING = "working";
const NAMES = "named-index";
const named = (name: string) => `named:${name}`;

export interface SavedMeta {
  name: string;
  savedAt: number;
  adapters: number;
}

export async function loadWorking(): Promise<FleetScenario | null> {
  if (!store) return null;
  try {
    const rec = await get<{ scenario: unknown }>(WORKING, store);
    return rec ? parseFleetScenario(rec.scenario) : null;
  } catch {
    return null;
  }
}

export async function saveWorking(s: FleetScenario): Promise<void> {
  if (!store) return;
  await set(WORKING, { scenario: s, savedAt: Date.now() }, store);
}

export async function listNamed(): Promise<SavedMeta[]> {
  if (!store) return [];
  try {
    const list = (await get<SavedMeta[]>(NAMES, store)) ?? [];
    return Array.isArray(list) ? list.filter((m) => typeof m?.name === "string") : [];
  } catch {
    return [];
  }
}

export async function saveNamed(name: string, s: FleetScenario): Promise<SavedMeta[]> {
  if (!store) return [];
  const meta: SavedMeta = { name, savedAt: Date.now(), adapters: s.workload.adapters.length };
  await set(named(name), s, store);
  const list = (await listNamed()).filter((m) => m.name !== name);
  list.unshift(meta);
  await set(NAMES, list, store);
  return list;
}

export async function loadNamed(name: string): Promise<FleetScenario> {
  if (!store) throw new Error("no local storage in this browser");
  const rec = await get<unknown>(named(name), store);
  if (rec === undefined) throw new Error(`no saved scenario named "${name}"`);
  return parseFleetScenario(rec);
}

export async function deleteNamed(name: string): Promise<SavedMeta[]> {
  if (!store) return [];
  await del(named(name), store);
  const list = (await listNamed()).filter((m) => m.name !== name);
  await set(NAMES, list, store);
  return list;
}
