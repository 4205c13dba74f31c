/**
 * `preset: node` end to end on a local host: the built CLI deploys a tiny node app with nothing but
 * the preset's defaults (node_modules from package-lock.json, `npm run build --if-present`, `npm start`
 * under a real supervisord with an http health check). `npm ci` is faked (no registry here) and
 * counted; `npm run` and `npm start` are the real npm.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Project, tick } from "../helpers.js";

const HAVE = spawnSync("bash", ["-c", "command -v supervisord && command -v npm && command -v curl"], { stdio: "ignore" }).status === 0;
const REAL_NPM = HAVE ? execFileSync("bash", ["-c", "command -v npm"], { encoding: "utf8" }).trim() : "npm";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const SERVER = (version: string) => `const http = require("http");
const marker = require("./node_modules/marker");
const built = require("fs").existsSync("dist/built.txt") ? "built" : "unbuilt";
http.createServer((req, res) => res.end(\`${version} \${marker} \${built} \${process.env.NODE_ENV}\\n\`)).listen(Number(process.env.PORT), "127.0.0.1");
`;
const PACKAGE = (build: boolean) =>
  JSON.stringify({ name: "tiny", version: "1.0.0", private: true, scripts: build ? { build: "mkdir -p dist && echo ok > dist/built.txt" } : {} });

let p: Project;
let supervisorDir = "";
afterEach(() => {
  if (supervisorDir) spawnSync("bash", ["-c", `kill $(cat ${supervisorDir}/supervisord.pid 2>/dev/null) 2>/dev/null; true`]);
  supervisorDir = "";
  p?.cleanup();
});

describe.skipIf(!HAVE)("preset: node on a local host", () => {
  it("deploys with only the preset: installs once per lockfile, builds when package.json has a build script, serves through npm start, rolls back", async () => {
    p = new Project();
    const port = await freePort();
    // A fake npm that only fakes `ci` (counted in ci.log), everything else is the real npm.
    const bin = path.join(p.dir, "bin");
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, "npm"),
      `#!/bin/bash
if [ "$1" = ci ]; then echo "ci $*" >> ${p.dir}/ci.log; mkdir -p node_modules/marker && echo 'module.exports = "deps-ok"' > node_modules/marker/index.js; exit 0; fi
exec ${REAL_NPM} "$@"
`,
    );
    chmodSync(path.join(bin, "npm"), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}`, NPM_CONFIG_UPDATE_NOTIFIER: "false", NPM_CONFIG_FUND: "false" };
    supervisorDir = path.join(p.dir, "sup");
    mkdirSync(path.join(supervisorDir, "conf.d"), { recursive: true });
    writeFileSync(
      path.join(supervisorDir, "supervisord.conf"),
      [
        "[unix_http_server]",
        "file=%(here)s/supervisor.sock",
        "[supervisord]",
        "logfile=%(here)s/supervisord.log",
        "pidfile=%(here)s/supervisord.pid",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "[supervisorctl]",
        "serverurl=unix://%(here)s/supervisor.sock",
        "[include]",
        "files = conf.d/*.conf",
        "",
      ].join("\n"),
    );
    execFileSync("supervisord", ["-c", path.join(supervisorDir, "supervisord.conf")], { env: { ...process.env, ...env } });

    p.writeConfig(`app: tiny
preset: node
source: { git: ./app, ref: main }
supervisor: { config: ${supervisorDir}/supervisord.conf, include_dir: ${supervisorDir}/conf.d }
environments:
  prod:
    hosts:
      - { name: h1, transport: local, deploy_to: ./hosts/h1, roles: [web], env: { PORT: "${port}" } }
`);
    const get = () => execFileSync("curl", ["-fsS", `http://127.0.0.1:${port}/`], { encoding: "utf8" }).trim();
    const ciRuns = () => (existsSync(path.join(p.dir, "ci.log")) ? readFileSync(path.join(p.dir, "ci.log"), "utf8").trim().split("\n") : []);

    p.repo.commit({ "package.json": PACKAGE(true), "package-lock.json": '{"lockfileVersion":3,"packages":{}}\n', "server.js": SERVER("v1") });
    let r = p.runWith(env, "prod", "deploy");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(get()).toBe("v1 deps-ok built production");
    expect(ciRuns()).toEqual(["ci ci --include=dev"]);
    const first = p.current("h1")!;
    // node_modules is the reused dependency set, linked into the release
    expect(readlinkSync(path.join(p.hostDir("h1"), "releases", first, "node_modules"))).toMatch(/\/deps\/node_modules-[0-9a-f]{16}\/node_modules$/);

    // Same lockfile: node_modules reused (no second `npm ci`); no build script: --if-present skips the build.
    p.repo.commit({ "package.json": PACKAGE(false), "server.js": SERVER("v2") });
    await tick();
    r = p.runWith(env, "prod", "deploy");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(get()).toBe("v2 deps-ok unbuilt production");
    expect(ciRuns()).toHaveLength(1);
    expect(existsSync(path.join(p.hostDir("h1"), "current", "dist"))).toBe(false);

    // A changed lockfile installs again.
    p.repo.commit({ "package-lock.json": '{"lockfileVersion":3,"packages":{"":{}}}\n', "server.js": SERVER("v3") });
    await tick();
    r = p.runWith(env, "prod", "deploy");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(get()).toBe("v3 deps-ok unbuilt production");
    expect(ciRuns()).toHaveLength(2);

    await tick();

    r = p.runWith(env, "prod", "rollback");
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(get()).toBe("v2 deps-ok unbuilt production");

    // config print: the merged result, preset values marked, the user's (supervisor, host PORT) not.
    const print = p.runWith(env, "prod", "config", "print");
    expect(print.code, print.stderr).toBe(0);
    const line = (re: RegExp) => print.stdout.split("\n").find((l) => re.test(l)) ?? "";
    expect(line(/command: npm start/)).toMatch(/# preset: node$/);
    expect(line(/run: npm run build --if-present/)).toMatch(/# preset: node$/);
    expect(line(/NODE_ENV: production/)).toMatch(/# preset: node$/);
    expect(line(/includeDir:/)).not.toContain("#");
    const json = JSON.parse(p.runWith(env, "prod", "config", "print", "--json").stdout);
    expect(json.preset).toBe("node");
    expect(json.fromPreset).toEqual(expect.arrayContaining(["dependencies", "build", "services[0]", "env.PORT", "env.NODE_ENV"]));
    expect(json.services[0].command).toBe("npm start");
  }, 120_000);

  it("init --preset node writes a starter that validates; an unknown preset is refused", () => {
    p = new Project();
    const r = p.run("init", "--preset", "node");
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(p.dir, "slipway.yml"), "utf8")).toContain("preset: node");
    expect(p.run("config", "validate").code).toBe(0);
    const bad = p.run("init", "--preset", "flask", "--force");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--preset: expected django | rails | node, got "flask"');
  });
});
