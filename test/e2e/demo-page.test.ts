// The demo page at GET / in headless Chromium against the real service (npm start): score, heatmap, errors, few-shot.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { bottlePng } from "./fixtures";
import { startService, type RunningService } from "./service";

/** Debian's chromium (apt-get install chromium); Playwright's own browsers cannot be downloaded here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCREENSHOT = process.env.DEMO_SCREENSHOT ?? "/tmp/demo-page.png";
/** Bound on any one wait for the page (scoring the tiny demo model takes well under a second once warm). */
const STEP_MS = 60_000;

let service: RunningService | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  service = await startService({ timeoutMs: 180_000 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await service?.stop();
}, 30_000);

/** A fresh browser context (empty localStorage) on the demo page; page errors and CSP violations are collected. */
async function openDemo(problems: string[]): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(STEP_MS);
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  const response = await page.goto(`${service!.baseUrl}/`, { timeout: STEP_MS });
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
  return page;
}

async function fillRequest(page: Page, apiKey: string, object: string): Promise<void> {
  await page.getByLabel("API key", { exact: true }).fill(apiKey);
  await page.getByLabel("Image (PNG or JPEG)").setInputFiles({ name: "bottle.png", mimeType: "image/png", buffer: Buffer.from(bottlePng()) });
  await page.getByLabel("Object", { exact: true }).fill(object);
}

/** Size, distinct colours and strongly coloured pixels of the overlay canvas (the test image itself is near-grey). */
function canvasStats(page: Page): Promise<{ width: number; height: number; colours: number; coloured: number }> {
  return page.evaluate(() => {
    const canvas = document.getElementById("overlay") as HTMLCanvasElement;
    const px = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    let coloured = 0;
    for (let i = 0; i < px.length; i += 4) {
      colours.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
      if (Math.max(px[i]!, px[i + 1]!, px[i + 2]!) - Math.min(px[i]!, px[i + 1]!, px[i + 2]!) > 60) coloured++;
    }
    return { width: canvas.width, height: canvas.height, colours: colours.size, coloured };
  });
}

describe("demo page", () => {
  it("scores an uploaded image and draws the heatmap over it", async () => {
    const problems: string[] = [];
    const page = await openDemo(problems);
    await page.getByText("random weights").waitFor({ timeout: STEP_MS });
    await fillRequest(page, service!.apiKey, "bottle");
    await page.getByRole("button", { name: "Score", exact: true }).click();
    await page.locator("#result").waitFor({ state: "visible", timeout: STEP_MS });

    const score = Number(await page.locator("#score").textContent());
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(await page.locator("#decision").textContent()).toMatch(/^(Anomalous|Normal)$/);
    expect(await page.locator("#threshold").textContent()).toMatch(/threshold 0\.\d{3}|threshold 1\.000/);
    expect(await page.locator("#mode").textContent()).toBe("zero-shot");
    const warning = page.locator("#warning");
    expect(await warning.isVisible()).toBe(true);
    expect(await warning.textContent()).toMatch(/random weights/);
    expect(await page.locator("#total-time").textContent()).toMatch(/^\d+ ms$/);
    expect(await page.locator("#timings").textContent()).toMatch(/inference\s*[\d.]+ ms/);

    const stats = await canvasStats(page);
    // Small uploads are drawn scaled up (longer side 768), in the image's aspect ratio.
    expect({ width: stats.width, height: stats.height }).toEqual({ width: 768, height: 576 });
    expect(stats.colours).toBeGreaterThan(50);
    // The colourised map: a good share of pixels far from grey.
    expect(stats.coloured).toBeGreaterThan(0.2 * stats.width * stats.height);
    expect(await page.locator("#overlay").getAttribute("aria-label")).toMatch(/heatmap/);

    await page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: STEP_MS });
    expect(problems).toEqual([]);
  });

  it("shows the API's error code and message for a wrong key", async () => {
    const problems: string[] = [];
    const page = await openDemo(problems);
    await fillRequest(page, "not-the-right-key-000000", "bottle");
    await page.getByRole("button", { name: "Score", exact: true }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor({ state: "visible", timeout: STEP_MS });
    const text = await alert.textContent();
    expect(text).toContain("unauthorized");
    expect(text).toContain("HTTP 401");
    expect(text).toContain("the API key is not valid");
    expect(await page.locator("#result").isVisible()).toBe(false);
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-error.png"), timeout: STEP_MS });
    expect(problems).toEqual([]);
  });

  it("creates a reference set from several files and scores few-shot with it", async () => {
    const problems: string[] = [];
    const page = await openDemo(problems);
    await fillRequest(page, service!.apiKey, "bottle");
    await page.getByText("New reference set from good images").click();
    const shots = [bottlePng(300, 240), bottlePng(320, 256)].map((png, i) => ({ name: `good-${i}.png`, mimeType: "image/png", buffer: Buffer.from(png) }));
    await page.getByLabel(/Good images of the object/).setInputFiles(shots);
    await page.getByRole("button", { name: "Create reference set" }).click();
    await page
      .locator("#reference-status")
      .getByText(/^Created rs_[0-9a-f]{24}/)
      .waitFor({ timeout: STEP_MS });
    expect(await page.getByLabel("Reference set", { exact: true }).inputValue()).toMatch(/^rs_[0-9a-f]{24}$/);

    await page.getByRole("button", { name: "Score", exact: true }).click();
    await page.locator("#mode").getByText("few-shot").waitFor({ timeout: STEP_MS });
    expect(await page.locator("#mode-detail").textContent()).toMatch(/^2 shot\(s\) · rs_/);
    const score = Number(await page.locator("#score").textContent());
    expect(score >= 0 && score <= 1).toBe(true);
    expect(problems).toEqual([]);
  });
});
