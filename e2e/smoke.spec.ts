import { expect, test } from "@playwright/test";

test("built app shows the LoRA Fleet Planner shell without console errors", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`${msg.text()} ${msg.location().url}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()} ${res.url()}`);
  });

  await page.goto("./");
  await expect(page).toHaveTitle("LoRA Fleet Planner");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("LoRA Fleet Planner");
  await expect(page.getByRole("main")).toBeVisible();

  const csp = await page
    .locator('meta[http-equiv="Content-Security-Policy"]')
    .getAttribute("content");
  expect(csp).toContain("default-src 'self'");

  await page.screenshot({ path: "test-results/smoke.png", fullPage: true });
  expect(errors).toEqual([]);
});
