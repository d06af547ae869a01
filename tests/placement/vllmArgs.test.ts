import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  adapterPath,
  loraModule,
  shellQuote,
  vllmArgs,
  vllmArgv,
} from "../../src/core/placement/vllmArgs";
import type { PlannedEngine } from "../../src/core/placement/types";

const engine: PlannedEngine = {
  maxLoras: 8,
  maxCpuLoras: 20,
  maxLoraRank: 32,
  maxNumSeqs: 1024,
  maxNumBatchedTokens: 2048,
  gpuMemoryUtilization: 0.9,
  maxModelLen: 131072,
};

/** What a POSIX shell makes of a command line: its argv words. */
function shellWords(line: string): string[] {
  const out = execFileSync("/bin/sh", ["-c", `for a in ${line}; do printf '%s\\0' "$a"; done`], {
    encoding: "utf8",
  });
  return out.split("\0").slice(0, -1);
}

/** vLLM 0.8.5's LoRAParserAction: name=path when there is "=" and no ",", else JSON. */
function vllmParse(item: string): { name: string; path: string } {
  if (item.includes("=") && !item.includes(",")) {
    const parts = item.split("=");
    if (parts.length !== 2) throw new Error("too many values to unpack");
    return { name: parts[0]!, path: parts[1]! };
  }
  return JSON.parse(item) as { name: string; path: string };
}

describe("vllmArgs", () => {
  it("has every flag the plan chose", () => {
    const s = vllmArgs(engine, ["a0", "a1"]);
    expect(s).toBe(
      "--enable-lora --max-loras 8 --max-cpu-loras 20 --max-lora-rank 32 --max-num-seqs 1024 " +
        "--max-num-batched-tokens 2048 --gpu-memory-utilization 0.9 --max-model-len 131072 " +
        "--lora-modules a0=/adapters/a0 a1=/adapters/a1",
    );
  });

  const nasty = [
    "$(touch /tmp/pwned)",
    "`id`",
    "a; rm -rf ~",
    "it's",
    "a b",
    "line\nbreak",
    "x=y",
    "a,b",
    "-rf",
    "{json}",
    "..",
    "../../etc/passwd",
    "ünïcødé ✓",
    "*",
    "~root",
    '"quoted"',
    "back\\slash",
    "tab\there",
  ];

  it("quotes ids so a shell sees exactly the argv words (no expansion, no injection)", () => {
    const argv = vllmArgv(engine, nasty);
    expect(shellWords(vllmArgs(engine, nasty))).toEqual(argv);
  });

  it("every --lora-modules entry parses back (as vLLM does) to the same id, under /adapters", () => {
    for (const id of nasty) {
      const parsed = vllmParse(loraModule(id));
      expect(parsed.name).toBe(id);
      expect(parsed.path.startsWith("/adapters/")).toBe(true);
      const seg = parsed.path.slice("/adapters/".length);
      expect(seg).not.toContain("/");
      expect(seg === "." || seg === "..").toBe(false);
    }
  });

  it("entries never start with '-' (argparse would take them for options)", () => {
    for (const id of nasty) expect(loraModule(id).startsWith("-")).toBe(false);
  });

  it("keeps plain ids readable", () => {
    expect(adapterPath("adapter-007")).toBe("/adapters/adapter-007");
    expect(shellQuote("plain_word-1.2")).toBe("plain_word-1.2");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});
