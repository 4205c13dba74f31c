/** The fleet: the built CLI deploying over real OpenSSH servers on loopback. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { cli, cliSpawn, Repo, runInPty, tmpdir, waitFor, type CliResult } from "../helpers.js";

let fleet: Fleet;
const NAMES = ["web1", "web2", "web3", "worker1", "worker2"];

beforeAll(async () => {
  if (!SKIP_FLEET) fleet = await Fleet.start(NAMES);
}, 60_000);
afterAll(() => fleet?.stop());

let appSeq = 0;
/** A project whose app repo is served by the fleet's git daemon; hosts are ssh aliases. */
function project(opts: { hosts?: string[]; extra?: string; envExtra?: string } = {}) {
  const app = `app${++appSeq}`;
  const repo = new Repo(path.join(fleet.gitBase, app));
  const dir = tmpdir();
  const hosts = opts.hosts ?? NAMES;
  const roleOf = (h: string) => (h.startsWith("web") ? "web" : "worker");
  writeFileSync(
    path.join(dir, "slipway.yml"),
    `app: ${app}
source: { git: "${fleet.gitUrl(app)}", ref: main }
${opts.extra ?? ""}
environments:
  prod:
${opts.envExtra ?? ""}
    hosts:
${hosts.map((h) => `      - { name: ${h}, address: ${h}, roles: [${roleOf(h)}] }`).join("\n")}
`,
  );
  const run = (...args: string[]): CliResult => cli(args, { cwd: dir, env: fleet.env });
  const home = (h: string) => fleet.host(h).home;
  const current = (h: string) => {
    try {
      return readlinkSync(path.join(home(h), "apps", app, "current")).replace("releases/", "");
    } catch {
      return null;
    }
  };
  const read = (h: string, rel: string) => readFileSync(path.join(home(h), "apps", app, rel), "utf8");
  return { app, repo, dir, run, current, read, home };
}

describe.skipIf(SKIP_FLEET)("ssh fleet", () => {
  it("deploys to 5 hosts over ssh, honouring ~/.ssh/config aliases, and rolls back", () => {
    const p = project({ extra: "build:\n  - echo built on $SLIPWAY_HOST as $(whoami) > built.txt" });
    p.repo.commit({ VERSION: "1" });
    let r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    const id = p.current("web1");
    for (const h of NAMES) {
      expect(p.current(h)).toBe(id);
      expect(p.read(h, "current/built.txt").trim()).toBe(`built on ${h} as ${fleet.host(h).user}`);
    }
    p.repo.commit({ VERSION: "2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    expect(p.read("worker2", "current/VERSION")).toBe("2");
    r = p.run("prod", "rollback");
    expect(r.code, r.stderr).toBe(0);
    for (const h of NAMES) expect(p.current(h)).toBe(id);
    const rel = p.run("prod", "releases", "--limit", "web");
    expect(rel.stdout).toContain("web3");
    expect(rel.stdout).not.toContain("worker1");
  });
});

describe.skipIf(SKIP_FLEET)("ssh fleet: safety", () => {
  it("restarts in rolling batches, in order", () => {
    const p = project({ extra: `restart:\n  - date +%s%N > ~/restart-start-$SLIPWAY_APP; sleep 0.4; date +%s%N > ~/restart-end-$SLIPWAY_APP` });
    p.repo.commit({ VERSION: "1" });
    const r = p.run("prod", "deploy", "--batch-size", "2");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/rolling batch 1\/3: web1, web2/);
    const t = (h: string, which: string) => BigInt(readFileSync(path.join(p.home(h), `restart-${which}-${p.app}`), "utf8").trim());
    const batches = [["web1", "web2"], ["web3", "worker1"], ["worker2"]];
    for (let i = 1; i < batches.length; i++) {
      // biome-ignore lint/complexity/useMathMinMax: these are bigint timestamps, which Math.max does not take
      const prevEnd = batches[i - 1]!.map((h) => t(h, "end")).reduce((a, b) => (a > b ? a : b));
      for (const h of batches[i]!) expect(t(h, "start") >= prevEnd, `${h} started before batch ${i} ended`).toBe(true);
    }
  });

  it("all or nothing: one host's failing build switches no host", () => {
    const p = project({ extra: `build:\n  - test "$SLIPWAY_HOST" != web3 || test ! -f FAIL` });
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("web1");
    p.repo.commit({ FAIL: "" });
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/web3: build failed: `test "\$SLIPWAY_HOST" != web3/);
    for (const h of NAMES) expect(p.current(h)).toBe(good);
  });

  it("--allow-partial deploys to the healthy hosts and lists each host's outcome", () => {
    const p = project({ extra: `build:\n  - test "$SLIPWAY_HOST" != worker2 || test ! -f FAIL` });
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("web1");
    p.repo.commit({ VERSION: "2", FAIL: "" });
    const r = p.run("prod", "deploy", "--allow-partial");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/to 4 of 5 host\(s\) — PARTIAL/);
    expect(r.stderr).toMatch(/worker2: FAILED in fetch\+link\+build \(left out\); current still /);
    expect(p.current("worker2")).toBe(good);
    for (const h of ["web1", "web2", "web3", "worker1"]) expect(p.read(h, "current/VERSION")).toBe("2");
    expect(JSON.parse(p.read("web1", ".slipway/history.ndjson").trim().split("\n").pop()!).outcome).toBe("partial");
  });

  it("a role with allow_partial tolerates its hosts failing; other roles stay all-or-nothing", () => {
    const p = project({ extra: `roles:\n  worker: { allow_partial: true }\nbuild:\n  - test ! -f "FAIL_$SLIPWAY_HOST"` });
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    p.repo.commit({ VERSION: "2", FAIL_worker1: "" });
    expect(p.run("prod", "deploy").code).toBe(0);
    expect(p.read("worker1", "current/VERSION")).toBe("1");
    expect(p.read("web1", "current/VERSION")).toBe("2");
    p.repo.commit({ VERSION: "3", FAIL_web2: "" });
    expect(p.run("prod", "deploy").code).toBe(1);
    expect(p.read("web1", "current/VERSION")).toBe("2");
  });

  it("run: a command in the current release with the app env, on a role's primary or on a role", () => {
    const p = project({ extra: `env: { GREETING: "hello there" }` });
    p.repo.commit({ VERSION: "7" });
    expect(p.run("prod", "deploy").code).toBe(0);
    let r = p.run("prod", "run", "--role", "worker", "--", 'echo "$SLIPWAY_HOST $(cat VERSION) $GREETING"');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("worker1 | worker1 7 hello there\n");
    r = p.run("prod", "run", "--limit", "web", "--", "echo $SLIPWAY_HOST");
    expect(r.stdout.trim().split("\n").sort()).toEqual(["web1 | web1", "web2 | web2", "web3 | web3"]);
    r = p.run("prod", "run", "--limit", "web2", "--", "echo oops >&2; exit 4");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/web2: run failed: `echo oops >&2; exit 4` exited with 4\n\s+oops/);
  });

  it("ssh: an interactive shell in the current release, driven through a pseudo-terminal", () => {
    const p = project({ hosts: ["web2"] });
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const res = runInPty([process.execPath, path.resolve("dist/cli/main.js"), "prod", "ssh", "web2"], {
      cwd: p.dir,
      env: fleet.env,
      answers: [{ when: "", send: "echo MARK-$(cat VERSION)-$(pwd)\nexit\n" }],
    });
    expect(res.output).toContain(`MARK-1-${path.join(p.home("web2"), "apps", p.app, "current")}`);
    expect(res.status).toBe(0);
  });

  it("hostile values in config and arguments reach the remote shell as data", () => {
    const evil = `it's $(touch PWNED1); \`touch PWNED2\` "q"\nline`;
    const p = project({
      hosts: ["web1", "worker1"],
      extra: `env:\n  EVIL: ${JSON.stringify(evil)}\nshared:\n  dirs: ["up loads", "$(touch PWNED3)"]\nbuild:\n  - printf '%s' "$EVIL" > evil.txt`,
    });
    p.repo.commit({ VERSION: "1" });
    const r = p.run("prod", "deploy", "-m", "$(touch PWNED4)'\"; exit 3");
    expect(r.code, r.stderr).toBe(0);
    expect(p.read("web1", "current/evil.txt")).toBe(evil);
    const run = p.run("prod", "run", "--limit", "worker1", "--", "printf '%s' \"$EVIL\" | wc -c");
    expect(run.stdout.trim()).toBe(`worker1 | ${Buffer.byteLength(evil)}`);
    const found = execFileSync("find", [p.home("web1"), p.home("worker1"), p.dir, "-name", "PWNED*"], { encoding: "utf8" });
    expect(found.trim()).toBe("");
  });
});

describe.skipIf(SKIP_FLEET)("ssh fleet: host keys and jumps", () => {
  it("refuses an unknown host key, naming the host and the offered fingerprint; accept-new records it", () => {
    const kh = path.join(tmpdir(), "known_hosts");
    writeFileSync(kh, fleet.knownHostsLine(fleet.host("web1")));
    const p = project({ hosts: ["web1", "web2"], extra: `ssh:\n  known_hosts: ${kh}` });
    p.repo.commit({ VERSION: "1" });
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`web2: unknown host key for \\[127\\.0\\.0\\.1\\]:${fleet.host("web2").port}: it offered ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}`),
    );
    expect(p.current("web1")).toBeNull();
    writeFileSync(
      path.join(p.dir, "slipway.yml"),
      readFileSync(path.join(p.dir, "slipway.yml"), "utf8").replace(`known_hosts: ${kh}`, `known_hosts: ${kh}\n  host_key_checking: accept-new`),
    );
    const ok = p.run("prod", "deploy");
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(kh, "utf8")).toContain(`[127.0.0.1]:${fleet.host("web2").port} ssh-ed25519 `);
  });

  it("refuses a changed host key even with accept-new", () => {
    const kh = path.join(tmpdir(), "known_hosts");
    const other = fleet.host("web3").hostKeyPub.split(" ");
    writeFileSync(kh, `[127.0.0.1]:${fleet.host("web2").port} ${other[0]} ${other[1]}\n`);
    const p = project({ hosts: ["web2"], extra: `ssh:\n  known_hosts: ${kh}\n  host_key_checking: accept-new` });
    p.repo.commit({ VERSION: "1" });
    const r = p.run("prod", "deploy");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/web2: HOST KEY CHANGED for \[127\.0\.0\.1\]:\d+: it offered ssh-ed25519 SHA256:\S+, but .*known_hosts:1 lists a different key/);
    expect(p.current("web2")).toBeNull();
  });

  it("connects through a ProxyJump host from ~/.ssh/config", () => {
    const w2 = fleet.host("web2");
    fleet.writeClientConfig(`Host web2-via-web1\n  HostName 127.0.0.1\n  Port ${w2.port}\n  User ${w2.user}\n  ProxyJump web1\n`);
    const p = project({ hosts: ["web2"] });
    writeFileSync(path.join(p.dir, "slipway.yml"), readFileSync(path.join(p.dir, "slipway.yml"), "utf8").replace("address: web2", "address: web2-via-web1"));
    p.repo.commit({ VERSION: "1" });
    const before = readFileSync(path.join(fleet.host("web1").dir, "sshd.log"), "utf8").length;
    const r = p.run("prod", "deploy");
    expect(r.code, r.stderr).toBe(0);
    expect(p.read("web2", "current/VERSION")).toBe("1");
    const log = readFileSync(path.join(fleet.host("web1").dir, "sshd.log"), "utf8").slice(before);
    expect(log).toMatch(new RegExp(`target 127\\.0\\.0\\.1 port ${w2.port}`));
  });

  it("all or nothing: a host whose sshd dies just before the switch leaves every host on the old release", async () => {
    const w3 = fleet.host("web3");
    const kill = `kill $(cat ${w3.pidFile}) 2>/dev/null; ${process.getuid?.() === 0 ? `pkill -KILL -u ${w3.user}` : "true"}; sleep 0.2`;
    const p = project({ extra: `hooks:\n  before:\n    switch:\n      - run: test ! -f KILL_NOW || { ${kill}; }\n        local: true` });
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("web1");
    p.repo.commit({ VERSION: "2" });
    writeFileSync(path.join(p.dir, "KILL_NOW"), "");
    try {
      const r = p.run("prod", "deploy");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/web3/);
      expect(r.stderr).toMatch(/switched back to/);
      for (const h of NAMES) expect(p.current(h), h).toBe(good);
    } finally {
      await fleet.restartHost("web3");
    }
  });
});

describe.skipIf(SKIP_FLEET)("ssh fleet: artifacts", () => {
  it("builds once on the control machine and uploads only changed files", () => {
    const p = project({
      hosts: ["web1", "worker1"],
      extra: `build:\n  - test -f built.txt`,
    });
    writeFileSync(
      path.join(p.dir, "slipway.yml"),
      readFileSync(path.join(p.dir, "slipway.yml"), "utf8").replace(
        "ref: main }",
        `ref: main, distribute: artifact, artifact_build: ["mkdir -p dist && cp VERSION big.bin dist/ && echo built-here > dist/built.txt"], artifact_path: dist }`,
      ),
    );
    p.repo.commit({ VERSION: "1", "big.bin": "x".repeat(200_000) });
    let r = p.run("prod", "deploy", "-v");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[web1\] uploaded 3 changed file\(s\), reused 0 from nothing/);
    expect(p.read("web1", "current/built.txt")).toBe("built-here\n");
    expect(p.read("worker1", "current/big.bin")).toHaveLength(200_000);
    p.repo.commit({ VERSION: "2" });
    r = p.run("prod", "deploy", "-v");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[worker1\] uploaded 1 changed file\(s\), reused 2 from \d{8}-/);
    expect(p.read("worker1", "current/VERSION")).toBe("2");
    expect(p.read("worker1", "current/big.bin")).toHaveLength(200_000);
    expect(() => p.read("web1", "current/.git")).toThrow();
  });
});

/** Peak resident memory (VmHWM, MB) of a running CLI, sampled until it exits. */
function peakRss(child: ReturnType<typeof cliSpawn>): Promise<number> {
  let kb = 0;
  const timer = setInterval(() => {
    try {
      kb = Math.max(kb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0));
    } catch {} // gone between samples
  }, 10);
  return child.done.then(() => (clearInterval(timer), kb / 1024));
}

describe.skipIf(SKIP_FLEET)("ssh fleet: big artifacts stream", () => {
  const MB = 200;
  const bigProject = () => {
    const p = project({ hosts: ["web1", "web2"] });
    writeFileSync(
      path.join(p.dir, "slipway.yml"),
      readFileSync(path.join(p.dir, "slipway.yml"), "utf8").replace(
        "ref: main }",
        `ref: main, distribute: artifact, artifact_build: ["head -c ${MB}M /dev/urandom > big.bin"] }`,
      ),
    );
    p.repo.commit({ VERSION: "1" });
    return p;
  };

  it(`a ${MB} MB artifact reaches every host whole while the CLI stays far below its size in memory`, async () => {
    const p = bigProject();
    const child = cliSpawn(["prod", "deploy"], { cwd: p.dir, env: fleet.env });
    const rss = await peakRss(child);
    const r = await child.done;
    expect(r.code, r.stderr).toBe(0);
    const sums = ["web1", "web2"].map(
      (h) => execFileSync("sha256sum", [path.join(p.home(h), "apps", p.app, "current/big.bin")], { encoding: "utf8" }).split(" ")[0],
    );
    expect(statSync(path.join(p.home("web1"), "apps", p.app, "current/big.bin")).size).toBe(MB * 1024 * 1024);
    expect(sums[0]).toBe(sums[1]);
    // Held in memory, the pack alone would be 200 MB on top of the CLI's ~90 MB (and its copies more):
    // streamed, the peak stays near that base whatever the size (measured: 92 MB for 1 MB, 130 for 160 and for 400).
    expect(rss).toBeLessThan(MB);
  }, 120_000);

  it("a host that fails before reading the stream fails at once with its own error (the upload to it is stopped, not stalled); no host switches", async () => {
    const p = bigProject();
    // web2's releases directory cannot be written: its script fails before it reads a byte.
    const rels = path.join(p.home("web2"), "apps", p.app, "releases");
    fleet.asUser("web2", `mkdir -p ${rels} && chmod 555 ${rels}`);
    const r = await cliSpawn(["prod", "deploy"], { cwd: p.dir, env: fleet.env }).done;
    fleet.asUser("web2", `chmod 755 ${rels}`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/web2/);
    expect(p.current("web2")).toBeNull();
    expect(p.current("web1")).toBeNull(); // no host switches while another failed to build
    // The failed host's stream was stopped, not waited on: web2 failed on its own directory, not on a stalled upload.
    expect(r.stderr).toMatch(/\[web2\][^\n]*\n(\[web2\] .*\n)*\[web2\] .*Permission denied/);
  }, 120_000);
});

describe.skipIf(SKIP_FLEET)("ssh fleet: agent", () => {
  it("authenticates through ssh-agent when no key file is present", () => {
    const home = tmpdir();
    execFileSync("bash", ["-c", `mkdir -p ${home}/.ssh && cp ${fleet.clientHome}/.ssh/config ${fleet.clientHome}/.ssh/known_hosts ${home}/.ssh/`]);
    const sock = path.join(home, "agent.sock");
    const agent = execFileSync("ssh-agent", ["-a", sock], { encoding: "utf8" });
    const pid = /SSH_AGENT_PID=(\d+)/.exec(agent)![1]!;
    try {
      execFileSync("ssh-add", ["-q", path.join(fleet.clientHome, ".ssh", "id_ed25519")], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const p = project({ hosts: ["web1", "worker1"] });
      p.repo.commit({ VERSION: "1" });
      const r = cli(["prod", "deploy"], { cwd: p.dir, env: { HOME: home, SSH_AUTH_SOCK: sock } });
      expect(r.code, r.stderr).toBe(0);
      expect(p.read("worker1", "current/VERSION")).toBe("1");
      const noAgent = cli(["prod", "releases"], { cwd: p.dir, env: { HOME: home, SSH_AUTH_SOCK: "" } });
      expect(noAgent.code).toBe(1);
      expect(noAgent.stderr).toMatch(/web1: cannot connect to .*authentication failed for/);
    } finally {
      execFileSync("kill", [pid]);
    }
  });
});

describe.skipIf(SKIP_FLEET)("ssh fleet: interrupt", () => {
  it("Ctrl-C mid-build stops the remote build on every host, releases the lock and leaves current alone", async () => {
    const p = project({ hosts: ["web1", "worker1"], extra: `build:\n  - test ! -f SLOW || { touch ../../building; sleep 30; touch ../../not-killed; }` });
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const good = p.current("web1");
    p.repo.commit({ VERSION: "2", SLOW: "" });
    const child = cliSpawn(["prod", "deploy"], { cwd: p.dir, env: fleet.env });
    const marker = (h: string) => path.join(p.home(h), "apps", p.app, "building");
    await waitFor(() => existsSync(marker("web1")) && existsSync(marker("worker1")));
    child.kill("SIGINT");
    const r = await child.done;
    expect(r.code).toBe(130);
    await new Promise((res) => setTimeout(res, 500));
    for (const h of ["web1", "worker1"]) {
      expect(existsSync(path.join(p.home(h), "apps", p.app, "not-killed"))).toBe(false);
      // As root every host has its own user, so its processes can be listed without confusion.
      if (process.getuid?.() === 0)
        expect(execFileSync("bash", ["-c", `pgrep -u ${fleet.host(h).user} -f "sleep 30" || true`], { encoding: "utf8" }).trim()).toBe("");
      expect(p.current(h)).toBe(good);
    }
    expect(existsSync(path.join(p.home("web1"), "apps", p.app, ".slipway", "lock"))).toBe(false);
  });
});
