/** Plan text for big fleets: identical hosts print once with a range; a few differing lines print alone. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { resolveEnvironment } from "../../../src/config/resolve.js";
import { planDeploy } from "../../../src/plan/deploy.js";
import { formatPlan } from "../../../src/plan/format.js";
import { groupedCommands, hostRange, hostsWithCount, lineDiff, relativeTo, rootsLines } from "../../../src/plan/format-hosts.js";
import type { HostState } from "../../../src/plan/state.js";

const empty = (host: string): HostState => ({
  host,
  initialized: true,
  current: null,
  releases: [],
  lock: null,
  deploying: null,
  journal: {},
  pushRecord: null,
  problems: [],
});
const now = new Date("2026-11-22T10:00:00Z");
const sha = "0123456789abcdef0123456789abcdef01234567";

/** 48 web hosts and 2 workers that build one more thing; `deployTo` per host, or the app's. */
function fleetPlan(hostLine: (n: string) => string, top = "deploy_to: /srv/web") {
  const names = Array.from({ length: 50 }, (_, i) => (i < 48 ? `web${i + 1}` : `worker${i - 47}`));
  const yaml = `app: web
source: { git: https://example.com/r.git, ref: main }
${top}
shared: { dirs: [log] }
build:
  - npm ci
  - run: venv/bin/pip install -r requirements.txt
    roles: [worker]
restart: [sudo systemctl restart web]
environments:
  prod:
    hosts:
${names.map((n) => `      - { name: ${n}, address: ${n}.internal, roles: [${n.startsWith("web") ? "web" : "worker"}]${hostLine(n)} }`).join("\n")}
`;
  const env = resolveEnvironment(parseConfig(yaml, "/cfg/slipway.yml"), "prod");
  return planDeploy({
    env,
    hosts: env.hosts,
    states: Object.fromEntries(names.map((n) => [n, empty(n)])),
    commit: sha,
    ref: "main",
    now,
    by: "me@laptop",
    toolVersion: "0.1.0",
  });
}

describe("hostRange", () => {
  it("collapses runs of 3+ consecutive numbered names, keeps order, counts always", () => {
    expect(hostRange(["web1", "web2", "web3", "web5", "db1", "db2"])).toBe("web1–web3, web5, db1, db2");
    expect(hostRange(["web08", "web09", "web10", "web11"])).toBe("web08–web11");
    expect(hostRange(["web9", "web10", "web11"])).toBe("web9–web11");
    expect(hostRange(["a", "b", "c"])).toBe("a, b, c");
    expect(hostsWithCount(["h1"])).toBe("h1 (1 host)");
    expect(hostsWithCount(["h1", "h2"])).toBe("h1, h2 (2 hosts)");
  });
});

describe("grouped host commands", () => {
  it("groups byte-identical hosts and prints a small difference as + and - lines", () => {
    const lines: Record<string, string[]> = { a1: ["x", "y", "z", "w"], a2: ["x", "y", "z", "w"], a3: ["x", "y", "z", "w"], b1: ["x", "Y", "z", "w"] };
    expect(groupedCommands(Object.keys(lines), (h) => lines[h]!)).toEqual([
      "  a1–a3 (3 hosts):",
      "    x",
      "    y",
      "    z",
      "    w",
      "  b1 (1 host): as a1–a3, except:",
      "    - y",
      "    + Y",
    ]);
  });
  it("prints a group in full when it differs in many lines", () => {
    const lines: Record<string, string[]> = { a: ["x", "y"], b: ["p", "q", "r"] };
    expect(groupedCommands(["a", "b"], (h) => lines[h]!)).toEqual(["  a (1 host):", "    x", "    y", "  b (1 host):", "    p", "    q", "    r"]);
  });
  it("diffs in order", () => {
    expect(lineDiff(["a", "b", "c"], ["a", "c", "d"])).toEqual(["- b", "+ d"]);
  });
  it("replaces a host's deploy_to only as a whole path prefix", () => {
    expect(relativeTo("mkdir -p /h/web1/releases /h/web10/x /h/web1", "/h/web1")).toBe("mkdir -p $DEPLOY_TO/releases /h/web10/x $DEPLOY_TO");
    expect(rootsLines(["a", "b"], { a: "/t/hosts/a", b: "/t/hosts/b" })).toEqual(["  $DEPLOY_TO = /t/hosts/<host>"]);
    expect(rootsLines(["a", "b"], { a: "/x", b: "/y" })).toEqual(["  $DEPLOY_TO per host:", "    a  /x", "    b  /y"]);
  });
});

describe("formatPlan for 50 hosts", () => {
  it("prints one group for the 47 identical web hosts; the primary and the workers print only their extra line", () => {
    const text = formatPlan(fleetPlan(() => ""));
    expect(text.split("\n").length).toBeLessThan(45);
    expect(text).toMatchInlineSnapshot(`
      "plan: deploy prod release 20261122-100000-0123456
        commit 0123456789abcdef0123456789abcdef01234567 (main)
        hosts  web1–web48, worker1, worker2 (50 hosts), primary web1

      check     on every host: read each host's releases, current and lock; check tools
      lock      on web1: take the environment lock on the primary host
      fetch+link+build on web1–web48, worker1, worker2 (one round trip per host):
        web2–web48 (47 hosts):
          fetch    $ mkdir -p /srv/web/releases /srv/web/shared /srv/web/.slipway
          fetch    $ receive the changed files into /srv/web/releases/20261122-100000-0123456
          fetch    $ write /srv/web/releases/20261122-100000-0123456/.slipway/manifest.json
          link     $ link shared log into /srv/web/releases/20261122-100000-0123456
          build    $ npm ci
          build    $ record the file digest in .slipway/digest
        web1 (1 host): as web2–web48, except:
          + fetch    $ record the deploy in progress
        worker1, worker2 (2 hosts): as web2–web48, except:
          + build    $ venv/bin/pip install -r requirements.txt
      switch+cleanup on web1–web48, worker1, worker2 (one round trip per host):
        web1–web48, worker1, worker2 (50 hosts):
          switch   $ mark 20261122-100000-0123456 ok
          switch   $ switch current → releases/20261122-100000-0123456
      restart+verify on web1–web48, worker1, worker2 (one round trip per host):
        web1–web48, worker1, worker2 (50 hosts):
          restart  $ sudo systemctl restart web
      unlock    on web1: append the history entry and release the environment lock
      "
    `);
  });

  it("hosts whose paths differ only by their own deploy_to still group, with $DEPLOY_TO", () => {
    const text = formatPlan(fleetPlan((n) => `, deploy_to: /data/${n}/app`, ""));
    expect(text).toContain("  $DEPLOY_TO = /data/<host>/app\n");
    expect(text).toContain("  web2–web48 (47 hosts):\n    fetch    $ mkdir -p $DEPLOY_TO/releases $DEPLOY_TO/shared $DEPLOY_TO/.slipway\n");
    expect(text).not.toContain("/data/web");
  });
});
