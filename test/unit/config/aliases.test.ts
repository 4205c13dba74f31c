/** `aliases:`: the plain string and object forms, names that are verbs refused at their line, no per-environment override. */
import { describe, expect, it } from "vitest";
import { VERBS } from "../../../src/cli/registry.js";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { RESERVED_ALIAS_NAMES } from "../../../src/config/schema/aliases.js";
import { ConfigError } from "../../../src/errors.js";

const config = (aliases: string, envExtra = "") => `app: web
source: { git: https://example.com/r.git, ref: main }
aliases:
${aliases}
environments:
  prod:
${envExtra}    hosts:
      - { name: a, address: a.example.com, roles: [web] }
      - { name: b, address: b.example.com, roles: [manage] }
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "slipway.yml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("aliases", () => {
  it("a string is the command; an object sets role, interactive and description", () => {
    const loaded = parseConfig(
      config(`  rake: bundle exec rake
  manage: { command: "./manage.py", role: manage, interactive: true, description: "Django's manage.py" }`),
      "/cfg/slipway.yml",
    );
    expect(resolveEnvironment(loaded, "prod", () => undefined).aliases).toEqual([
      { name: "rake", command: "bundle exec rake", interactive: false },
      { name: "manage", command: "./manage.py", role: "manage", interactive: true, description: "Django's manage.py" },
    ]);
  });

  it("refuses a name that is a verb, at the key's own line", () => {
    expect(problems(config("  ok: echo ok\n  deploy: echo no\n  run: { command: x }"))).toEqual([
      'line 5: aliases.deploy: "deploy" is a slipway verb; choose another alias name',
      'line 6: aliases.run: "run" is a slipway verb; choose another alias name',
    ]);
  });

  it("reserves every verb's name, and help", () => {
    for (const v of [...VERBS.map((x) => x.name), "help"]) expect(RESERVED_ALIAS_NAMES, v).toContain(v);
  });

  it("refuses unknown keys, an empty command and an environment-level override", () => {
    expect(problems(config('  a: ""\n  b: { command: x, tty: true }'))).toEqual([
      'line 4: aliases.a: expected a non-empty shell command, got ""',
      "line 5: aliases.b.tty: unknown key",
    ]);
    expect(problems(config("  a: x", "    aliases: { b: y }\n"))).toEqual(["line 7: environments.prod.aliases: unknown key"]);
  });
});
