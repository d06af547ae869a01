/**
 * Choosing the TF.js backend the surrogate runs on.
 *
 * Candidates in order: WebGPU (only when the environment reports a real, non-fallback
 * adapter: headless Chromium offers a slow software one), wasm, WebGL, cpu. Each candidate
 * that initialises is timed by a short probe (a batch of estimates) and the fastest wins; a
 * candidate that fails to initialise or to run is skipped and the reason reported. The
 * caller may force one (then nothing is probed; if it fails, the normal choice runs).
 *
 * TF.js facts this follows: `tf.setBackend` initialises asynchronously and must be awaited
 * (importing the WebGPU backend even makes it the default); wasm needs its `.wasm` files
 * served and `setWasmPaths` called by the environment before use (see
 * `workers/surrogate.worker.ts`); threaded wasm broke in a minified worker and is no faster
 * on 2 cores, so multi-threading is switched off.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { FEATURE_COUNT, FEATURE_NAMES } from "./features";
import type { Surrogate } from "./runtime";

export const BACKEND_ORDER = ["webgpu", "wasm", "webgl", "cpu"] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

/** What the environment knows that src/core cannot look up itself. */
export interface BackendEnvironment {
  /**
   * WebGPU adapter the browser offers: "real" (hardware), "fallback" (software, e.g. headless
   * Chromium's SwiftShader) or "none". WebGPU is a candidate only when "real".
   */
  webgpuAdapter?: "real" | "fallback" | "none";
  /** Registers a backend before its first use (e.g. a dynamic import of `@tensorflow/tfjs-backend-webgpu`). */
  loaders?: Partial<Record<string, () => Promise<unknown>>>;
}

export interface BackendProbe {
  /** µs per estimate in the probe batch (absent when not probed) */
  usPerEstimate?: number;
  /** why it was not usable */
  error?: string;
  /** why it was not tried */
  skipped?: string;
}

export interface BackendChoice {
  backend: string;
  /** "forced": the caller's choice; "probe": fastest in the probe; "first": first that worked (no probe given) */
  reason: "forced" | "probe" | "first";
  /** per candidate */
  probe: Record<string, BackendProbe>;
  /** set when a forced backend failed and the normal choice was made instead */
  forcedError?: string;
}

export interface InitBackendOptions {
  /** use this backend if it initialises */
  force?: string;
  /** candidates in preference order (default {@link BACKEND_ORDER}) */
  candidates?: readonly string[];
  env?: BackendEnvironment;
  /** times one candidate (already active): µs per estimate; throws if the backend cannot run the model */
  probe?: (backend: string) => Promise<number> | number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Make `name` the active backend; false (with the reason) when it cannot initialise. */
async function activate(name: string, env: BackendEnvironment | undefined): Promise<string | null> {
  try {
    if (name === "wasm") tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    const load = env?.loaders?.[name];
    if (load) await load();
    if (!tf.findBackendFactory(name)) return "not registered in this build";
    const ok = await tf.setBackend(name);
    if (!ok) return "failed to initialise";
    await tf.ready();
    return tf.getBackend() === name ? null : `active backend is ${tf.getBackend()}`;
  } catch (err) {
    return message(err);
  }
}

/**
 * Choose and activate a backend (see the file comment). Never throws while some candidate
 * works; throws when none does.
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendChoice> {
  const probe: Record<string, BackendProbe> = {};
  let forcedError: string | undefined;
  if (opts.force) {
    const err = await activate(opts.force, opts.env);
    if (!err) {
      try {
        if (opts.probe) probe[opts.force] = { usPerEstimate: await opts.probe(opts.force) };
        return { backend: opts.force, reason: "forced", probe };
      } catch (e) {
        forcedError = message(e);
      }
    } else forcedError = err;
    probe[opts.force] = { error: forcedError };
  }
  const candidates = (opts.candidates ?? BACKEND_ORDER).filter((c) => c !== opts.force);
  let best: { name: string; us: number } | null = null;
  for (const name of candidates) {
    if (name === "webgpu" && opts.env?.webgpuAdapter !== "real") {
      probe[name] = { skipped: `no real WebGPU adapter (${opts.env?.webgpuAdapter ?? "unknown"})` };
      continue;
    }
    const err = await activate(name, opts.env);
    if (err) {
      probe[name] = { error: err };
      continue;
    }
    if (!opts.probe) {
      return { backend: name, reason: "first", probe: { ...probe, [name]: {} }, forcedError };
    }
    try {
      const us = await opts.probe(name);
      probe[name] = { usPerEstimate: us };
      if (!best || us < best.us) best = { name, us };
    } catch (e) {
      probe[name] = { error: message(e) };
    }
  }
  if (!best) {
    throw new Error(
      `no TF.js backend works: ${Object.entries(probe)
        .map(([k, v]) => `${k}: ${v.error ?? v.skipped ?? "?"}`)
        .join("; ")}`,
    );
  }
  const err = await activate(best.name, opts.env);
  if (err) throw new Error(`backend ${best.name} stopped working: ${err}`);
  return { backend: best.name, reason: "probe", probe, forcedError };
}

/**
 * Time `run` (one batch of `batch` estimates): one warm-up, then the median of `reps` runs;
 * µs per estimate.
 */
export async function timeBatch(
  run: () => Promise<unknown> | unknown,
  batch: number,
  reps = 5,
): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return (times[Math.floor(times.length / 2)]! * 1000) / batch;
}

/**
 * `rows` feature rows spread over the surrogate's training range (deterministic), for probes
 * and timing.
 */
export function syntheticFeatures(s: Surrogate, rows: number): Float32Array {
  const x = new Float32Array(rows * FEATURE_COUNT);
  const m = s.meta;
  for (let r = 0; r < rows; r++) {
    const u = (r * 0.6180339887498949) % 1;
    for (let j = 0; j < m.featureNames.length; j++) {
      const col = FEATURE_NAMES.indexOf(m.featureNames[j]!);
      const v = (u + j * 0.37) % 1;
      x[r * FEATURE_COUNT + col] = m.featureMin[j]! + v * (m.featureMax[j]! - m.featureMin[j]!);
    }
  }
  return x;
}

/** µs per estimate of `s` on the active backend: batches of `batch` rows through the async path. */
export function probeSurrogate(s: Surrogate, batch = 1024, reps = 5): Promise<number> {
  const x = syntheticFeatures(s, batch);
  return timeBatch(() => s.estimate(x, batch), batch, reps);
}

/**
 * Time `s` on each backend (default: every one in {@link BACKEND_ORDER} that initialises),
 * then restore the backend that was active. The hook the app and the e2e harness use to
 * report in-browser timings.
 */
export async function benchmarkBackends(
  s: Surrogate,
  opts: {
    backends?: readonly string[];
    batch?: number;
    reps?: number;
    env?: BackendEnvironment;
  } = {},
): Promise<Record<string, BackendProbe>> {
  const before = tf.getBackend();
  const out: Record<string, BackendProbe> = {};
  for (const name of opts.backends ?? BACKEND_ORDER) {
    if (name === "webgpu" && opts.env?.webgpuAdapter !== "real") {
      out[name] = { skipped: `no real WebGPU adapter (${opts.env?.webgpuAdapter ?? "unknown"})` };
      continue;
    }
    const err = await activate(name, opts.env);
    if (err) {
      out[name] = { error: err };
      continue;
    }
    try {
      out[name] = { usPerEstimate: await probeSurrogate(s, opts.batch ?? 1024, opts.reps ?? 5) };
    } catch (e) {
      out[name] = { error: message(e) };
    }
  }
  if (before) await activate(before, opts.env);
  return out;
}
