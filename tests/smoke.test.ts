import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const tsx = join(root, "node_modules", ".bin", process.platform === "win32" ? "tsx.cmd" : "tsx");
const cliMain = join(root, "src", "cli", "main.ts");

function runCli(...args: string[]) {
  return spawnSync(tsx, [cliMain, ...args], { cwd: root, encoding: "utf8", timeout: 30_000 });
}

describe("cli", () => {
  it("has a local tsx binary (no npx network access)", () => {
    expect(existsSync(tsx)).toBe(true);
  });

  it("rejects an unknown subcommand with usage on stderr and exit code 2", () => {
    const result = runCli("nonsense");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage/i);
    expect(result.stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)/); // no stack trace
    expect(result.stdout).toBe("");
  });

  it("every subcommand is implemented: without arguments each exits 2 with its usage", () => {
    for (const cmd of ["twin", "estimate", "plan"]) {
      const result = runCli(cmd);
      expect(result.status, cmd).toBe(2);
      expect(result.stderr, cmd).toMatch(/usage/i);
      expect(result.stderr, cmd).not.toMatch(/not implemented/);
    }
  }, 120_000);
});
