import { describe, expect, it } from "vitest";
import { mergeEnv } from "../../../src/config/env.js";
import { commandEnv, serviceContext } from "../../../src/plan/sections.js";
import { pathsFor } from "../../../src/config/paths.js";
import type { Environment, Host } from "../../../src/config/resolve.js";

const host: Host = {
  name: "web1",
  transport: "local",
  roles: ["web"],
  primary: true,
  deployTo: "/srv/a",
  env: { PORT: "8001", LEVEL: "host", SLIPWAY_HOST: "forged" },
};
const env = {
  app: "shop",
  name: "production",
  hosts: [host],
  env: { PORT: "8000", LEVEL: "app", TOKEN: "plain", SLIPWAY_APP: "forged" },
  secrets: { TOKEN: "s3cret", LEVEL: "secret" },
  supervisor: { config: "c", includeDir: "d" },
} as unknown as Environment;

describe("mergeEnv: app env < host env < secrets < SLIPWAY_*", () => {
  it("later layers win", () => {
    expect(mergeEnv(env, host, { SLIPWAY_HOST: "web1" })).toEqual({
      PORT: "8001",
      LEVEL: "secret",
      TOKEN: "s3cret",
      SLIPWAY_APP: "forged",
      SLIPWAY_HOST: "web1",
    });
    expect(mergeEnv(env, undefined)).toEqual({ PORT: "8000", LEVEL: "secret", TOKEN: "s3cret", SLIPWAY_APP: "forged" });
  });

  it("commands get Slipway's own variables over anything in the config", () => {
    const e = commandEnv(env, { SLIPWAY_HOST: "web1", SLIPWAY_RELEASE: "r" });
    expect(e).toMatchObject({
      PORT: "8001",
      LEVEL: "secret",
      TOKEN: "s3cret",
      SLIPWAY_APP: "shop",
      SLIPWAY_ENV: "production",
      SLIPWAY_HOST: "web1",
      SLIPWAY_RELEASE: "r",
    });
  });

  it("services run with the same layers, without SLIPWAY_* (their program files stay the same across releases)", () => {
    const c = serviceContext(env, host);
    expect(c.paths.root).toBe(pathsFor("/srv/a").root);
    expect(c.env).toEqual({ PORT: "8001", LEVEL: "secret", TOKEN: "s3cret", SLIPWAY_APP: "forged", SLIPWAY_HOST: "forged" });
  });
});
