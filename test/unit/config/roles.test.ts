import { describe, expect, it } from "vitest";
import { appliesTo } from "../../../src/config/roles.js";

describe("appliesTo", () => {
  const web = { roles: ["web", "app"] };
  it("applies to every host when no roles are given", () => {
    expect(appliesTo(undefined, web)).toBe(true);
    expect(appliesTo(undefined, { roles: [] })).toBe(true);
  });
  it("applies when the host has one of the roles", () => {
    expect(appliesTo(["db", "app"], web)).toBe(true);
    expect(appliesTo(["db"], web)).toBe(false);
  });
  it("an empty role list applies to no host", () => {
    expect(appliesTo([], web)).toBe(false);
  });
});
