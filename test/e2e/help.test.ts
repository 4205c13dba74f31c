/** Help that helps: "did you mean", exit codes, quiet ends of pipes, and shell completion in real shells. */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicConfig, cli, MAIN, Project, tmpdir } from "../helpers.js";

const CONFIG = `app: testapp
source:
  git: ./app
  ref: main
components:
  worker:
    roles: [worker]
services:
  web:
    backend: command
    roles: [nothing]
    start: "true"
    stop: "true"
  indexer:
    backend: command
    roles: [nothing]
    start: "true"
    stop: "true"
environments:
  production:
    hosts:
      - name: web1
        transport: local
        deploy_to: ./hosts/web1
        roles: [worker]
  staging:
    hosts:
      - name: stage1
        transport: local
        deploy_to: ./hosts/stage1
        roles: [worker]
`;

let p: Project;
/** A `slipway` on PATH, as an installed one would be: the completion scripts call back into it. */
let bin: string;
let releaseId: string;

beforeAll(() => {
  p = new Project("slipway-help-");
  p.repo.commit({ VERSION: "1" });
  p.writeConfig(CONFIG);
  const r = p.run("production", "deploy");
  expect(r.code, r.stderr).toBe(0);
  releaseId = p.current("web1")!;
  bin = path.join(tmpdir("slipway-bin-"), "bin");
  mkdirSync(bin);
  writeFileSync(path.join(bin, "slipway"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} "$@"\n`);
  chmodSync(path.join(bin, "slipway"), 0o755);
});
afterAll(() => p?.cleanup());

/** Run a shell command line in the project, with our `slipway` first on PATH. */
function sh(shell: string, script: string, cwd = p.dir) {
  const r = spawnSync(shell, ["-c", script], { cwd, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const has = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;

describe("did you mean", () => {
  it("a mistyped environment, verb or option names the nearest one, exit 2", () => {
    expect(p.run("prodution", "deploy")).toMatchObject({ code: 2, stderr: 'error: unknown environment "prodution" (did you mean `production`?)\n' });
    expect(p.run("stagng")).toMatchObject({ code: 2, stderr: 'error: unknown environment "stagng" (did you mean `staging`?)\n' });
    expect(p.run("rolback")).toMatchObject({ code: 2, stderr: 'error: unknown verb "rolback" (did you mean `rollback`?)\n' });
    expect(p.run("production", "rolback")).toMatchObject({ code: 2, stderr: 'error: unknown verb "rolback" (did you mean `rollback`?)\n' });
    expect(p.run("production", "deploy", "--pla")).toMatchObject({ code: 2, stderr: "error: unknown option '--pla' (did you mean `--plan`?)\n" });
    expect(p.run("--jsn", "production", "deploy")).toMatchObject({ code: 2, stderr: "error: unknown option '--jsn' (did you mean `--json`?)\n" });
    // nothing near: the environments are listed instead
    expect(p.run("qa", "deploy")).toMatchObject({ code: 2, stderr: 'error: unknown environment "qa"; environments in slipway.yml: production, staging\n' });
  });

  it("a word that is neither a verb nor an environment fails even with --help", () => {
    const r = p.run("anyword", "--help");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^error: anyword is neither a verb nor an environment in slipway\.yml \(verbs: init, config, .*rollback.*; environments: production, staging\)\n$/,
    );
  });

  it("help still works where it should", () => {
    expect(p.run("production", "--help")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^slipway — /) });
    expect(p.run("deploy", "--help")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: deploy /) });
    expect(p.run("deploy")).toMatchObject({
      code: 2,
      stderr: "error: deploy runs on an environment: slipway <env> deploy (environments: production, staging)\n",
    });
    // a verb's help needs no environment
    expect(p.run("prodution", "deploy", "--help")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: deploy /) });
  });

  it("without a readable config, the verb still reports the config problem", () => {
    const d = tmpdir();
    expect(cli(["prod", "deploy"], { cwd: d })).toMatchObject({ code: 2, stderr: expect.stringMatching(/file not found/) });
    expect(cli(["rolback"], { cwd: d })).toMatchObject({ code: 2, stderr: 'error: unknown verb "rolback" (did you mean `rollback`?)\n' });
  });
});

describe("output into a pipe that closes early", () => {
  it.each([
    "slipway init --help | head -3",
    "slipway --help | head -1",
    "slipway config schema | head -1",
    "slipway production releases | head -1",
    "slipway --help | true",
    "slipway production deploy --help | true",
  ])("%s ends quietly", (line) => {
    // PIPESTATUS: slipway's own exit code, not head's.
    const r = sh("bash", `${line}; echo "rc=\${PIPESTATUS[0]}" >&2`);
    expect(r.stderr).toBe("rc=0\n");
  });
});

describe("a deploy whose reader goes away", () => {
  it("still finishes: the switch happens and the exit code is the deploy's", () => {
    const q = new Project("slipway-pipe-");
    try {
      q.repo.commit({ VERSION: "1" });
      q.writeConfig(basicConfig("", ["h1"]));
      // `true` exits at once: every NDJSON event after that meets a closed pipe.
      const r = sh("bash", `slipway prod deploy --json | true; echo "rc=\${PIPESTATUS[0]}" >&2`, q.dir);
      expect(r.stderr).toBe("rc=0\n");
      expect(q.current("h1")).toMatch(/^\d{8}-\d{6}-/);
      expect(q.lockExists("h1")).toBe(false);
    } finally {
      q.cleanup();
    }
  });
});

describe("completion", () => {
  /** The candidates bash's completion function offers for `words` (cursor on the last). */
  const bash = (...words: string[]) => {
    const arr = words.map((w) => JSON.stringify(w)).join(" ");
    const r = sh(
      "bash",
      `source <(slipway completion bash) && COMP_WORDS=(slipway ${arr}) && COMP_CWORD=${words.length} && _slipway && printf '%s\\n' "\${COMPREPLY[@]}"`,
    );
    expect(r.stderr).toBe("");
    return r.stdout.split("\n").filter(Boolean);
  };

  it("bash completes environments, verbs, services, actions, options and recorded release ids", () => {
    expect(bash("pro")).toEqual(["production"]);
    expect(bash("")).toEqual(expect.arrayContaining(["init", "completion", "production", "staging"]));
    expect(bash("production", "ro")).toEqual(["rollback"]);
    expect(bash("staging", "")).toEqual(expect.arrayContaining(["deploy", "rollback", "service", "releases"]));
    expect(bash("production", "service", "")).toEqual(["web", "indexer", "all"]);
    expect(bash("production", "service", "web", "re")).toEqual(["restart", "reload"]);
    expect(bash("production", "rollback", "")).toEqual(["worker", releaseId]);
    expect(bash("production", "deploy", "--pl")).toEqual(["--plan"]);
    expect(bash("production", "deploy", "--limit", "")).toEqual(["web1", "worker"]);
    expect(bash("production", "service", "--limit", "web1", "")).toEqual(["web", "indexer", "all"]);
    expect(bash("completion", "")).toEqual(["bash", "zsh", "fish"]);
    expect(bash("-c", "slipway.yml", "st")).toEqual(["state", "staging"]);
    expect(bash("state", "")).toEqual(["import"]);
  });

  it("a broken or missing config offers no candidates and prints nothing", () => {
    const d = tmpdir();
    writeFileSync(path.join(d, "slipway.yml"), "environments: [not, a, map\n");
    const r = sh("bash", `source <(slipway completion bash) && COMP_WORDS=(slipway production "") && COMP_CWORD=2 && _slipway; echo "n=\${#COMPREPLY[@]}"`, d);
    expect(r).toMatchObject({ code: 0, stdout: "n=0\n", stderr: "" });
  });

  it("stays fast: no host is contacted, only the config and the store are read", () => {
    const t = Date.now();
    expect(bash("production", "rollback", "")).toContain(releaseId);
    expect(Date.now() - t).toBeLessThan(2_000);
  });

  it.skipIf(!has("zsh"))("the zsh script parses and completes through compadd", () => {
    expect(sh("zsh", "slipway completion zsh > c.zsh && zsh -n c.zsh && echo ok")).toMatchObject({ stdout: "ok\n", stderr: "" });
    // compadd only exists inside a completion widget: stand-ins record what the function offers.
    const r = sh(
      "zsh",
      `compdef() {}; compadd() { print -l -- "\${(@P)2}" }; _files() { print FILES }; source <(slipway completion zsh)
       words=(slipway production service web ""); CURRENT=5; _slipway
       words=(slipway nothing-here ""); CURRENT=3; _slipway`,
    );
    expect(r).toMatchObject({ stdout: "start\nstop\nrestart\nreload\nstatus\nFILES\n", stderr: "" });
  });

  it.skipIf(!has("fish"))("the fish script parses and completes through `complete -C`", () => {
    expect(sh("fish", "slipway completion fish > c.fish; and fish -n c.fish; and echo ok")).toMatchObject({ stdout: "ok\n", stderr: "" });
    const r = sh("fish", `slipway completion fish | source; complete -C "slipway pro"; complete -C "slipway production rollback "`);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual(["production", releaseId, "worker"]);
  });

  it("an unknown shell is a usage error", () => {
    expect(p.run("completion", "tcsh")).toMatchObject({ code: 2, stderr: 'error: completion: expected bash, zsh, fish, got "tcsh"\n' });
  });
});
