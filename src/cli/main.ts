/** CLI entry point: `npm run cli -- <twin|estimate|plan> [options]`. Logic lives in ./run.ts. */
import { main } from "./run";
import { EXIT_FAILURE, type CliIo } from "./types";

const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(JSON.stringify({ error: "internal error" }) + "\n");
    if (process.argv.includes("--debug")) process.stderr.write(String(err) + "\n");
    process.exitCode = EXIT_FAILURE;
  },
);
