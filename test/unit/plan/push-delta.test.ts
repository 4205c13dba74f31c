/** distribute: push — the delta from git's own output, parsed strictly. */
import { describe, expect, it } from "vitest";
import { parseDelta, parseTree } from "../../../src/apply/push.js";

const blob = (c: string) => c.repeat(40);
describe("push delta", () => {
  it("sends added, modified and type-changed paths, copies the rest, skips submodules, and sends names tar lists cannot carry", () => {
    const tree = parseTree(
      [
        `100644 blob ${blob("a")}\tkeep.txt`,
        `100755 blob ${blob("b")}\tchanged.sh`,
        `120000 blob ${blob("c")}\tlink`,
        `160000 commit ${blob("d")}\tvendor/sub`,
        `100644 blob ${blob("e")}\tnew\nline.txt`,
        `100644 blob ${blob("f")}\tadded.txt`,
        "garbage line",
      ].join("\0") + "\0",
    );
    expect(tree.map((e) => e.path)).toEqual(["keep.txt", "changed.sh", "link", "vendor/sub", "new\nline.txt", "added.txt"]);
    const diff = [
      `:100644 100755 ${blob("1")} ${blob("b")} M`,
      "changed.sh",
      `:000000 100644 ${blob("0")} ${blob("f")} A`,
      "added.txt",
      `:100644 000000 ${blob("2")} ${blob("0")} D`,
      "removed.txt",
      "",
    ].join("\0");
    const d = parseDelta(diff, tree);
    expect(d.send.sort()).toEqual(["added.txt", "changed.sh", "new\nline.txt"]);
    expect(d.reuse.map((e) => e.path)).toEqual(["keep.txt", "link"]);
  });
});
