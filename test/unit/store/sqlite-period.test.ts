/** SqliteStore.runsBetween: the period by start time, the verbs (with components), oldest first, and the commit time from run:start. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../../../src/store/sqlite.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "slipway-period-"));
const store = new SqliteStore(path.join(dir, "state.db"));
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function mk(verb: string, env: string, startedAt: string, events: object[] = []): Promise<number> {
  const id = await store.beginRun({ key: `k${++n}`, verb, env, by: "ada", startedAt, logPath: null });
  await store.appendEvents(
    id,
    events.map((e, i) => ({ seq: i + 1, ts: startedAt, json: JSON.stringify({ ...e, ts: startedAt }) })),
  );
  await store.updateRun(id, { outcome: "ok", finishedAt: startedAt });
  return id;
}

describe("SqliteStore runsBetween", () => {
  it("returns the period's runs of the verbs asked for, oldest first, with run:start's commitTime", async () => {
    const start = { type: "run:start", verb: "deploy", env: "prod", hosts: [], commit: "c".repeat(40), commitTime: "2026-03-01T10:00:00.000Z" };
    const late = await mk("deploy", "prod", "2026-03-05T12:00:00.000Z", [{ type: "info", message: "x" }, start]);
    const early = await mk("deploy web", "prod", "2026-03-05T09:00:00.000Z", [{ ...start, commitTime: undefined }]);
    const rb = await mk("rollback", "prod", "2026-03-05T10:00:00.000Z");
    await mk("run", "prod", "2026-03-05T10:30:00.000Z");
    await mk("deployer", "prod", "2026-03-05T10:40:00.000Z");
    await mk("deploy", "qa", "2026-03-05T11:00:00.000Z");
    await mk("deploy", "prod", "2026-03-01T11:00:00.000Z");
    await mk("deploy", "prod", "2026-03-06T00:00:00.000Z");
    const runs = await store.runsBetween("prod", "2026-03-05T00:00:00.000Z", "2026-03-06T00:00:00.000Z", ["deploy", "rollback"]);
    expect(runs.map((r) => r.id)).toEqual([early, rb, late]);
    expect(runs.map((r) => r.commitTime)).toEqual([null, null, "2026-03-01T10:00:00.000Z"]);
    expect(runs[2]).toMatchObject({ verb: "deploy", env: "prod", outcome: "ok" });
    expect(await store.runsBetween("prod", "2026-03-05T00:00:00.000Z", "2026-03-06T00:00:00.000Z", [])).toEqual([]);
  });
});
