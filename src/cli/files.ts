/**
 * Reading the CLI's input files: one error type, size limits, stdin, and JSON parsing with
 * one-line messages that give the line and column of a syntax error. Shared by every command.
 */
import { readFile, stat } from "node:fs/promises";

/** A problem with an input file: `field` names where it was referenced, "" for the file itself. */
export class FileError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "FileError";
  }
}

/** Whitespace runs (newlines included) collapsed to one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Standard input as text. @throws FileError beyond `maxBytes` */
export async function readStdin(maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > maxBytes) throw new FileError("", `input is larger than ${maxBytes / 2 ** 20} MiB`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A file as text. @throws FileError (with `field`) for files over `maxBytes` and unreadable
 * ones: "`prefix`: no such file | permission denied | it is a directory`dirHint` | …".
 */
export async function readTextFile(
  path: string,
  o: { maxBytes: number; field: string; prefix: string; dirHint?: string },
): Promise<string> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
    if (st.size > o.maxBytes) {
      throw new FileError(o.field, `file is larger than ${o.maxBytes / 2 ** 20} MiB`);
    }
    return await readFile(path, "utf8");
  } catch (err) {
    if (err instanceof FileError) throw err;
    const hint = (err as NodeJS.ErrnoException).code === "EISDIR" ? (o.dirHint ?? "") : "";
    throw new FileError(o.field, `${o.prefix}: ${fsReason(err)}${hint}`);
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
export function parseJson(text: string): unknown {
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
