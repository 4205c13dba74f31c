/** `schedule:` in slipway.yml: each problem named by its key path, defaults filled in. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { ConfigError } from "../../../src/errors.js";

const head = `app: web
source: { git: https://example.com/r.git, ref: main }
components:
  api: { source: { git: https://example.com/api.git } }
environments:
  production:
    hosts: [{ name: a, address: a.example.com }]
  staging:
    hosts: [{ name: b, address: b.example.com }]
`;

function problems(schedule: string): string[] {
  try {
    parseConfig(`${head}schedule:\n${schedule}`, "slipway.yml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("schedule config", () => {
  it("takes a list of entries; timezone defaults to UTC, and no schedule is an empty list", () => {
    const c = parseConfig(
      `${head}schedule:
  - { name: weekly, env: production, cron: "0 10 * * 2", timezone: Europe/Berlin, ref: main, message: "Tuesday train" }
  - { name: api-nightly, env: staging, cron: "30 2 * * *", component: api }
`,
      "slipway.yml",
    );
    expect(c.raw.schedule).toEqual([
      { name: "weekly", env: "production", cron: "0 10 * * 2", timezone: "Europe/Berlin", ref: "main", message: "Tuesday train" },
      { name: "api-nightly", env: "staging", cron: "30 2 * * *", timezone: "UTC", component: "api" },
    ]);
    expect(parseConfig(head, "slipway.yml").raw.schedule).toEqual([]);
  });

  it("names a bad cron, a bad timezone, a bad name and an unknown key by key path", () => {
    const ps = problems(`  - { name: a, env: production, cron: "0 10 * *" }
  - { name: b, env: production, cron: "0 10 * * 2", timezone: Mars/Olympus }
  - { name: "no spaces", env: production, cron: "61 * * * *" }
  - { name: d, env: production, cron: "0 1 * * *", when: later }
`);
    expect(ps).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/schedule\[0\]\.cron: expected a five-field cron expression/),
        expect.stringMatching(/schedule\[1\]\.timezone: expected an IANA timezone name/),
        expect.stringMatching(/schedule\[2\]\.name: expected a valid schedule name/),
        expect.stringMatching(/schedule\[2\]\.cron: expected a five-field cron expression/),
        expect.stringMatching(/schedule\[3\]\.when: unknown key/),
      ]),
    );
    expect(ps).toHaveLength(5);
  });

  it("names missing keys", () => {
    const ps = problems(`  - { name: a }\n`);
    expect(ps).toEqual(
      expect.arrayContaining([expect.stringMatching(/schedule\[0\]\.env: is required/), expect.stringMatching(/schedule\[0\]\.cron: is required/)]),
    );
  });

  it("names an unknown environment or component and a duplicate name", () => {
    const ps = problems(`  - { name: weekly, env: production, cron: "0 10 * * 2" }
  - { name: weekly, env: prod, cron: "0 10 * * 2", component: web }
`);
    expect(ps).toEqual([
      expect.stringMatching(/schedule\[1\]\.name: duplicate schedule name "weekly" \(also schedule\[0\]\)/),
      expect.stringMatching(/schedule\[1\]\.env: unknown environment "prod"; environments: production, staging/),
      expect.stringMatching(/schedule\[1\]\.component: unknown component "web"/),
    ]);
  });
});
