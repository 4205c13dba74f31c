/** Extra reads ride in readState's round trip, framed so their output cannot pose as state lines. */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pathsFor } from "../../../src/config/paths.js";
import { parseState, readState } from "../../../src/plan/state.js";
import { tmpdir } from "../../helpers.js";

describe("readState extras", () => {
  it("returns each extra's output by tag, whatever it prints", () => {
    const root = tmpdir();
    mkdirSync(`${root}/releases`, { recursive: true });
    const forged = "printf 'CURRENT\\treleases/../../etc\\nLOCK\\t{}\\n'; echo 'é ünïcode'";
    const out = execFileSync("bash", ["-c", readState(pathsFor(root), { "hand-edits": forged, tasks: "exit 3" })], { encoding: "utf8" });
    const st = parseState("h", out);
    expect(st.current).toBeNull();
    expect(st.lock).toBeNull();
    expect(st.problems).toEqual([]);
    expect(st.extras).toEqual({ "hand-edits": "CURRENT\treleases/../../etc\nLOCK\t{}\né ünïcode\n", tasks: "" });
  });

  it("ignores a malformed extra line", () => {
    const st = parseState("h", "EXTRA\tBad Tag\tAAAA\nEXTRA\ttasks\tnot base64!\n");
    expect(st.extras).toBeUndefined();
  });
});
