/** Release management on local hosts: resume after SIGKILL, private releases, hotfix. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { basicConfig, cliSpawn, Project, Repo } from "../helpers.js";
import { waitFor } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

describe("resume", () => {
  it("SIGKILL mid-build, then --resume finishes the same release, skipping steps already done", async () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig(`build:\n  - echo build >> ../../builds\n  - test ! -f SLOW || test -f ../../go || { touch ../../building; sleep 30; }`));
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("h1");
    p.repo.commit({ VERSION: "2", SLOW: "" });
    const a = cliSpawn(["prod", "deploy"], { cwd: p.dir });
    await waitFor(() => existsSync(path.join(p.hostDir("h1"), "building")) && existsSync(path.join(p.hostDir("h2"), "building")));
    a.kill("SIGKILL");
    await a.done;
    expect(p.current("h1")).toBe(good);
    const interrupted = p.releases("h1").at(-1)!;
    expect(p.status("h1", interrupted)).toBe("building");
    expect(p.lockExists("h1")).toBe(true);
    // a plain deploy names the stale lock; --resume takes it over
    expect(p.run("prod", "deploy").stderr).toMatch(/stale/);
    writeFileSync(path.join(p.hostDir("h1"), "go"), "");
    writeFileSync(path.join(p.hostDir("h2"), "go"), "");
    // from a second control machine's state directory: everything it needs is on the hosts
    const r = p.runWith({ SLIPWAY_STATE_DIR: path.join(p.dir, "other-machine") }, "prod", "deploy", "--resume", "--json");
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.some((e) => e.type === "info" && e.message.startsWith(`resuming ${interrupted}`))).toBe(true);
    expect(events.some((e) => e.type === "warn" && /taking over the stale lock/.test(e.message))).toBe(true);
    // fetch was journaled on both hosts before the kill: not redone; build was not: redone
    expect(events.filter((e) => e.type === "host:phase" && e.phase === "fetch")).toEqual([]);
    // (the build phase is two journaled sections per host: the build, then the release's file digest)
    const built = events.filter((e) => e.type === "host:phase" && e.phase === "build" && e.status === "done" && /^\w{16}$/.test(e.hash));
    expect(new Set(built.map((e) => e.host))).toEqual(new Set(["h1", "h2"]));
    for (const h of ["h1", "h2"]) {
      expect(p.current(h)).toBe(interrupted);
      expect(p.read(h, "current/VERSION")).toBe("2");
      expect(p.read(h, `releases/${interrupted}/.slipway/journal`)).toMatch(/^fetch\t\w{16}\t\S+\n(build\t\w{16}\t\S+\n)+switch\t/);
    }
    expect(p.run("prod", "deploy", "--resume").stderr).toMatch(/nothing to resume/);
    const hist = p
      .read("h1", ".slipway/history.ndjson")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(hist.at(-1)).toMatchObject({ release: interrupted, outcome: "ok", resumed: true });
  });

  it("refuses when the commit differs or hosts disagree about current", async () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig(`build:\n  - test ! -f SLOW || { touch ../../building; sleep 30; }`));
    expect(p.run("prod", "deploy").code).toBe(0);
    p.repo.commit({ VERSION: "2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const [first, second] = p.releases("h1");
    p.repo.commit({ VERSION: "3", SLOW: "" });
    const a = cliSpawn(["prod", "deploy"], { cwd: p.dir });
    await waitFor(() => existsSync(path.join(p.hostDir("h1"), "building")));
    a.kill("SIGKILL");
    await a.done;
    p.repo.commit({ VERSION: "4" });
    expect(p.run("prod", "deploy", "--resume", "--ref", "main").stderr).toMatch(
      /resume refused: the interrupted deploy \S+ is commit \w+ \(main\), but --ref resolves to/,
    );
    // someone switched h2 by hand to an older release
    execFileSync("bash", ["-c", `cd ${p.hostDir("h2")} && ln -sfn releases/${first} current`]);
    const r = p.run("prod", "deploy", "--resume");
    expect(r.stderr).toMatch(new RegExp(`resume refused: hosts disagree about what is current \\(expected ${second} or \\S+\\): h1=${second}, h2=${first}`));
  });
});

describe("private releases and hotfix", () => {
  it("setup-release builds a release that is not current, not a rollback target, and survives cleanup until it expires", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    p.writeConfig(basicConfig(`build:\n  - echo built > built.txt`).replace("keep_releases: 3", "keep_releases: 1"));
    expect(p.run("prod", "deploy").code).toBe(0);
    const live = p.current("h1");
    p.repo.commit({ VERSION: "2" });
    const r = p.run("prod", "setup-release", "--keep-days", "3");
    expect(r.code, r.stderr).toBe(0);
    const priv = p.releases("h1").at(-1)!;
    expect(r.stdout).toContain(`h1: ${path.join(p.hostDir("h1"), "releases", priv)}`);
    expect(p.current("h1")).toBe(live);
    expect(p.status("h1", priv)).toBe("private");
    expect(p.read("h1", `releases/${priv}/built.txt`)).toBe("built\n");
    expect(p.run("prod", "releases").stdout).toMatch(new RegExp(`${priv} .*private until \\d{4}-`));
    // deploy + cleanup keep it; rollback never goes to it
    p.repo.commit({ VERSION: "3" });
    expect(p.run("prod", "deploy").code).toBe(0);
    expect(p.releases("h1")).toContain(priv);
    expect(p.run("prod", "rollback").code).toBe(0);
    expect(p.current("h1")).toBe(live);
    expect(p.run("prod", "clean-releases").stderr).not.toContain(priv);
    // once expired, clean-releases removes it and says so
    const mf = path.join(p.hostDir("h1"), "releases", priv, ".slipway", "manifest.json");
    const m = JSON.parse(readFileSync(mf, "utf8"));
    writeFileSync(mf, JSON.stringify({ ...m, expiresAt: "2000-01-01T00:00:00Z" }));
    const c = p.run("prod", "clean-releases");
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(new RegExp(`h1: removed ${priv}`));
    expect(p.releases("h1")).not.toContain(priv);
  });

  it("--hotfix ships only the code: no dependency install, build, migrate or cleanup; marked hotfix", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1", "deps.lock": "a" });
    p.writeConfig(
      basicConfig(
        `dependencies:\n  - { path: deps, lockfile: deps.lock, install: "mkdir deps && echo installed > deps/x && echo install >> ../../installs" }\nbuild:\n  - echo build >> ../../builds\nmigrate:\n  - echo migrate >> ../../migrations`,
      ).replace("keep_releases: 3", "keep_releases: 1"),
    );
    expect(p.run("prod", "deploy").code).toBe(0);
    p.repo.commit({ VERSION: "2", "deps.lock": "b" });
    const r = p.run("prod", "deploy", "--hotfix");
    expect(r.code, r.stderr).toBe(0);
    expect(p.read("h1", "current/VERSION")).toBe("2");
    expect(p.read("h1", "current/deps/x")).toBe("installed\n");
    expect(p.read("h1", "installs")).toBe("install\n");
    expect(p.read("h1", "builds")).toBe("build\n");
    expect(p.read("h1", "migrations")).toBe("migrate\n");
    expect(p.releases("h1")).toHaveLength(2); // no cleanup despite keep_releases: 1
    expect(p.run("prod", "releases").stdout).toMatch(/current \(ok\) hotfix/);
    expect(JSON.parse(p.read("h1", ".slipway/history.ndjson").trim().split("\n").pop()!)).toMatchObject({ hotfix: true, outcome: "ok" });
  });
});

describe("components", () => {
  it("deploy, rollback and list a component without touching the app's releases; --all in order", () => {
    p = new Project();
    p.repo.commit({ VERSION: "app1" });
    const fp = new Repo(path.join(p.dir, "formplayer"));
    fp.commit({ VERSION: "fp1" });
    p.writeConfig(
      basicConfig(`components:
  formplayer:
    source: { git: ./formplayer, ref: main }
    roles: [worker]
    build:
      - echo "$SLIPWAY_RELEASE" >> ../../fp-builds`).replace(
        "      - name: h2\n        transport: local",
        "      - name: h2\n        roles: [worker]\n        transport: local",
      ),
    );
    expect(p.run("prod", "deploy").code).toBe(0);
    const app = p.current("h2");
    let r = p.run("prod", "deploy", "formplayer");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/deployed formplayer \S+ .* to 1 of 1 host/);
    const fpDir = (h: string) => path.join(p.dir, "hosts", `${h}-formplayer`);
    expect(readFileSync(path.join(fpDir("h2"), "current", "VERSION"), "utf8")).toBe("fp1");
    expect(existsSync(fpDir("h1"))).toBe(false); // h1 has no worker role
    expect(p.current("h2")).toBe(app);
    fp.commit({ VERSION: "fp2" });
    expect(p.run("prod", "deploy", "formplayer").code).toBe(0);
    expect(readFileSync(path.join(fpDir("h2"), "current", "VERSION"), "utf8")).toBe("fp2");
    r = p.run("prod", "rollback", "formplayer");
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(fpDir("h2"), "current", "VERSION"), "utf8")).toBe("fp1");
    expect(p.current("h2")).toBe(app);
    expect(p.read("h2", "current/VERSION")).toBe("app1");
    const rel = p.run("prod", "releases", "formplayer");
    expect(rel.stdout).toMatch(/h2 \(.*h2-formplayer\)/);
    expect(rel.stdout).not.toMatch(/^h1/m);
    expect(p.run("prod", "deploy", "nosuch").stderr).toMatch(/unknown component "nosuch"; expected one of: formplayer/);
    p.repo.commit({ VERSION: "app2" });
    r = p.run("prod", "deploy", "--all");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.indexOf("deploying testapp (the app)")).toBeLessThan(r.stderr.indexOf("deploying formplayer"));
    expect(p.read("h1", "current/VERSION")).toBe("app2");
    expect(
      readFileSync(path.join(fpDir("h2"), "fp-builds"), "utf8")
        .trim()
        .split("\n"),
    ).toHaveLength(3);
  });
});

describe("notifications", () => {
  it("email over real SMTP and JSON webhooks for started, succeeded, failed and rolled back; secrets redacted", async () => {
    const { startSmtp, startWebhook } = await import("../receivers.js");
    const smtp = await startSmtp();
    const hook = await startWebhook();
    try {
      p = new Project();
      p.repo.commit({ VERSION: "1" });
      p.writeConfig(
        basicConfig(`build:
  - test ! -f FAIL
notify:
  webhooks:
    - url_env: HOOK_URL
  email:
    smtp: { host: 127.0.0.1, port: ${smtp.port} }
    from: slipway@example.test
    to: [ops@example.test]
    events: [deploy.succeeded, deploy.failed, rollback.succeeded]`),
      );
      const env = { HOOK_URL: hook.url };
      // The receivers live in this process: the CLI must run asynchronously so they can answer.
      const run = async (...a: string[]) => (await cliSpawn(a, { cwd: p.dir, env }).done).code;
      expect(await run("prod", "deploy")).toBe(0);
      p.repo.commit({ VERSION: "2" });
      expect(await run("prod", "deploy")).toBe(0);
      p.repo.commit({ FAIL: "" });
      expect(await run("prod", "deploy")).toBe(1);
      expect(await run("prod", "rollback")).toBe(0);
      expect(hook.posts.map((x) => x.event)).toEqual([
        "deploy.started",
        "deploy.succeeded",
        "deploy.started",
        "deploy.succeeded",
        "deploy.started",
        "deploy.failed",
        "rollback.succeeded",
      ]);
      expect(String(hook.posts[5]!.text)).toMatch(/deploy of \S+ \(\w{12}\) FAILED on prod: deploy failed: h1: build failed/);
      expect(hook.posts[1]).toMatchObject({ env: "prod", app: "testapp", releaseId: expect.stringMatching(/^\d{8}-/) });
      expect(smtp.mails.map((m) => /^Subject: (.*)$/m.exec(m.raw.replace(/\r?\n[ \t]+/g, " "))?.[1]?.trim())).toEqual([
        expect.stringMatching(/^\[testapp prod\] deploy of \S+ \(\w{12}\) succeeded on prod$/),
        expect.stringMatching(/succeeded/),
        expect.stringMatching(/FAILED/),
        expect.stringMatching(/^\[testapp prod\] rollback to \S+ succeeded on prod$/),
      ]);
      expect(smtp.mails[0]!.to).toEqual(["ops@example.test"]);
      // the webhook URL is a secret: not in the config printout
      expect(p.runWith(env, "prod", "config", "print").stdout).not.toContain("secretpart");
    } finally {
      await smtp.close();
      await hook.close();
    }
  });
});
