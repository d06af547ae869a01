/** Exit codes shared by all CLI commands. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Thrown by a command to exit with a specific code and a JSON error on stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Global options the dispatcher strips from argv before calling a command. */
export interface CommandContext {
  /** `--debug`: print stack traces of errors */
  debug: boolean;
}

/** A subcommand handler: receives the arguments after the subcommand name, returns an exit code. */
export type CommandHandler = (
  args: readonly string[],
  io: CliIo,
  ctx?: CommandContext,
) => Promise<number> | number;
