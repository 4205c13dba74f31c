/** Roles: a deployer may do what a viewer may; a viewer only reads. */
import { describe, expect, it } from "vitest";
import { roleAllows } from "../../../src/serve/auth.js";

describe("roleAllows", () => {
  it("grants viewers reading only, deployers both", () => {
    expect(roleAllows("viewer", "viewer")).toBe(true);
    expect(roleAllows("viewer", "deployer")).toBe(false);
    expect(roleAllows("deployer", "viewer")).toBe(true);
    expect(roleAllows("deployer", "deployer")).toBe(true);
  });
});
