/** One-off command builders through a real bash: alias arguments stay data, detached runs keep state, env files stay private. */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, statSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pathsFor } from "../../../src/config/paths.js";
import { aliasCommand, checkDetached, interactiveRemote, newRunId, removeRunDir, startDetached, writeEnvFile } from "../../../src/commands/run.js";
import { parseRunStatus, runCheckExit } from "../../../src/plan/run-input.js";
import { waitFor } from "../../helpers.js";

const bash = (sh: string, cwd?: string) => execFileSync("bash", ["-c", sh], { encoding: "utf8", cwd });
const HOSTILE = ["it's", "$(touch PWNED)", "`touch PWNED`", 'a "b" c', "x;y", "line\nbreak", "", "-n", "*"];

function layout() {
  const root = mkdtempSync(path.join(os.tmpdir(), "slipway-run-"));
  mkdirSync(path.join(root, "releases", "r1"), { recursive: true });
  symlinkSync("releases/r1", path.join(root, "current"));
  return { root, p: pathsFor(root) };
}

describe("alias command lines", () => {
  it("appends each argument quoted, so hostile ones arrive whole and unevaluated", () => {
    const { root } = layout();
    const line = aliasCommand(`printf '[%s]\\n'`, HOSTILE);
    expect(bash(line, root)).toBe(HOSTILE.map((a) => `[${a}]\n`).join(""));
    expect(existsSync(path.join(root, "PWNED"))).toBe(false);
    expect(aliasCommand("./manage.py shell", [])).toBe("./manage.py shell");
    expect(aliasCommand("rake", ["cache:clear", "a b"])).toBe("rake cache:clear 'a b'");
  });

  it("run ids are a time and six hex digits; anything else never becomes a path", () => {
    const id = newRunId(new Date(Date.UTC(2026, 10, 22, 5, 4, 3)), "9f3a1cdeadbeef");
    expect(id).toBe("20261122-050403-9f3a1c");
    expect(pathsFor("/srv/app").runDir(id)).toBe(`/srv/app/.slipway/runs/${id}`);
    for (const bad of ["../x", "20261122-050403-9f3a1c/..", "", "20261122-050403-9F3A1C"]) expect(() => pathsFor("/srv").runDir(bad)).toThrow(/not a run id/);
  });
});

describe("detached runs", () => {
  it("running, then failed with the exit code and the log tail; a missing release starts nothing", async () => {
    const { root, p } = layout();
    const id = "20261122-050403-000001";
    const out = bash(startDetached(p, id, p.current, `echo "in $(basename "$(pwd -P)") $SLIPWAY_RUN_ID"; sleep 0.5; echo 'it'"'"'s done'; exit 3`).sh);
    expect(out).toMatch(/^RUN started \d+\n$/);
    let st = parseRunStatus(bash(checkDetached(p, id)));
    expect(st.status).toBe("running");
    expect(runCheckExit([st.status])).toBe(3);
    await waitFor(() => parseRunStatus(bash(checkDetached(p, id))).status !== "running", 5000);
    st = parseRunStatus(bash(checkDetached(p, id)));
    expect(st).toMatchObject({ status: "failed", exit: 3, log: [`in r1 ${id}`, "it's done"], problems: [] });
    expect(st.started).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(runCheckExit(["failed", "none"])).toBe(1);
    expect((statSync(p.runDir(id)).mode & 0o777).toString(8)).toBe("700");

    const gone = pathsFor(path.join(root, "nowhere"));
    const r = spawnSync("bash", ["-c", startDetached(gone, id, gone.current, "true").sh]);
    expect(r.status).not.toBe(0);
    expect(existsSync(gone.runDir(id))).toBe(false);
    expect(parseRunStatus(bash(checkDetached(p, "20261122-050403-000002"))).status).toBe("none");
  });

  it("parses host output strictly: an odd status or exit code is a problem, not a state", () => {
    expect(parseRunStatus("STATUS done\nEXIT 0\nSTARTED 2026-01-01T00:00:00Z\nFINISHED \n")).toMatchObject({ status: "done", exit: 0, problems: [] });
    const bad = parseRunStatus("STATUS $(rm -rf /)\nEXIT 1; echo\nSTARTED yesterday\nwhat\n");
    expect(bad.status).toBe("unknown");
    expect(bad.problems).toHaveLength(4);
    expect(runCheckExit([bad.status])).toBe(1);
    expect(runCheckExit(["done", "done"])).toBe(0);
    expect(runCheckExit(["none"])).toBe(1);
  });
});

describe("interactive runs", () => {
  it("the env file is 0600 in a 0700 directory; the remote side reads it, deletes it, then runs in current", () => {
    const { root, p } = layout();
    const id = "20261122-050403-00000a";
    const secret = `s3cr'et $(touch PWNED) "q"\nline2`;
    bash(writeEnvFile(p, id, { TOKEN: secret, EMPTY: "" }).sh);
    expect((statSync(path.join(p.runDir(id), "env")).mode & 0o777).toString(8)).toBe("600");
    expect((statSync(p.runDir(id)).mode & 0o777).toString(8)).toBe("700");
    const remote = interactiveRemote(p, id, p.current, `printf '%s|%s|%s' "$TOKEN" "\${EMPTY-unset}" "$(basename "$(pwd -P)")"`);
    // The command line carries no value, only the file's path.
    expect(remote).not.toContain("s3cr");
    expect(bash(remote)).toBe(`${secret}||r1`);
    expect(existsSync(p.runDir(id))).toBe(false);
    expect(existsSync(path.join(root, "PWNED"))).toBe(false);
    // Run again, the file is gone: it says so and exits 255 instead of running without its environment.
    const again = spawnSync("bash", ["-c", remote], { encoding: "utf8" });
    expect(again.status).toBe(255);
    expect(again.stderr).toContain("environment file");
    bash(writeEnvFile(p, id, {}).sh);
    bash(removeRunDir(p, id).sh);
    expect(existsSync(p.runDir(id))).toBe(false);
  });
});
