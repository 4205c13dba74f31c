/** The fleet: the built CLI deploying over real OpenSSH servers on loopback. */
import { existsSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cli, Repo, tmpdir, type CliResult } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "web2", "web3", "worker1", "worker2"];

beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => fleet?.stop());

let appSeq = 0;
/** A project whose app repo is served by the fleet's git daemon; hosts are ssh aliases. */
function project(opts: { hosts?: string[]; extra?: string; envExtra?: string } = {}) {
  const app = `app${++appSeq}`;
  const repo = new Repo(path.join(fleet.gitBase, app));
  const dir = tmpdir();
  const hosts = opts.hosts ?? NAMES;
  const roleOf = (h: string) => (h.startsWith("web") ? "web" : "worker");
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
${opts.extra ?? ""}
environments:
  prod:
${opts.envExtra ?? ""}
    hosts:
${hosts.map((h) => `      - { name: ${h}, address: ${h}, roles: [${roleOf(h)}] }`).join("\n")}
`,
  );
  const run = (...args: string[]): CliResult => cli(args, { cwd: dir, env: fleet.env });
  const home = (h: string) => fleet.host(h).home;
  const current = (h: string) => {
    try {
      return readlinkSync(path.join(home(h), "apps", app, "current")).replace("releases/", "");
    } catch {
      return null;
    }
  };
  const read = (h: string, rel: string) => readFileSync(path.join(home(h), "apps", app, rel), "utf8");
  return { app, repo, dir, run, current, read, home };
}

describe.skipIf(SKIP_FLEET)("ssh fleet", () => {
  it("deploys to 5 hosts over ssh, honouring ~/.ssh/config aliases, and rolls back", () => {
    const p = project({ extra: "build:\n  - echo built on $SLIPWAY_HOST as $(whoami) > built.txt" });
    p.repo.commit({ VERSION: "1" });
    let r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    const id = p.current("web1");
    for (const h of NAMES) {
      expect(p.current(h)).toBe(id);
      expect(p.read(h, "current/built.txt").trim()).toBe(`built on ${h} as ${fleet.host(h).user}`);
    }
    p.repo.commit({ VERSION: "2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    expect(p.read("worker2", "current/VERSION")).toBe("2");
    r = p.run("prod", "rollback");
    expect(r.code, r.stderr).toBe(0);
    for (const h of NAMES) expect(p.current(h)).toBe(id);
    const rel = p.run("prod", "releases", "--limit", "web");
    expect(rel.stdout).toContain("web3");
    expect(rel.stdout).not.toContain("worker1");
  });
});
