/** Cutover: config errors, the host's slot record, the plan's stages and recovery, and the upstream switch in a real bash. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { procNetAddress, switchUpstream, upstreamText } from "../../../../src/commands/services/cutover.js";
import { parseConfig } from "../../../../src/config/load.js";
import { pathsFor } from "../../../../src/config/paths.js";
import { resolveEnvironment } from "../../../../src/config/resolve.js";
import { ConfigError, UsageError } from "../../../../src/errors.js";
import { slotMoves } from "../../../../src/plan/cutover.js";
import { planDeploy } from "../../../../src/plan/deploy.js";
import { planRollback } from "../../../../src/plan/rollback.js";
import { serviceContext } from "../../../../src/plan/sections.js";
import { parseCutoverSlot, parseState, type HostState } from "../../../../src/plan/state.js";
import { tmpdir } from "../../../helpers.js";

const yml = (cutover: string, extra = "", hostEnv = "") => `app: capp
source: { git: https://example.com/r.git, ref: main }
deploy_to: /srv/capp
services:
  web:
    backend: supervisord
    command: node server.js
    health: { http: "http://127.0.0.1:{{ SLIPWAY_PORT }}/health" }
    cutover:
${cutover
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
${extra}environments:
  prod:
    hosts:
      - { name: web1, address: w1${hostEnv} }
      - { name: web2, address: w2${hostEnv} }
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

const A = "20261120-100000-aaaaaaa";
const B = "20261121-100000-bbbbbbb";
const state = (name: string, current: string | null, cutover?: HostState["cutover"]): HostState => ({
  host: name,
  initialized: true,
  current,
  releases: current ? [{ id: current, status: "ok", manifest: null }] : [],
  lock: null,
  deploying: null,
  journal: {},
  pushRecord: null,
  problems: [],
  ...(cutover ? { cutover } : {}),
});

describe("cutover config", () => {
  it("names the key path of every mistake", () => {
    expect(problems(yml("proxy: nginx\nports: [9001]"))).toEqual([expect.stringMatching(/services\.web\.cutover\.ports.*two or more ports/)]);
    expect(problems(yml("proxy: nginx\nports: [9001, 9001]"))).toEqual([expect.stringMatching(/services\.web\.cutover\.ports.*distinct/)]);
    expect(problems(yml("proxy: haproxy\nports: [1, 2]"))[0]).toMatch(/services\.web\.cutover\.proxy/);
    expect(problems(yml("proxy: nginx\nports: [1, 2]\nupstream_name: 'a b'"))[0]).toMatch(/upstream_name.*letters, digits and _/);
    expect(problems(yml("proxy: nginx\nports: [1, 2]\nupstream_file: ../../etc/nginx.conf"))[0]).toMatch(/upstream_file.*without "\.\."/);
    expect(problems(yml("proxy: nginx\nports: [1, 2]\nhost: '1.2.3.4; rm -rf /'"))[0]).toMatch(/cutover\.host.*an address or \{\{ NAME \}\}/);
    const systemd = yml("proxy: nginx\nports: [1, 2]").replace("backend: supervisord", "backend: systemd");
    expect(problems(systemd)).toEqual([expect.stringMatching(/services\.web\.cutover.*supervisord backend/)]);
    const noHealth = yml("proxy: nginx\nports: [1, 2]").replace(/ {4}health: .*\n/, "");
    expect(problems(noHealth)).toEqual([expect.stringMatching(/services\.web\.health.*required with cutover/)]);
  });

  it("fills the slot host from each host's env and refuses a value that is not an address", () => {
    const ok = resolveEnvironment(
      parseConfig(yml("proxy: nginx\nports: [1, 2]\nhost: '{{ SLOT }}'", "", ", env: { SLOT: 127.0.0.9 }"), "/c/slipway.yml"),
      "prod",
    );
    expect(slotMoves(ok, ok.hosts[0]!, undefined)[0]!.svc.cutover.host).toBe("127.0.0.9");
    const bad = resolveEnvironment(parseConfig(yml("proxy: nginx\nports: [1, 2]\nhost: '{{ SLOT }}'", "", ', env: { SLOT: "x;y" }'), "/c/slipway.yml"), "prod");
    expect(() => slotMoves(bad, bad.hosts[0]!, undefined)).toThrow(UsageError);
  });
});

describe("the host's slot record", () => {
  it("accepts `<port> <release>` only", () => {
    expect(parseCutoverSlot("web", `9001 ${A}`)).toEqual({ port: 9001, release: A });
    expect(parseCutoverSlot("web", `99999 ${A}`)).toBeNull();
    expect(parseCutoverSlot("web", `9001 ../../etc`)).toBeNull();
    expect(parseCutoverSlot("web", `9001 ${A} extra`)).toBeNull();
    expect(parseCutoverSlot("../web", `9001 ${A}`)).toBeNull();
    const st = parseState("h", `CURRENT\treleases/${A}\nCUTOVER\tweb\t9001 ${A}\nCUTOVER\tapi\t$(reboot)\n`);
    expect(st.cutover).toEqual({ web: { port: 9001, release: A } });
    expect(st.problems.join("\n")).toMatch(/cutover\/"api": expected "<port> <release>", got "\$\(reboot\)"/);
  });

  it("matches /proc/net/tcp's little-endian local address", () => {
    expect(procNetAddress("127.0.0.11", 9001)).toBe("^0B00007F:2329");
    expect(procNetAddress("::1", 80)).toBe(":0050");
  });
});

describe("cutover plans", () => {
  const env = resolveEnvironment(parseConfig(yml("proxy: nginx\nports: [9001, 9002]"), "/c/slipway.yml"), "prod");
  const states = { web1: state("web1", A, { web: { port: 9001, release: A } }), web2: state("web2", A, { web: { port: 9001, release: A } }) };
  const deploy = planDeploy({
    env,
    hosts: env.hosts,
    states,
    commit: "b".repeat(40),
    ref: "main",
    now: new Date("2026-11-21T10:00:00Z"),
    by: "t",
    toolVersion: "0",
  });
  const shown = (st: (typeof deploy.stages)[number]) => (st.kind === "hosts" ? st.scripts.web1!.sections.flatMap((s) => s.commands.map((c) => c.display)) : []);

  it("deploy: start on the idle slot before the switch, upstream with the switch, drain the old slot after", () => {
    const kinds = deploy.stages.map((s) => (s.kind === "hosts" ? s.phases.join("+") : s.kind));
    expect(kinds).toEqual(["fetch+link+build", "start", "switch+cleanup", "restart+verify"]);
    expect(shown(deploy.stages[1]!).join("\n")).toMatch(/start web \S+ on :9002[\s\S]*wait for web-9002|start web/);
    expect(shown(deploy.stages[2]!)[0]).toMatch(/point nginx upstream capp_web at :9002/);
    expect(shown(deploy.stages[3]!)).toContain("drain web on :9001 (up to 30 s) and stop it");
    const rec = deploy.recovery.web1!;
    expect(rec.switchIsNotAtomic).toBe(true);
    expect(rec.ifSwitched.flatMap((s) => s.commands.map((c) => c.display)).join("\n")).toMatch(/point nginx upstream capp_web at :9001/);
    expect(rec.last!.flatMap((s) => s.commands.map((c) => c.display))).toEqual(["drain web on :9002 (up to 30 s) and stop it"]);
    // The restart phase does not restart a cutover service in place.
    expect(shown(deploy.stages[3]!).some((d) => d.startsWith("restart web"))).toBe(false);
  });

  it("first cutover deploy: no slot recorded, the first port, and the in-place program is removed", () => {
    const first = planDeploy({
      ...{ env, hosts: env.hosts, commit: "b".repeat(40), ref: "main", now: new Date(), by: "t", toolVersion: "0" },
      states: { web1: state("web1", null), web2: state("web2", null) },
    });
    const texts = first.stages.flatMap((s) => (s.kind === "hosts" ? s.scripts.web1!.sections.flatMap((x) => x.commands.map((c) => c.display)) : []));
    expect(texts.join("\n")).toContain("on :9001");
    expect(texts).toContain("remove the in-place program capp-web (a slot serves now)");
  });

  it("rollback: the same move to the target on the idle slot", () => {
    const rs = {
      web1: {
        ...state("web1", B, { web: { port: 9002, release: B } }),
        releases: [
          { id: A, status: "ok" as const, manifest: null },
          { id: B, status: "ok" as const, manifest: null },
        ],
      },
    };
    const one = resolveEnvironment(parseConfig(yml("proxy: nginx\nports: [9001, 9002]"), "/c/slipway.yml"), "prod");
    const plan = planRollback({ env: one, hosts: [one.hosts[0]!], states: rs });
    if ("refuse" in plan) throw new Error(plan.refuse);
    expect(plan.stages.map((s) => s.phases.join("+"))).toEqual(["start", "switch", "restart+verify"]);
    const all = plan.stages.flatMap((s) => s.scripts.web1!.sections.flatMap((x) => x.commands.map((c) => c.display)));
    expect(all).toContain(`start web ${A} on :9001`);
    expect(all).toContain(`point nginx upstream capp_web at :9001 (${A})`);
    expect(all).toContain("drain web on :9002 (up to 30 s) and stop it");
  });
});

describe("switchUpstream in a real bash", () => {
  const env = resolveEnvironment(
    parseConfig(yml("proxy: nginx\nports: [9001, 9002]\nnginx: { test: 'printf \"bad directive\" >&2; false', pid_file: /nonexistent }"), "/c/slipway.yml"),
    "prod",
  );
  it("puts the old file back when nginx -t fails, and writes nothing else", () => {
    const root = tmpdir();
    const e = { ...env, hosts: env.hosts.map((h) => ({ ...h, deployTo: root })) };
    const h = e.hosts[0]!;
    const m = slotMoves(e, h, undefined)[0]!;
    const c = serviceContext(e, h);
    mkdirSync(path.join(root, "nginx"), { recursive: true });
    writeFileSync(path.join(root, "nginx/web.conf"), upstreamText(m.svc, 9001, A));
    const r = spawnSync("bash", ["-c", switchUpstream(m.svc, c, 9002, B).sh], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nginx -t failed; the upstream file was put back");
    expect(r.stderr).toContain("bad directive");
    expect(readFileSync(path.join(root, "nginx/web.conf"), "utf8")).toBe(upstreamText(m.svc, 9001, A));
    expect(spawnSync("bash", ["-c", `ls -A ${pathsFor(root).cutoverDir}`], { encoding: "utf8" }).stdout).toBe("");
    // With a passing check and no running nginx: the file and the record are written, nothing is reloaded.
    const okEnv = { ...e, services: e.services.map((s) => ({ ...s, cutover: { ...s.cutover!, nginx: { ...s.cutover!.nginx, test: "true" } } })) };
    const m2 = slotMoves(okEnv, h, undefined)[0]!;
    const out = execFileSync("bash", ["-c", switchUpstream(m2.svc, c, 9002, B).sh], { encoding: "utf8" });
    expect(out).toContain("nginx is not running");
    expect(readFileSync(path.join(root, "nginx/web.conf"), "utf8")).toContain("server 127.0.0.1:9002;");
    expect(readFileSync(path.join(root, ".slipway/cutover/web"), "utf8")).toBe(`9002 ${B}\n`);
  });
});
