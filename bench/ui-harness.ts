/**
 * What `bench/ui.ts` and `bench/ui-trace.ts` share: serving a production build with
 * `vite preview`, and waiting for the app's states (its `data-ready` flag, a plan on screen).
 */
import type { Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");

/**
 * Serve `outDir` (default `dist/`) with `vite preview` on 127.0.0.1:`port` and wait until it
 * answers (up to 10 s). @throws Error when it does not start.
 */
export async function startPreview(port: number, outDir?: string): Promise<ChildProcess> {
  const p = spawn(
    join(root, "node_modules", ".bin", "vite"),
    [
      "preview",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--strictPort",
      ...(outDir ? ["--outDir", outDir] : []),
    ],
    { cwd: root, stdio: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return p;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  p.kill();
  throw new Error("vite preview did not start");
}

/** Wait until a plan is on screen and no job runs (`document.body.dataset.ready`). */
export async function waitReady(page: Page, timeout = 180_000): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, {
    timeout,
    polling: 50,
  });
}

/** Wait until planning has ended and its plan is on screen (verification may still run). */
export async function waitPlanOnScreen(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const j = (window as unknown as { __lfp: { job: () => string | null } }).__lfp.job();
      return j !== "plan" && document.querySelectorAll('[data-testid="gpu-card"]').length > 0;
    },
    null,
    { timeout: 180_000, polling: 50 },
  );
}
