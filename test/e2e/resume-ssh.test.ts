/** SIGKILL the CLI at every phase boundary of a 3-host deploy over SSH; --resume always converges. */
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cli, cliSpawn, Repo, tmpdir } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "web2", "worker1"];
beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => fleet?.stop());

const BOUNDARIES = ["lock", "check", "fetch", "link", "build", "switch", "cleanup", "restart", "verify"];

describe.skipIf(SKIP_FLEET)("resume after SIGKILL (ssh fleet)", () => {
  it("converges from a kill at every phase boundary and at a random point inside the build", async () => {
    const repo = new Repo(path.join(fleet.gitBase, "rapp"));
    const dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: rapp
source: { git: "${fleet.gitUrl("rapp")}", ref: main }
shared: { dirs: [log] }
build:
  - sleep 0.3; cat VERSION > built.txt
restart:
  - cat VERSION > ../../restarted
verify:
  - test "$(cat built.txt)" = "$(cat VERSION)"
environments:
  prod:
    hosts:
${NAMES.map((h) => `      - { name: ${h}, address: ${h}, roles: [${h.startsWith("web") ? "web" : "worker"}] }`).join("\n")}
`,
    );
    const run = (...a: string[]) => cli(a, { cwd: dir, env: fleet.env });
    const current = (h: string) => readlinkSync(path.join(fleet.host(h).home, "apps/rapp/current")).replace("releases/", "");
    const read = (h: string, f: string) => readFileSync(path.join(fleet.host(h).home, "apps/rapp", f), "utf8");
    repo.commit({ VERSION: "0" });
    expect(run("prod", "deploy").code).toBe(0);

    const points = [...BOUNDARIES.map((b) => ({ boundary: b, delay: 0 })), { boundary: "build-random", delay: 50 + Math.floor(Math.random() * 250) }];
    let v = 0;
    for (const point of points) {
      v++;
      repo.commit({ VERSION: String(v) });
      const child = cliSpawn(["prod", "deploy", "--json"], { cwd: dir, env: fleet.env });
      let buf = "";
      await new Promise<void>((resolve) => {
        const kill = () => {
          child.kill("SIGKILL");
          resolve();
        };
        child.stdout!.on("data", (c: Buffer) => {
          buf += c.toString();
          for (const line of buf.split("\n").slice(0, -1)) {
            const e = JSON.parse(line);
            if (point.boundary === "build-random" && e.type === "host:phase" && e.phase === "build" && e.status === "running") setTimeout(kill, point.delay);
            else if (e.type === "host:phase" && e.phase === point.boundary && e.status === "done") kill();
          }
          buf = buf.slice(buf.lastIndexOf("\n") + 1);
        });
        child.on("close", () => resolve());
      });
      await child.done;
      let r = run("prod", "deploy", "--resume");
      if (/nothing to resume/.test(r.stderr)) {
        // killed before the deploy was recorded: nothing ran on the hosts but the lock
        expect(run("prod", "lock", "release").code).toBe(0);
        r = run("prod", "deploy");
      }
      expect(r.code, `${point.boundary}: ${r.stderr}`).toBe(0);
      const ids = NAMES.map(current);
      expect(new Set(ids).size, `${point.boundary}: ${ids.join(" ")}`).toBe(1);
      for (const h of NAMES) {
        expect(read(h, "current/VERSION"), `${point.boundary} on ${h}`).toBe(String(v));
        expect(read(h, "current/built.txt").trim()).toBe(String(v));
        expect(read(h, `releases/${ids[0]}/.slipway/status`)).toBe("ok");
      }
    }
  }, 180_000);
});
