/**
 * `cli plan <fleet.json|-> [options]` — plan a fleet: which adapters on which GPU, with which
 * vLLM flags, verified by the twin. Prints one JSON object on stdout:
 * `{gpuCount, costPerHour, lowerBoundGpus, starvedGpus, gpus: [{gpu, engine, adapters,
 * estimate, verified, problem, vllmArgs, …}], baselines: {name: {gpuCount, starvedGpus, …}},
 * wallMs, …}` (see `Plan` in `src/core/placement/types.ts`); with a trace, also
 * `trace: {format, rows, skippedRows, skippedReasons, firstSkipped, durationS}`.
 *
 * Options:
 *   --no-baselines        skip the baselines
 *   --no-verify-baselines estimate the baselines but do not verify them with the twin
 *   --no-verify           estimates only (no twin verification, no repair)
 *   --estimator <kind>    auto (default: the surrogate where a trained model exists for the
 *                         model/GPU pair, the twin elsewhere and for out-of-distribution
 *                         queries), twin, or surrogate (a missing model is an error)
 *   --models <dir>        surrogate models (default public/models)
 *   --window <s>          twin estimator window, s (default 300)
 *   --jobs <n>            twin worker threads (default: available cores)
 *   --progress            progress lines on stderr
 *
 * Errors (bad file, bad field, unusable trace) print nothing on stdout and one line on
 * stderr, `{"error": "<file>: <field>: <what is wrong and what is allowed>", "file", "field"}`,
 * exit 1; bad arguments exit 2. Stack traces only with `--debug`.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTwinEstimator } from "../../core/placement/twinEstimator";
import { fleetRequestFromFile, parseFleetFile } from "../../core/placement/fleetSchema";
import { planFleet } from "../../core/placement/plan";
import type { Estimator } from "../../core/placement/types";
import { InputError } from "../../core/scenario/errors";
import { createTwinPool } from "../../../workers/planPool";
import {
  CliError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type CliIo,
  type CommandContext,
  type CommandHandler,
} from "../types";
import { FileError, parseJson, readStdin, readTextFile } from "../files";

export const PLAN_USAGE =
  "usage: lfp plan <fleet.json|-> [--no-baselines] [--no-verify-baselines] [--no-verify] " +
  "[--estimator auto|twin|surrogate] [--models <dir>] [--window <s>] [--jobs <n>] [--progress] [--debug]";

/** Shipped surrogate models, relative to this file. */
export const DEFAULT_MODELS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "public",
  "models",
);

export type EstimatorKind = "auto" | "twin" | "surrogate";

/**
 * The planner's estimator in Node: the twin (on `twin`'s runner), or the surrogate with the
 * twin as fallback (pairs without a trained model under `modelsDir`, and out-of-distribution
 * queries). TF.js loads only when a model is found. (`surrogate` differs from `auto` only in
 * the CLI, which then refuses GPU types without a model.)
 */
export async function nodeEstimator(
  kind: EstimatorKind,
  twin: Estimator,
  modelsDir: string = DEFAULT_MODELS_DIR,
): Promise<Estimator> {
  if (kind === "twin") return twin;
  const { createSurrogateEstimator } = await import("../../core/surrogate/estimator");
  const { modelDirName } = await import("../../core/surrogate/runtime");
  let backend: Promise<unknown> | undefined;
  return createSurrogateEstimator({
    load: async (model, gpu) => {
      const dir = join(modelsDir, modelDirName(model, gpu));
      if (!existsSync(join(dir, "model.json"))) {
        if (kind === "surrogate") {
          throw new InputError(
            "gpuTypes",
            `no surrogate model for ${model} on ${gpu} in ${modelsDir}`,
          );
        }
        return null;
      }
      backend ??= (async () => {
        const tf = await import("@tensorflow/tfjs");
        tf.enableProdMode();
        const { initBackend } = await import("../../core/surrogate/backend");
        await initBackend({ candidates: ["wasm", "cpu"] });
      })();
      await backend;
      const { loadSurrogateFromDir } = await import("../../core/surrogate/node");
      return loadSurrogateFromDir(dir);
    },
    fallback: twin,
  });
}

/** Largest fleet or trace file read, bytes. */
export const MAX_FLEET_BYTES = 256 * 2 ** 20;

export interface PlanArgs {
  file: string;
  estimator: EstimatorKind;
  modelsDir: string;
  baselines: boolean;
  verifyBaselines: boolean;
  verify: boolean;
  windowS: number;
  jobs: number | undefined;
  progress: boolean;
  help: boolean;
}

/** Parse `plan`'s arguments. @throws CliError (exit 2) */
export function parsePlanArgs(args: readonly string[]): PlanArgs {
  const out: PlanArgs = {
    file: "",
    estimator: "auto",
    modelsDir: DEFAULT_MODELS_DIR,
    baselines: true,
    verifyBaselines: true,
    verify: true,
    windowS: 300,
    jobs: undefined,
    progress: false,
    help: false,
  };
  const files: string[] = [];
  const number = (name: string, v: string | undefined, min: number, max: number, int: boolean) => {
    const x = Number(v);
    if (
      v === undefined ||
      !Number.isFinite(x) ||
      x < min ||
      x > max ||
      (int && !Number.isInteger(x))
    ) {
      throw new CliError(
        `plan: ${name} needs ${int ? "an integer" : "a number"} in [${min}, ${max}] (got ${v === undefined ? "nothing" : JSON.stringify(v)}) (${PLAN_USAGE})`,
        EXIT_USAGE,
      );
    }
    return x;
  };
  let ended = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!ended && a === "--") ended = true;
    else if (!ended && a === "--no-baselines") out.baselines = false;
    else if (!ended && a === "--no-verify-baselines") out.verifyBaselines = false;
    else if (!ended && a === "--no-verify") out.verify = false;
    else if (!ended && a === "--progress") out.progress = true;
    else if (!ended && (a === "--help" || a === "-h")) out.help = true;
    else if (!ended && a === "--debug") continue;
    else if (!ended && a === "--window")
      out.windowS = number("--window", args[++i], 10, 86_400, false);
    else if (!ended && a === "--jobs") out.jobs = number("--jobs", args[++i], 1, 256, true);
    else if (!ended && a === "--estimator") {
      const v = args[++i];
      if (v !== "auto" && v !== "twin" && v !== "surrogate") {
        throw new CliError(
          `plan: --estimator must be auto, twin or surrogate (got ${v === undefined ? "nothing" : JSON.stringify(v)}) (${PLAN_USAGE})`,
          EXIT_USAGE,
        );
      }
      out.estimator = v;
    } else if (!ended && a === "--models") {
      const v = args[++i];
      if (v === undefined)
        throw new CliError(`plan: --models needs a directory (${PLAN_USAGE})`, EXIT_USAGE);
      out.modelsDir = v;
    } else if (!ended && a.startsWith("-") && a !== "-") {
      throw new CliError(`plan: unknown option ${a} (${PLAN_USAGE})`, EXIT_USAGE);
    } else files.push(a);
  }
  if (out.help) return out;
  if (files.length !== 1) {
    throw new CliError(
      `plan: give exactly one fleet file (got ${files.length}) (${PLAN_USAGE})`,
      EXIT_USAGE,
    );
  }
  out.file = files[0]!;
  return out;
}

/** A file the fleet file references (a trace), as text. @throws FileError naming `field` */
function readText(path: string, field: string): Promise<string> {
  return readTextFile(path, {
    maxBytes: MAX_FLEET_BYTES,
    field,
    prefix: `cannot read ${JSON.stringify(path)}`,
  });
}

function errorLine(file: string, err: unknown): string {
  let field = "";
  let message: string;
  if (err instanceof InputError || err instanceof FileError) {
    field = err.field;
    message = err instanceof FileError && field ? `${field}: ${err.message}` : err.message;
    if (!field) message = `(top level): ${message}`;
  } else {
    message = `internal error: ${err instanceof Error ? err.message : String(err)} (rerun with --debug for the stack trace)`;
  }
  return (
    JSON.stringify({ error: `${file}: ${message}`.replace(/\s+/g, " ").trim(), file, field }) + "\n"
  );
}

/** `cli plan`: see the file comment. */
export const run: CommandHandler = async (rawArgs, io: CliIo, ctx?: CommandContext) => {
  const args = parsePlanArgs(rawArgs);
  if (args.help) {
    io.stdout(PLAN_USAGE + "\n");
    return EXIT_OK;
  }
  const debug = ctx?.debug ?? false;
  const name = args.file === "-" ? "<stdin>" : args.file;
  let request;
  let trace: ReturnType<typeof fleetRequestFromFile>["trace"];
  try {
    const text =
      args.file === "-" ? await readStdin(MAX_FLEET_BYTES) : await readText(args.file, "");
    const file = parseFleetFile(parseJson(text));
    let traceText: string | undefined;
    if (file.trace) {
      const base = args.file === "-" ? process.cwd() : dirname(resolve(args.file));
      traceText = await readText(resolve(base, file.trace.path), "trace.path");
    }
    ({ request, trace } = fleetRequestFromFile(file, traceText));
    if (args.estimator === "surrogate") {
      const { modelDirName } = await import("../../core/surrogate/runtime");
      request.gpuTypes.forEach((o, i) => {
        const dir = join(args.modelsDir, modelDirName(request!.model, o.gpu));
        if (!existsSync(join(dir, "model.json"))) {
          throw new InputError(
            `gpuTypes[${i}].gpu`,
            `no surrogate model for ${request!.model} on ${o.gpu} in ${args.modelsDir} (use --estimator auto or twin)`,
          );
        }
      });
    }
  } catch (err) {
    io.stderr(errorLine(name, err));
    if (debug && err instanceof Error && err.stack) io.stderr(err.stack + "\n");
    return EXIT_FAILURE;
  }

  const pool = createTwinPool(args.jobs);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  try {
    const twin = createTwinEstimator({ windowS: args.windowS, runner: pool.runner });
    const plan = await planFleet(request, {
      estimator: await nodeEstimator(args.estimator, twin, args.modelsDir),
      runner: pool.runner,
      verifier: pool.verifier,
      signal: controller.signal,
      baselines: args.baselines,
      verifyBaselines: args.verifyBaselines,
      skipVerify: !args.verify,
      onProgress: args.progress
        ? (p) => io.stderr(`[${p.phase}] ${Math.round(p.fraction * 100)}% ${p.message}\n`)
        : undefined,
    });
    const out = trace
      ? {
          ...plan,
          trace: {
            format: trace.format,
            rows: trace.rows,
            skippedRows: trace.skippedRows,
            skippedReasons: trace.skipped.reasons,
            firstSkipped: trace.skipped.firstMessages,
            durationS: trace.durationS,
          },
        }
      : plan;
    io.stdout(JSON.stringify(out) + "\n");
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CliError) throw err;
    io.stderr(errorLine(name, err));
    if (debug && err instanceof Error && err.stack) io.stderr(err.stack + "\n");
    return EXIT_FAILURE;
  } finally {
    process.off("SIGINT", onSignal);
    await pool.close();
  }
};
