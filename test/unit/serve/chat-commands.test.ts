import { describe, expect, it } from "vitest";
import { cliArgs, escapeSlack, isChatRef, mayRun, parseCommand, roleOf } from "../../../src/serve/chat/commands.js";

const ENVS = ["production", "staging"];
const ok = (command: string, text: string) => {
  const r = parseCommand(command, text, ENVS);
  if (!r.ok) throw new Error(r.text);
  return r.cmd;
};
const refused = (command: string, text: string) => {
  const r = parseCommand(command, text, ENVS);
  expect(r.ok, `${command} ${text}`).toBe(false);
  return (r as { text: string }).text;
};
/** Our own flags: anything else starting with "-" in an argv would be an injected option. */
const OWN = /^(--plan|--ref=|--message=)/;

describe("chat commands: parsing", () => {
  it("parses each verb with its arguments", () => {
    expect(ok("/deploy", "production")).toEqual({ verb: "deploy", env: "production", ref: null, message: null });
    expect(ok("/deploy", "  production   main  ")).toEqual({ verb: "deploy", env: "production", ref: "main", message: null });
    expect(ok("/deploy", "staging v1.4.2 -- weekly  release")).toEqual({ verb: "deploy", env: "staging", ref: "v1.4.2", message: "weekly release" });
    expect(ok("/deploy", "staging -- hotfix")).toEqual({ verb: "deploy", env: "staging", ref: null, message: "hotfix" });
    expect(ok("/rollback", "production")).toEqual({ verb: "rollback", env: "production", release: null });
    expect(ok("/rollback", "production 20261122-050403-abc1234")).toEqual({ verb: "rollback", env: "production", release: "20261122-050403-abc1234" });
    expect(ok("/lock", "production db maintenance until 14:00")).toEqual({ verb: "lock", env: "production", reason: "db maintenance until 14:00" });
    expect(ok("/unlock", "production")).toEqual({ verb: "unlock", env: "production" });
    expect(ok("/status", "staging")).toEqual({ verb: "status", env: "staging" });
    expect(ok("/slipway", "deploy production main")).toMatchObject({ verb: "deploy", ref: "main" });
    expect(ok("/DEPLOY", "production")).toMatchObject({ verb: "deploy" });
  });

  it("an unknown verb or environment answers with the environments and the usage", () => {
    const t = refused("/deploy", "prod");
    expect(t).toMatch(/^Unknown environment `prod`\.\nEnvironments: `production`, `staging`\n/);
    expect(t).toContain("`/deploy <env> [ref] [-- message]`");
    expect(refused("/destroy", "production")).toMatch(/^Unknown command `destroy`/);
    expect(refused("/slipway", "")).toMatch(/^Unknown command/);
    expect(refused("/status", "")).toMatch(/^`\/status` needs an environment/);
    expect(refused("/lock", "production")).toMatch(/needs a reason/);
    expect(refused("/status", "production extra")).toMatch(/takes only an environment/);
    expect(refused("/deploy", "production main other")).toMatch(/takes one ref/);
    expect(refused("/rollback", "production latest")).toMatch(/is not a release id/);
  });

  it("hostile text never becomes an option, a path or shell: refused, or kept as one glued argument", () => {
    for (const ref of [
      "--force",
      "-x",
      "$(id)",
      "`id`",
      "a;b",
      "a|b",
      "../etc",
      "a/../b",
      "a..b",
      "main/",
      "x.lock",
      "a//b",
      "@{-1}",
      "'q'",
      '"q"',
      "a\\b",
      ".hidden",
      "a/.b",
    ])
      expect(refused("/deploy", `production ${ref}`), ref).toMatch(/not a branch, tag or commit name|takes one ref/);
    for (const env of ["--help", "-c", "../production", "production;", "$(id)"]) expect(refused("/deploy", env)).toMatch(/^Unknown environment/);
    for (const rel of ["--force", "-1", "../20261122-050403-abc1234", "20261122-050403-abc1234;id", "20261122-050403-ABC1234"])
      expect(refused("/rollback", `production ${rel}`)).toMatch(/not a release id/);
    // newlines separate words (they are whitespace), so a second line cannot smuggle a ref
    expect(refused("/deploy", "production\nmain\n--force")).toMatch(/takes one ref/);
    const hostile = ["--help", "--json", "-c /etc/passwd", "$(rm -rf /)", "; reboot", "a\nb\rc\u0000d\u2028e", "-- --force", "'\"`"];
    for (const h of hostile) {
      for (const cmd of [ok("/lock", `production ${h}`), ok("/deploy", `production main -- ${h}`)]) {
        const { preview, action } = cliArgs(cmd);
        for (const a of [...(preview ?? []), ...action]) {
          if (a.startsWith("-")) expect(a, h).toMatch(OWN);
          expect(a).not.toMatch(/[\n\r\u0000\u2028]/);
        }
      }
    }
    expect(cliArgs(ok("/lock", "production --help"))).toEqual({ preview: null, action: ["lock", "acquire", "--message=--help"] });
    expect(refused("/lock", `production ${"x".repeat(201)}`)).toMatch(/longer than 200/);
  });

  it("the CLI calls: a plan first for deploy and rollback, values glued to their flags", () => {
    expect(cliArgs(ok("/deploy", "production main -- weekly"))).toEqual({
      preview: ["deploy", "--plan", "--ref=main"],
      action: ["deploy", "--ref=main", "--message=weekly"],
    });
    expect(cliArgs(ok("/deploy", "production"))).toEqual({ preview: ["deploy", "--plan"], action: ["deploy"] });
    expect(cliArgs(ok("/rollback", "production 20261122-050403-abc1234"))).toEqual({
      preview: ["rollback", "--plan", "20261122-050403-abc1234"],
      action: ["rollback", "20261122-050403-abc1234"],
    });
    expect(cliArgs(ok("/unlock", "production"))).toEqual({ preview: null, action: ["lock", "release"] });
    expect(cliArgs(ok("/status", "production"))).toEqual({ preview: null, action: ["status"] });
  });

  it("refs: git's rules, narrowed", () => {
    for (const r of ["main", "v1.4.2", "feature/x-y_z", "abc1234", "release-2026.12"]) expect(isChatRef(r), r).toBe(true);
  });
});

describe("chat commands: who may act", () => {
  const users = { U012ABC: "deployer", UCAROL: "viewer" } as const;
  it("by user id only; anyone else has no role (prototype keys too)", () => {
    expect(roleOf(users, "U012ABC")).toBe("deployer");
    expect(roleOf(users, "UCAROL")).toBe("viewer");
    expect(roleOf(users, "U999")).toBeNull();
    expect(roleOf(users, "__proto__")).toBeNull();
    expect(roleOf(users, "")).toBeNull();
  });
  it("viewers may only /status", () => {
    expect(mayRun("viewer", "status")).toBe(true);
    for (const v of ["deploy", "rollback", "lock", "unlock"] as const) {
      expect(mayRun("viewer", v)).toBe(false);
      expect(mayRun("deployer", v)).toBe(true);
    }
  });
  it("Slack markup from hosts or users is escaped", () => {
    expect(escapeSlack("<!channel> & <http://x|y>")).toBe("&lt;!channel&gt; &amp; &lt;http://x|y&gt;");
    expect(refused("/deploy", "<!channel>")).toContain("`&lt;!channel&gt;`");
  });
});
