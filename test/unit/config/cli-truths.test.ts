/** What the README promises about config problems, reserved names and --limit, checked on the pure parts. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { RESERVED_ENV_NAMES } from "../../../src/config/rules.js";
import { selectHosts } from "../../../src/config/filter.js";
import type { Host } from "../../../src/config/resolve.js";
import { GLOBAL_VERBS } from "../../../src/cli/registry.js";
import { ConfigError } from "../../../src/errors.js";

const problems = (text: string): string[] => {
  try {
    parseConfig(text, "slipway.yml");
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

describe("config problems carry their own line", () => {
  it("reports each unknown key at its own line, not the enclosing map's first key", () => {
    const text = [
      "app: x",
      "source: { git: r }",
      "environments:",
      "  prod:",
      "    hosts:",
      "      - name: a",
      "        address: h",
      "        adress: h",
      "        colour: blue",
      "    deploy_too: /srv",
    ].join("\n");
    expect(problems(text)).toEqual([
      "line 8: environments.prod.hosts[0].adress: unknown key",
      "line 9: environments.prod.hosts[0].colour: unknown key",
      "line 10: environments.prod.deploy_too: unknown key",
    ]);
  });
});

describe("reserved environment names", () => {
  it("covers every verb that takes no environment, and help", () => {
    for (const v of [...GLOBAL_VERBS, "help"]) expect(RESERVED_ENV_NAMES, v).toContain(v);
  });

  it("refuses an environment named secrets, at its line", () => {
    expect(problems("app: x\nsource: { git: r }\nenvironments:\n  secrets:\n    hosts: [{ name: a, transport: local }]\n")).toEqual([
      'line 4: environments.secrets: "secrets" is a slipway verb; choose another environment name',
    ]);
  });
});

describe("--limit globs", () => {
  const host = (name: string, roles: string[]): Host => ({ name, roles }) as unknown as Host;
  const hosts = [host("web1", ["web"]), host("web2", ["web"]), host("web3", ["web"]), host("worker-a", ["worker"]), host("db.internal", ["db"])];
  const names = (limit: string) => selectHosts(hosts, limit).map((h) => h.name);

  it("understands character classes, ranges, ? and *", () => {
    expect(names("web[12]")).toEqual(["web1", "web2"]);
    expect(names("web[2-3]")).toEqual(["web2", "web3"]);
    expect(names("web?,worker-*")).toEqual(["web1", "web2", "web3", "worker-a"]);
    expect(names("db.*")).toEqual(["db.internal"]);
    expect(names("work*")).toEqual(["worker-a"]);
  });

  it("still matches plain names and roles exactly, and refuses a term that matches nothing", () => {
    expect(names("web1,db")).toEqual(["web1", "db.internal"]);
    expect(() => names("web[45]")).toThrow(/--limit "web\[45\]" matches no host or role/);
    expect(names("db")).toEqual(["db.internal"]);
    expect(() => names("d")).toThrow(/matches no host/);
  });
});
