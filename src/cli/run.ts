import { run as estimate } from "./commands/estimate";
import { run as plan } from "./commands/plan";
import { run as twin } from "./commands/twin";
import { CliError, EXIT_FAILURE, EXIT_USAGE, type CliIo, type CommandHandler } from "./types";

const COMMANDS: Record<string, CommandHandler> = { twin, estimate, plan };

export const USAGE = `usage: lfp <${Object.keys(COMMANDS).join("|")}> [options] [--debug]`;

/** Runs the CLI with the given argv (without node/script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const debug = argv.includes("--debug");
  const args = argv.filter((a) => a !== "--debug");
  const [name, ...rest] = args;
  const handler = name !== undefined ? COMMANDS[name] : undefined;
  if (!handler) {
    io.stderr(USAGE + "\n");
    return EXIT_USAGE;
  }
  try {
    return await handler(rest, io, { debug });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(JSON.stringify({ error: message }) + "\n");
    if (debug && err instanceof Error && err.stack) io.stderr(err.stack + "\n");
    return err instanceof CliError ? err.exitCode : EXIT_FAILURE;
  }
}
