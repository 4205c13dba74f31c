/**
 * `slipway demo`: a real deploy to local hosts in a scratch directory. Deploys v1 of the bundled
 * example app, serves a page, deploys v2, shows releases and history, rolls back, then stops the app.
 * It drives the real CLI in child processes, so what it shows is exactly what an operator gets.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { OperationError } from "../../errors.js";
import { colorEnabled, palette } from "../../render/color.js";
import { PACKAGE_ROOT } from "../../version.js";
import type { Globals } from "../registry.js";
import { parseVerb, verbCommand } from "../verb-command.js";

const EXAMPLE = path.join(PACKAGE_ROOT, "examples/hello-app");
/**
 * The CLI that is running this demo (tsc's dist/cli/main.js or the bundle's dist/bundle/slipway.mjs):
 * the demo's steps run the same build the operator started.
 */
const selfEntry = () => process.argv[1]!;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

const demoConfig = (port: number) => `# Written by \`slipway demo\`: two local hosts, no SSH, no root.
app: hello
source:
  git: ./app
  ref: main
keep_releases: 3
shared:
  dirs: [log, tmp]
build:
  - node build.mjs
services:
  app:
    backend: command
    roles: [web]
    start: bin/start.sh
    stop: bin/stop.sh
    pid_file: shared/tmp/app.pid
    health: { http: "http://127.0.0.1:${port}/health", timeout: 10 }
verify:
  - run: node bin/check.mjs
    roles: [web]
env:
  PORT: "${port}"
environments:
  local:
    hosts:
      - name: host1
        transport: local
        roles: [web]
        deploy_to: ./hosts/host1
      - name: host2
        transport: local
        roles: [worker]
        deploy_to: ./hosts/host2
`;

export async function run(args: string[], globals: Globals): Promise<number> {
  const cmd = verbCommand(
    "demo",
    "Deploy the bundled example app to two local hosts: v1, v2, releases, history, rollback. No SSH, no root.",
    "slipway demo --keep",
  ).option("--keep", "keep the scratch directory afterwards");
  const parsed = parseVerb<{ keep?: boolean }>(cmd, args, globals);
  if (!parsed) return 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-demo-"));
  const port = await freePort();
  // Bold only on a terminal with colour on: piped into a file or a CI log it is plain text.
  const { bold } = palette(colorEnabled(process.stdout, Boolean(globals.noColor)));
  const say = (t: string) => process.stdout.write(`\n${bold(`▶ ${t}`)}\n`);
  const git = (...a: string[]) =>
    execFileSync("git", ["-c", "user.name=Slipway Demo", "-c", "user.email=demo@slipway.invalid", "-C", path.join(dir, "app"), ...a], { stdio: "ignore" });
  const slipway = (...a: string[]) => {
    process.stdout.write(`$ slipway ${a.join(" ")}\n`);
    const r = spawnSync(process.execPath, [selfEntry(), "-c", path.join(dir, "slipway.yml"), ...(globals.noColor ? ["--no-color"] : []), ...a], {
      stdio: "inherit",
      env: { ...process.env, SLIPWAY_STATE_DIR: path.join(dir, ".slipway") },
    });
    if (r.status !== 0) throw new OperationError(`demo step failed: slipway ${a.join(" ")} (exit ${r.status}); files kept in ${dir}`);
  };
  const page = async () => {
    const body = (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
    process.stdout.write(`GET http://127.0.0.1:${port}/ → ${body}\n`);
    return body;
  };
  let ok = false;
  try {
    say(`scratch directory ${dir}: a git repo with the example app, and two local hosts`);
    cpSync(EXAMPLE, path.join(dir, "app"), { recursive: true });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "v1");
    writeFileSync(path.join(dir, "slipway.yml"), demoConfig(port));
    say("deploy v1");
    slipway("local", "deploy", "-m", "demo v1");
    await page();
    say("deploy v2");
    writeFileSync(path.join(dir, "app", "VERSION"), "2\n");
    git("commit", "-q", "-am", "v2");
    slipway("local", "deploy", "-m", "demo v2");
    await page();
    say("releases and history");
    slipway("local", "releases");
    slipway("local", "history");
    say("roll back to v1");
    slipway("local", "rollback");
    const body = await page();
    if (!body.includes("v1<")) throw new OperationError(`after rollback the app serves: ${body}`);
    ok = true;
    say("done: v1 deployed, v2 deployed, rolled back to v1 — all atomic, all recorded");
  } finally {
    spawnSync("bash", [path.join(dir, "hosts/host1/current/bin/stop.sh")], { stdio: "ignore" });
    if (ok && !parsed.opts.keep) rmSync(dir, { recursive: true, force: true });
    else process.stdout.write(`files kept in ${dir}\n`);
    process.stdout.write("app stopped; nothing left running\n");
  }
  return 0;
}
