/** logs builders through a real bash: hostile paths and unit names stay data, --since filters timestamped lines, follow picks up new lines. */
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { logLines, logTargets } from "../../../src/apply/logs.js";
import { fileLogCommand, journalLogCommand, logCommand, logSource, NO_FILE_MARKER } from "../../../src/commands/logs.js";
import { pathsFor } from "../../../src/config/paths.js";
import type { Host, Service } from "../../../src/config/resolve.js";

const run = (sh: string, env: Record<string, string> = {}) => {
  const r = spawnSync("bash", ["-c", sh], { encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const HOSTILE = `we'b $(touch pwned) ; "x" \`y\`\nz`;
const svc = (o: Partial<Service>) =>
  ({ name: "web", backend: "supervisord", program: "shop-web", order: 50, component: null, gracefulReload: false, ...o }) as Service;

describe("file logs", () => {
  it("prints the last N lines of a file whose path is hostile, and runs nothing from it", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-logs-"));
    const root = path.join(dir, HOSTILE);
    mkdirSync(path.join(root, "shared"), { recursive: true });
    writeFileSync(path.join(root, "shared", `${HOSTILE}.log`), "one\ntwo\nthree $(touch pwned2)\n");
    const src = logSource(svc({ name: HOSTILE }), pathsFor(root));
    expect(src).toMatchObject({ kind: "file", shown: `shared/${HOSTILE}.log` });
    const r = run(`cd ${JSON.stringify(dir)} && ${logCommand(src, { lines: 2, follow: false })}`);
    expect(r).toEqual({ code: 0, stdout: "two\nthree $(touch pwned2)\n", stderr: "" });
    expect(existsSync(path.join(dir, "pwned"))).toBe(false);
    expect(existsSync(path.join(dir, "pwned2"))).toBe(false);
  });

  it("a missing file prints the marker on stderr and exits 0; the command backend reads its `log:` path under deploy_to", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-logs-"));
    const src = logSource(svc({ backend: "command", log: "shared/app.log" }), pathsFor(root));
    expect(src).toEqual({ service: "web", kind: "file", path: path.join(root, "shared/app.log"), shown: "shared/app.log" });
    expect(run(logCommand(src, { lines: 5, follow: false })!)).toEqual({ code: 0, stdout: "", stderr: `${NO_FILE_MARKER}\n` });
    expect(logSource(svc({ backend: "command" }), pathsFor(root))).toEqual({ service: "web", kind: "none", note: "no log configured (set services.web.log)" });
  });

  it("--since keeps ISO-timestamped lines newer than the cutoff with their continuation lines; untimestamped files pass whole", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-logs-"));
    const fmt = (msAgo: number, utc: boolean) => {
      const d = new Date(Date.now() - msAgo);
      if (utc) return d.toISOString().replace(/\.\d+Z$/, ".123Z");
      // The host's local time (the bash below runs in New York), as a Swedish-locale date prints it: ISO-like.
      return `${d.toLocaleString("sv-SE", { timeZone: "America/New_York" })},5`;
    };
    const f = path.join(dir, "app.log");
    writeFileSync(
      f,
      [
        `${fmt(3_600_000, true)} old utc`,
        "  old continuation",
        `[${fmt(3_000_000, false)}] old local`,
        `${fmt(60_000, true)} new utc`,
        "  new continuation",
        `[${fmt(30_000, false)}] new local`,
        "",
      ].join("\n"),
    );
    const r = run(fileLogCommand(f, { lines: 100, follow: false, sinceSeconds: 600 }), { TZ: "America/New_York" });
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").map((l) => l.replace(/^.*\] |^\S+ /, ""))).toEqual(["new utc", "  new continuation", "new local", ""]);
    // no timestamps at all: --since cannot apply, every line (of the last N) is kept
    writeFileSync(f, "a\nb\nc\n");
    expect(run(fileLogCommand(f, { lines: 2, follow: false, sinceSeconds: 600 })).stdout).toBe("b\nc\n");
  });

  it("follow prints the backlog, then lines appended later, and waits for a file that does not exist yet", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-logs-"));
    const f = path.join(dir, `${HOSTILE}.log`);
    const child = spawn("bash", ["-c", fileLogCommand(f, { lines: 10, follow: true, sinceSeconds: 3600 })], { detached: true });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(ok()).toBe(true);
    };
    try {
      await until(() => err.includes(NO_FILE_MARKER));
      writeFileSync(f, "first\n");
      await until(() => out.includes("first\n"));
      appendFileSync(f, "second\n");
      await until(() => out === "first\nsecond\n");
    } finally {
      process.kill(-child.pid!, "SIGTERM");
    }
  });
});

describe("journal logs", () => {
  it("asks journalctl for the unit with -n, --since, -f, ISO time and no pager; through sudo -n only when it works", () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), "slipway-fakebin-"));
    const fake = (name: string, body: string) => {
      writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    };
    fake("journalctl", `printf '<%s>' "$@"; echo`);
    const unit = `${HOSTILE}.service`;
    const cmd = journalLogCommand(unit, { lines: 7, follow: true, sinceSeconds: 600 });
    const expected = `<-u><${unit}><--no-pager><-o><short-iso><-n><7><--since=-600s><-f>\n`;
    fake("sudo", `[ "$1" = -n ] && shift; [ "$1" = true ] && exit 1; exit 99`);
    expect(run(cmd, { PATH: `${bin}:${process.env.PATH}` })).toEqual({ code: 0, stdout: expected, stderr: "" });
    fake("sudo", `[ "$1" = -n ] && shift; [ "$1" = true ] && exit 0; printf 'sudo:'; exec "$@"`);
    expect(run(cmd, { PATH: `${bin}:${process.env.PATH}` }).stdout).toBe(`sudo:${expected}`);
    expect(logSource(svc({ backend: "systemd" }), pathsFor("/srv/x"))).toEqual({ service: "web", kind: "journal", unit: "shop-web.service" });
    expect(journalLogCommand("a.service", { lines: 100, follow: false })).not.toMatch(/--since|-f/);
  });
});

describe("targets and lines", () => {
  it("prefixes host (and service when several), aligned; only services of the host's roles", () => {
    const h = (name: string, roles: string[]) => ({ name, roles, deployTo: "/srv/app" }) as unknown as Host;
    const services = [svc({ name: "web", roles: ["web"] }), svc({ name: "worker", roles: ["jobs"] })];
    const t = logTargets([h("web1", ["web"]), h("box22", ["web", "jobs"])], services);
    expect(t.map((x) => x.prefix)).toEqual(["web1  web   ", "box22 web   ", "box22 worker"]);
    expect(logTargets([h("web1", ["web"]), h("box22", ["web"])], [services[0]!]).map((x) => x.prefix)).toEqual(["web1 ", "box22"]);
  });

  it("splits chunks into whole lines only, never a partial one", () => {
    const lines: string[] = [];
    const s = logLines((l) => lines.push(l));
    s.push("ab");
    s.push("c\r\nde");
    expect(lines).toEqual(["abc"]);
    s.push("f\n\ng");
    expect(lines).toEqual(["abc", "def", ""]);
    s.flush();
    expect(lines).toEqual(["abc", "def", "", "g"]);
  });
});
