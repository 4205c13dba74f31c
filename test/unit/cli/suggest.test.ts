import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, nearest } from "../../../src/cli/suggest.js";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and neighbour swaps as one edit each", () => {
    expect(editDistance("rollback", "rollback")).toBe(0);
    expect(editDistance("rolback", "rollback")).toBe(1);
    expect(editDistance("rollbakc", "rollback")).toBe(1);
    expect(editDistance("deploi", "deploy")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("nearest", () => {
  const envs = ["production", "staging"];
  const verbs = ["deploy", "rollback", "releases", "lock", "run", "ssh"];
  it("finds typos of environments and verbs", () => {
    expect(nearest("prodution", envs)).toBe("production");
    expect(nearest("stagin", envs)).toBe("staging");
    expect(nearest("rolback", verbs)).toBe("rollback");
    expect(nearest("Deploy", verbs)).toBe("deploy");
    expect(nearest("lcok", verbs)).toBe("lock");
  });
  it("suggests nothing for words that are not near anything", () => {
    expect(nearest("anyword", [...envs, ...verbs])).toBeUndefined();
    expect(nearest("qa", envs)).toBeUndefined();
    // short words allow one edit only: "xyz" is not "ssh"
    expect(nearest("xyz", verbs)).toBeUndefined();
    expect(nearest("deploy", [])).toBeUndefined();
  });
  it("prefers the closest, then the earlier candidate", () => {
    expect(nearest("deplyo", ["deployed", "deploy"])).toBe("deploy");
    expect(nearest("rum", ["run", "rut"])).toBe("run");
  });
  it("never suggests the word itself", () => {
    expect(nearest("deploy", ["deploy"])).toBeUndefined();
  });
});

describe("didYouMean", () => {
  it("is a message suffix, or empty", () => {
    expect(didYouMean("--pla", ["--plan", "--limit"])).toBe(" (did you mean `--plan`?)");
    expect(didYouMean("--zzz", ["--plan"])).toBe("");
  });
});
