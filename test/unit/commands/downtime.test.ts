/** Downtime builders through a real bash: the page escapes the message, the flag carries who/why, stragglers are found and killed. */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pathsFor } from "../../../src/config/paths.js";
import type { Service } from "../../../src/config/resolve.js";
import { killPids, maintenanceOff, maintenanceOn, maintenancePage, maintenanceState, stragglerProbe } from "../../../src/commands/downtime.js";

const bash = (sh: string) => execFileSync("bash", ["-c", sh], { encoding: "utf8" });

describe("maintenance page and flag", () => {
  it("escapes the message, writes page then flag, and reads the state back", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-dt-it's $(x)-"));
    const p = pathsFor(root);
    const html = maintenancePage("shop", `<script>alert("x")</script> & it's $(touch pwned)`);
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; it&#39;s $(touch pwned)");
    bash(maintenanceOn(p, "shared/maintenance", html, { message: "back at 14:00", by: "o'brien" }).sh);
    expect(readFileSync(path.join(root, "shared/maintenance/index.html"), "utf8")).toBe(html);
    expect(bash(maintenanceState(p, "shared/maintenance")).split("\n").slice(0, 2)).toEqual([
      "ON",
      JSON.stringify({ message: "back at 14:00", by: "o'brien" }),
    ]);
    bash(maintenanceOff(p, "shared/maintenance").sh);
    expect(bash(maintenanceState(p, "shared/maintenance")).trim()).toBe("OFF");
  });
});

describe("stragglers", () => {
  it("finds a live process from a pid file and kills it; a pid file with junk is ignored", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "slipway-strag-"));
    const p = pathsFor(root);
    mkdirSync(p.shared, { recursive: true });
    const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    writeFileSync(path.join(root, "app.pid"), `${child.pid}\n`);
    const svc = { name: "web", backend: "command", pidFile: "app.pid", program: "shop-web", roles: undefined } as unknown as Service;
    const c = { paths: p, supervisor: { config: "/nonexistent", includeDir: "/nonexistent" }, env: {} };
    const out = bash(`${stragglerProbe([svc], c)}; true`);
    expect(out).toMatch(new RegExp(`^PID\\tweb\\t${child.pid}\\tsleep 30`));
    const exited = new Promise((r) => child.on("exit", r));
    bash(killPids([child.pid!]));
    await exited;
    expect(bash(`${stragglerProbe([svc], c)}; true`)).toBe("");
    writeFileSync(path.join(root, "app.pid"), "1\n");
    expect(bash(`${stragglerProbe([svc], c)}; true`)).toBe(""); // never init, whatever a pid file says
    writeFileSync(path.join(root, "app.pid"), "1; touch pwned\n");
    expect(bash(`cd ${JSON.stringify(root)} && { ${stragglerProbe([svc], c)}\n}; ls`)).not.toContain("pwned");
  });
});
