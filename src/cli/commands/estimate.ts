/**
 * `cli estimate <scenario.json|-> [more.json ...] [--backend <name>] [--models <dir>] [--debug]`
 * — the surrogate's answer for each scenario (same format as `twin` takes), one JSON line per
 * valid scenario on stdout, in argument order:
 *
 *   {"file", "source": "surrogate", "throughputTokS", "starvedProbability", "starved",
 *    "itlMs": {"mean", "p99"}, "ttftMs": {"mean", "p99"}, "memory": {"fits", "kvCacheTokens"},
 *    "outOfDistribution", "backend", "wallUs"}
 *
 * `wallUs` is this estimate's share of its batch (all scenarios of one model/GPU pair are
 * estimated together): features + network + post-processing, µs. Models are read from
 * `public/models/<model>__<gpu>/` (or `--models <dir>`); backend: wasm, else cpu, unless
 * `--backend` forces one.
 *
 * Errors, as `twin` (whose file-size cap and JSON error positions it shares): a file that
 * cannot be read, is not JSON or not a valid scenario — or
 * whose model/GPU pair has no trained surrogate — prints nothing on stdout and one line on
 * stderr, `{"error": "<file>: <field>: <what is wrong>", "file", "field"}`; the other files
 * still run; exit 1 when any file failed. Bad arguments exit 2 before anything runs. Stack
 * traces only with `--debug`.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../../core/scenario/errors";
import { loadScenario, type ResolvedScenario } from "../../core/scenario/resolve";
// TF.js is loaded on first use (dynamic imports in `run`), so other commands start fast.
import type { Surrogate, SurrogateEstimate } from "../../core/surrogate/runtime";
import {
  CliError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type CliIo,
  type CommandContext,
  type CommandHandler,
} from "../types";
import { FileError, oneLine, parseJson } from "../files";
import { readScenarioText } from "./twin";

export const ESTIMATE_USAGE =
  "usage: lfp estimate <scenario.json|-> [more.json ...] [--backend wasm|cpu] [--models <dir>] [--debug]  (- reads stdin)";

/** Shipped models, relative to this file. */
export const DEFAULT_MODELS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "public",
  "models",
);

interface EstimateArgs {
  files: string[];
  backend?: string;
  modelsDir: string;
  help: boolean;
}

/** Parse `estimate`'s arguments. @throws CliError (exit 2) for a bad option or no file. */
export function parseEstimateArgs(args: readonly string[]): EstimateArgs {
  const out: EstimateArgs = { files: [], modelsDir: DEFAULT_MODELS_DIR, help: false };
  let ended = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined)
        throw new CliError(`estimate: ${a} needs a value (${ESTIMATE_USAGE})`, EXIT_USAGE);
      return v;
    };
    if (!ended && a === "--") ended = true;
    else if (!ended && (a === "--help" || a === "-h")) out.help = true;
    else if (!ended && a === "--debug") continue;
    else if (!ended && a === "--backend") out.backend = value();
    else if (!ended && a === "--models") out.modelsDir = value();
    else if (!ended && a.startsWith("-") && a !== "-") {
      throw new CliError(
        `estimate: unknown option ${a}; allowed: --backend, --models, --help, --debug (${ESTIMATE_USAGE})`,
        EXIT_USAGE,
      );
    } else out.files.push(a);
  }
  if (out.help) return out;
  if (out.files.length === 0)
    throw new CliError(`estimate: no scenario file given (${ESTIMATE_USAGE})`, EXIT_USAGE);
  if (out.files.filter((f) => f === "-").length > 1) {
    throw new CliError(
      `estimate: stdin ("-") can be read only once (${ESTIMATE_USAGE})`,
      EXIT_USAGE,
    );
  }
  if (out.backend !== undefined && !["wasm", "cpu"].includes(out.backend)) {
    throw new CliError(
      `estimate: --backend must be wasm or cpu in Node, got ${out.backend}`,
      EXIT_USAGE,
    );
  }
  return out;
}

function errorLine(file: string, err: unknown): string {
  let field = "";
  let message: string;
  if (err instanceof InputError) {
    field = err.field;
    message = field ? err.message : `(top level): ${err.message}`;
  } else if (err instanceof FileError) {
    field = err.field;
    message = err.field ? `${err.field}: ${err.message}` : err.message;
  } else {
    message = `internal error: ${err instanceof Error ? err.message : String(err)} (rerun with --debug for the stack trace)`;
  }
  return JSON.stringify({ error: oneLine(`${file}: ${message}`), file, field }) + "\n";
}

/** The printed line of one estimate. */
export function formatEstimate(
  file: string,
  e: SurrogateEstimate,
  backend: string,
  wallUs: number,
): string {
  return JSON.stringify({
    file,
    source: e.source,
    throughputTokS: e.throughputTokS,
    starvedProbability: e.starvedProbability,
    starved: e.starved,
    itlMs: e.itlMs,
    ttftMs: e.ttftMs,
    memory: e.memory,
    outOfDistribution: e.outOfDistribution,
    backend,
    wallUs,
  });
}

function shippedPairs(dir: string): string {
  try {
    const pairs = readdirSync(dir).filter((d) => existsSync(join(dir, d, "model.json")));
    return pairs.length ? pairs.join(", ") : "none";
  } catch {
    return "none";
  }
}

/** `cli estimate`: see the file comment. */
export const run: CommandHandler = async (
  rawArgs: readonly string[],
  io: CliIo,
  ctx?: CommandContext,
) => {
  const args = parseEstimateArgs(rawArgs);
  if (args.help) {
    io.stdout(ESTIMATE_USAGE + "\n");
    return EXIT_OK;
  }
  const debug = ctx?.debug ?? false;
  const fail = (file: string, err: unknown) => {
    io.stderr(errorLine(file === "-" ? "<stdin>" : file, err));
    if (debug && err instanceof Error && err.stack) io.stderr(err.stack + "\n");
  };

  // 1. read and validate every file
  const parsed: { file: string; scenario: ResolvedScenario }[] = [];
  let failed = 0;
  for (const file of args.files) {
    try {
      parsed.push({ file, scenario: loadScenario(parseJson(await readScenarioText(file))) });
    } catch (err) {
      fail(file, err);
      failed++;
    }
  }
  if (parsed.length === 0) return failed > 0 ? EXIT_FAILURE : EXIT_OK;

  // 2. backend, then one batch per pair
  const [tf, { initBackend }, { loadSurrogateFromDir }, { modelDirName }] = await Promise.all([
    import("@tensorflow/tfjs"),
    import("../../core/surrogate/backend"),
    import("../../core/surrogate/node"),
    import("../../core/surrogate/runtime"),
  ]);
  tf.enableProdMode();
  const choice = await initBackend({ force: args.backend, candidates: ["wasm", "cpu"] });
  const models = new Map<string, Surrogate | Error>();
  const results = new Map<number, { e: SurrogateEstimate; us: number }>();
  const errors = new Map<number, Error>();
  const byPair = new Map<string, number[]>();
  parsed.forEach((p, i) => {
    const key = modelDirName(p.scenario.model.id, p.scenario.gpu.id);
    byPair.set(key, [...(byPair.get(key) ?? []), i]);
  });
  for (const [key, idx] of byPair) {
    if (!models.has(key)) {
      const dir = join(args.modelsDir, key);
      models.set(
        key,
        existsSync(join(dir, "model.json"))
          ? await loadSurrogateFromDir(dir).catch((e: unknown) =>
              e instanceof Error ? e : new Error(String(e)),
            )
          : new FileError(
              "gpu",
              `no surrogate model for ${key.replace("__", " on ")} in ${args.modelsDir} (trained: ${shippedPairs(args.modelsDir)}); train one with npm run surrogate:train -- --model <id> --gpu <id>`,
            ),
      );
    }
    const m = models.get(key)!;
    if (m instanceof Error) {
      for (const i of idx) errors.set(i, m);
      continue;
    }
    const t0 = performance.now();
    const est = await m.estimateScenarios(idx.map((i) => parsed[i]!.scenario));
    const us = ((performance.now() - t0) * 1000) / idx.length;
    idx.forEach((i, k) => results.set(i, { e: est[k]!, us }));
  }

  // 3. print in argument order
  parsed.forEach((p, i) => {
    const err = errors.get(i);
    if (err) {
      fail(p.file, err);
      failed++;
      return;
    }
    const r = results.get(i)!;
    io.stdout(
      formatEstimate(
        p.file === "-" ? "<stdin>" : p.file,
        r.e,
        choice.backend,
        Math.round(r.us * 100) / 100,
      ) + "\n",
    );
  });
  for (const m of models.values()) if (!(m instanceof Error)) m.dispose();
  return failed > 0 ? EXIT_FAILURE : EXIT_OK;
};
