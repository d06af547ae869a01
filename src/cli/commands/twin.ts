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
import { readFile, stat } from "node:fs/promises";
import { InputError } from "../../core/scenario/errors";
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

/** One line: collapse newlines and runs of whitespace. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** A bad file: `field` is the scenario field (dotted path) or "" when the problem is the file itself. */
class FileError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "FileError";
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "cannot read file: no such file";
    case "EACCES":
    case "EPERM":
      return "cannot read file: permission denied";
    case "EISDIR":
      return "cannot read file: it is a directory (give a scenario .json file)";
    default:
      return `cannot read file: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > MAX_SCENARIO_BYTES) {
      throw new FileError("", `input is larger than ${MAX_SCENARIO_BYTES / 2 ** 20} MiB`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function readScenarioText(file: string): Promise<string> {
  if (file === "-") return readStdin();
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
    if (st.size > MAX_SCENARIO_BYTES) {
      throw new FileError("", `file is larger than ${MAX_SCENARIO_BYTES / 2 ** 20} MiB`);
    }
    return await readFile(file, "utf8");
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new FileError("", describeFsError(err));
  }
}

/**
 * Offset of the first JSON syntax error in `text` (V8's messages do not always give one), or
 * -1 when the text is valid JSON (or nests too deep to scan). A plain recursive-descent scan of
 * RFC 8259's grammar.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const fail = (at = i): never => {
    throw at;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail();
      const ch = text.charCodeAt(i);
      if (ch === 0x22) return void i++;
      if (ch < 0x20) fail();
      if (ch === 0x5c) {
        i++;
        const e = text[i];
        if (e === "u") {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? "")) fail(i + k);
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail();
      } else i++;
    }
  };
  const digits = () => {
    const start = i;
    while (i < text.length && text[i]! >= "0" && text[i]! <= "9") i++;
    if (i === start) fail();
  };
  const number = () => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else digits();
    if (text[i] === ".") {
      i++;
      digits();
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ":") fail();
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail();
      }
    } else if (ch === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail();
      }
    } else if (ch === '"') string();
    else if (ch === "t") literal("true");
    else if (ch === "f") literal("false");
    else if (ch === "n") literal("null");
    else if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) number();
    else fail();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (at) {
    // a RangeError (nesting deeper than the stack) leaves the position unknown
    return typeof at === "number" ? Math.min(at, text.length) : -1;
  }
}

/** JSON.parse with a one-line message that gives the line and column of the error. */
function parseJson(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // UTF-8 BOM
  if (body.trim() === "") throw new FileError("", "invalid JSON: the file is empty");
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    let msg = oneLine(err instanceof Error ? err.message : String(err));
    if (msg.length > 160) msg = msg.slice(0, 157) + "...";
    const pos = jsonErrorOffset(body);
    if (pos < 0) throw new FileError("", `invalid JSON: ${msg}`);
    const before = body.slice(0, pos);
    const line = before.split("\n").length;
    const col = pos - before.lastIndexOf("\n");
    throw new FileError("", `invalid JSON at line ${line} column ${col}: ${msg}`);
  }
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
