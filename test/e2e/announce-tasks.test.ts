/**
 * Downtime announcements and manual tasks over the sshd fleet, with a fixed clock (SLIPWAY_NOW):
 * the `announcement` gate (71 h old refused, 73 h accepted, not covering now refused), the five
 * facts reaching a webhook and an email, and the `tasks` gate (a `before` task blocks, `tasks done`
 * unblocks and records the release, `after` tasks are printed at the end), seen from two control machines.
 */
import { readlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cliSpawn, Repo, tmpdir } from "../helpers.js";
import { startSmtp, startWebhook } from "../receivers.js";

let fleet: Fleet;
beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(["web1", "web2"]);
}, 60_000);
afterAll(() => fleet?.stop());

let seq = 0;
function project(extra = "") {
  const app = `at${++seq}`;
  const repo = new Repo(path.join(fleet.gitBase, app));
  const dir = tmpdir();
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
${extra}
environments:
  prod:
    announce: { timezone: Europe/London }
    hosts:
      - { name: web1, address: web1, roles: [web] }
      - { name: web2, address: web2, roles: [web] }
`,
  );
  const stateB = tmpdir();
  /** `as` "b": a second control machine (its own state directory and user). */
  const run = async (now: string | null, args: string[], as: "a" | "b" = "a") =>
    cliSpawn(args, {
      cwd: dir,
      env: {
        ...fleet.env,
        ...(now ? { SLIPWAY_NOW: now } : {}),
        ...(as === "b" ? { SLIPWAY_STATE_DIR: stateB, SLIPWAY_USER: "bob" } : { SLIPWAY_USER: "alice" }),
      },
    }).done;
  const current = () => readlinkSync(path.join(fleet.host("web1").home, `apps/${app}/current`)).replace("releases/", "");
  return { app, repo, dir, run, current };
}

const FACTS = ["--nature", "database upgrade to PostgreSQL 17", "--affected", "all students and teachers", "--experience", "a maintenance page; lessons pause"];
/** The downtime: 2026-12-04 22:00 London (= UTC in winter) for 45 minutes; the deploy runs at 22:10. */
const NOW = "2026-12-04T22:10:00Z";
const ANNOUNCE = ["prod", "announce", "--start", "2026-12-04 22:00", "--duration", "45m", ...FACTS];

describe.skipIf(SKIP_FLEET)("downtime announcements", () => {
  it("refuses a downtime deploy without one, with one 71 h old, and outside it; accepts one 73 h old; sends the five facts", async () => {
    const hook = await startWebhook();
    const smtp = await startSmtp();
    try {
      const p = project(`notify:
  webhooks: [{ url: "${hook.url}" }]
  email:
    smtp: { host: 127.0.0.1, port: ${smtp.port} }
    from: slipway@example.test
    to: [students@example.test]`);
      p.repo.commit({ VERSION: "1" });
      let r = await p.run(NOW, ["prod", "deploy"]);
      expect(r.code, r.stderr).toBe(0); // no downtime: no announcement needed

      p.repo.commit({ VERSION: "2" });
      r = await p.run(NOW, ["prod", "deploy", "--downtime"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("deploy refused by a gate");
      expect(r.stderr).toContain("announcement: this deploy needs downtime and there is no announcement");
      expect(r.stderr).toMatch(/→ announce it at least 72 h ahead: slipway prod announce --start '2026-12-07 23:00' --duration 45m/);

      // Made 71 h before the deploy (the control machine's clock at that time).
      r = await p.run("2026-12-01T23:10:00Z", ANNOUNCE);
      expect(r.code, r.stderr).toBe(0);
      const young = /announced (a-[0-9a-f]{6}): 2026-12-04 22:00 Europe\/London for 45m \(2026-12-04 22:00 UTC\)/.exec(r.stdout)?.[1];
      expect(young, r.stdout).toBeTruthy();
      expect(r.stderr).toContain("it starts in 70.8 h: a deploy needing downtime needs 72 h of notice");
      r = await p.run(NOW, ["prod", "deploy", "--downtime"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`announcement: announcement ${young} covers now but is too recent: made 2026-12-01 23:10 UTC (71 h before now), needs 72 h`);
      expect(p.current()).not.toContain("VERSION");
      // `downtime start` by hand is held to the same rule (an emergency says why).
      r = await p.run(NOW, ["prod", "downtime", "start", "--message", "maintenance"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`downtime start refused: announcement: announcement ${young} covers now but is too recent`);
      expect(r.stderr).toContain('--unannounced "why"');

      // The plan shows the gate without refusing.
      r = await p.run(NOW, ["prod", "deploy", "--downtime", "--plan"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/FAIL\s+announcement: announcement a-\w+ covers now but is too recent/);

      // Made 73 h before, from the other control machine: it sees and uses the same store on the primary.
      r = await p.run("2026-12-01T21:10:00Z", ANNOUNCE, "b");
      expect(r.code, r.stderr).toBe(0);
      const early = /announced (a-[0-9a-f]{6})/.exec(r.stdout)![1]!;
      const before = p.current();
      r = await p.run(NOW, ["prod", "deploy", "--downtime"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`gate pass       announcement: downtime announced by ${early}, made 2026-12-01 21:10 UTC (73 h ago, needs 72 h)`);
      expect(p.current()).not.toBe(before);
      r = await p.run(NOW, ["prod", "history", "--json"]);
      expect(r.stdout).toContain(`downtime announced by ${early}`);
      r = await p.run(NOW, ["prod", "downtime", "start", "--message", "maintenance"]);
      expect(r.code, r.stderr).toBe(0);
      expect((await p.run(NOW, ["prod", "downtime", "end"])).code).toBe(0);

      // After its end (22:45) the same announcement no longer covers a deploy.
      p.repo.commit({ VERSION: "3" });
      r = await p.run("2026-12-04T22:46:00Z", ["prod", "deploy", "--downtime"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("announcement: this deploy needs downtime and no announcement covers now (2026-12-04 22:46 UTC)");
      // --override passes it, recorded.
      r = await p.run("2026-12-04T22:46:00Z", ["prod", "deploy", "--downtime", "--override", "announcement", "-m", "security fix"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/OVERRIDDEN announcement: .*\(by alice@\S+: security fix\)/);

      r = await p.run(NOW, ["prod", "announcements"], "b");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${young}  made 2026-12-01 23:10 UTC by alice@`);
      expect(r.stdout).toContain(`${early}  made 2026-12-01 21:10 UTC by bob@`);
      expect(r.stdout).toContain("when        2026-12-04 22:00 Europe/London – 22:45 (2026-12-04 22:00 UTC – 22:45 UTC, 45m)");
      expect(r.stdout).toContain("affected    all students and teachers");

      const sent = hook.posts.filter((x) => x.event === "announcement");
      expect(sent).toHaveLength(2);
      expect(sent[0]).toMatchObject({
        env: "prod",
        start: "2026-12-04 22:00 Europe/London",
        startUtc: "2026-12-04 22:00 UTC",
        duration: "45m",
        nature: "database upgrade to PostgreSQL 17",
        affected: "all students and teachers",
        experience: "a maintenance page; lessons pause",
      });
      expect(String(sent[0]!.text)).toContain("planned downtime of prod: 2026-12-04 22:00 Europe/London for 45m");
      const mails = smtp.mails.filter((m) => m.raw.includes("planned downtime"));
      expect(mails).toHaveLength(2);
      for (const f of [
        "start: 2026-12-04 22:00 Europe/London",
        "duration: 45m",
        "nature: database upgrade",
        "affected: all students",
        "experience: a maintenance page",
      ])
        expect(mails[0]!.raw.replace(/=\r?\n/g, "")).toContain(f); // quoted-printable soft line breaks
    } finally {
      await hook.close();
      await smtp.close();
    }
  }, 120_000);

  it("announce needs all five facts and a valid start; the timezone is the environment's (summer time)", async () => {
    const p = project();
    let r = await p.run(NOW, ["prod", "announce", "--start", "2026-12-04 22:00", "--duration", "45m", "--nature", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("announce needs all five facts; missing: --affected, --experience");
    r = await p.run(NOW, ["prod", "announce", "--start", "tomorrow", "--duration", "45m", ...FACTS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--start: expected 'YYYY-MM-DD HH:MM' (in Europe/London)");
    r = await p.run("2026-06-01T00:00:00Z", ["prod", "announce", "--start", "2026-07-01 09:30", "--duration", "90m", ...FACTS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("2026-07-01 09:30 Europe/London for 1h30m (2026-07-01 08:30 UTC)");
    expect(r.stderr).toContain("no notifications configured");
  }, 60_000);
});

describe.skipIf(SKIP_FLEET)("manual tasks", () => {
  it("a before task blocks the deploy until done (recording the release); after tasks are listed and printed at the end", async () => {
    const p = project();
    p.repo.commit({ VERSION: "1" });
    let r = await p.run(NOW, ["prod", "deploy"]);
    expect(r.code, r.stderr).toBe(0);
    const first = p.current();

    r = await p.run("2026-12-04T09:00:00Z", ["prod", "tasks", "add", "Rotate the CDN key", "--when", "before"]);
    expect(r.code, r.stderr).toBe(0);
    const rotate = /added (t-[0-9a-f]{6}) \(before the next deploy\): Rotate the CDN key/.exec(r.stdout)?.[1];
    expect(rotate, r.stdout).toBeTruthy();
    r = await p.run(NOW, ["prod", "tasks", "add", "Purge the CDN cache", "--when", "after"], "b");
    const purge = /added (t-[0-9a-f]{6}) \(after the next deploy\)/.exec(r.stdout)?.[1];
    expect(purge, r.stdout + r.stderr).toBeTruthy();
    r = await p.run(NOW, ["prod", "tasks", "add", "Tell the app stores", "--when", "before", "--ref", "v9.0"]);
    expect(r.code, r.stderr).toBe(0);

    p.repo.commit({ VERSION: "2" });
    r = await p.run(NOW, ["prod", "deploy"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tasks: 1 manual task(s) to do before this deploy still open: ${rotate} "Rotate the CDN key"`);
    expect(r.stderr).toContain(`→ do them, then: slipway prod tasks done ${rotate} -m "what was done"`);
    expect(r.stderr).not.toContain("Tell the app stores"); // for another ref
    expect(p.current()).toBe(first);

    r = await p.run(NOW, ["prod", "deploy", "--plan"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/FAIL\s+tasks: 1 manual task\(s\) to do before/);
    expect(r.stdout).toMatch(new RegExp(`pass\\s+tasks: 1 manual task\\(s\\) to do after this deploy: ${purge} "Purge the CDN cache"`));

    r = await p.run(NOW, ["prod", "tasks", "done", rotate!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tasks done needs -m "what was done"');
    r = await p.run("2026-12-04T22:20:00Z", ["prod", "tasks", "done", rotate!, "-m", "rotated in the CDN console"], "b");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`done ${rotate} "Rotate the CDN key" (release ${first})`);
    r = await p.run(NOW, ["prod", "tasks", "done", rotate!, "-m", "again"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`task ${rotate} was already done at 2026-12-04T22:20:00.000Z by bob@`);

    r = await p.run(NOW, ["prod", "deploy"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`manual task after this deploy: ${purge} "Purge the CDN cache" (then: slipway prod tasks done ${purge} -m "note")`);
    expect(p.current()).not.toBe(first);

    // A malformed record on the primary is a warning; the list still shows the rest.
    fleet.asUser("web1", `printf 'not json' > apps/${p.app}/.slipway/tasks/t-bad.json`);
    r = await p.run(NOW, ["prod", "tasks"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("task t-bad: not valid JSON, ignored");
    expect(r.stdout).toMatch(new RegExp(`  ${purge}  after  "Purge the CDN cache"  added 2026-12-04T22:10:00.000Z by bob@`));
    expect(r.stdout).toContain("Tell the app stores");
    expect(r.stdout).toMatch(
      new RegExp(
        `recently done:\\n  ${rotate}  before "Rotate the CDN key"  done 2026-12-04T22:20:00.000Z by bob@\\S+ in release ${first}: rotated in the CDN console`,
      ),
    );
    r = await p.run(NOW, ["prod", "tasks", "--json"]);
    const tasks = JSON.parse(r.stdout) as { id: string; done?: { release: string } }[];
    expect(tasks.find((t) => t.id === rotate)?.done?.release).toBe(first);
  }, 120_000);
});
