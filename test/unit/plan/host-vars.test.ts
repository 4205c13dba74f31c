import { describe, expect, it } from "vitest";
import { fillVars, legacyVarsWarning } from "../../../src/config/template.js";
import { hostVarWarnings, withHostVars } from "../../../src/plan/sections.js";
import type { Environment, Host, Service } from "../../../src/config/resolve.js";

const svc = (command: string, http?: string, tcp?: string): Service =>
  ({
    name: "web",
    backend: "supervisord",
    roles: ["web"],
    component: null,
    order: 0,
    command,
    program: "p",
    gracefulReload: false,
    health: http || tcp ? { http, tcp, timeout: 5 } : undefined,
  }) as unknown as Service;

describe("service commands and health checks: {{ NAME }}, and ${NAME} as a deprecated alias", () => {
  const vars = { PORT: "8001", ADDR: "127.0.0.1" };

  it("fills {{ NAME }} (with or without spaces) in the command and both health checks", () => {
    const s = withHostVars(svc("serve --port {{ PORT }}", "http://{{ADDR}}:{{ PORT }}/health", "{{ ADDR }}:{{PORT}}"), vars);
    expect(s.command).toBe("serve --port 8001");
    expect(s.health).toMatchObject({ http: "http://127.0.0.1:8001/health", tcp: "127.0.0.1:8001" });
  });

  it("still fills ${NAME}, and reports the names used that way", () => {
    const legacy = new Set<string>();
    const s = withHostVars(svc("serve --port ${PORT}", "http://{{ ADDR }}:${PORT}/health"), vars, legacy);
    expect(s.command).toBe("serve --port 8001");
    expect(s.health?.http).toBe("http://127.0.0.1:8001/health");
    expect([...legacy]).toEqual(["PORT"]);
  });

  it("leaves names that are not host values to the shell (and to other tools' templates)", () => {
    const f = fillVars(`cd \${HOME} && docker ps --format '{{ .Names }}' && echo {{ NOPE }} \${NOPE}`, vars);
    expect(f).toEqual({ text: `cd \${HOME} && docker ps --format '{{ .Names }}' && echo {{ NOPE }} \${NOPE}`, legacy: [] });
  });

  it("never scans a filled-in value again", () => {
    expect(fillVars("a {{ A }} ${B}", { A: "{{ B }} ${B}", B: "x" }).text).toBe("a {{ B }} ${B} x");
  });

  // Regression: `${constructor}` was filled with "function Object() { [native code] }".
  it("fills only the host's own values, not names every object has", () => {
    expect(withHostVars(svc("run ${constructor} {{ toString }}"), vars).command).toBe("run ${constructor} {{ toString }}");
  });

  it("a missing command or health check stays missing", () => {
    const s = withHostVars({ ...svc("x"), command: undefined } as unknown as Service, vars);
    expect(s.command).toBeUndefined();
    expect(s.health).toBeUndefined();
  });
});

describe("the deprecation warning", () => {
  const host = (name: string, port: string): Host => ({
    name,
    transport: "local",
    roles: ["web"],
    primary: false,
    deployTo: `/srv/${name}`,
    env: { PORT: port },
  });
  const envWith = (services: Service[]) =>
    ({
      app: "a",
      name: "prod",
      hosts: [host("web1", "8001"), host("web2", "8002")],
      env: { ADDR: "127.0.0.1" },
      secrets: {},
      services,
      supervisor: { config: "c", includeDir: "d" },
    }) as unknown as Environment;

  it("is one warning per run naming each key, however many hosts and services use it", () => {
    const w = hostVarWarnings(envWith([svc("serve ${PORT}", "http://${ADDR}:${PORT}/"), { ...svc("worker ${PORT}"), name: "w" } as Service]));
    expect(w).toEqual(["services: ${ADDR}, ${PORT} in service commands and health checks is deprecated; write {{ ADDR }}, {{ PORT }} instead (same value)"]);
  });

  it("is absent for {{ NAME }} and for shell variables", () => {
    expect(hostVarWarnings(envWith([svc("serve {{ PORT }} ${HOME}", "http://{{ ADDR }}:{{ PORT }}/")]))).toEqual([]);
    expect(legacyVarsWarning([])).toBeNull();
  });
});
