/**
 * `distribute: push` on the ssh fleet: the control machine sends each host only the files that changed since
 * the commit it runs, from a repository the hosts cannot read; the rest is copied from the current release,
 * and copied files that no longer match the commit (edited on the host, rewritten by a build) are sent again.
 */
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, IS_ROOT, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir } from "../helpers.js";

const NAMES = ["h1", "h2"];
let fleet: Fleet;
beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => fleet?.stop());

const HOSTILE = ["sp ace.txt", "quo'te\".txt", "$(touch pwned).txt", "-dash.txt", "semi;colon.txt"];

describe.skipIf(SKIP_FLEET)("distribute: push", () => {
  it("sends only changed files from a repository the hosts cannot read; copies the rest; resends what drifted", async () => {
    const dir = tmpdir();
    // The repository lives in a directory only the control machine's user may read.
    const repoDir = path.join(dir, "private", "app");
    const repo = new Repo(repoDir);
    if (IS_ROOT) chmodSync(path.join(dir, "private"), 0o700);
    const files: Record<string, string> = { "server.js": "v1\n", "lib/util.js": "util\n", "gone.txt": "bye\n", "config.txt": "base\n" };
    for (const [i, f] of HOSTILE.entries()) files[`odd/${f}`] = `odd ${i}\n`;
    for (let i = 0; i < 50; i++) files[`assets/f${i}.txt`] = `asset ${i}\n`.repeat(50);
    files["-top.txt"] = "top\n";
    repo.commit(files);
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: papp
source: { git: "${repoDir}", ref: main, distribute: push }
build:
  - echo built >> config.txt
environments:
  prod:
    hosts:
${NAMES.map((h) => `      - { name: ${h}, address: ${h} }`).join("\n")}
`,
    );
    const run = async (...a: string[]) => cliSpawn(a, { cwd: dir, env: fleet.env }).done;
    const home = (h: string) => fleet.host(h).home;
    const cur = (h: string, f: string) => readFileSync(path.join(home(h), "apps/papp/current", f), "utf8");

    let r = await run("prod", "deploy");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/uploaded 60 changed file\(s\), reused 0 from nothing/);
    for (const h of NAMES) {
      expect(cur(h, "config.txt")).toBe("base\nbuilt\n");
      for (const f of HOSTILE) expect(existsSync(path.join(home(h), "apps/papp/current/odd", f))).toBe(true);
      // No git on the hosts' side: no mirror, nothing fetched.
      expect(existsSync(path.join(home(h), "apps/papp/repo"))).toBe(false);
    }
    expect(existsSync(path.join(dir, "pwned")) || existsSync(path.join(home("h1"), "pwned"))).toBe(false);

    // A change of two files and a deletion: two files travel, the rest is copied.
    repo.git("rm", "-q", "gone.txt");
    repo.commit({ "server.js": "v2\n", "lib/util.js": "util 2\n" });
    r = await run("prod", "deploy");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // config.txt was rewritten by the last build, so it does not match the commit: the state read's digest
    // shows it, and it is sent rather than copied (no second trip, no check of the copies on the host).
    expect(r.stderr).toMatch(
      /1 file\(s\) of \d{8}-\d{6}-[0-9a-f]{7} differ from the commit \(edited on the host, or rewritten by its build\): sent, not copied/,
    );
    expect(r.stderr).not.toMatch(/copied file\(s\) differ from the commit/);
    expect(r.stderr).toMatch(/uploaded 3 changed file\(s\), reused 56 from \d{8}-\d{6}-[0-9a-f]{7}/);
    for (const h of NAMES) {
      expect(cur(h, "server.js")).toBe("v2\n");
      expect(existsSync(path.join(home(h), "apps/papp/current/gone.txt"))).toBe(false);
      // The build appended to the pristine file, not to the previous build's output.
      expect(cur(h, "config.txt")).toBe("base\nbuilt\n");
      expect(cur(h, "odd/sp ace.txt")).toBe("odd 0\n");
    }

    // A file edited by hand on h2 is not carried over: h2 gets the whole tree.
    writeFileSync(path.join(home("h2"), "apps/papp/current/assets/f3.txt"), "hand edit\n");
    repo.commit({ "server.js": "v3\n" });
    r = await run("prod", "deploy", "--override", "hand-edits", "-m", "discard the edit");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/\[h2\] 2 file\(s\) of \S+ differ from the commit/);
    for (const h of NAMES) {
      expect(cur(h, "assets/f3.txt")).toBe("asset 3\n".repeat(50));
      expect(cur(h, "server.js")).toBe("v3\n");
    }
    // Releases are whole directories: rollback needs nothing from the repository.
    r = await run("prod", "rollback");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    for (const h of NAMES) expect(cur(h, "server.js")).toBe("v2\n");
    expect(readdirSync(path.join(home("h1"), "apps/papp/releases")).length).toBe(3);
  });
});
