/**
 * The dashboard in a real browser (Debian's Chromium) against the SSH test fleet: log in through
 * the form, see the overview, deploy from the page and watch the live log reach "done", roll back
 * from the releases page, and see a lock taken from the CLI appear without reloading. Every page
 * visited is saved as a screenshot (test-artifacts/screenshots/).
 */
import { readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import type { Browser as Chromium, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, SKIP_BROWSER, screenshot } from "../browser.js";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir } from "../helpers.js";
import { createToken, type Served, startServe } from "../serve-harness.js";

const SKIP = SKIP_FLEET || SKIP_BROWSER;
const HOSTS = ["web1", "web2"];
let fleet: Fleet;
let browser: Chromium;
let page: Page;
let app: Served;
let dir: string;
let repo: Repo;
let token: string;

const cli = (...args: string[]) => cliSpawn(args, { cwd: dir, env: { ...fleet.env, SLIPWAY_USER: "terminal-user" } }).done;
const current = (h: string) => readlinkSync(path.join(fleet.host(h).home, "apps", "browserapp", "current")).replace("releases/", "");

beforeAll(async () => {
  if (SKIP) return;
  fleet = await Fleet.start(HOSTS);
  repo = new Repo(path.join(fleet.gitBase, "browserapp"));
  dir = tmpdir();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: browserapp
source: { git: "${fleet.gitUrl("browserapp")}", ref: main }
build:
  - test ! -f SLOW || sleep 3
schedule:
  - { name: weekly, env: production, cron: "0 9 * * 2", timezone: Europe/Berlin, ref: main }
environments:
  production:
    hosts:
${HOSTS.map((h) => `      - { name: ${h}, address: ${h}, roles: [web] }`).join("\n")}
`,
  );
  repo.commit({ "index.html": "<h1>v1</h1>" }, "Initial release");
  const r = await cli("production", "deploy", "-m", "first");
  expect(r.code, r.stderr).toBe(0);
  token = await createToken({ dir }, "grace", "deployer");
  app = await startServe({ dir }, [], fleet.env);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  fleet?.stop();
});

describe.skipIf(SKIP)("dashboard in Chromium", () => {
  it("logs in with a token through the form and shows the overview", async () => {
    await page.goto(`${app.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await screenshot(page, "login");
    await page.fill("#token", token);
    await page.click("button[type=submit]");
    await page.waitForURL(`${app.url}/`);
    const card = page.locator('section[data-env="production"]');
    await expect.poll(() => card.locator('[data-field="release"]').textContent()).toBe(current("web1"));
    expect(await card.textContent()).toContain("Initial release");
    expect(await page.textContent("header")).toContain("grace (deployer)");
    await screenshot(page, "overview");
  });

  it("deploys from the page: the plan, Confirm, then the live log reaches done", async () => {
    const before = current("web1");
    repo.commit({ "index.html": "<h1>v2</h1>", SLOW: "1" }, "Add the pricing page");
    await page.goto(`${app.url}/`);
    const form = page.locator('form[action="/env/production/actions/deploy"]');
    await form.locator('input[name="ref"]').fill("main");
    await form.locator('input[name="message"]').fill("from the browser");
    await form.locator("button").click();
    await page.waitForSelector("#plan");
    expect(await page.textContent("#plan")).toMatch(/plan: deploy production release/);
    await screenshot(page, "deploy-plan");
    expect(current("web1")).toBe(before);
    await page.click("#confirm");
    await page.waitForURL(/\/runs\/\d+$/);
    // Lines arrive while it runs (the build sleeps 3 s), then the stream's end marks the page done.
    await page.waitForFunction(() => (document.getElementById("live-log")?.textContent ?? "").includes("build running"), null, { timeout: 20_000 });
    await page.waitForSelector('body[data-run-done="ok"]', { timeout: 60_000 });
    expect(await page.textContent("#live-log")).toMatch(/done in \d/);
    expect(await page.textContent("#run-status")).toBe("ok");
    // The facts at the top catch up with the finished run: its release.
    await page.waitForFunction(() => /\d{8}-\d{6}-[0-9a-f]{7}/.test(document.getElementById("run-facts")?.textContent ?? ""), null, { timeout: 10_000 });
    await screenshot(page, "deploy-run");
    expect(current("web1")).not.toBe(before);
    expect(current("web2")).toBe(current("web1"));
  }, 90_000);

  it("rolls back from the releases page to a chosen release", async () => {
    await page.goto(`${app.url}/env/production/releases`);
    await screenshot(page, "releases");
    const rows = page.locator('section[data-host="web1"] tr[data-release]');
    const older = (await rows.nth(1).getAttribute("data-release"))!;
    await rows.nth(1).locator("button").click();
    await page.waitForSelector("#plan");
    expect(await page.textContent("#plan")).toContain(older);
    await page.click("#confirm");
    await page.waitForSelector('body[data-run-done="ok"]', { timeout: 60_000 });
    for (const h of HOSTS) expect(current(h)).toBe(older);
  }, 90_000);

  it("a lock taken from the CLI appears on the open overview without a reload", async () => {
    await page.goto(`${app.url}/`);
    expect(await page.textContent('[data-field="lock"]')).toContain("unlocked");
    const r = await cli("production", "lock", "acquire", "-m", "database upgrade");
    expect(r.code, r.stderr).toBe(0);
    await page.waitForFunction(() => (document.querySelector('[data-field="lock"]')?.textContent ?? "").includes("database upgrade"), null, {
      timeout: 20_000,
    });
    expect(await page.textContent('[data-field="lock"]')).toMatch(/locked by .*terminal-user/);
    await screenshot(page, "overview-locked");
    expect((await cli("production", "lock", "release")).code).toBe(0);
  }, 40_000);

  it("history filters by outcome and links each run", async () => {
    await page.goto(`${app.url}/history?env=production&outcome=ok`);
    const rows = page.locator("table.runs tbody tr");
    expect(await rows.count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator("table.runs tbody").textContent()).not.toContain("failed");
    await screenshot(page, "history");
  });

  it("the metrics page draws the four figures from the runs above, and the schedules page shows the next run", async () => {
    await page.goto(`${app.url}/metrics?days=7&bucket=day`);
    const section = page.locator('section.metrics[aria-label="production"]');
    expect(await section.locator("figure.chart").count()).toBe(4);
    expect(await section.textContent()).toMatch(/\d+ successful deploys/);
    const csv = await page.request.get(`${app.url}/api/environments/production/metrics?days=7&format=csv`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toMatch(/^text\/csv/);
    await screenshot(page, "metrics");
    await page.goto(`${app.url}/schedules`);
    expect(await page.textContent("table.schedules")).toMatch(/weekly.*production.*0 9 \* \* 2.*Europe\/Berlin/s);
    await screenshot(page, "schedules");
    await page.goto(`${app.url}/`);
    expect(await page.textContent('[data-field="schedules"]')).toContain("weekly");
  });

  it("keeps host connections between reads; a host whose kept connection died is read afresh, not called unreachable", async () => {
    const read = async () => {
      const r = await fetch(`${app.url}/api/environments/production`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      return (await r.json()) as { hosts: { name: string; reachable: boolean; note: string | null }[] };
    };
    const accepted = (h: string) => (readFileSync(path.join(fleet.host(h).dir, "sshd.log"), "utf8").match(/Accepted publickey/g) ?? []).length;
    await read();
    const before = HOSTS.map(accepted);
    for (let i = 0; i < 3; i++) expect((await read()).hosts.every((h) => h.reachable)).toBe(true);
    // Three more reads, not one new SSH login.
    expect(HOSTS.map(accepted)).toEqual(before);
    fleet.killHost("web1");
    await fleet.restartHost("web1");
    const after = await read();
    expect(after.hosts.find((h) => h.name === "web1")).toMatchObject({ reachable: true, note: null });
    expect(accepted("web1")).toBe(before[0]! + 1);
  }, 60_000);
});
