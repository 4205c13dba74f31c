/**
 * Debian's Chromium driven by playwright-core: never a downloaded browser (this machine cannot
 * download one, and a pinned system package is what operators have). Missing on CI is a failure.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { ROOT } from "./helpers.js";

export const CHROMIUM = "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_BROWSER = !HAVE_CHROMIUM && process.env.CI !== "true";
if (SKIP_BROWSER) console.warn("SKIPPING browser tests: needs Debian's chromium (apt-get install chromium); CI=true makes this a failure");

/** Screenshots of every page a browser test visits: test artifacts, and the README's pictures. */
export const SHOTS = path.join(ROOT, "test-artifacts", "screenshots");

export async function launchChromium(): Promise<Browser> {
  if (!HAVE_CHROMIUM) throw new Error(`browser tests need ${CHROMIUM} (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
