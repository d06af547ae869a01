import { expect, test, type Page } from "@playwright/test";
import { join } from "node:path";
import { assignment, downloadText, gpuCount, shot, waitReady, watch } from "./helpers";

const FIXTURES = join(import.meta.dirname, "fixtures");
/** Element screenshots: the sticky header would otherwise be drawn over the scrolled-to element. */
const UNSTICK = ".app-header, .job-bar { position: static !important; }";

async function cardInfo(page: Page, i: number) {
  const card = page.getByTestId("gpu-card").nth(i);
  return {
    card,
    count: Number(await card.getAttribute("data-adapter-count")),
    verified: (await card.locator(".bar-row.verified .bar-value").textContent()) ?? "",
    estimated: (await card.locator(".bar-row.predicted .bar-value").textContent()) ?? "",
  };
}

/** Make sure the board has at least two GPUs (adds an empty one if the plan has one). */
async function twoCards(page: Page) {
  if ((await page.getByTestId("gpu-card").count()) < 2) {
    await page.getByTestId("add-gpu-button").click();
    await expect(page.getByTestId("gpu-card")).toHaveCount(2);
  }
}

test("first load plans the default scenario and shows the board and charts", async ({ page }) => {
  const w = watch(page);
  const t0 = Date.now();
  await page.goto("./");
  await expect(page.getByTestId("gpu-card").first()).toBeVisible({ timeout: 30_000 });
  const firstPlanMs = Date.now() - t0;
  await waitReady(page);
  const n = await gpuCount(page);
  expect(n).toBeGreaterThan(0);
  await expect(page.getByTestId("gpu-card")).toHaveCount(n);
  await expect(page.getByTestId("backend-badge")).toBeVisible();
  // the shipped surrogate for the default pairs loads in the planner's worker, on wasm
  await expect(page.getByTestId("backend-badge")).toContainText(/surrogate.*wasm/);
  for (const id of ["throughput-chart", "memory-chart", "timeseries-chart"]) {
    // (a chart out of view keeps its last data until it comes near the viewport)
    await page.getByTestId(id).scrollIntoViewIfNeeded();
    await expect(page.getByTestId(id).locator("svg.recharts-surface").first()).toBeVisible();
  }
  // every adapter of the default scenario is placed exactly once
  const a = await assignment(page);
  const ids = a.flat();
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(300);
  test.info().annotations.push({ type: "first plan on screen", description: `${firstPlanMs} ms` });

  await shot(page, "01-first-load");
  await page.locator(".designer-col").screenshot({ path: "test-results/screens/02-designer.png" });
  await page
    .getByRole("region", { name: "Fleet board" })
    .screenshot({ path: "test-results/screens/03-board.png", style: UNSTICK });
  await page
    .getByRole("region", { name: "Charts" })
    .screenshot({ path: "test-results/screens/04-charts.png", style: UNSTICK });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await shot(page, "05-mobile");
  expect(w.errors).toEqual([]);
});

test("importing an Azure trace maps it onto adapters and plans it", async ({ page }) => {
  const w = watch(page);
  await page.goto("./");
  await waitReady(page);
  await page.getByTestId("trace-file-input").setInputFiles(join(FIXTURES, "azure-small.csv"));
  await expect(page.getByTestId("fleet-summary")).toContainText("azure-small.csv", {
    timeout: 30_000,
  });
  await waitReady(page);
  await expect(page.getByTestId("adapter-section")).toContainText("Adapters (100)");
  const ids = (await assignment(page)).flat();
  expect(ids.length).toBe(100);
  expect(new Set(ids).size).toBe(100);
  expect(await gpuCount(page)).toBeGreaterThan(0);
  await shot(page, "06-trace-imported");
  expect(w.errors).toEqual([]);
});

test("dragging a chip with the mouse moves the adapter and updates both cards", async ({
  page,
}) => {
  await page.goto("./");
  await waitReady(page);
  await twoCards(page);
  const a = await cardInfo(page, 0);
  const b = await cardInfo(page, 1);
  const chip = a.card.getByTestId("adapter-chip").first();
  const id = (await chip.getAttribute("data-adapter-id"))!;
  // raw mouse events need both ends on screen: bring the cards' row (both cards, their first
  // chips) to the top of the viewport, clear of the sticky header
  await a.card.evaluate((el) => {
    el.scrollIntoView({ block: "start" });
    window.scrollBy(0, -80);
  });
  await expect(chip).toBeInViewport();
  const cb = (await chip.boundingBox())!;
  const tb = (await b.card.boundingBox())!;
  await page.mouse.move(cb.x + cb.width / 2, cb.y + cb.height / 2);
  await page.mouse.down();
  await page.mouse.move(cb.x + cb.width / 2 + 12, cb.y + cb.height / 2 + 4, { steps: 4 });
  await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 3, { steps: 15 });
  await page.mouse.up();
  await expect(a.card).toHaveAttribute("data-adapter-count", String(a.count - 1));
  await expect(b.card).toHaveAttribute("data-adapter-count", String(b.count + 1));
  const moved = await assignment(page);
  expect(moved[1]).toContain(id);
  expect(moved[0]).not.toContain(id);
  await waitReady(page);
  const a2 = await cardInfo(page, 0);
  const b2 = await cardInfo(page, 1);
  // both GPUs were re-estimated and re-verified by the twin
  expect(a2.verified).toMatch(/tok\/s/);
  expect(b2.verified).toMatch(/tok\/s/);
  expect(b2.verified).not.toBe(b.verified);
  expect(a2.estimated).not.toBe(a.estimated);
  // each card's `vllm serve` arguments (its flags' tooltip) follow its adapters
  expect(await b.card.locator(".flags").getAttribute("title")).toContain(` ${id}=`);
  expect(await a.card.locator(".flags").getAttribute("title")).not.toContain(` ${id}=`);
  await shot(page, "07-after-drag");
});

test("keyboard drag: space, arrow right, space moves a chip to the next GPU", async ({ page }) => {
  await page.goto("./");
  await waitReady(page);
  await twoCards(page);
  const a = await cardInfo(page, 0);
  const b = await cardInfo(page, 1);
  const chip = a.card.getByTestId("adapter-chip").first();
  const id = (await chip.getAttribute("data-adapter-id"))!;
  await chip.focus();
  await page.keyboard.press("Space");
  await page.waitForTimeout(100);
  await page.keyboard.press("ArrowRight");
  await page.waitForTimeout(200);
  await page.keyboard.press("Space");
  await expect(b.card).toHaveAttribute("data-adapter-count", String(b.count + 1));
  await expect(a.card).toHaveAttribute("data-adapter-count", String(a.count - 1));
  expect((await assignment(page))[1]).toContain(id);
  await waitReady(page);
});

test("a shared link opened in a fresh context reproduces the plan", async ({ page, browser }) => {
  await page.goto("./");
  await waitReady(page);
  // a hand edit first: the link must carry the placement, not just the workload
  await page.getByTestId("add-gpu-button").click();
  const chip = page.getByTestId("gpu-card").first().getByTestId("adapter-chip").first();
  await chip.focus();
  await page.keyboard.press("Space");
  for (let i = 0; i < 12; i++) await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Space");
  await waitReady(page);
  await page.getByTestId("share-button").click();
  await expect(page.getByRole("textbox", { name: "Share link" })).toBeVisible();
  const url = await page.getByRole("textbox", { name: "Share link" }).inputValue();
  expect(url).toContain("#v1.");
  const n = await gpuCount(page);
  const a = await assignment(page);

  const ctx = await browser.newContext();
  const p2 = await ctx.newPage();
  await p2.goto(url);
  await waitReady(p2);
  expect(await gpuCount(p2)).toBe(n);
  expect(await assignment(p2)).toEqual(a);
  await expect(p2.getByTestId("error-banner")).toHaveCount(0);
  await ctx.close();
});

test("a corrupted link shows error-banner, falls back, and keeps the saved scenarios", async ({
  page,
  browser,
}) => {
  await page.goto("./");
  await waitReady(page);
  // save a named scenario, then change the working one
  await page.locator("summary", { hasText: "Saved scenarios" }).click();
  await page.getByRole("textbox", { name: "Scenario name" }).fill("keep-me");
  await page.getByTestId("save-scenario-button").click();
  await expect(page.getByTestId("saved-list")).toContainText("keep-me");
  await page.getByTestId("new-adapter-id").fill("mine-1");
  await page.getByTestId("add-adapter-button").click();
  await expect(page.getByTestId("adapter-section")).toContainText("Adapters (301)");
  await page.waitForTimeout(600); // the URL hash is debounced

  await page.goto("about:blank");
  await page.goto("./#v1.NobwRAdghgtgpg-this-is-not-a-scenario");
  await expect(page.getByTestId("error-banner")).toBeVisible();
  await waitReady(page);
  // the last working scenario (with mine-1) was restored, not overwritten
  await expect(page.getByTestId("adapter-section")).toContainText("Adapters (301)");
  await page.locator("summary", { hasText: "Saved scenarios" }).click();
  await expect(page.getByTestId("saved-list")).toContainText("keep-me");
  await shot(page, "08-corrupted-link");
  await page.goto("about:blank");
  await page.goto("./");
  await waitReady(page);
  await expect(page.getByTestId("adapter-section")).toContainText("Adapters (301)");
  await expect(page.getByTestId("error-banner")).toHaveCount(0);

  // a fresh browser with nothing saved falls back to the default scenario
  const ctx = await browser.newContext();
  const p2 = await ctx.newPage();
  await p2.goto("./#v1.garbage");
  await expect(p2.getByTestId("error-banner")).toBeVisible();
  await waitReady(p2);
  await expect(p2.getByTestId("adapter-section")).toContainText("Adapters (300)");
  expect(await gpuCount(p2)).toBeGreaterThan(0);
  await ctx.close();
});

test("cancel during a long job terminates it and keeps the previous plan", async ({ page }) => {
  await page.goto("./");
  await waitReady(page);
  const original = await assignment(page);
  await page.getByTestId("bulk-count").fill("2000");
  await page.getByTestId("bulk-rate").fill("120");
  await page.getByTestId("bulk-replace-button").click();
  await expect(page.getByTestId("job-progress")).toBeVisible();
  await expect(page.getByTestId("job-progress")).toHaveAttribute("role", "progressbar");
  await page.waitForTimeout(300);
  await shot(page, "09-job-running", false);
  // The job is planning (the previous plan on screen) or, once the placement is shown,
  // verifying it with the twin. Cancel either way keeps what was on screen when the user
  // clicked: read it and click in one task, then time the job indicator going away.
  const r = await page.evaluate(
    () =>
      new Promise<{ ms: number; before: string[][] | null; kind: string | null }>((resolve) => {
        const lfp = (
          window as unknown as {
            __lfp: { assignment: () => string[][] | null; job: () => string | null };
          }
        ).__lfp;
        const before = lfp.assignment();
        const kind = lfp.job();
        const t0 = performance.now();
        (document.querySelector('[data-testid="cancel-job-button"]') as HTMLButtonElement).click();
        const check = () =>
          document.querySelector('[data-testid="job-progress"]')
            ? requestAnimationFrame(check)
            : resolve({ ms: performance.now() - t0, before, kind });
        check();
      }),
  );
  test.info().annotations.push({
    type: "cancel latency",
    description: `${r.ms.toFixed(0)} ms (${r.kind})`,
  });
  expect(r.kind === "plan" || r.kind === "verify").toBe(true);
  expect(r.ms).toBeLessThan(200);
  await waitReady(page);
  expect(await assignment(page)).toEqual(r.before);
  // cancelling the planning itself keeps the plan from before the edit
  if (r.kind === "plan") expect(r.before).toEqual(original);
  await expect(page.getByTestId("error-banner")).toHaveCount(0);
});

test("a worker that dies mid-job is replaced, the UI says so and keeps the last plan", async ({
  page,
}) => {
  await page.goto("./");
  await waitReady(page);
  const before = await assignment(page);
  await page.getByTestId("plan-button").click();
  await expect(page.getByTestId("job-progress")).toBeVisible();
  // As with cancel: a crash while planning keeps the plan from before the click; once the new
  // placement is on screen (the job verifies it), that placement is kept. Read what is on
  // screen and the job's phase in the task that kills the workers.
  const r = await page.evaluate(() => {
    const lfp = (
      window as unknown as {
        __lfp: {
          crashBusyWorkers: () => string[];
          assignment: () => string[][] | null;
          job: () => string | null;
        };
      }
    ).__lfp;
    const onScreen = lfp.assignment();
    const kind = lfp.job();
    return { hit: lfp.crashBusyWorkers(), onScreen, kind };
  });
  expect(r.hit.length).toBeGreaterThan(0);
  await expect(page.getByTestId("error-banner")).toContainText("crashed");
  await waitReady(page);
  expect(await assignment(page)).toEqual(r.onScreen);
  if (r.kind === "plan") expect(r.onScreen).toEqual(before);
  // the next job gets a fresh worker
  await page.getByTestId("plan-button").click();
  await expect(page.getByTestId("job-progress")).toBeVisible();
  await waitReady(page);
  expect((await assignment(page)).flat().length).toBe(before.flat().length);
});

test("user strings never execute: HTML-like ids, formula cells; exports escape them", async ({
  page,
}) => {
  const w = watch(page);
  const xss = "<img src=x onerror=alert(1)>";
  const formula = '=HYPERLINK("http://evil.example/","click")';
  await page.goto("./");
  await waitReady(page);
  for (const id of [xss, formula]) {
    await page.getByTestId("new-adapter-id").fill(id);
    await page.getByTestId("new-adapter-rate").fill("0.5");
    await page.getByTestId("add-adapter-button").click();
  }
  await expect(page.getByTestId("adapter-section")).toContainText("Adapters (302)");
  await page.getByTestId("plan-button").click();
  await waitReady(page);
  const ids = (await assignment(page)).flat();
  expect(ids).toContain(xss);
  expect(ids).toContain(formula);
  await page.getByRole("searchbox", { name: "Filter adapters by id" }).fill("<img");
  await expect(page.locator(".adapter-id").first()).toHaveText(xss);
  expect(await page.locator("img").count()).toBe(0);

  const script = await downloadText(page, "export-script-button");
  // vLLM's JSON form (the id has '=' and spaces), single-quoted; the path segment is encoded
  expect(script).toContain(
    `'{"name":"${xss}","path":"'"\${LORA_DIR}"'/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"}'`,
  );
  const csv = await downloadText(page, "export-csv-button");
  expect(csv).toContain(`"'=HYPERLINK(""http://evil.example/"",""click"")"`);
  expect(csv.split(/\r\n/).some((l) => l.startsWith("=") || l.includes(",="))).toBe(false);
  const planJson = JSON.parse(await downloadText(page, "export-plan-button")) as {
    gpus: { adapters: string[] }[];
  };
  expect(planJson.gpus.flatMap((g) => g.adapters)).toContain(xss);

  await page.getByTestId("trace-file-input").setInputFiles(join(FIXTURES, "formula-trace.csv"));
  await expect(page.getByTestId("fleet-summary")).toContainText("formula-trace.csv", {
    timeout: 30_000,
  });
  await waitReady(page);
  await expect(page.getByTestId("fleet-summary")).toContainText("skipped");
  expect(await page.locator("img").count()).toBe(0);
  await shot(page, "10-injection");
  expect(w.dialogs).toEqual([]);
  expect(w.errors).toEqual([]);
});
