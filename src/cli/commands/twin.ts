/**
 * `cli twin <scenario.json|-> [more.json ...] [--timeseries] [--debug]` — run the digital twin
 * on each scenario file and print its result as one JSON line on stdout, in argument order.
 *
 * Output: per valid scenario one line `{"file": <path as given>, ...TwinResult}`; the
 * `timeSeries` array (≤ 500 points) and the TTFT/ITL `distributions` are left out unless
 * `--timeseries` is given. A scenario
 * that does not fit in GPU memory is a valid result (`memory.fits: false`, a `reason`, zero
 * throughput), not an error.
 *
 * Errors: a file that cannot be read, is not JSON, or is not a valid scenario (schema
 * violation, unknown model/GPU id, cross-field rule) prints nothing on stdout and exactly one
 * line on stderr, `{"error": "<file>: <field>: <what is wrong and what is allowed>", "file",
 * "field"}`. The other files are still run and printed; the exit code is 1 when any file
 * failed, 0 otherwise. Bad arguments (no file, unknown option, stdin named twice) exit with 2
 * before anything runs. Stack traces only with `--debug`.
 */
import { InputError } from "../../core/scenario/errors";
import { FileError, oneLine, parseJson, readStdin, readTextFile } from "../files";
import { runTwin } from "../../core/twin/simulate";
import type { TwinResult } from "../../core/twin/types";
import {
  CliError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type CliIo,
  type CommandContext,
  type CommandHandler,
} from "../types";

export const TWIN_USAGE =
  "usage: lfp twin <scenario.json|-> [more.json ...] [--timeseries] [--debug]  (- reads stdin)";

/** Options `twin` accepts (`--debug` is handled by the dispatcher). */
const OPTIONS = ["--timeseries", "--help", "--debug"] as const;

/**
 * Largest scenario file read, bytes. A scenario with a full 5-million-row trace is about
 * 150 MB of JSON; anything larger is refused before it is read into memory.
 */
export const MAX_SCENARIO_BYTES = 256 * 2 ** 20;

interface TwinArgs {
  files: string[];
  timeSeries: boolean;
  help: boolean;
}

/** Parse `twin`'s arguments. @throws CliError (exit 2) for an unknown option or no file. */
export function parseTwinArgs(args: readonly string[]): TwinArgs {
  const out: TwinArgs = { files: [], timeSeries: false, help: false };
  let optionsEnded = false;
  for (const a of args) {
    if (!optionsEnded && a === "--") optionsEnded = true;
    else if (!optionsEnded && a === "--timeseries") out.timeSeries = true;
    else if (!optionsEnded && (a === "--help" || a === "-h")) out.help = true;
    else if (!optionsEnded && a === "--debug") continue;
    else if (!optionsEnded && a.startsWith("-") && a !== "-") {
      throw new CliError(
        `twin: unknown option ${a}; allowed: ${OPTIONS.join(", ")} (${TWIN_USAGE})`,
        EXIT_USAGE,
      );
    } else out.files.push(a);
  }
  if (out.help) return out;
  if (out.files.length === 0) {
    throw new CliError(`twin: no scenario file given (${TWIN_USAGE})`, EXIT_USAGE);
  }
  if (out.files.filter((f) => f === "-").length > 1) {
    throw new CliError(`twin: stdin ("-") can be read only once (${TWIN_USAGE})`, EXIT_USAGE);
  }
  return out;
}

/** A scenario file's text ("-": stdin), at most {@link MAX_SCENARIO_BYTES}. @throws FileError */
export function readScenarioText(file: string): Promise<string> {
  if (file === "-") return readStdin(MAX_SCENARIO_BYTES);
  return readTextFile(file, {
    maxBytes: MAX_SCENARIO_BYTES,
    field: "",
    prefix: "cannot read file",
    dirHint: " (give a scenario .json file)",
  });
}

/** The printed result: the file first, every TwinResult field, `timeSeries` only on request. */
export function formatResult(file: string, r: TwinResult, withTimeSeries: boolean): string {
  const { timeSeries, distributions, ...rest } = r;
  const out = withTimeSeries ? { file, ...rest, timeSeries, distributions } : { file, ...rest };
  return JSON.stringify(out);
}

function errorLine(file: string, err: unknown): string {
  let field = "";
  let message: string;
  if (err instanceof InputError) {
    field = err.field;
    message = field ? err.message : `(top level): ${err.message}`;
  } else if (err instanceof FileError) {
    message = err.message;
  } else {
    message = `internal error: ${err instanceof Error ? err.message : String(err)} (rerun with --debug for the stack trace)`;
  }
  const name = file === "-" ? "<stdin>" : file;
  return JSON.stringify({ error: oneLine(`${name}: ${message}`), file: name, field }) + "\n";
}

/** Read, validate and simulate one file; prints its result or its one-line error. */
async function runOne(file: string, args: TwinArgs, io: CliIo, debug: boolean): Promise<boolean> {
  let result: TwinResult;
  try {
    const input = parseJson(await readScenarioText(file));
    result = runTwin(input);
  } catch (err) {
    io.stderr(errorLine(file, err));
    if (debug && err instanceof Error && err.stack) io.stderr(err.stack + "\n");
    return false;
  }
  io.stdout(formatResult(file === "-" ? "<stdin>" : file, result, args.timeSeries) + "\n");
  return true;
}

/** `cli twin`: see the file comment. */
export const run: CommandHandler = async (
  rawArgs: readonly string[],
  io: CliIo,
  ctx?: CommandContext,
) => {
  const args = parseTwinArgs(rawArgs);
  if (args.help) {
    io.stdout(TWIN_USAGE + "\n");
    return EXIT_OK;
  }
  const debug = ctx?.debug ?? false;
  let failed = 0;
  for (const file of args.files) {
    if (!(await runOne(file, args, io, debug))) failed++;
  }
  return failed > 0 ? EXIT_FAILURE : EXIT_OK;
};
