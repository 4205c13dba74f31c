/** The config reference is generated from the schema; a stale docs/config.md fails here. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderConfigDoc } from "../../../src/config/doc.js";
import { ROOT } from "../../helpers.js";

describe("docs/config.md", () => {
  it("matches the schema (run `npm run docs` after changing src/config/schema/)", () => {
    expect(readFileSync(path.join(ROOT, "docs/config.md"), "utf8")).toBe(renderConfigDoc());
  });
});
