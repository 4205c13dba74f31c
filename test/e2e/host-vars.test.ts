/** `{{ NAME }}` and the deprecated `${NAME}` in service health checks, through the built CLI. */
import { afterEach, describe, expect, it } from "vitest";
import { Project } from "../helpers.js";

let p: Project | undefined;
afterEach(() => p?.cleanup());

const config = (http: string) => `app: hv
source: { git: ./app, ref: main }
services:
  web:
    backend: supervisord
    command: node server.js
    health: { http: ${JSON.stringify(http)}, timeout: 5 }
environments:
  prod:
    hosts:
${["h1", "h2"].map((h, i) => `      - { name: ${h}, transport: local, deploy_to: ./hosts/${h}, env: { PORT: "${8001 + i}" } }`).join("\n")}
`;

describe("service health checks name host values with {{ NAME }}", () => {
  it("${NAME} still works but warns once per run, naming the key", () => {
    p = new Project();
    p.repo.commit({ "server.js": "" });
    p.writeConfig(config("http://127.0.0.1:${PORT}/health"));
    const r = p.run("prod", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.includes("deprecated"));
    expect(warnings).toEqual(["warning: services: ${PORT} in service commands and health checks is deprecated; write {{ PORT }} instead (same value)"]);
  });

  it("{{ NAME }} gives no warning", () => {
    p = new Project();
    p.repo.commit({ "server.js": "" });
    p.writeConfig(config("http://127.0.0.1:{{ PORT }}/health"));
    const r = p.run("prod", "deploy", "--plan");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("deprecated");
  });
});
