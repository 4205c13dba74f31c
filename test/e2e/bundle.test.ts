/**
 * The published CLI is the esbuild bundle (scripts/bundle.mjs → dist/bundle/slipway.mjs): these run it
 * as an installed package would, so the bundle cannot rot while the suites test tsc's dist.
 * The package is laid out in a scratch directory with only what `npm publish` ships and the bundle
 * needs (package.json, dist/bundle, examples, and node_modules for the external native packages):
 * no dist/cli and no src, so a chunk that still reached into tsc's output, or a path computed from
 * the old file layout, fails here.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, ROOT, Repo, tmpdir } from "../helpers.js";

const pkgJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string; bin: { slipway: string } };
let pkg: string;
let bin: string;
let work: string;
/** Scratch directories, removed at the end. */
const scratch: string[] = [];
const scratchDir = (prefix: string) => {
  const d = tmpdir(prefix);
  scratch.push(d);
  return d;
};

/** Run the installed bundle, asynchronously so vitest's RPC stays alive through the demo's seconds. */
function bundle(args: string[], cwd = work): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

beforeAll(() => {
  const built = path.join(ROOT, "dist/bundle/slipway.mjs");
  if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build`);
  // tsc's dist is rebuilt by more commands than the bundle is: an old bundle would test old code.
  const newestSource = Math.max(
    ...readdirSync(path.join(ROOT, "src"), { recursive: true, withFileTypes: true }).map((e) =>
      e.isFile() ? statSync(path.join(e.parentPath, e.name)).mtimeMs : 0,
    ),
  );
  if (statSync(built).mtimeMs < newestSource) throw new Error(`${built} is older than src/: run npm run build`);
  pkg = path.join(scratchDir("slipway-bundle-"), "slipway");
  mkdirSync(pkg);
  cpSync(path.join(ROOT, "package.json"), path.join(pkg, "package.json"));
  cpSync(path.join(ROOT, "dist/bundle"), path.join(pkg, "dist/bundle"), { recursive: true });
  cpSync(path.join(ROOT, "examples"), path.join(pkg, "examples"), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"));
  // The entry npm links as `slipway`; when bin still names tsc's output, the bundle is tested all the same.
  bin = path.join(pkg, pkgJson.bin.slipway.startsWith("dist/bundle/") ? pkgJson.bin.slipway : "dist/bundle/slipway.mjs");
  work = scratchDir("slipway-bundle-work-");
});
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

describe("the bundled CLI", () => {
  it("is what package.json's bin names", () => {
    expect(pkgJson.bin.slipway).toBe("dist/bundle/slipway.mjs");
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("--help prints the same text as tsc's build, exit 0", async () => {
    const r = await bundle(["--help"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^slipway — atomic releases/);
    expect(r.stdout).toBe(cli(["--help"], { cwd: work }).stdout);
    // A verb's help comes from its own lazily loaded chunk (commander inlined).
    expect(await bundle(["deploy", "--help"])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: deploy .*--plan/s) });
  });

  it("--help loads neither pg nor better-sqlite3: each is imported only by the state store in use", async () => {
    // A module resolve hook that names every file of those two packages the process loads.
    const hook = path.join(work, "trace-hook.mjs");
    writeFileSync(
      hook,
      'export async function resolve(s, c, next) { const r = await next(s, c); if (/node_modules\\/(pg|better-sqlite3)\\//.test(r.url)) process.stderr.write("LOADED " + r.url + "\\n"); return r; }',
    );
    const register = path.join(work, "trace.mjs");
    writeFileSync(register, `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hook).href)});`);
    const traced = (args: string[], env: Record<string, string> = {}) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ["--import", register, bin, ...args], { cwd: work, env: { ...process.env, ...env } });
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
        child.on("close", () => resolve(stderr));
      });
    expect(await traced(["--help"])).not.toContain("LOADED");
    // The control: state: postgres does load pg (and not SQLite) when the store is opened.
    const dir = scratchDir("slipway-bundle-pg-");
    writeFileSync(
      path.join(dir, "slipway.yml"),
      "app: a\nsource: { dir: . }\nstate: postgres\nenvironments:\n  prod:\n    hosts:\n      - { name: h1, transport: local, deploy_to: ./h1 }\n",
    );
    const pgRun = await traced(["-c", path.join(dir, "slipway.yml"), "prod", "history", "--local"], { SLIPWAY_STATE_URL: "postgres://u:pw@127.0.0.1:1/db" });
    expect(pgRun).toMatch(/LOADED \S+\/node_modules\/pg\//);
    expect(pgRun).not.toMatch(/better-sqlite3/);
  });

  it("--help loads no chunk with Fastify in it; serve (Fastify inlined in its lazy chunk) answers through the bundle", async () => {
    // A resolve hook naming every bundle file the process loads; the chunks holding Fastify carry its FST_ERR codes.
    const hook = path.join(work, "chunks-hook.mjs");
    writeFileSync(
      hook,
      'export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes("/dist/bundle/")) process.stderr.write("CHUNK " + r.url + "\\n"); return r; }',
    );
    const register = path.join(work, "chunks.mjs");
    writeFileSync(register, `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(hook).href)});`);
    const loaded = await new Promise<string[]>((resolve) => {
      const child = spawn(process.execPath, ["--import", register, bin, "--help"], { cwd: work });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      child.on("close", () => resolve([...stderr.matchAll(/^CHUNK file:\/\/(\S+)$/gm)].map((m) => m[1]!)));
    });
    expect(loaded.length).toBeGreaterThan(0);
    for (const f of loaded) expect(readFileSync(f, "utf8")).not.toContain("FST_ERR_");
    expect(
      readdirSync(path.join(pkg, "dist/bundle")).some((f) => f.endsWith(".mjs") && readFileSync(path.join(pkg, "dist/bundle", f), "utf8").includes("FST_ERR_")),
    ).toBe(true);

    const dir = scratchDir("slipway-bundle-serve-");
    writeFileSync(
      path.join(dir, "slipway.yml"),
      "app: a\nsource: { dir: . }\nenvironments:\n  prod:\n    hosts:\n      - { name: h1, transport: local, deploy_to: ./h1 }\n",
    );
    const child = spawn(process.execPath, [bin, "serve", "--listen", "127.0.0.1:0"], { cwd: dir });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    try {
      await expect.poll(() => err, { timeout: 20_000 }).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const url = /listening on (\S+)/.exec(err)![1]!;
      expect(await (await fetch(`${url}/api/health`)).json()).toEqual({ ok: true, version: pkgJson.version });
      expect((await fetch(`${url}/api/environments`)).status).toBe(401);
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("version reads the package's own package.json", async () => {
    expect(await bundle(["version"])).toMatchObject({ code: 0, stdout: `slipway ${pkgJson.version} (node ${process.version})\n` });
    expect(await bundle(["--version"])).toMatchObject({ code: 0, stdout: `slipway ${pkgJson.version}\n` });
  });

  it("config validate: ok on a tiny config, exit 2 with the key path on a bad one", async () => {
    const dir = scratchDir("slipway-bundle-cfg-");
    const tiny =
      "app: tiny\nsource: { git: ./app, ref: main }\nenvironments:\n  prod:\n    hosts:\n      - { name: h1, transport: local, deploy_to: ./hosts/h1 }\n";
    writeFileSync(path.join(dir, "slipway.yml"), tiny);
    expect(await bundle(["config", "validate"], dir)).toMatchObject({ code: 0, stdout: expect.stringContaining("ok (environments: prod)") });
    writeFileSync(path.join(dir, "slipway.yml"), tiny.replace("app: tiny", "app: tiny\nkeep_releases: many"));
    const bad = await bundle(["config", "validate"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/keep_releases/);
  });

  it("deploys to a local host and reaches the ssh path (external ssh2)", async () => {
    const dir = scratchDir("slipway-bundle-deploy-");
    new Repo(path.join(dir, "app")).commit({ "index.html": "v1" });
    writeFileSync(
      path.join(dir, "slipway.yml"),
      "app: tiny\nsource: { git: ./app, ref: main }\nenvironments:\n  prod:\n    hosts:\n      - { name: h1, transport: local, deploy_to: ./hosts/h1 }\n" +
        "  far:\n    hosts:\n      - { name: f1, address: 127.0.0.1, port: 1, deploy_to: /tmp/nowhere }\n",
    );
    const r = await bundle(["prod", "deploy"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "hosts/h1/current/index.html"), "utf8")).toBe("v1");
    // Port 1 refuses: the refusal is ssh2's connect error, so the ssh chunk and the ssh2 package loaded.
    const far = await bundle(["far", "releases"], dir);
    expect(far.code).toBe(1);
    expect(far.stdout + far.stderr).toMatch(/f1: cannot connect to .*127\.0\.0\.1:1: connect ECONNREFUSED/);
    expect(far.stderr).not.toMatch(/internal error/);
  });

  it("demo runs end to end: v1, v2, rollback, all through the bundle", async () => {
    const r = await bundle(["demo"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/hello-app v1/);
    expect(r.stdout).toMatch(/hello-app v2/);
    expect(r.stdout).toMatch(/done: v1 deployed, v2 deployed, rolled back to v1/);
  }, 120_000);
});
