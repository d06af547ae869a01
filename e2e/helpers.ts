import { expect, type Page } from "@playwright/test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const SCREENS = join("test-results", "screens");
mkdirSync(SCREENS, { recursive: true });

/** Wait until a plan is on screen and no job runs. */
export async function waitReady(page: Page, timeout = 45_000): Promise<void> {
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout });
}

/** Collect page errors, console errors and dialogs (nothing may execute user strings). */
export function watch(page: Page): { errors: string[]; dialogs: string[] } {
  const out = { errors: [] as string[], dialogs: [] as string[] };
  page.on("pageerror", (e) => out.errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") out.errors.push(m.text());
  });
  page.on("dialog", (d) => {
    out.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return out;
}

export async function gpuCount(page: Page): Promise<number> {
  return Number(await page.getByTestId("fleet-summary").getAttribute("data-gpu-count"));
}

/** Adapter ids per GPU, from the app's read-only test hook. */
export async function assignment(page: Page): Promise<string[][]> {
  return page.evaluate(() =>
    (window as unknown as { __lfp: { assignment: () => string[][] } }).__lfp.assignment(),
  );
}

/** Click a button that triggers a download and return the file's text. */
export async function downloadText(page: Page, testid: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testid).click()]);
  const path = await dl.path();
  return readFileSync(path!, "utf8");
}

export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  if (fullPage) {
    // charts scrolled out of view keep their last data until they come near the viewport (see
    // src/ui/stagger.ts): pass by them as a reader would, so the shot shows them current
    await page.evaluate(() =>
      document.querySelector(".charts")?.scrollIntoView({ block: "center" }),
    );
    await page
      .waitForFunction(() => document.querySelectorAll(".chart-pending").length === 0, null, {
        timeout: 3000,
      })
      .catch(() => {});
    await page.waitForTimeout(300);
  }
  await page.evaluate(() => window.scrollTo(0, 0)); // sticky header at the top of full-page shots
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage });
}
