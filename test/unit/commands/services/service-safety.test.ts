/**
 * Service builders against hostile config: secrets go to a 0600 env file (never the program file or
 * unit), env files round-trip through the readers that load them, and health/pid-file values never
 * run as shell. Commands are executed by a real bash (and dash, for the login-shell case).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pathsFor } from "../../../../src/config/paths.js";
import type { Service } from "../../../../src/config/resolve.js";
import { parseConfig } from "../../../../src/config/load.js";
import { ConfigError } from "../../../../src/errors.js";
import { writeEnvFile } from "../../../../src/commands/services/backend.js";
import { healthProbe, serviceReport } from "../../../../src/commands/services/health.js";
import { installSupervisorProgram, supervisorProgram } from "../../../../src/commands/services/supervisord.js";
import { systemdEnvFile, systemdUnit } from "../../../../src/commands/services/systemd.js";

/** Values that break naive env quoting: supervisord's parser, systemd's, or a shell. */
const HOSTILE_ENV: Record<string, string> = {
  QUOTE: `a"b`,
  INJECT: `x",INJECTED=yes`,
  HASH: "v#1;2",
  SUBST: "$(touch /tmp/slipway-env-pwned)",
  PERCENT: "%(here)s 100%",
  MULTI: "line1\nline2\n",
  BACKSLASH: "a\\b\\\\c\\",
  SINGLE: "it's",
  DOLLAR: "$HOME ${HOME} $$",
  BACKTICK: "`id`",
  SPACES: "  padded  ",
  CR: "a\rb",
  EMPTY: "",
};

const tmp = () => mkdtempSync(path.join(os.tmpdir(), "slipway-svc-"));
const base: Service = {
  name: "web",
  backend: "supervisord",
  component: null,
  order: 10,
  command: "node server.js",
  program: "shop-web",
  gracefulReload: false,
};
const ctxFor = (root: string, env: Record<string, string> = HOSTILE_ENV) => ({
  paths: pathsFor(root),
  supervisor: { config: path.join(root, "sv.conf"), includeDir: path.join(root, "conf.d") },
  env,
});
const bash = (script: string, cwd?: string) => spawnSync("bash", ["-c", script], { encoding: "utf8", cwd });

/**
 * systemd's EnvironmentFile= reader (src/basic/env-file.c, parse_env_file_internal), re-implemented
 * state for state so the round trip is checked against systemd's rules rather than our own writer.
 */
function parseSystemdEnv(text: string): Record<string, string> {
  const WS = " \t\n\r",
    NL = "\n\r",
    NEED_ESCAPE = `"\\\`$`;
  const out: Record<string, string> = {};
  type S = "PRE_KEY" | "KEY" | "PRE_VALUE" | "VALUE" | "VALUE_ESCAPE" | "SQ" | "DQ" | "DQ_ESCAPE" | "COMMENT" | "COMMENT_ESCAPE";
  let s: S = "PRE_KEY",
    key = "",
    value = "",
    lastValueWs = -1,
    lastKeyWs = -1;
  const push = (chompValue: boolean) => {
    const k = lastKeyWs >= 0 ? key.slice(0, lastKeyWs) : key;
    out[k] = chompValue && lastValueWs >= 0 ? value.slice(0, lastValueWs) : value;
    key = "";
    value = "";
  };
  for (const c of text) {
    switch (s) {
      case "PRE_KEY":
        if ("#;".includes(c)) s = "COMMENT";
        else if (!WS.includes(c)) {
          s = "KEY";
          lastKeyWs = -1;
          key += c;
        }
        break;
      case "KEY":
        if (NL.includes(c)) {
          s = "PRE_KEY";
          key = "";
        } else if (c === "=") {
          s = "PRE_VALUE";
          lastValueWs = -1;
        } else {
          if (!WS.includes(c)) lastKeyWs = -1;
          else if (lastKeyWs < 0) lastKeyWs = key.length;
          key += c;
        }
        break;
      case "PRE_VALUE":
        if (NL.includes(c)) {
          s = "PRE_KEY";
          push(false);
        } else if (c === "'") s = "SQ";
        else if (c === '"') s = "DQ";
        else if (c === "\\") s = "VALUE_ESCAPE";
        else if (!WS.includes(c)) {
          s = "VALUE";
          value += c;
        }
        break;
      case "VALUE":
        if (NL.includes(c)) {
          s = "PRE_KEY";
          push(true);
        } else if (c === "\\") {
          s = "VALUE_ESCAPE";
          lastValueWs = -1;
        } else {
          if (!WS.includes(c)) lastValueWs = -1;
          else if (lastValueWs < 0) lastValueWs = value.length;
          value += c;
        }
        break;
      case "VALUE_ESCAPE":
        s = "VALUE";
        if (!NL.includes(c)) value += c;
        break;
      case "SQ":
        if (c === "'") s = "PRE_VALUE";
        else value += c;
        break;
      case "DQ":
        if (c === '"') s = "PRE_VALUE";
        else if (c === "\\") s = "DQ_ESCAPE";
        else value += c;
        break;
      case "DQ_ESCAPE":
        s = "DQ";
        if (NEED_ESCAPE.includes(c)) value += c;
        else if (c !== "\n") value += "\\" + c;
        break;
      case "COMMENT":
        if (c === "\\") s = "COMMENT_ESCAPE";
        else if (NL.includes(c)) s = "PRE_KEY";
        break;
      case "COMMENT_ESCAPE":
        s = NL.includes(c) ? "PRE_KEY" : "COMMENT";
        break;
    }
  }
  if (["PRE_VALUE", "VALUE", "VALUE_ESCAPE", "SQ", "DQ", "DQ_ESCAPE"].includes(s)) push(s === "VALUE");
  return out;
}

describe("secrets stay out of program files and units", () => {
  it("the supervisord program file holds no environment value", () => {
    const p = supervisorProgram(base, ctxFor("/srv/shop"), "/home/d");
    for (const v of Object.values(HOSTILE_ENV).filter((x) => x.length > 3)) expect(p).not.toContain(v);
    expect(p).not.toMatch(/^environment=/m);
    expect(p).not.toContain("INJECTED");
  });
  it("the systemd unit holds no environment value; it points at the env file", () => {
    const u = systemdUnit({ ...base, backend: "systemd" }, ctxFor("/srv/shop"), "deploy", "/home/deploy");
    expect(u).not.toMatch(/^Environment=/m);
    expect(u).toContain("EnvironmentFile=/srv/shop/.slipway/env/shop-web.env");
    for (const v of Object.values(HOSTILE_ENV).filter((x) => x.length > 3)) expect(u).not.toContain(v);
  });
});

describe("systemd EnvironmentFile", () => {
  it("round-trips every hostile value through systemd's parsing rules", () => {
    expect(parseSystemdEnv(systemdEnvFile(HOSTILE_ENV))).toEqual(HOSTILE_ENV);
  });
  it("does not double $ (systemd does not expand it in env files)", () => {
    const f = systemdEnvFile({ A: "p$ss", B: "$$" });
    expect(f).not.toContain("$$$");
    expect(f).not.toContain("p$$ss");
    expect(parseSystemdEnv(f)).toEqual({ A: "p$ss", B: "$$" });
  });
  it("refuses variable names systemd or a shell would misread", () => {
    expect(() => systemdEnvFile({ "A=B": "x" })).toThrow(/invalid environment variable name/);
    expect(() => systemdEnvFile({ "A\nB": "x" })).toThrow(/invalid environment variable name/);
  });
  it("a rendered unit with the env file passes systemd-analyze verify", () => {
    const root = tmp();
    const f = path.join(root, "shop-web.service");
    mkdirSync(path.join(root, "current"));
    writeFileSync(f, systemdUnit({ ...base, backend: "systemd" }, ctxFor(root), "root", "/root"));
    const r = spawnSync("systemd-analyze", ["verify", f], { encoding: "utf8" });
    if (r.error) return; // no systemd-analyze on this machine; service.test.ts has the same guard
    expect(
      r.stderr
        .split("\n")
        .filter((l) => l.includes("shop-web.service"))
        .join("\n"),
    ).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("supervisord env file and loader", () => {
  it("is written atomically, 0600 in a 0700 dir, and the loader hands every value to the program byte for byte", () => {
    const root = tmp();
    mkdirSync(path.join(root, "current"));
    const svc = { ...base, command: "/usr/bin/env -0" };
    const c = ctxFor(root);
    const w = bash(writeEnvFile(svc, c).sh);
    expect(w.status, w.stderr).toBe(0);
    const file = path.join(root, ".slipway/env/shop-web.env");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    // What supervisord would exec: the command= line split like supervisord does (shlex, POSIX mode).
    const line = /^command=(.*)$/m.exec(supervisorProgram(svc, c, "/unused"))![1]!;
    const py = spawnSync("python3", ["-c", "import shlex,sys,json; print(json.dumps(shlex.split(sys.argv[1].replace('%%','%'))))", line], { encoding: "utf8" });
    const args = JSON.parse(py.stdout) as string[];
    const r = spawnSync(args[0]!, args.slice(1), { cwd: path.join(root, "current"), env: { PATH: process.env.PATH }, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const seen = Object.fromEntries(
      r.stdout
        .split("\0")
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
    );
    for (const [k, v] of Object.entries(HOSTILE_ENV)) expect(seen[k], k).toBe(v);
    expect(seen.INJECTED).toBeUndefined();
    expect(existsSync("/tmp/slipway-env-pwned")).toBe(false);
    // Rewritten on the next run, no temp files left behind.
    expect(bash(writeEnvFile(svc, ctxFor(root, { ONLY: "new" })).sh).status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("ONLY=new\0");
    expect(spawnSync("ls", ["-A", path.dirname(file)], { encoding: "utf8" }).stdout.trim()).toBe("shop-web.env");
  });
  it("an empty environment still gives a loadable file", () => {
    const root = tmp();
    expect(bash(writeEnvFile(base, ctxFor(root, {})).sh).status).toBe(0);
    expect(readFileSync(path.join(root, ".slipway/env/shop-web.env"), "utf8")).toBe("");
  });
  it("the install command does not carry values into the program file it writes", () => {
    const root = tmp();
    const sh = installSupervisorProgram(base, ctxFor(root)).sh;
    // supervisorctl is absent here; only the file write matters.
    bash(sh.replace(/supervisorctl/g, "true"));
    const conf = readFileSync(path.join(root, "conf.d/shop-web.conf"), "utf8");
    expect(conf).not.toContain("INJECTED");
    expect(conf).not.toContain("line1");
  });
});

const PWN = ["$(touch PWNED)", "`touch PWNED`", "x; touch PWNED", `x"; touch PWNED; "`, "x'; touch PWNED; '", "x\ntouch PWNED\n"];

describe("health checks and pid files never run config as shell", () => {
  it.each(PWN)("health.http %j", (bad) => {
    const dir = tmp();
    const svc: Service = {
      ...base,
      backend: "command",
      start: "true",
      stop: "true",
      status: "true",
      health: { http: `http://127.0.0.1:9/${bad}`, expect: 200, timeout: 1 },
    };
    mkdirSync(path.join(dir, "current"));
    const r = bash(healthProbe(svc, ctxFor(dir)), dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(`GET http://127.0.0.1:9/${bad}`);
    expect(existsSync(path.join(dir, "PWNED"))).toBe(false);
  });
  it.each(PWN)("health.tcp %j", (bad) => {
    const dir = tmp();
    const svc: Service = { ...base, backend: "command", start: "true", stop: "true", status: "true", health: { tcp: `${bad}:9`, expect: 200, timeout: 1 } };
    mkdirSync(path.join(dir, "current"));
    const r = bash(healthProbe(svc, ctxFor(dir)), dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(`TCP ${bad}:9 refused`);
    expect(existsSync(path.join(dir, "PWNED"))).toBe(false);
  });
  it.each(PWN)("pid_file %j", (bad) => {
    const dir = tmp();
    const svc: Service = { ...base, backend: "command", start: "true", stop: "true", pidFile: bad };
    const r = bash(healthProbe(svc, ctxFor(dir)), dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain(`no live process for ${bad}`);
    expect(existsSync(path.join(dir, "PWNED"))).toBe(false);
  });
  it("a pid file with shell text in it is not a live process", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "app.pid"), "$$ 1");
    const svc: Service = { ...base, backend: "command", start: "true", stop: "true", pidFile: "app.pid" };
    expect(bash(healthProbe(svc, ctxFor(dir)), dir).status).not.toBe(0);
  });
  it("the TCP probe works when the login shell is not bash (check-services runs there)", async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const dir = tmp();
      mkdirSync(path.join(dir, "current"));
      const svc: Service = {
        ...base,
        backend: "command",
        start: "true",
        stop: "true",
        status: "true",
        health: { tcp: `127.0.0.1:${port}`, expect: 200, timeout: 1 },
      };
      const report = serviceReport([svc], ctxFor(dir));
      const { spawn } = await import("node:child_process");
      const out = await new Promise<string>((resolve) => {
        const p = spawn("sh", ["-c", report], { cwd: dir });
        let s = "";
        p.stdout.on("data", (d: Buffer) => (s += d.toString()));
        p.on("close", () => resolve(s));
      });
      expect(out).toMatch(/^SVC\tweb\tok\t/);
    } finally {
      server.close();
    }
  });
});

function problems(text: string): string[] {
  try {
    parseConfig(text, "slipway.yml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const cfg = (extra: string) => `app: web
source: { git: https://example.com/r.git, ref: main }
${extra}
environments:
  production:
    hosts:
      - { name: a, address: a.example.com }
`;

describe("config: names and paths that become files", () => {
  it("program must be a plain unit/program name", () => {
    for (const bad of ["../../etc/cron.d/x", "a/b", "x y", "$(id)", ".hidden", "a\nb", "a:b"]) {
      const ps = problems(cfg(`services:\n  web: { backend: supervisord, command: x, program: ${JSON.stringify(bad)} }`));
      expect(
        ps.some((p) => p.includes("services.web.program: expected a program name")),
        `${bad}: ${ps.join("; ")}`,
      ).toBe(true);
    }
    expect(problems(cfg(`services:\n  web: { backend: systemd, command: x, program: "shop-web@1.2_x" }`))).toEqual([]);
    // The default <app>-<service> always satisfies the pattern.
    expect(problems(cfg(`services:\n  Web_1.x: { backend: supervisord, command: x }`))).toEqual([]);
  });
  it("component shared paths and dependency paths/lockfiles stay inside the release", () => {
    const ps = problems(
      cfg(`dependencies:
  - { path: /usr/lib/node_modules, lockfile: package-lock.json, install: npm ci }
  - { path: node_modules, lockfile: ../../secret, install: npm ci }
  - { path: ., lockfile: package-lock.json, install: npm ci }
components:
  api:
    shared: { dirs: ["../../.ssh"], files: ["/etc/passwd"] }
    dependencies:
      - { path: "venv/../../x", lockfile: req.txt, install: pip }
      - { path: venv, lockfile: /etc/shadow, install: pip }`),
    );
    const has = (s: string) =>
      expect(
        ps.some((p) => p.includes(s)),
        `${s} in ${ps.join("\n")}`,
      ).toBe(true);
    has(`dependencies[0].path: expected a relative path inside the release, got "/usr/lib/node_modules"`);
    has(`dependencies[1].lockfile: expected a relative path inside the release, got "../../secret"`);
    has(`dependencies[2].path: expected a relative path inside the release, got "."`);
    has(`components.api.shared.dirs[0]: expected a relative path inside shared/, got "../../.ssh"`);
    has(`components.api.shared.files[0]: expected a relative path inside shared/, got "/etc/passwd"`);
    has(`components.api.dependencies[0].path: expected a relative path inside the release, got "venv/../../x"`);
    has(`components.api.dependencies[1].lockfile: expected a relative path inside the release, got "/etc/shadow"`);
  });
});
