/** The command backend through a real bash: start/stop/restart in `current`, status by pid file (digits only, no zombies). */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pathsFor } from "../../../../src/config/paths.js";
import type { Service } from "../../../../src/config/resolve.js";
import { command } from "../../../../src/commands/services/command.js";

describe("command backend", () => {
  it("runs its commands in current; restart stops only what runs, then starts; status needs a live pid", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-cmd-"));
    const p = pathsFor(root);
    const rel = p.release("20261122-050403-abc1234");
    mkdirSync(rel, { recursive: true });
    symlinkSync("releases/20261122-050403-abc1234", p.current);
    const svc = {
      name: "web",
      backend: "command",
      program: "shop-web",
      start: "(sleep 30 >/dev/null 2>&1 & echo $! > ../../app.pid); echo start >> ../../log",
      stop: 'kill "$(cat ../../app.pid)"; echo stop >> ../../log',
      pidFile: "app.pid",
    } as unknown as Service;
    const c = { paths: p, supervisor: { config: "/x", includeDir: "/x" }, env: {} };
    const run = (a: "start" | "stop" | "restart" | "status") => spawnSync("bash", ["-c", command.action(svc, c, a).sh], { encoding: "utf8" });
    expect(run("status").status).not.toBe(0);
    expect(run("restart").status).toBe(0); // nothing running: start only
    expect(readFileSync(path.join(root, "log"), "utf8")).toBe("start\n");
    expect(run("status").status).toBe(0);
    expect(run("restart").status).toBe(0);
    expect(readFileSync(path.join(root, "log"), "utf8")).toBe("start\nstop\nstart\n");
    expect(run("stop").status).toBe(0);
    writeFileSync(path.join(root, "app.pid"), "$(touch pwned)");
    const st = run("status");
    expect(st.status).not.toBe(0);
    expect(st.stdout).toContain("no live process for app.pid");
    expect(execFileSync("ls", [root], { encoding: "utf8" })).not.toContain("pwned");
    expect(command.install(svc, c)).toBeNull();
  });
});
