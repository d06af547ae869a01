/**
 * The `vllm serve` arguments that realise one GPU of a plan (vLLM 0.8.5 flag names).
 *
 * Adapter ids are user strings, so nothing of them reaches a shell unquoted:
 * - every argument that is not a plain word is single-quoted for POSIX shells (`'` becomes
 *   `'\''`), so `$(…)`, backticks, `;`, `|`, newlines and globs stay literal;
 * - `--lora-modules` entries use vLLM's `name=path` form only when vLLM would parse it back
 *   to the same name (no `=`, `,`, whitespace or control characters, not starting with `-`
 *   or `{`); otherwise its JSON form `{"name": …, "path": …}`, which vLLM also accepts
 *   (`LoRAParserAction`: `name=path` when the item has `=` and no `,`, else JSON);
 * - the path is a placeholder `/adapters/<id>` whose last segment is the id with every byte
 *   outside `[A-Za-z0-9_.-]` percent-encoded (and `.`/`..` encoded), so it can never leave
 *   the adapter directory.
 */
import type { PlannedEngine } from "./types";

/** Where the placeholder paths point (the user replaces it with the real adapter store). */
export const ADAPTER_DIR = "/adapters";

const SHELL_SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** Quote one argument for a POSIX shell (plain words stay as they are). */
export function shellQuote(arg: string): string {
  if (arg !== "" && SHELL_SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The placeholder path of an adapter's weights: `<dir>/<encoded id>` (default
 * `/adapters/<encoded id>`; the app's script passes `${LORA_DIR}`).
 */
export function adapterPath(id: string, dir: string = ADAPTER_DIR): string {
  let seg = "";
  for (const byte of new TextEncoder().encode(id)) {
    const c = String.fromCharCode(byte);
    seg +=
      /[A-Za-z0-9_.-]/.test(c) && byte < 0x80
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (seg === "." || seg === "..") seg = seg.replace(/\./g, "%2E");
  return `${dir}/${seg}`;
}

/** One `--lora-modules` value (unquoted): `id=path`, or the JSON form when the id needs it. */
export function loraModule(id: string, dir?: string): string {
  const path = adapterPath(id, dir);
  // eslint-disable-next-line no-control-regex
  const plain = !/[=,\s\u0000-\u001f\u007f]/.test(id) && !/^[-{]/.test(id) && id.length > 0;
  return plain ? `${id}=${path}` : JSON.stringify({ name: id, path });
}

/** The arguments as argv words (unquoted), e.g. for `execFile`; adapter paths under `dir`. */
export function vllmArgv(
  e: PlannedEngine,
  adapterIds: readonly string[],
  dir: string = ADAPTER_DIR,
): string[] {
  const argv = [
    "--enable-lora",
    "--max-loras",
    String(e.maxLoras),
    "--max-cpu-loras",
    String(Math.max(e.maxCpuLoras, e.maxLoras)),
    "--max-lora-rank",
    String(e.maxLoraRank),
    "--max-num-seqs",
    String(e.maxNumSeqs),
    "--max-num-batched-tokens",
    String(e.maxNumBatchedTokens),
    "--gpu-memory-utilization",
    String(e.gpuMemoryUtilization),
    "--max-model-len",
    String(e.maxModelLen),
  ];
  if (adapterIds.length > 0)
    argv.push("--lora-modules", ...adapterIds.map((id) => loraModule(id, dir)));
  return argv;
}

/** The arguments as one shell-safe string. */
export function vllmArgs(e: PlannedEngine, adapterIds: readonly string[]): string {
  return vllmArgv(e, adapterIds).map(shellQuote).join(" ");
}
