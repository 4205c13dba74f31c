/** The phase script: markers, failure attribution and stderr tails, run by a real bash through the local executor. */
import { describe, expect, it } from "vitest";
import { cmd, compileScript, parseMarker } from "../../../src/commands/script.js";
import { CommandError } from "../../../src/errors.js";
import { EventBus } from "../../../src/events/bus.js";
import type { SlipwayEvent } from "../../../src/events/types.js";
import { LocalExecutor } from "../../../src/exec/local.js";
import { runHostScript } from "../../../src/exec/runner.js";
import { tmpdir } from "../../helpers.js";

const host = { name: "h", transport: "local" as const, roles: [], primary: true, deployTo: "/tmp" };

function collect() {
  const events: SlipwayEvent[] = [];
  const bus = new EventBus().add({ handle: (e) => events.push(e) });
  return { bus, events };
}

describe("compileScript", () => {
  it("exports env quoted, runs each command in its own subshell with markers", () => {
    const s = compileScript({ env: { A: "x y" }, sections: [{ phase: "build", cwd: "/srv/app", commands: [cmd("make", "make")] }] });
    expect(s).toContain("export A='x y'");
    expect(s).toContain("__m S 0 0\n( cd /srv/app && { make\n} ); __rc=$?; [ $__rc -eq 0 ] || { __m F 0 0 $__rc; exit $__rc; }");
    expect(s).toContain("__m D 0");
  });
  it("parseMarker ignores ordinary lines", () => {
    expect(parseMarker("\x1eF 1 2 7")).toEqual({ kind: "F", section: 1, command: 2, code: 7 });
    expect(parseMarker("F 1 2 7")).toBeNull();
  });
});

describe("runHostScript (real bash)", () => {
  it("runs all sections in one process and reports phases done", async () => {
    const { bus, events } = collect();
    const dir = tmpdir();
    await runHostScript(
      new LocalExecutor(host, dir),
      {
        env: { GREETING: "hi there" },
        sections: [
          { phase: "fetch", commands: [cmd("echo $GREETING")] },
          { phase: "build", commands: [cmd("true"), cmd("echo two >&2")] },
        ],
      },
      { bus },
    );
    expect(events.filter((e) => e.type === "host:phase" && e.status === "done").map((e) => (e as { phase: string }).phase)).toEqual(["fetch", "build"]);
    expect(events.find((e) => e.type === "output")).toMatchObject({ type: "output", host: "h", phase: "fetch", stream: "stdout", line: "hi there" });
  });

  it("names the exact failing command, its exit code and only its own stderr", async () => {
    const { bus } = collect();
    const script = {
      env: {},
      sections: [
        { phase: "fetch", commands: [cmd("echo noise-from-fetch >&2")] },
        { phase: "build", commands: [cmd("echo ok"), cmd("echo compile error >&2; exit 3", "make assets"), cmd("touch never-run")] },
      ],
    };
    const err = await runHostScript(new LocalExecutor(host, tmpdir()), script, { bus }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ host: "h", phase: "build", command: "make assets", exitCode: 3, stderrTail: "compile error" });
    expect(err.message).toBe("h: build failed: `make assets` exited with 3\n    compile error");
  });

  it("user commands cannot read the script from stdin", async () => {
    const { bus, events } = collect();
    await runHostScript(new LocalExecutor(host, tmpdir()), { env: {}, sections: [{ phase: "build", commands: [cmd("cat; echo after-cat")] }] }, { bus });
    expect(events.filter((e) => e.type === "output").map((e) => (e as { line: string }).line)).toEqual(["after-cat"]);
  });

  it("a payload section reads the data sent after the script on fd 3; nothing else sees it", async () => {
    const { bus, events } = collect();
    const dir = tmpdir();
    // 200 KB of binary after the script: bash must stop reading at the script's end, or the tar is short.
    const data = Buffer.alloc(200_000, 7);
    const payload = Buffer.concat([Buffer.from("line one\n"), data]);
    await runHostScript(
      new LocalExecutor(host, dir),
      {
        env: {},
        sections: [
          { phase: "fetch", payload: true, commands: [cmd(`IFS= read -r l <&3 && printf '%s\\n' "$l" > first && cat <&3 > rest && cat > from-stdin`)] },
          { phase: "build", commands: [cmd("{ cat <&3 > late; } 2>/dev/null; echo $? > late-rc; cat > build-stdin")] },
        ],
      },
      { bus, payload },
    );
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(`${dir}/first`, "utf8")).toBe("line one\n");
    expect(readFileSync(`${dir}/rest`).equals(data)).toBe(true);
    expect(readFileSync(`${dir}/from-stdin`, "utf8")).toBe("");
    expect(readFileSync(`${dir}/late-rc`, "utf8").trim()).not.toBe("0");
    expect(readFileSync(`${dir}/build-stdin`, "utf8")).toBe("");
    expect(events.filter((e) => e.type === "host:phase" && e.status === "done").map((e) => (e as { phase: string }).phase)).toEqual(["fetch", "build"]);
  });
  it("an abort kills the running command tree", async () => {
    const { bus } = collect();
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 200);
    await expect(
      runHostScript(new LocalExecutor(host, tmpdir()), { env: {}, sections: [{ phase: "build", commands: [cmd("sleep 20")] }] }, { bus, signal: ac.signal }),
    ).rejects.toThrow(/interrupted/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
