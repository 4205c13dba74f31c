/**
 * Issue 12 item 3: bounded HTTP load through a real nginx per host (3 ssh hosts, supervisord) while
 * deploying, rolling back and deploying a release that fails its health check. The in-place restart
 * is measured for comparison only; with `cutover` every request must succeed.
 * The scenarios themselves live in test/cutover-scenarios.ts, shared with `npm run bench`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTIONS, cutoverScenarios, HOSTS, inPlaceScenarios, type LoadFleet, startLoadFleet, type ScenarioResult } from "../cutover-scenarios.js";
import { SKIP_FLEET } from "../fleet.js";
import { formatStats } from "../load.js";

let lf: LoadFleet;
beforeAll(async () => {
  if (SKIP_FLEET) return;
  lf = await startLoadFleet();
}, 60_000);
afterAll(() => lf?.stop());

function log(r: ScenarioResult): void {
  console.log(`[${r.scenario}] CLI exit ${r.cli.code} in ${(r.wallMs / 1000).toFixed(2)} s\n  ${r.phases.map(formatStats).join("\n  ")}`);
}

describe.skipIf(SKIP_FLEET)("load through nginx during deploys", () => {
  it("in-place restart: deploy and rollback under load (the comparison figures)", async () => {
    const results = await inPlaceScenarios(lf);
    for (const r of results) {
      log(r);
      expect(r.cli.code, r.cli.stderr).toBe(0);
      // the load really ran, before and during the CLI
      expect(r.steady.sent).toBeGreaterThan(0);
      expect(r.during.sent).toBeGreaterThan(0);
      expect(r.steady.non2xx + r.steady.errors).toBe(0);
    }
    const [deploy, rollback] = results;
    expect(Object.keys(deploy!.after.bodies)).toEqual(["v2"]);
    expect(Object.keys(rollback!.after.bodies)).toEqual(["v1"]);
  }, 180_000);

  it("cutover: deploy, rollback and a deploy failing its health check lose no request", async () => {
    const results = await cutoverScenarios(lf);
    for (const r of results) log(r);
    const [deploy, rollback, failing] = results;
    for (const r of results) {
      expect(r.steady.sent).toBeGreaterThan(0);
      expect(r.during.sent).toBeGreaterThan(0);
      for (const p of r.phases) {
        expect(p.non2xx, `${r.scenario} ${p.name}: ${formatStats(p)}`).toBe(0);
        expect(p.errors, `${r.scenario} ${p.name}: ${formatStats(p)}`).toBe(0);
        // A retry is only for a keep-alive connection an old nginx worker closed at a reload: at most
        // one per load connection per reload (a deploy reloads each nginx once, twice with a switch back).
        expect(p.staleRetries, `${r.scenario} ${p.name}: ${formatStats(p)}`).toBeLessThanOrEqual(2 * CONNECTIONS * HOSTS.length);
      }
    }
    expect(deploy!.cli.code, deploy!.cli.stderr).toBe(0);
    expect(Object.keys(deploy!.after.bodies)).toEqual(["v2"]);
    expect(rollback!.cli.code, rollback!.cli.stderr).toBe(0);
    expect(Object.keys(rollback!.after.bodies)).toEqual(["v1"]);
    // v3 is unhealthy on one host: the deploy fails and every host keeps serving v1
    expect(failing!.cli.code).not.toBe(0);
    expect(Object.keys(failing!.during.bodies)).toEqual(["v1"]);
    expect(Object.keys(failing!.after.bodies)).toEqual(["v1"]);
    for (const page of failing!.pagesAfter) expect(page).toBe("v1\n200");
  }, 240_000);
});
