/** `services.<name>.log`: a path relative to deploy_to, only for the command backend, resolved onto the service. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { ConfigError } from "../../../src/errors.js";

const config = (svc: string) => `app: web
source: { git: https://example.com/r.git, ref: main }
services:
  app:
${svc}
environments:
  production:
    hosts:
      - { name: a, address: a.example.com }
`;
const command = (log: string) => `    backend: command\n    start: ./start\n    stop: ./stop\n    log: ${JSON.stringify(log)}`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "slipway.yml");
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe("services.<name>.log", () => {
  it("resolves a relative path onto the service", () => {
    const loaded = parseConfig(config(command("shared/app.log")), "slipway.yml");
    expect(resolveEnvironment(loaded, "production").services[0]!.log).toBe("shared/app.log");
  });

  it("refuses a path outside deploy_to, and the key on other backends", () => {
    for (const p of ["/var/log/syslog", "../../etc/shadow", "shared/../../x"])
      expect(problems(config(command(p)))).toEqual([
        expect.stringContaining(`services.app.log: expected a relative path inside deploy_to, got ${JSON.stringify(p)}`),
      ]);
    expect(problems(config(`    backend: supervisord\n    command: node app.js\n    log: shared/x.log`))).toEqual([
      expect.stringMatching(/services\.app\.log: only the command backend takes `log`/),
    ]);
  });
});
