import { EXIT_USAGE, type CommandHandler } from "../types";

/** `cli twin` — not implemented yet. */
export const run: CommandHandler = (_args, io) => {
  io.stderr(JSON.stringify({ error: "not implemented" }) + "\n");
  return EXIT_USAGE;
};
