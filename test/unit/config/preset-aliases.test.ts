/** A preset's aliases (`manage`, `rails`, `rake`, `npm`) reach `env.aliases`; the user's win by name. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";

const config = (preset: string, aliases = "") => `app: shop
preset: ${preset}
source: { git: https://example.com/r.git }
${aliases}
environments:
  production:
    hosts:
      - { name: web1, address: web1.example.com, roles: [web, db] }
`;
const aliasesOf = (text: string) =>
  Object.fromEntries(
    resolveEnvironment(parseConfig(text, "slipway.yml"), "production", () => undefined).aliases.map((a) => [
      a.name,
      { command: a.command, interactive: a.interactive },
    ]),
  );

describe("preset aliases", () => {
  it("each preset's aliases are in the resolved environment", () => {
    expect(aliasesOf(config("django"))).toEqual({ manage: { command: "venv/bin/python manage.py", interactive: true } });
    expect(aliasesOf(config("rails"))).toEqual({ rails: { command: "bin/rails", interactive: true }, rake: { command: "bin/rake", interactive: false } });
    expect(aliasesOf(config("node"))).toEqual({ npm: { command: "npm", interactive: false } });
  });

  it("the user's alias of the same name wins whole or key by key, and their own aliases stay", () => {
    expect(aliasesOf(config("django", "aliases:\n  manage: ./manage.py\n  seed: node seed.js"))).toEqual({
      manage: { command: "./manage.py", interactive: false },
      seed: { command: "node seed.js", interactive: false },
    });
    expect(aliasesOf(config("rails", "aliases:\n  rake: { interactive: true }")).rake).toEqual({ command: "bin/rake", interactive: true });
  });
});
