#!/usr/bin/env node
// Runs every test stage in order — typecheck, lint, unit (vitest), e2e (playwright) — even when
// an earlier one fails, then prints one summary line `N passed, N failed` as the LAST line.
// Counting: each vitest/playwright test counts individually (read from their JSON reports);
// typecheck and lint count as one test each. A stage that exits non-zero without any failed
// test in its report (crash, webServer error, missing browser...) counts as one extra failure.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const reportsDir = join(root, "test-reports");
const CHROMIUM = process.env.LFP_CHROMIUM ?? "/usr/bin/chromium";

rmSync(reportsDir, { recursive: true, force: true });
mkdirSync(reportsDir, { recursive: true });

/** @type {{name: string, passed: number, failed: number, skipped: number, note: string}[]} */
const results = [];

function run(cmd, args, env = {}) {
  const started = Date.now();
  const res = spawnSync(cmd, args, {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      ...(process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: "1" } : {}),
      ...env,
    },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (res.error) console.error(`[test-all] could not start ${cmd}: ${res.error.message}`);
  return { code: res.status ?? 1, seconds };
}

function banner(name) {
  console.log(`\n========== ${name} ==========`);
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

function singleStage(name, cmd, args) {
  banner(name);
  const { code, seconds } = run(cmd, args);
  const ok = code === 0;
  results.push({
    name,
    passed: ok ? 1 : 0,
    failed: ok ? 0 : 1,
    skipped: 0,
    note: `${ok ? "ok" : `exit ${code}`} (${seconds}s)`,
  });
}

function unitStage() {
  const name = "unit (vitest)";
  banner(name);
  const out = join(reportsDir, "vitest.json");
  const { code, seconds } = run(bin("vitest"), [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${out}`,
  ]);
  const report = readJson(out);
  let passed = report?.numPassedTests ?? 0;
  let failed = report?.numFailedTests ?? 0;
  const skipped = (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0);
  let note = `exit ${code} (${seconds}s)`;
  if (!report) {
    failed += 1;
    note += ", no JSON report";
  } else if (code !== 0 && failed === 0) {
    failed += 1;
    note += ", failed outside any test (e.g. unhandled error or suite load failure)";
  }
  results.push({ name, passed, failed, skipped, note });
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
  if (!isRoot || !hasApt) {
    console.error(
      `[test-all] ${CHROMIUM} is missing. Install Debian's chromium (as root: ` +
        "apt-get update && apt-get install -y chromium) or set LFP_CHROMIUM to a Chromium binary.",
    );
    return false;
  }
  console.log(`[test-all] ${CHROMIUM} missing: installing Debian chromium via apt-get...`);
  const res = spawnSync(
    "sh",
    ["-c", "apt-get update && apt-get install -y --no-install-recommends chromium"],
    { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } },
  );
  if (res.status !== 0 || !existsSync(CHROMIUM)) {
    console.error("[test-all] apt-get install chromium failed.");
    return false;
  }
  return true;
}

function e2eStage() {
  const name = "e2e (playwright)";
  banner(name);
  if (!ensureChromium()) {
    results.push({ name, passed: 0, failed: 1, skipped: 0, note: "chromium unavailable" });
    return;
  }
  const out = join(reportsDir, "playwright.json");
  const { code, seconds } = run(bin("playwright"), ["test", "--reporter=list,json"], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: out,
  });
  const stats = readJson(out)?.stats;
  let passed = (stats?.expected ?? 0) + (stats?.flaky ?? 0);
  let failed = stats?.unexpected ?? 0;
  const skipped = stats?.skipped ?? 0;
  let note = `exit ${code} (${seconds}s)`;
  if (stats?.flaky) note += `, ${stats.flaky} flaky (passed on retry)`;
  if (!stats) {
    failed += 1;
    note += ", no JSON report";
  } else if (code !== 0 && failed === 0) {
    failed += 1;
    note += ", failed outside any test (e.g. web server or config error)";
  }
  results.push({ name, passed, failed, skipped, note });
}

singleStage("typecheck (tsc)", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]);
singleStage("lint (eslint)", bin("eslint"), ["."]);
unitStage();
e2eStage();

console.log("\n========== summary ==========");
let passed = 0;
let failed = 0;
let skipped = 0;
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  const status = r.failed > 0 ? "FAIL" : "PASS";
  const skip = r.skipped ? `, ${r.skipped} skipped` : "";
  console.log(`${status}  ${r.name}: ${r.passed} passed, ${r.failed} failed${skip} — ${r.note}`);
}
if (skipped) console.log(`(${skipped} skipped, not counted)`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
