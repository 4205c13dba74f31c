import { describe, expect, it } from "vitest";
import { FILES, pathsFor } from "../../../src/config/paths.js";
import { compileScript } from "../../../src/commands/script.js";
import { stopLeftovers, writeManifest } from "../../../src/commands/release.js";
import { readState } from "../../../src/plan/state.js";

const id = "20261122-050403-abc1234";

describe("remote file names live in Paths", () => {
  it("derives every metadata file from the root", () => {
    const p = pathsFor("~/apps/shop");
    expect(p.lockInfo).toBe("~/apps/shop/.slipway/lock/info.json");
    expect(p.deploying).toBe("~/apps/shop/.slipway/deploying");
    expect(p.configState).toBe("~/apps/shop/.slipway/config-state.json");
    expect(p.configStateKey).toBe("~/apps/shop/.slipway/config-state.key");
    expect(p.releaseManifest(id)).toBe(`~/apps/shop/releases/${id}/.slipway/manifest.json`);
    expect(p.releaseStatus(id)).toBe(`~/apps/shop/releases/${id}/.slipway/status`);
    expect(p.releaseJournal(id)).toBe(`~/apps/shop/releases/${id}/.slipway/journal`);
    expect(p.releasePgid(id)).toBe(`~/apps/shop/releases/${id}/.slipway/running.pgid`);
    expect(p.releaseFiles(id)).toBe(`~/apps/shop/releases/${id}/.slipway/files.tsv`);
    expect(p.releaseReuse(id)).toBe(`~/apps/shop/releases/${id}/.slipway/reuse.list`);
    expect(p.prestepDir("warm", "c".repeat(40))).toBe(`~/apps/shop/.slipway/presteps/warm/${"c".repeat(40)}`);
    expect(p.maintenance("shared/maintenance")).toEqual({
      dir: "~/apps/shop/shared/maintenance",
      flag: "~/apps/shop/shared/maintenance/on",
      page: "~/apps/shop/shared/maintenance/index.html",
    });
  });

  it("refuses a non-release id in every release file", () => {
    const p = pathsFor("/srv/app");
    for (const f of [p.releaseManifest, p.releaseStatus, p.releaseJournal, p.releasePgid, p.releaseFiles, p.releaseReuse])
      expect(() => f("../x")).toThrow(/not a release id/);
  });

  it("the journal, the process group file and the state reader agree on the names", () => {
    const p = pathsFor("/srv/app");
    const script = compileScript({ env: {}, journal: p.releaseJournal(id), sections: [] });
    expect(script).toContain(`> ${p.releaseMeta(id)}/${FILES.pgid}`);
    expect(stopLeftovers(p, id).sh).toContain(p.releasePgid(id));
    expect(writeManifest(p, id, {}).display).toBe(`write ${p.releaseManifest(id)}`);
    const st = readState(p);
    for (const name of [FILES.status, FILES.manifest, FILES.journal, FILES.lockInfo, FILES.deploying, FILES.configState]) expect(st).toContain(name);
  });
});
