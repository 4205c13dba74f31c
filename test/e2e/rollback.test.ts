/** End-to-end rollback and cleanup rules on local hosts. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicConfig, Project } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

function deployVersions(n: number, extra = ""): string[] {
  p.writeConfig(basicConfig(extra));
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    p.repo.commit({ VERSION: String(i) });
    const r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    ids.push(p.current("h1")!);
  }
  return ids;
}

describe("rollback", () => {
  it("refuses with a reason when nothing was deployed, and when there is no earlier good release", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig());
    let r = p.run("prod", "rollback");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rollback refused: nothing to roll back: h1 has no current release/);
    expect(p.run("prod", "deploy").code).toBe(0);
    r = p.run("prod", "rollback");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing to roll back to: no good release older than/);
    expect(p.lockExists("h1")).toBe(false);
  });

  it("returns to the previous good release, marks the rolled-from one bad, and a second rollback skips bad ones", () => {
    p = new Project();
    const [r1, r2, r3] = deployVersions(3, `restart:\n  - cat VERSION > ../../served`);
    let r = p.run("prod", "rollback");
    expect(r.code, r.stderr).toBe(0);
    for (const h of ["h1", "h2"]) {
      expect(p.current(h)).toBe(r2);
      expect(p.status(h, r3!)).toBe("bad");
      expect(p.read(h, "served").trim()).toBe("2"); // restart ran for the rolled-back-to release
    }
    r = p.run("prod", "rollback");
    expect(r.code, r.stderr).toBe(0);
    expect(p.current("h1")).toBe(r1);
    expect(p.status("h1", r2!)).toBe("bad");
    const hist = p
      .read("h1", ".slipway/history.ndjson")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(hist.at(-1)).toMatchObject({ verb: "rollback", release: r1, fromRelease: r2, outcome: "ok" });
  });

  it("rollback <id> goes to a named release; refuses unknown, current and failed ones", () => {
    p = new Project();
    const [r1, , r3] = deployVersions(3);
    expect(p.run("prod", "rollback", "20200101-000000-0000000").stderr).toMatch(/release 20200101-000000-0000000 does not exist on h1/);
    expect(p.run("prod", "rollback", r3!).stderr).toMatch(/is already current/);
    const r = p.run("prod", "rollback", r1!);
    expect(r.code, r.stderr).toBe(0);
    expect(p.current("h2")).toBe(r1);
    // a failed release is never a rollback target
    p.writeConfig(basicConfig(`build:\n  - "false"`));
    p.repo.commit({ VERSION: "4" });
    expect(p.run("prod", "deploy").code).toBe(1);
    const failed = p.releases("h1").at(-1)!;
    expect(p.status("h1", failed)).toBe("failed");
    expect(p.run("prod", "rollback", failed).stderr).toMatch(/is failed; refusing/);
  });
});

describe("cleanup", () => {
  it("keeps keep_releases good releases, current and the rollback target; removes failed ones; prints what it removed", () => {
    p = new Project();
    const ids = deployVersions(5); // keep_releases: 3
    for (const h of ["h1", "h2"]) expect(p.releases(h)).toEqual(ids.slice(-3));
    // a failed deploy is removed by the next successful one
    p.writeConfig(basicConfig(`build:\n  - test ! -f FAIL`));
    p.repo.commit({ FAIL: "" });
    expect(p.run("prod", "deploy").code).toBe(1);
    const failed = p.releases("h1").at(-1)!;
    p.repo.git("rm", "-q", "FAIL");
    p.repo.commit({ VERSION: "6" });
    const r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(p.releases("h1")).not.toContain(failed);
    expect(r.stderr).toMatch(new RegExp(`\\[h1\\] removed 2 old release\\(s\\): .*${failed}`));
    expect(p.releases("h1")).toHaveLength(3);
  });

  it("never removes the rollback target even when it is older than keep_releases good ones", () => {
    p = new Project();
    p.writeConfig(basicConfig().replace("keep_releases: 3", "keep_releases: 5"));
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      p.repo.commit({ VERSION: String(i) });
      expect(p.run("prod", "deploy").code).toBe(0);
      ids.push(p.current("h1")!);
    }
    // roll back twice: current = ids[1]; ids[2], ids[3] are bad; rollback target is ids[0]
    expect(p.run("prod", "rollback").code).toBe(0);
    expect(p.run("prod", "rollback").code).toBe(0);
    expect(p.current("h1")).toBe(ids[1]);
    p.writeConfig(basicConfig().replace("keep_releases: 3", "keep_releases: 1"));
    const r = p.run("prod", "cleanup");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/h1: removed/);
    expect(p.releases("h1")).toEqual([ids[0], ids[1]]);
  });
});

describe("rollback --plan", () => {
  it("prints the target, the commands per host and the recovery, and changes nothing (also as JSON)", () => {
    p = new Project();
    const [r1, r2] = deployVersions(2);
    const r = p.run("prod", "rollback", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^plan: rollback prod to ${r1}`));
    expect(r.stdout).toContain(`switch current → releases/${r1}`);
    expect(r.stdout).toContain(`mark ${r2} bad`);
    expect(p.current("h1")).toBe(r2);
    expect(p.status("h1", r2!)).toBe("ok");
    expect(p.lockExists("h1")).toBe(false);
    const j = p.run("prod", "rollback", "--plan", "--json");
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ verb: "rollback", target: r1, from: r2, hosts: ["h1", "h2"] });
    expect(p.run("prod", "rollback", "--plan", r2!).stderr).toMatch(/rollback refused: .* is already current/);
    expect(p.current("h2")).toBe(r2);
  });
});

describe("a failed rollback", () => {
  it("puts every host back on the release it left, marked ok again, and names what it did per host", () => {
    p = new Project();
    const [, r2] = deployVersions(2, "verify:\n  - test ! -f ../../fail-verify");
    for (const h of ["h1", "h2"]) writeFileSync(path.join(p.hostDir(h), "fail-verify"), "");
    const r = p.run("prod", "rollback");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rollback failed: .*verify/);
    expect(r.stderr).toMatch(/h1: switched back to /);
    for (const h of ["h1", "h2"]) {
      expect(p.current(h)).toBe(r2);
      expect(p.status(h, r2!)).toBe("ok");
    }
    expect(p.lockExists("h1")).toBe(false);
  });
});
