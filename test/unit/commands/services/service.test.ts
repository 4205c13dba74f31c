/** Service builders: supervisord programs, systemd units (checked by systemd-analyze), health probes. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pathsFor } from "../../../../src/config/paths.js";
import type { Service } from "../../../../src/config/resolve.js";
import { healthProbe } from "../../../../src/commands/services/health.js";
import { supervisorProgram } from "../../../../src/commands/services/supervisord.js";
import { systemdQuote, systemdUnit } from "../../../../src/commands/services/systemd.js";

const svc: Service = {
  name: "web",
  backend: "systemd",
  component: null,
  order: 10,
  command: "gunicorn app:wsgi --bind 127.0.0.1:8000",
  program: "shop-web",
  gracefulReload: false,
  health: { http: "http://127.0.0.1:8000/health", expect: 200, timeout: 30 },
};
const ctx = {
  paths: pathsFor("~/apps/shop"),
  supervisor: { config: "~/supervisor/supervisord.conf", includeDir: "~/supervisor/conf.d" },
  env: { DJANGO_ENV: "production", WEIRD: `it's "$HOME" 100% \\ ok` },
};
const HAVE_ANALYZE = spawnSync("bash", ["-c", "command -v systemd-analyze"]).status === 0;

describe("systemd units", () => {
  it("render a unit running the command in current, with the environment in its env file", () => {
    const unit = systemdUnit(svc, ctx, "deploy", "/home/deploy");
    expect(unit).toContain("WorkingDirectory=/home/deploy/apps/shop/current");
    expect(unit).toContain(`ExecStart=/bin/bash -lc "exec gunicorn app:wsgi --bind 127.0.0.1:8000"`);
    expect(unit).toContain("EnvironmentFile=/home/deploy/apps/shop/.slipway/env/shop-web.env");
    expect(unit).not.toContain("WEIRD");
    expect(systemdQuote("a%b$c")).toBe(`"a%%b$$c"`);
  });
  it.skipIf(!HAVE_ANALYZE && process.env.CI !== "true")("pass systemd-analyze verify", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-unit-"));
    const f = path.join(dir, "shop-web.service");
    writeFileSync(f, systemdUnit(svc, ctx, "root", "/root"));
    const r = spawnSync("systemd-analyze", ["verify", f], { encoding: "utf8" });
    expect(
      r.stderr
        .split("\n")
        .filter((l) => l.includes("shop-web.service"))
        .join("\n"),
    ).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("supervisord programs", () => {
  it("run in current, loading the environment from the env file", () => {
    const p = supervisorProgram({ ...svc, backend: "supervisord" }, ctx, "/home/d");
    expect(p).toContain("[program:shop-web]");
    expect(p).toContain("directory=/home/d/apps/shop/current");
    expect(p).toContain(
      `command=/bin/bash -c 'while IFS= read -r -d "" kv; do export "$kv"; done <"$0" && exec "$@"' '/home/d/apps/shop/.slipway/env/shop-web.env' gunicorn app:wsgi`,
    );
    expect(p).not.toContain("WEIRD");
  });
});

describe("health probes", () => {
  it("report a refused TCP port and a wrong HTTP status, through a real bash", () => {
    const tcp = { ...svc, backend: "command" as const, pidFile: undefined, status: undefined, health: { tcp: "127.0.0.1:9", expect: 200, timeout: 1 } };
    const r = spawnSync("bash", ["-c", healthProbe(tcp, { ...ctx, paths: pathsFor("/tmp") })], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain("TCP 127.0.0.1:9 refused");
  });
});
