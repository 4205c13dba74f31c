/** distribute: push — the delta from git's own output, parsed strictly. */
import { describe, expect, it } from "vitest";
import { parseDelta, parseTree, proveReuse, type TreeEntry } from "../../../src/apply/push.js";
import { DIGEST_SEPARATOR } from "../../../src/commands/release.js";
import type { HostState } from "../../../src/plan/state.js";

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

describe("proveReuse: what the state read's digest proves about the files a host copies", () => {
  const sha = (c: string) => c.repeat(64);
  const reuse: TreeEntry[] = [
    { mode: "100644", blob: "a".repeat(40), path: "same.txt" },
    { mode: "100755", blob: "b".repeat(40), path: "bin/edited" },
    { mode: "100644", blob: "c".repeat(40), path: "log/under-shared.txt" },
    { mode: "120000", blob: "d".repeat(40), path: "link" },
  ];
  const sums = new Map([
    ["a".repeat(40), sha("1")],
    ["b".repeat(40), sha("2")],
    ["c".repeat(40), sha("3")],
  ]);
  const delta = { send: ["changed.txt"], reuse };
  const read = (now: string) => ({ extras: { "hand-edits": `${sha("1")}  ./same.txt\n${DIGEST_SEPARATOR}\n${now}` } }) as unknown as HostState;

  it("an equal hash proves the copy, a different one sends the file, one the digest skipped is still checked on the host", () => {
    const r = proveReuse(delta, sums, read(`${sha("1")}  ./same.txt\n${sha("9")}  ./bin/edited\n`));
    expect([...r.proven]).toEqual(["same.txt"]);
    expect(r.send).toEqual(["changed.txt", "bin/edited"]);
    expect(r.reuse.map((e) => e.path)).toEqual(["same.txt", "log/under-shared.txt", "link"]);
  });

  it("without the read (setup-release) or without a digest (a release older than digests) nothing is proven", () => {
    expect(proveReuse(delta, sums, undefined)).toEqual({ ...delta, proven: new Set() });
    expect(proveReuse(delta, sums, { extras: { "hand-edits": "NODIGEST\n" } } as unknown as HostState).proven.size).toBe(0);
  });

  it("a malformed digest line proves nothing for that file", () => {
    const r = proveReuse(delta, sums, read(`${sha("1")}  ./same.txt\nnot a digest line ./bin/edited\n`));
    expect([...r.proven]).toEqual(["same.txt"]);
    expect(r.send).toEqual(["changed.txt"]);
  });
});
