/** The one quoting function, attacked with hostile values and checked against a real bash. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { argv, exportLine, shPath, shq } from "../../../src/commands/quote.js";

const HOSTILE = [
  "plain",
  "with space",
  "it's",
  `double"quote`,
  "$(touch /tmp/slipway-pwned)",
  "`touch /tmp/slipway-pwned`",
  "a; rm -rf /",
  "line1\nline2",
  "../../etc/passwd",
  "$HOME",
  "*",
  "-rf",
  "",
  "'; echo pwned; '",
  "tab\there",
  "back\\slash",
  "ünïcödé",
];

const bashEcho = (shell: string) => execFileSync("bash", ["-c", `printf '%s' ${shell}`], { encoding: "utf8" });

describe("shq", () => {
  it.each(HOSTILE)("round-trips %j through bash unchanged", (v) => {
    expect(bashEcho(shq(v))).toBe(v);
  });
  it("leaves safe words bare and quotes the rest", () => {
    expect(shq("releases/2026")).toBe("releases/2026");
    expect(shq("a b")).toBe("'a b'");
    expect(shq("it's")).toBe(`'it'\\''s'`);
    expect(shq("")).toBe("''");
  });
  it("refuses NUL bytes", () => {
    expect(() => shq("a\0b")).toThrow(/NUL/);
  });
  it("argv quotes every element", () => {
    expect(argv("git", "-C", "/srv/my app", "archive", "$(x)")).toBe(`git -C '/srv/my app' archive '$(x)'`);
  });
  it("shPath expands only a leading ~/ and quotes the rest", () => {
    expect(shPath("~/apps/my app")).toBe(`"$HOME"/'apps/my app'`);
    expect(shPath("/srv/$(x)")).toBe(`'/srv/$(x)'`);
    expect(execFileSync("bash", ["-c", `printf '%s' ${shPath("~/a $(b)")}`], { encoding: "utf8", env: { ...process.env, HOME: "/h" } })).toBe("/h/a $(b)");
  });
  it("exportLine validates the name and quotes the value", () => {
    expect(exportLine("DB_URL", "p@ss'w$(rd)")).toBe(`export DB_URL='p@ss'\\''w$(rd)'`);
    expect(() => exportLine("A;B", "x")).toThrow(/invalid environment variable name/);
  });
});
