/** What the README promises, checked on the built CLI: host-key types, history scope, JSON validation, secrets, -v, run argv, missing refs. */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Fleet, SKIP_FLEET } from "../fleet.js";
import { basicConfig, cli, MAIN, Project, tmpdir } from "../helpers.js";

let p: Project;
afterEach(() => p?.cleanup());

/** An ssh-keygen key pair in a temp dir: the private key's path and the public line's type and base64. */
function hostKey(type: "ecdsa" | "ed25519"): { file: string; type: string; b64: string } {
  const file = path.join(tmpdir(), `hostkey_${type}`);
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", file]);
  const [t, b64] = readFileSync(`${file}.pub`, "utf8").trim().split(" ") as [string, string];
  return { file, type: t, b64 };
}

describe.skipIf(SKIP_FLEET)("host key types with accept-new (real sshd)", () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await Fleet.start(["edonly", "both"]);
    // "both" also serves an ECDSA host key, as most distributions' sshd do.
    const both = fleet.host("both");
    const ecdsa = hostKey("ecdsa");
    execFileSync("bash", [
      "-c",
      `cp ${ecdsa.file} ${both.dir}/hostkey_ecdsa && chmod 600 ${both.dir}/hostkey_ecdsa && echo 'HostKey ${both.dir}/hostkey_ecdsa' >> ${both.dir}/sshd_config`,
    ]);
    fleet.killHost("both");
    await new Promise((r) => setTimeout(r, 200));
    await fleet.restartHost("both");
    bothEcdsa = `${ecdsa.type} ${ecdsa.b64}`;
  }, 60_000);
  afterAll(() => fleet?.stop());
  let bothEcdsa = "";

  const projectFor = (host: string, knownHostsLine: string) => {
    const kh = path.join(tmpdir(), "known_hosts");
    writeFileSync(kh, `[127.0.0.1]:${fleet.host(host).port} ${knownHostsLine}\n`);
    const dir = tmpdir();
    writeFileSync(
      path.join(dir, "slipway.yml"),
      `app: keys\nsource: { git: ./nowhere, ref: main }\nssh:\n  known_hosts: ${kh}\n  host_key_checking: accept-new\nenvironments:\n  prod:\n    hosts:\n      - { name: ${host}, address: ${host} }\n`,
    );
    return { kh, run: () => cli(["prod", "releases"], { cwd: dir, env: fleet.env }) };
  };

  it("refuses a host offering ed25519 when known_hosts holds an ecdsa key for it, and records nothing", () => {
    const other = hostKey("ecdsa");
    const t = projectFor("edonly", `${other.type} ${other.b64}`);
    const r = t.run();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `edonly: HOST KEY CHANGED for \\[127\\.0\\.0\\.1\\]:${fleet.host("edonly").port}: it offered ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}, but .*known_hosts:1 lists only ecdsa-sha2-nistp256`,
      ),
    );
    expect(readFileSync(t.kh, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("accepts a host with ecdsa and ed25519 keys when known_hosts holds its ecdsa key (known types are preferred)", () => {
    const t = projectFor("both", bothEcdsa);
    const r = t.run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("no releases yet");
    expect(readFileSync(t.kh, "utf8").trim().split("\n")).toHaveLength(1);
  });
});

describe("history says how far it goes", () => {
  it("names the -n limit when it was reached, and says when every entry is shown", () => {
    p = new Project();
    p.writeConfig(basicConfig("", ["h1"]));
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    p.repo.commit({ VERSION: "2" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const one = p.run("prod", "history", "-n", "1");
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain("newest 1 entry shown (-n 1); older entries may exist: use -n 2 to see more");
    const all = p.run("prod", "history");
    expect(all.stdout).toContain("2 entries (all of them)");
    expect(JSON.parse(p.run("prod", "history", "--json").stdout)).toHaveLength(2);
  });
});

describe("config validate --json", () => {
  it("prints ok/problems as JSON with path, line and message, exit 2", () => {
    const d = tmpdir();
    writeFileSync(
      path.join(d, "slipway.yml"),
      "app: x\nsource: { git: r }\nenvironments:\n  prod:\n    hosts:\n      - name: a\n        address: h\n        port: 70000\n        adress: h\n",
    );
    const r = cli(["config", "validate", "--json"], { cwd: d });
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: false, file: path.join(d, "slipway.yml") });
    expect(out.problems).toEqual(
      expect.arrayContaining([
        { path: "environments.prod.hosts[0].port", line: 8, message: "expected an integer 1-65535, got 70000" },
        { path: "environments.prod.hosts[0].adress", line: 9, message: "unknown key" },
      ]),
    );
    const missing = cli(["config", "validate", "--json"], { cwd: tmpdir() });
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, problems: [{ path: null, line: null, message: expect.stringContaining("file not found") }] });
    const ok = tmpdir();
    writeFileSync(path.join(ok, "slipway.yml"), basicConfig());
    expect(JSON.parse(cli(["config", "validate", "--json"], { cwd: ok }).stdout)).toMatchObject({ ok: true, problems: [], environments: ["prod"] });
  });
});

describe("secrets verbs", () => {
  it("encrypt and decrypt read secrets_key_file like deploys do", () => {
    const d = tmpdir();
    const key = execFileSync(process.execPath, [MAIN, "secrets", "keygen"], { encoding: "utf8" }).trim();
    writeFileSync(path.join(d, "key"), key + "\n");
    writeFileSync(path.join(d, "slipway.yml"), basicConfig("secrets_file: secrets.enc\nsecrets_key_file: ./key\n"));
    writeFileSync(path.join(d, "plain.yml"), "API_TOKEN: s3cret-value\n");
    const env = { HOME: tmpdir(), SLIPWAY_SECRETS_KEY: "" };
    const enc = cli(["secrets", "encrypt", "plain.yml", "secrets.enc"], { cwd: d, env });
    expect(enc.code, enc.stderr).toBe(0);
    expect(readFileSync(path.join(d, "secrets.enc"), "utf8")).not.toContain("s3cret");
    const dec = cli(["secrets", "decrypt", "secrets.enc"], { cwd: d, env });
    expect(dec).toMatchObject({ code: 0, stdout: "API_TOKEN: s3cret-value\n" });
    // The deploy side reads the same key: config print sees the secret's name.
    expect(cli(["prod", "config", "print"], { cwd: d, env }).stdout).toContain('API_TOKEN: "[REDACTED]"');
  });

  it("decrypt or encrypt of a missing file is a clear usage error (exit 2), no stack trace", () => {
    const d = tmpdir();
    const env = { HOME: d, SLIPWAY_SECRETS_KEY: Buffer.alloc(32, 1).toString("base64") };
    for (const args of [
      ["decrypt", "nope.enc"],
      ["encrypt", "nope.yml", "out.enc"],
    ]) {
      const r = cli(["secrets", ...args], { cwd: d, env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^error: nope\.(enc|yml): file not found\n$/);
    }
  });
});

describe("-v is --verbose", () => {
  it("shows the stack trace of an internal error inside an operation with -v as with --verbose", () => {
    p = new Project();
    p.writeConfig(basicConfig("", ["h1"]));
    const notADir = path.join(p.dir, "state-is-a-file");
    writeFileSync(notADir, "");
    for (const flag of ["-v", "--verbose"]) {
      const r = p.runWith({ SLIPWAY_STATE_DIR: notADir }, "prod", "history", "--local", flag);
      expect(r.code, flag).toBe(1);
      expect(r.stderr, flag).toMatch(/\n\s+at /);
    }
    const quiet = p.runWith({ SLIPWAY_STATE_DIR: notADir }, "prod", "history", "--local");
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("run keeps its arguments", () => {
  it("quotes each argument when several are given; a single one stays a shell string", () => {
    p = new Project();
    p.writeConfig(basicConfig("", ["h1"]));
    p.repo.commit({ VERSION: "1" });
    expect(p.run("prod", "deploy").code).toBe(0);
    const several = p.run("prod", "run", "--", "printf", "<%s>\\n", "a b", "$HOME", "c;d");
    expect(several.code, several.stderr).toBe(0);
    expect(several.stdout).toBe("h1 | <a b>\nh1 | <$HOME>\nh1 | <c;d>\n");
    const single = p.run("prod", "run", "--", "echo one && echo two");
    expect(single.stdout).toBe("h1 | one\nh1 | two\n");
  });
});

describe("a ref that does not exist", () => {
  it("is a usage error (exit 2) naming the ref, for a local path and for a URL", () => {
    p = new Project();
    p.repo.commit({ VERSION: "1" });
    for (const git of ["./app", `file://${p.dir}/app`]) {
      p.writeConfig(basicConfig("", ["h1"]).replace("git: ./app", `git: ${git}`));
      for (const verb of [["deploy"], ["deploy", "--plan"]]) {
        const r = p.run("prod", ...verb, "--ref", "no-such-branch");
        expect(r.code, `${git} ${verb.join(" ")}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/error: ref "no-such-branch" not found in \S+app \(use a branch, a tag or a full 40-character commit\)/);
      }
    }
    expect(p.current("h1")).toBeNull();
  });
});
