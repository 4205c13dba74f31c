/** Detached pre-steps on the ssh fleet: survive the CLI being killed, report progress, notify once. */
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir } from "../helpers.js";
import { startWebhook } from "../receivers.js";

let fleet: Fleet;
beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(["web1", "worker1"]);
}, 60_000);
afterAll(() => fleet?.stop());

describe.skipIf(SKIP_FLEET)("detached pre-steps", () => {
  it("a deploy starts the pre-step; it survives killing the CLI; --check reports progress; resume waits; one notification", async () => {
    const hook = await startWebhook();
    try {
      const repo = new Repo(path.join(fleet.gitBase, "papp"));
      const dir = tmpdir();
      const config = (run: string) =>
        writeFileSync(
          path.join(dir, "slipway.yml"),
          `app: papp
source: { git: "${fleet.gitUrl("papp")}", ref: main }
presteps:
  reindex:
    run: ${JSON.stringify(run)}
    role: web
    required: true
notify:
  webhooks: [{ url: "${hook.url}" }]
environments:
  prod:
    hosts:
      - { name: web1, address: web1, roles: [web] }
      - { name: worker1, address: worker1, roles: [worker] }
`,
        );
      config(`for i in 1 2 3 4 5 6 7 8; do echo "$i/8" > "$SLIPWAY_PROGRESS"; echo "indexing $i with $(cat VERSION)"; sleep 0.4; done`);
      const cli = async (...a: string[]) => cliSpawn(a, { cwd: dir, env: fleet.env }).done;
      const current = (h: string) => readlinkSync(path.join(fleet.host(h).home, "apps/papp/current")).replace("releases/", "");
      repo.commit({ VERSION: "1" });
      const first = cliSpawn(["prod", "deploy", "--json"], { cwd: dir, env: fleet.env });
      await new Promise<void>((resolve) => {
        first.stdout!.on("data", (c: Buffer) => {
          if (/pre-step reindex running/.test(c.toString())) {
            first.kill("SIGKILL");
            resolve();
          }
        });
        first.on("close", () => resolve());
      });
      await first.done;
      const check = await cli("prod", "prestep", "reindex", "--check");
      expect(check.code, check.stdout + check.stderr).toBe(3);
      expect(check.stdout).toMatch(/pre-step reindex for \w{12} on web1: running\nprogress: \d\/8/);
      let done = check;
      for (let i = 0; i < 60 && done.code === 3; i++) {
        await new Promise((r) => setTimeout(r, 250));
        done = await cli("prod", "prestep", "reindex", "--check");
      }
      expect(done.code, done.stdout).toBe(0);
      expect(done.stdout).toMatch(/: done\nprogress: 8\/8\n.*exit 0\)\nlog tail:\n(.|\n)*indexing 8 with 1/);
      expect((await cli("prod", "prestep", "reindex", "--check")).code).toBe(0);
      const resumed = await cli("prod", "deploy", "--resume");
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/pre-step reindex done/);
      expect(readFileSync(path.join(fleet.host("web1").home, "apps/papp/current/VERSION"), "utf8")).toBe("1");
      expect(hook.posts.filter((x) => x.event === "prestep.finished")).toHaveLength(1);
      expect(hook.posts.find((x) => x.event === "prestep.finished")).toMatchObject({ prestep: "reindex", status: "done", host: "web1" });

      // a failing pre-step stops the deploy before anything switches
      const live = current("web1");
      config(`echo "index broken" >&2; exit 4`);
      repo.commit({ VERSION: "2" });
      const failed = await cli("prod", "deploy");
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/pre-step reindex failed \(exit 4\) on web1:\n\s+index broken/);
      expect(current("web1")).toBe(live);
      expect(current("worker1")).toBe(live);

      // started ahead of the deploy, then waited for
      config(`echo "3/3" > "$SLIPWAY_PROGRESS"; sleep 0.5`);
      repo.commit({ VERSION: "3" });
      const ahead = await cli("prod", "prestep", "reindex");
      expect(ahead.code, ahead.stderr).toBe(0);
      expect(ahead.stderr).toMatch(/started pre-step reindex for \w{12} on web1 in \d{8}-/);
      const waited = await cli("prod", "prestep", "reindex", "--wait");
      expect(waited.code, waited.stderr).toBe(0);
      const deployed = await cli("prod", "deploy");
      expect(deployed.code, deployed.stderr).toBe(0);
      expect(deployed.stderr).not.toMatch(/starting pre-step/);
      expect(readFileSync(path.join(fleet.host("worker1").home, "apps/papp/current/VERSION"), "utf8")).toBe("3");
    } finally {
      await hook.close();
    }
  }, 120_000);
});
